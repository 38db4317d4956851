//! What the gateway writes about persons and secrets is readable by the account
//! running it only, whatever the umask: the data directory, the store, the manifest,
//! the certificates' directory and the private keys. A data directory that others may
//! read is reported when the gateway starts.

#![cfg(unix)]

use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// Starts `serve --demo` under umask 022, returns once it listens.
fn serve(data_dir: &Path) -> Child {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg("umask 022; exec \"$0\" serve --demo --addr 127.0.0.1:0 --data-dir \"$1\"")
        .arg(env!("CARGO_BIN_EXE_bcss-gateway"))
        .arg(data_dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start the gateway: {e}"));
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    let mut lines = BufReader::new(stdout).lines();
    loop {
        let line = lines
            .next()
            .unwrap_or_else(|| panic!("the gateway stopped before listening"))
            .unwrap_or_else(|e| panic!("read stdout: {e}"));
        if line.starts_with("demo manifest") {
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    child
}

fn stop(mut child: Child) -> String {
    let _ = child.kill();
    let _ = child.wait();
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut stderr);
    }
    stderr
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn personal_data_and_secrets_are_the_owners_only_and_loose_ones_are_reported() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().join("data");
    let stderr = stop(serve(&data));
    let certs = data.join("certs");
    let mut private = vec![
        (data.clone(), 0o700),
        (data.join("bcss-gateway.redb"), 0o600),
        (data.join("demo.json"), 0o600),
        (certs.clone(), 0o700),
    ];
    let keys: Vec<_> = std::fs::read_dir(&certs)
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "key"))
        .collect();
    assert!(keys.len() > 5, "{keys:?}");
    private.extend(keys.into_iter().map(|k| (k, 0o600)));
    for (path, expected) in &private {
        assert_eq!(mode(path), *expected, "{}", path.display());
    }
    assert!(!stderr.contains("readable by other accounts"), "{stderr}");

    // A data directory left open (by hand, or by an earlier version) is reported.
    let store = data.join("bcss-gateway.redb");
    let key = certs.join("server.key");
    for (path, loose) in [(&data, 0o755), (&store, 0o644), (&key, 0o644)] {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(loose))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let stderr = stop(serve(&data));
    for path in [&data, &store, &key] {
        let reported = stderr.lines().any(|l| {
            l.contains("readable by other accounts") && l.contains(&*path.to_string_lossy())
        });
        assert!(reported, "{} not reported in:\n{stderr}", path.display());
    }
}
