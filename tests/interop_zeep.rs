//! Interoperability: the real binary in demo mode, called by Python clients generated
//! from the WSDL the server publishes: zeep with Basic credentials, a client
//! certificate, and a WS-Security signature (zeep's BinarySignature), and suds. Each
//! is skipped (with the reason printed) when its library is not installed; CI
//! installs them.

mod support;

use std::process::Command;

use support::DemoServer;

fn python_has(module: &str) -> bool {
    Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn zeep_generated_from_the_served_wsdl_gets_every_expected_status() {
    if !python_has("zeep") {
        eprintln!("SKIPPED: python3 with zeep is not installed (python3 -m pip install zeep)");
        return;
    }
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let server = DemoServer::start(dir.path());
    let manifest = server.manifest_arg();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/zeep_client.py");
    // zeep signs with python-xmlsec (libxmlsec1): a signer no project code wrote.
    let signing = python_has("xmlsec");
    if !signing {
        eprintln!("SKIPPED: zeep's WS-Security signature: python3 -m pip install xmlsec");
    }
    for args in [
        vec!["--all-ssins"],
        vec!["--all-ssins", "--auth", "cert"],
        vec!["--soap12"],
        vec!["--all-ssins", "--auth", "signature"],
        vec!["--soap12", "--auth", "signature"],
    ] {
        if args.contains(&"signature") && !signing {
            continue;
        }
        let out = Command::new("python3")
            .arg(script)
            .args(["--manifest", manifest])
            .args(&args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run zeep: {e}"));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{args:?}\n{text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        eprintln!("{text}");
    }
    // The amounts service, with its own generated client.
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/zeep_with_amount.py");
    let out = Command::new("python3")
        .arg(script)
        .args(["--manifest", manifest])
        .output()
        .unwrap_or_else(|e| panic!("cannot run zeep: {e}"));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("LIVING_WAGE E"), "{text}");
    eprintln!("{text}");
    // LivingWages V3: the demo's rights with their decisions, all of Belgium and then
    // Flanders only.
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/zeep_living_wages_v3.py"
    );
    for region in [None, Some("FLANDERS")] {
        let out = Command::new("python3")
            .arg(script)
            .args(["--manifest", manifest])
            .args(region.map(|r| ["--region", r]).iter().flatten())
            .output()
            .unwrap_or_else(|e| panic!("cannot run zeep: {e}"));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{region:?}\n{text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(text.contains("attestation B"), "{text}");
        assert!(
            text.contains("withdrawn 2021-09-01..2022-02-28"),
            "Gent's withdrawal, in Flanders too: {text}"
        );
        assert_eq!(text.contains("INS 62063"), region.is_none(), "{text}");
        eprintln!("{text}");
    }
    drop(server);
}

/// With `--sign-answers`, zeep verifies every answer's signature with the server's
/// certificate from the manifest (python-xmlsec, libxmlsec1), over both SOAP versions;
/// with another certificate, it refuses the answers.
#[test]
fn zeep_verifies_the_signed_answers() {
    if !python_has("zeep") || !python_has("xmlsec") {
        eprintln!("SKIPPED: needs zeep and python-xmlsec (python3 -m pip install zeep xmlsec)");
        return;
    }
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let server = DemoServer::start_with(dir.path(), &["--sign-answers"]);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/zeep_client.py");
    let zeep = |manifest: &str, extra: &[&str]| {
        Command::new("python3")
            .arg(script)
            .args([
                "--manifest",
                manifest,
                "--auth",
                "signature",
                "--verify-answers",
            ])
            .args(extra)
            .output()
            .unwrap_or_else(|e| panic!("cannot run zeep: {e}"))
    };
    for extra in [&["--all-ssins"][..], &["--soap12"]] {
        let out = zeep(server.manifest_arg(), extra);
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{extra:?}\n{said}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // The client's own certificate in the server's place: every answer refused.
    let text = std::fs::read_to_string(&server.manifest).unwrap_or_else(|e| panic!("{e}"));
    let mut manifest: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    manifest["serverCertificate"] = manifest["institutions"][0]["certificate"].clone();
    let wrong = dir.path().join("wrong.json");
    std::fs::write(&wrong, manifest.to_string()).unwrap_or_else(|e| panic!("{e}"));
    let out = zeep(wrong.to_str().unwrap_or_default(), &[]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{said}");
    assert_eq!(
        said.matches("does not verify with the server's certificate")
            .count(),
        5,
        "{said}"
    );
    drop(server);
}

/// The integration tester's pipeline example: the binary started on a world file, a
/// person added through the admin API and consulted with zeep, the register reset
/// before each test, faults injected and seen by zeep as on the wire (a forced
/// status, a Server fault, a reset, no answer); run as the example says, with and
/// without `REQUESTS_CA_BUNDLE`.
#[test]
fn the_ci_example_runs_against_the_binary() {
    if !python_has("zeep") {
        eprintln!("SKIPPED: python3 with zeep is not installed (python3 -m pip install zeep)");
        return;
    }
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/ci/test_living_wages.py"
    );
    for bundle in [None, Some("/nonexistent/ca-bundle.pem")] {
        let mut command = Command::new("python3");
        command
            .args(["-m", "unittest", "-v", script])
            .env("BCSS_GATEWAY", env!("CARGO_BIN_EXE_bcss-gateway"));
        if let Some(bundle) = bundle {
            command.env("REQUESTS_CA_BUNDLE", bundle);
        } else {
            command.env_remove("REQUESTS_CA_BUNDLE");
        }
        let out = command
            .output()
            .unwrap_or_else(|e| panic!("cannot run the example: {e}"));
        let text = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{bundle:?}\n{text}");
        assert!(text.contains("Ran 6 tests"), "{text}");
    }
}

/// suds writes requests its own way: it qualifies the operation's children with the
/// schema's target namespace unless the schema binds a prefix to it. Every demo SSIN's
/// getLivingWages answers the status the manifest expects.
#[test]
fn suds_generated_from_the_served_wsdl_gets_every_expected_status() {
    if !python_has("suds") {
        eprintln!(
            "SKIPPED: python3 with suds is not installed (python3 -m pip install suds-community)"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let server = DemoServer::start(dir.path());
    let manifest = server.manifest_arg();
    let expected: Vec<(String, String)> = server
        .ssins()
        .into_iter()
        .map(|s| (s.ssin, s.expected_status))
        .collect();
    assert!(expected.len() > 5, "{expected:?}");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/suds_client.py");
    let out = Command::new("python3")
        .arg(script)
        .args(["--manifest", manifest])
        .args(expected.iter().map(|(ssin, _)| ssin))
        .output()
        .unwrap_or_else(|e| panic!("cannot run suds: {e}"));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = said.lines().collect();
    assert_eq!(lines.len(), expected.len(), "{said}");
    for (line, (ssin, status)) in lines.iter().zip(&expected) {
        let mut fields = line.split(' ');
        assert_eq!(fields.next(), Some(ssin.as_str()), "{said}");
        let code = fields.next().unwrap_or_default();
        assert_eq!(code.trim_start_matches("fault:"), status, "{line}");
        if status == "MSG00000" {
            assert_ne!(fields.next(), Some("-"), "{line}: no PCSA");
        }
    }
    drop(server);
}
