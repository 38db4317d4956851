//! The `subscribers` command on a real store file: an operator subscribes a granted
//! institution, lists, reads the status, replays and unsubscribes; a refused argument
//! is named in the message and changes nothing.

use std::process::{Command, Output};

use bcss_gateway::demo;
use bcss_gateway::domain::{Delivery, DeliveryMode, SubscriptionState};
use bcss_gateway::store::RedbStore;
use bcss_gateway::store::Subscriptions;

fn gateway(dir: &tempfile::TempDir, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bcss-gateway"))
        .arg("subscribers")
        .args(args)
        .args(["--data-dir", &dir.path().display().to_string()])
        .output()
        .unwrap_or_else(|e| panic!("run bcss-gateway: {e}"))
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn an_operator_manages_subscriptions_and_refused_arguments_are_named() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = RedbStore::open_dir(dir.path()).unwrap();
        let institutions: Vec<_> = demo::INSTITUTIONS
            .iter()
            .map(|(key, _)| (*key, None, None))
            .collect();
        let world = tempfile::tempdir().unwrap();
        demo::load(&store, world.path(), &institutions).unwrap();
    }
    let cin = demo::institution_cbe("cin").unwrap().to_string();
    let onem = demo::institution_cbe("onem").unwrap().to_string();

    // The demo world subscribes the CIN, pushed to the notification sink.
    let url = "https://127.0.0.1:9443/LivingWagesNotificationService/v1";
    let out = gateway(&dir, &["list"]);
    assert!(
        out.status.success()
            && text(&out).contains(&format!("{cin} ACTIVE SSIN_ONLY {url} queued 0")),
        "{}",
        text(&out)
    );
    let out = gateway(
        &dir,
        &[
            "add",
            "--institution",
            &cin,
            "--endpoint",
            url,
            "--mode",
            "WITH_ATTESTATION",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("ACTIVE WITH_ATTESTATION"),
        "{}",
        text(&out)
    );

    for (args, flag) in [
        (vec!["add", "--institution", onem.as_str()], "--institution"),
        (vec!["add", "--institution", "123"], "--institution"),
        (
            vec!["add", "--institution", cin.as_str(), "--mode", "ALL"],
            "--mode",
        ),
        (
            vec![
                "add",
                "--institution",
                cin.as_str(),
                "--endpoint",
                "ftp://x/",
            ],
            "--endpoint",
        ),
        (
            vec!["replay", "--institution", cin.as_str(), "--from", "5"],
            "--from",
        ),
        (
            vec!["status", "--institution", onem.as_str()],
            "--institution",
        ),
    ] {
        let out = gateway(&dir, &args);
        assert!(!out.status.success(), "{args:?} accepted");
        let message = text(&out);
        assert!(
            message.contains(&format!(" {flag}: ")) && !message.contains("---"),
            "{args:?}: {message}"
        );
    }

    let out = gateway(&dir, &["status", "--institution", &cin]);
    assert!(
        out.status.success() && text(&out).contains("pending 0"),
        "{}",
        text(&out)
    );
    let out = gateway(&dir, &["replay", "--institution", &cin, "--from", "1"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = gateway(&dir, &["remove", "--institution", &cin]);
    assert!(text(&out).contains("UNSUBSCRIBED"), "{}", text(&out));

    let store = RedbStore::open_dir(dir.path()).unwrap();
    let all = store.subscriptions().unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].state, SubscriptionState::Unsubscribed);
    assert_eq!(all[0].mode, DeliveryMode::WithAttestation);
    assert_eq!(
        all[0].delivery,
        Delivery::Push {
            endpoint: url.into()
        }
    );
}
