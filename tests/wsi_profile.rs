//! Every WSDL the server publishes (`?wsdl`, fetched over TLS) meets WS-I Basic
//! Profile 1.1, as the conformance checker of the System.Web.Services library (Mono's
//! implementation, driven by `tests/wsi/BasicProfile.cs`) judges it. The same checker
//! must refuse a copy made rpc/encoded, so that a silent or broken checker cannot pass.
//! Skipped, with the reason printed, without Mono's compiler and that library; CI
//! installs them.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::{Gateway, run_tool, tool_output};

/// The checker, compiled into `dir`; `None` when Mono is missing.
fn checker(dir: &Path) -> Option<PathBuf> {
    let exe = dir.join("BasicProfile.exe");
    let compiled = Command::new("mcs")
        .args(["-r:System.Web.Services", "-nologo"])
        .arg(format!("-out:{}", exe.display()))
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/wsi/BasicProfile.cs"
        ))
        .output()
        .ok()?;
    if !compiled.status.success() {
        // Mono's compiler without the library says so: that is a missing tool too.
        eprintln!("{}", tool_output(&compiled));
        return None;
    }
    Some(exe)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_served_wsdl_meets_the_basic_profile() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let Some(exe) = checker(dir.path()) else {
        eprintln!(
            "SKIPPED: needs Mono's compiler and System.Web.Services \
             (apt-get install mono-mcs libmono-system-web-services4.0-cil)"
        );
        return;
    };
    let gw = Gateway::start().await;
    let client = gw.anonymous();
    let mut files = Vec::new();
    for service in bcss_gateway::server::contracts::SERVICES {
        let wsdl = client.get(&format!("{}?wsdl", service.path)).await;
        assert_eq!(wsdl.status, 200, "{}: {}", service.path, wsdl.body);
        let file = dir
            .path()
            .join(format!("{}.wsdl", service.path.replace('/', "_")));
        std::fs::write(&file, &wsdl.body).unwrap_or_else(|e| panic!("{e}"));
        files.push(file);
    }
    let out = run_tool(Command::new("mono").arg(&exe).args(&files), "mono");
    let said = tool_output(&out);
    assert!(out.status.success(), "{said}");
    assert_eq!(said.matches(": conforms").count(), files.len(), "{said}");

    // The control: the V2 WSDL made rpc/encoded breaks R2706 (use="literal" only).
    let v2 = std::fs::read_to_string(&files[0]).unwrap_or_else(|e| panic!("{e}"));
    assert!(v2.contains("use=\"literal\""), "{v2}");
    let encoded = dir.path().join("encoded.wsdl");
    std::fs::write(&encoded, v2.replace("use=\"literal\"", "use=\"encoded\""))
        .unwrap_or_else(|e| panic!("{e}"));
    let out = run_tool(Command::new("mono").arg(&exe).arg(&encoded), "mono");
    assert!(!out.status.success(), "{}", tool_output(&out));
    assert!(tool_output(&out).contains("R2706"), "{}", tool_output(&out));
}
