//! Interoperability with node-soap, over TLS to the real binary in demo mode:
//! `examples/node/client.js` builds its clients from the served WSDLs, signs V2
//! requests with node-soap's own WS-Security signer (`WSSecurityCert`: the third
//! independent signer of the suite, after xmlsec1 and zeep) and reads V3's answers
//! typed by the schema. Skipped, with the reason printed, when Node.js or the
//! example's `npm install` is missing; CI installs them.

mod support;

use std::path::Path;
use std::process::Command;

use support::DemoServer;

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/node");

#[test]
fn node_soap_signs_v2_and_reads_v3_typed() {
    let node = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !node {
        eprintln!("SKIPPED: needs Node.js (apt-get install nodejs npm)");
        return;
    }
    if !Path::new(EXAMPLE).join("node_modules/soap").exists() {
        eprintln!("SKIPPED: needs node-soap (npm ci --prefix examples/node)");
        return;
    }
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let server = DemoServer::start(dir.path());
    let ssins = server.ssins();
    let expected: Vec<(&str, &str, &str)> = ssins
        .iter()
        .map(|s| {
            (
                s.ssin.as_str(),
                s.expected_status.as_str(),
                s.illustrates.as_str(),
            )
        })
        .collect();
    let out = Command::new("node")
        .arg(Path::new(EXAMPLE).join("client.js"))
        .args(["--manifest", server.manifest_arg()])
        .args(expected.iter().map(|(ssin, _, _)| ssin))
        .output()
        .unwrap_or_else(|e| panic!("cannot run node: {e}"));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = said.lines().collect();
    assert_eq!(lines.len(), expected.len() * 2, "{said}");
    for (pair, (ssin, status, illustrates)) in lines.chunks(2).zip(&expected) {
        // The signature alone identified the institution, whose answer is the
        // status the manifest expects, as it is with Basic credentials in V3.
        for (line, service) in pair.iter().zip(["v2-signed", "v3"]) {
            let fields: Vec<&str> = line.split(' ').collect();
            assert_eq!(fields[..2], [service, *ssin], "{said}");
            assert_eq!(
                fields.get(2).map(|c| c.trim_start_matches("fault:")),
                Some(*status),
                "{line}: {illustrates}"
            );
            if *status == "MSG00000" {
                assert_ne!(fields.get(3), Some(&"-"), "{line}: no right");
            }
        }
        // V3's dates came out of node-soap as dates: its schema kept their types.
        assert!(!pair[1].contains("string:"), "{}", pair[1]);
    }
    assert!(said.contains("/LIVING_WAGE/"), "{said}");
    drop(server);
}
