//! Interoperability: the real binary in demo mode, called by a Python zeep client that
//! is generated from the WSDL the server publishes, with Basic credentials, a client
//! certificate, and a WS-Security signature (zeep's BinarySignature). Skipped (with the reason printed)
//! when Python's zeep is not installed; CI installs it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn zeep_available() -> bool {
    Command::new("python3")
        .args(["-c", "import zeep"])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn python_xmlsec_available() -> bool {
    Command::new("python3")
        .args(["-c", "import xmlsec"])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn zeep_generated_from_the_served_wsdl_gets_every_expected_status() {
    if !zeep_available() {
        eprintln!("SKIPPED: python3 with zeep is not installed (python3 -m pip install zeep)");
        return;
    }
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_bcss-gateway"))
        .args([
            "serve",
            "--demo",
            "--addr",
            "127.0.0.1:0",
            "--admin-addr",
            "127.0.0.1:0",
            "--data-dir",
        ])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start the gateway: {e}"));
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    let server = Server(child);
    // The manifest is written once the server listens; its path is printed. A reader
    // thread passes the lines on, so a silent server fails the test instead of hanging it.
    let (lines, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut manifest = None;
    while let Ok(line) = receive.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        if let Some(path) = line.strip_prefix("demo manifest") {
            manifest = Some(path.trim().to_owned());
            break;
        }
    }
    let manifest = manifest.unwrap_or_else(|| panic!("the demo printed no manifest"));
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/zeep_client.py");
    // zeep signs with python-xmlsec (libxmlsec1): a signer no project code wrote.
    let signing = python_xmlsec_available();
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
            .args(["--manifest", &manifest])
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
        .args(["--manifest", &manifest])
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
            .args(["--manifest", &manifest])
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

/// The integration tester's pipeline example: the binary started on a world file, a
/// person added through the admin API and consulted with zeep, the register reset
/// before each test, faults injected and seen by zeep as on the wire (a forced
/// status, a Server fault, a reset, no answer); run as the example says, with and
/// without `REQUESTS_CA_BUNDLE`.
#[test]
fn the_ci_example_runs_against_the_binary() {
    if !zeep_available() {
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
