//! The clock of a running gateway, as a tester uses it: the binary started with
//! `--clock`, moved with `bcss-gateway clock` while it serves, and the effect seen over
//! TLS in the answers' timestamps and in when a registered decision becomes visible.

mod support;

use std::path::Path;
use std::process::{Command, Output};

use bcss_gateway::demo::{DemoInstitution, Manifest};
use support::{
    Call, Client, PATH, PD_PATH, demo_binary, liege_form_b, texts_of, validate_soap_reply,
};

fn clock(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bcss-gateway"))
        .arg("clock")
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("run clock: {e}"))
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn institution(manifest: &Manifest, key: &str) -> DemoInstitution {
    manifest
        .institutions
        .iter()
        .find(|i| i.key == key)
        .unwrap_or_else(|| panic!("no {key} in the manifest"))
        .clone()
}

const XML: [(&str, &str); 1] = [("content-type", "text/xml; charset=utf-8")];

#[tokio::test]
async fn a_tester_freezes_and_moves_the_clock_of_a_running_gateway() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // A decision reaches consultations a day after it is accepted, as on the network.
    let (mut gateway, addr) = demo_binary(
        &data,
        &[
            "--clock",
            "fixed:2027-03-01T09:00:00Z",
            "--propagation-delay",
            "86400",
        ],
    );
    let manifest: Manifest =
        serde_json::from_str(&std::fs::read_to_string(data.join("demo.json")).unwrap()).unwrap();
    let ca = std::fs::read_to_string(&manifest.ca_certificate).unwrap();
    let onem = institution(&manifest, "onem");
    let liege = institution(&manifest, "cpas-liege");
    let marie = &manifest
        .ssins
        .iter()
        .find(|s| s.expected_status == "MSG00100")
        .unwrap()
        .ssin;
    let partner = Client::external(addr, &ca).with_basic(&onem.username, &onem.password);
    let cpas = Client::external(addr, &ca).with_basic(&liege.username, &liege.password);
    let consult = || async {
        let reply = partner
            .send(
                "POST",
                PATH,
                &XML,
                Call::new("getLivingWages", &onem.cbe_number, marie)
                    .soap11()
                    .into_bytes(),
            )
            .await;
        validate_soap_reply(&reply.body);
        reply
    };

    // The clock stands still where it was set.
    let reply = consult().await;
    assert_eq!(
        texts_of(&reply.body, "timestampReceive"),
        ["2027-03-01T09:00:00.000Z"]
    );
    assert_eq!(
        texts_of(&reply.body, "timestampReply"),
        ["2027-03-01T09:00:00.000Z"]
    );
    let out = clock(&data, &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("fixed at 2027-03-01T09:00:00.000Z"),
        "{}",
        text(&out)
    );

    // A form B accepted now is not consultable before a day has passed.
    let reply = cpas
        .send(
            "POST",
            PD_PATH,
            &XML,
            liege_form_b(&liege.cbe_number, marie, "2027-02-01", "CLOCK-1").into_bytes(),
        )
        .await;
    assert_eq!(
        texts_of(&reply.body, "outcome"),
        ["ACCEPTED"],
        "{}",
        reply.body
    );
    assert_eq!(texts_of(&consult().await.body, "code"), ["MSG00100"]);
    let out = clock(&data, &["advance", "23h"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(texts_of(&consult().await.body, "code"), ["MSG00100"]);
    let out = clock(&data, &["advance", "1h"]);
    assert!(
        text(&out).contains("fixed at 2027-03-02T09:00:00.000Z"),
        "{}",
        text(&out)
    );
    let reply = consult().await;
    assert_eq!(
        texts_of(&reply.body, "code"),
        ["MSG00000"],
        "{}",
        reply.body
    );
    assert_eq!(
        texts_of(&reply.body, "timestampReceive"),
        ["2027-03-02T09:00:00.000Z"]
    );

    // Back to the system clock; set and advance refuse what they cannot read.
    let out = clock(&data, &["set", "system"]);
    assert!(text(&out).contains("clock: system"), "{}", text(&out));
    let reply = consult().await;
    assert_ne!(
        texts_of(&reply.body, "timestampReceive"),
        ["2027-03-02T09:00:00.000Z"]
    );
    for (args, named) in [
        (
            vec!["set", "tomorrow"],
            "SETTING: \"tomorrow\" is not an instant",
        ),
        (vec!["set", "fixed:2027-02-30"], "SETTING:"),
        (vec!["advance", "3w"], "BY: \"3w\" is not a duration"),
    ] {
        let out = clock(&data, &args);
        assert!(!out.status.success(), "{args:?} accepted");
        assert!(text(&out).contains(named), "{args:?}: {}", text(&out));
    }
    let out = clock(&data, &[]);
    assert!(text(&out).contains("clock: system"), "{}", text(&out));

    // Killed, the gateway leaves its socket file behind, and nothing answers there.
    gateway.kill().unwrap();
    gateway.wait().unwrap();
    assert!(data.join("control.sock").exists());
    let out = clock(&data, &[]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("no gateway is running"),
        "{}",
        text(&out)
    );
}

#[test]
fn serve_refuses_a_clock_it_cannot_read() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_bcss-gateway"))
        .args([
            "serve",
            "--demo",
            "--addr",
            "127.0.0.1:0",
            "--clock",
            "soon",
        ])
        .arg("--data-dir")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out).contains("--clock: \"soon\" is not an instant"),
        "{}",
        text(&out)
    );
    assert!(
        !dir.path().join("bcss-gateway.redb").exists(),
        "a refused start created a store"
    );
}
