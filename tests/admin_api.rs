//! The admin API as an integration tester uses it against the binary: over HTTPS with
//! the token of `<data-dir>/admin.token`, a tester adds their institution (with its
//! own client certificate) and their persons, consults them over TLS, resets the
//! register between tests, moves the clock; and the command line reaches the running
//! gateway through the control socket.

mod support;

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command};

use bcss_gateway::demo::Manifest;
use rustls::pki_types::{CertificateDer, pem::PemObject};
use serde_json::{Value, json};
use support::{
    Call, Client, PATH, PD_PATH, Reply, demo_binary_with_admin, liege_form_b, periods, self_signed,
    validate_soap_reply,
};

/// The tester's institution and persons (valid check digits).
const TESTER: &str = "0712345630";
const PERSON: &str = "87020312376";
const OTHER_PERSON: &str = "91041124506";
/// The demo's CPAS de Liège.
const LIEGE: &str = "0207594351";

struct Running {
    child: Child,
    addr: SocketAddr,
    admin: Client,
    token: String,
    ca: String,
    manifest: Manifest,
    data: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start() -> Running {
    start_with(&[])
}

fn start_with(extra: &[&str]) -> Running {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().join("data");
    let (child, addr, admin_addr) = demo_binary_with_admin(&data, extra);
    let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{e}"));
    let ca = read(&data.join("certs").join("ca.pem"));
    let token = read(&data.join("admin.token")).trim().to_owned();
    let manifest: Manifest = serde_json::from_str(&read(&data.join("demo.json")))
        .unwrap_or_else(|e| panic!("manifest: {e}"));
    Running {
        child,
        addr,
        admin: Client::external(admin_addr, &ca),
        token,
        ca,
        manifest,
        data,
        _dir: dir,
    }
}

impl Running {
    fn data_dir(&self) -> &Path {
        &self.data
    }

    /// One admin request with the token; `body` is (content type, text).
    async fn call(&self, method: &str, path: &str, body: Option<(&str, String)>) -> Reply {
        let auth = format!("Bearer {}", self.token);
        let mut headers = vec![("authorization", auth.as_str())];
        let bytes = match &body {
            Some((content_type, text)) => {
                headers.push(("content-type", content_type));
                text.clone().into_bytes()
            }
            None => Vec::new(),
        };
        self.admin.send(method, path, &headers, bytes).await
    }

    async fn json(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let reply = self
            .call(
                method,
                path,
                body.map(|b| ("application/json", b.to_string())),
            )
            .await;
        let value = serde_json::from_str(&reply.body)
            .unwrap_or_else(|e| panic!("{method} {path}: not JSON ({e}): {}", reply.body));
        (reply.status, value)
    }

    /// GETs `path` until its JSON answer satisfies `done` (the journal is committed
    /// every 50 ms), within 10 s; each answer must be a 200.
    async fn json_until(&self, path: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let (status, answer) = self.json("GET", path, None).await;
            assert_eq!(status, 200, "{answer}");
            if done(&answer) {
                return answer;
            }
            assert!(std::time::Instant::now() < deadline, "{answer}");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    async fn apply(&self, fragment: &str) -> (u16, Value) {
        let reply = self
            .call(
                "POST",
                "/v1/world",
                Some(("application/toml", fragment.to_owned())),
            )
            .await;
        let value = serde_json::from_str(&reply.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", reply.body));
        (reply.status, value)
    }

    fn institution(&self, key: &str) -> &bcss_gateway::demo::DemoInstitution {
        self.manifest
            .institutions
            .iter()
            .find(|i| i.key == key)
            .unwrap_or_else(|| panic!("no {key} in the manifest"))
    }

    /// A demo institution's client, with its password.
    fn partner(&self, key: &str) -> Client {
        let i = self.institution(key);
        Client::external(self.addr, &self.ca).with_basic(&i.username, &i.password)
    }

    fn demo_ssin(&self, illustrates: &str) -> String {
        self.manifest
            .ssins
            .iter()
            .find(|s| s.illustrates.contains(illustrates))
            .map(|s| s.ssin.clone())
            .unwrap_or_else(|| panic!("no demo SSIN illustrating {illustrates}"))
    }

    /// getLivingWages by a demo institution, validated against the XSD.
    async fn consult(&self, key: &str, ssin: &str) -> Reply {
        let cbe = self.institution(key).cbe_number.clone();
        let reply = self
            .partner(key)
            .soap_at(PATH, &Call::new("getLivingWages", &cbe, ssin).soap11())
            .await;
        validate_soap_reply(&reply.body);
        reply
    }
}

fn fingerprint(pem: &str) -> String {
    let der = CertificateDer::from_pem_slice(pem.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    bcss_gateway::tls::fingerprint(&der).to_hex()
}

/// The tester's institution, one person it manages with a right from Liège, and
/// another person without a right.
fn testers_world(certificate: &str) -> String {
    format!(
        r#"
[[institution]]
cbeNumber = "{TESTER}"
name = "Tester's institution"
certificates = ["{certificate}"]
[[institution.grant]]
service = "LivingWages"
legalContexts = ["EMPLOYMENT:ACTIVATION_GUIDANCE"]

[[person]]
ssin = "{PERSON}"
lastName = "Maes"
firstName = "Eva"

[[person]]
ssin = "{OTHER_PERSON}"
lastName = "Wouters"
firstName = "Lars"

[[inscription]]
institution = "{TESTER}"
ssin = "{PERSON}"
quality = 9
begin = "2020-01-01"

[[inscription]]
institution = "{TESTER}"
ssin = "{OTHER_PERSON}"
quality = 9
begin = "2020-01-01"

[[right]]
ssin = "{PERSON}"
pcsa = "{LIEGE}"
kind = "LIVING_WAGE"
category = "B"
[[right.period]]
begin = "2024-01-01"
end = "2024-06-30"
"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_testers_institution_added_through_the_api_consults_its_own_persons() {
    let gw = start();
    let laptop = self_signed("tester laptop");
    let (status, answer) = gw.apply(&testers_world(&fingerprint(&laptop.cert))).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["applied"], 6, "{answer}");

    // Identified by its own (pinned) certificate, as on the network.
    let client = Client::external_with_certificate(gw.addr, &gw.ca, &laptop.cert, &laptop.key);
    let consult = |ssin: &'static str| {
        let client = &client;
        async move {
            let call = Call::new("getLivingWages", TESTER, ssin)
                .legal_context("EMPLOYMENT:ACTIVATION_GUIDANCE");
            let reply = client.soap_at(PATH, &call.soap11()).await;
            validate_soap_reply(&reply.body);
            reply
        }
    };
    let reply = consult(PERSON).await;
    assert_eq!(reply.status_code(), "MSG00000", "{}", reply.body);
    assert_eq!(
        periods(&reply),
        ["2024-01-01..2024-06-30"],
        "{}",
        reply.body
    );
    let reply = consult(OTHER_PERSON).await;
    assert_eq!(reply.status_code(), "MSG00100", "{}", reply.body);
    // A demo person: the tester's institution manages no file of theirs.
    let sophie = gw.demo_ssin("two PCSAs");
    let reply = client
        .soap_at(
            PATH,
            &Call::new("getLivingWages", TESTER, &sophie)
                .legal_context("EMPLOYMENT:ACTIVATION_GUIDANCE")
                .soap11(),
        )
        .await;
    assert_eq!(reply.status_code(), "MSG00012", "{}", reply.body);

    // Changed through the API: a second period, the same declaration again.
    let changed = testers_world(&fingerprint(&laptop.cert)).replace(
        "end = \"2024-06-30\"",
        "end = \"2024-06-30\"\n[[right.period]]\nbegin = \"2025-01-01\"\nend = \"2025-03-31\"",
    );
    let (status, answer) = gw.apply(&changed).await;
    assert_eq!(status, 200, "{answer}");
    let reply = consult(PERSON).await;
    assert_eq!(
        periods(&reply),
        ["2024-01-01..2024-06-30", "2025-01-01..2025-03-31"],
        "{}",
        reply.body
    );

    // After a reset the institution does not exist: its certificate is refused, at
    // the handshake or (a resumed TLS session carries the certificate it was made
    // with) by the request's identification.
    let (status, answer) = gw.json("POST", "/v1/reset", None).await;
    assert_eq!((status, &answer["reset"]), (200, &json!(true)), "{answer}");
    let call = Call::new("getLivingWages", TESTER, PERSON)
        .legal_context("EMPLOYMENT:ACTIVATION_GUIDANCE")
        .soap11();
    let refused = client
        .try_send(
            "POST",
            PATH,
            &[("content-type", "text/xml; charset=utf-8")],
            call.into_bytes(),
        )
        .await;
    assert!(
        refused.as_ref().map_or(true, |r| r.status == 401),
        "a certificate registered only before the reset was accepted: {:?}",
        refused.map(|r| (r.status, r.body))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_returns_to_the_register_the_gateway_started_with() {
    let gw = start();
    let marie = gw.demo_ssin("no right at all");
    let before = gw.call("GET", "/v1/world", None).await;
    assert_eq!(before.status, 200, "{}", before.body);
    assert_eq!(before.header("content-type"), Some("application/toml"));
    assert_eq!(gw.consult("onem", &marie).await.status_code(), "MSG00100");

    // What a test does: a CPAS decides, a subscriber leaves, a person is added.
    let liege = gw.partner("cpas-liege");
    let form = liege_form_b(LIEGE, &marie, "2025-01-01", "TEST-1");
    let sent = liege.soap_at(PD_PATH, &form).await;
    assert_eq!(
        sent.text_of("outcome").as_deref(),
        Some("ACCEPTED"),
        "{}",
        sent.body
    );
    assert_eq!(gw.consult("onem", &marie).await.status_code(), "MSG00000");
    let cin = gw.institution("cin").cbe_number.clone();
    let (status, answer) = gw
        .json("DELETE", &format!("/v1/subscriptions/{cin}"), None)
        .await;
    assert_eq!(
        (status, &answer["state"]),
        (200, &json!("UNSUBSCRIBED")),
        "{answer}"
    );
    let (status, answer) = gw
        .apply(&format!(
            "[[person]]\nssin = \"{PERSON}\"\nlastName = \"Maes\"\nfirstName = \"Eva\"\n"
        ))
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(gw.consult("onem", PERSON).await.status_code(), "MSG00012");

    let (status, answer) = gw.json("POST", "/v1/reset", None).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(gw.consult("onem", &marie).await.status_code(), "MSG00100");
    assert_eq!(gw.consult("onem", PERSON).await.status_code(), "MSG00005");
    let (_, all) = gw.json("GET", "/v1/subscriptions", None).await;
    assert_eq!(all[0]["institution"], json!(cin), "{all}");
    assert_eq!(all[0]["state"], json!("ACTIVE"), "{all}");
    let after = gw.call("GET", "/v1/world", None).await;
    assert_eq!(after.body, before.body);
    // The same form is a new decision again: the register forgot it.
    let sent = liege.soap_at(PD_PATH, &form).await;
    assert_eq!(
        sent.text_of("outcome").as_deref(),
        Some("ACCEPTED"),
        "{}",
        sent.body
    );
}

/// A gateway started with `--no-reset` keeps no copy of its register, and says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_copy_of_the_register_a_reset_is_refused() {
    let gw = start_with(&["--no-reset"]);
    assert!(!gw.data_dir().join("initial.redb").exists());
    let (status, answer) = gw.json("POST", "/v1/reset", None).await;
    assert_eq!(status, 409, "{answer}");
    assert!(
        answer["error"]
            .as_str()
            .is_some_and(|e| e.contains("--no-reset")),
        "{answer}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_fragment_is_refused_whole_with_every_problem_named() {
    let gw = start();
    let fragment = format!(
        r#"[[person]]
ssin = "{PERSON}"
lastName = "Maes"
firstName = "Eva"

[[person]]
ssin = "87020312377"
lastName = "Wrong"
firstName = "Check digits"

[[inscription]]
institution = "0999999922"
ssin = "{PERSON}"
quality = 9
begin = "2020-01-01"

[[right]]
ssin = "{PERSON}"
pcsa = "{TESTER}"
kind = "LIVING_WAGE"
category = "B"
[[right.period]]
begin = "2024-01-01"
end = "2023-06-30"
"#
    );
    let (status, answer) = gw.apply(&fragment).await;
    assert_eq!(status, 422, "{answer}");
    let problems: Vec<(u64, String)> = answer["problems"]
        .as_array()
        .unwrap_or_else(|| panic!("no problems: {answer}"))
        .iter()
        .map(|p| {
            (
                p["line"].as_u64().unwrap_or(0),
                p["field"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        problems,
        [
            (7, "person[1].ssin".to_owned()),
            (12, "inscription[0].institution".to_owned()),
            (19, "right[0].pcsa".to_owned()),
            (24, "right[0].period[0].end".to_owned()),
        ],
        "{answer}"
    );
    // Nothing of it was written, the valid person included.
    assert_eq!(gw.consult("onem", PERSON).await.status_code(), "MSG00005");

    // A CA is trusted from the worlds given at start only.
    let (status, answer) = gw.apply("clientCa = [\"ca.pem\"]\n").await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(
        answer["problems"][0]["field"],
        json!("clientCa"),
        "{answer}"
    );
    // Nor a file of the gateway's machine: a fragment names none.
    let (status, answer) = gw.apply("[[statement]]\nfile = \"/etc/passwd\"\n").await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(
        answer["problems"][0]["field"],
        json!("statement[0].file"),
        "{answer}"
    );
    assert!(!answer.to_string().contains("root:"), "{answer}");
    // Not TOML at all.
    let (status, answer) = gw.apply("[[person]\n").await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["problems"][0]["line"], json!(1), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_requires_its_token_and_describes_itself() {
    let gw = start();
    for authorization in [
        None,
        Some("Bearer not-the-token"),
        Some("Basic dXNlcjpwYXNz"),
    ] {
        let headers: Vec<(&str, &str)> = authorization
            .iter()
            .map(|a| ("authorization", *a))
            .collect();
        for (method, path) in [
            ("GET", "/v1/world"),
            ("POST", "/v1/reset"),
            ("GET", "/v1/clock"),
        ] {
            let reply = gw.admin.send(method, path, &headers, Vec::new()).await;
            assert_eq!(
                reply.status, 401,
                "{method} {path} with {authorization:?}: {}",
                reply.body
            );
            assert_eq!(
                reply.header("www-authenticate"),
                Some("Bearer realm=\"bcss-gateway admin\"")
            );
        }
    }
    // The token file is the owner's only.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(gw.data_dir().join("admin.token"))
        .unwrap_or_else(|e| panic!("{e}"))
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);

    // The document needs no token and lists every operation.
    let doc = gw.admin.send("GET", "/openapi.json", &[], Vec::new()).await;
    assert_eq!(doc.status, 200);
    let doc: Value = serde_json::from_str(&doc.body).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(doc["openapi"], json!("3.1.0"));
    for path in [
        "/v1/world",
        "/v1/reset",
        "/v1/statements",
        "/v1/statements/{insCode}/{month}",
        "/v1/clock",
        "/v1/clock/advance",
        "/v1/subscriptions",
        "/v1/subscriptions/{institution}",
        "/v1/subscriptions/{institution}/replay",
        "/v1/journal",
        "/v1/journal/count",
        "/v1/faults",
        "/v1/faults/{id}",
        "/v1/journal/{ticket}/bodies",
        "/metrics",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} is not documented");
    }

    // The clock, as `serve --clock` reads a setting.
    let (status, answer) = gw
        .json(
            "PUT",
            "/v1/clock",
            Some(json!({ "setting": "fixed:2027-03-01T09:00:00Z" })),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["now"], json!("2027-03-01T09:00:00.000Z"));
    let (_, answer) = gw
        .json("POST", "/v1/clock/advance", Some(json!({ "by": "1d" })))
        .await;
    assert_eq!(answer["now"], json!("2027-03-02T09:00:00.000Z"));
    let reply = gw.consult("onem", &gw.demo_ssin("two PCSAs")).await;
    assert_eq!(
        reply.text_of("timestampReceive").as_deref(),
        Some("2027-03-02T09:00:00.000Z"),
        "{}",
        reply.body
    );
    let (status, answer) = gw
        .json("PUT", "/v1/clock", Some(json!({ "setting": "soon" })))
        .await;
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("setting: ")),
        "{answer}"
    );
    let (status, answer) = gw
        .json("PUT", "/v1/clock", Some(json!({ "settng": "system" })))
        .await;
    assert_eq!(status, 400, "{answer}");
}

fn cli(data_dir: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_bcss-gateway"))
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .output()
        .unwrap_or_else(|e| panic!("run: {e}"));
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_changes_the_running_gateway() {
    let gw = start();
    let data = gw.data_dir();
    let cin = gw.institution("cin").cbe_number.clone();
    let (ok, out) = cli(data, &["subscribers", "remove", "--institution", &cin]);
    assert!(ok && out.contains("UNSUBSCRIBED"), "{out}");
    let (_, all) = gw.json("GET", "/v1/subscriptions", None).await;
    assert_eq!(all[0]["state"], json!("UNSUBSCRIBED"), "{all}");
    let (ok, out) = cli(data, &["subscribers", "add", "--institution", &cin]);
    assert!(
        ok && out.contains(&format!("{cin} ACTIVE SSIN_ONLY pull")),
        "{out}"
    );
    let onem = gw.institution("onem").cbe_number.clone();
    let (ok, out) = cli(data, &["subscribers", "add", "--institution", &onem]);
    assert!(
        !ok && out.contains("not an institution granted LivingWagesNotifications"),
        "{out}"
    );

    // A world file, loaded into the running gateway.
    let file = gw._dir.path().join("person.toml");
    std::fs::write(
        &file,
        format!("[[person]]\nssin = \"{PERSON}\"\nlastName = \"Maes\"\nfirstName = \"Eva\"\n"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let file_arg = file.to_str().unwrap_or_else(|| panic!("path"));
    let (ok, out) = cli(data, &["world", "load", file_arg]);
    assert!(ok && out.contains("applied 1 declarations"), "{out}");
    assert_eq!(gw.consult("onem", PERSON).await.status_code(), "MSG00012");
    let (ok, out) = cli(data, &["world", "export"]);
    assert!(ok && out.contains(PERSON), "{out}");

    // A statement exported and imported again while the gateway runs.
    let statement = gw._dir.path().join("statement.txt");
    let statement_arg = statement.to_str().unwrap_or_else(|| panic!("path"));
    let (ok, out) = cli(
        data,
        &[
            "payments",
            "export",
            "--ins",
            "21004",
            "--month",
            "202501",
            "--out",
            statement_arg,
        ],
    );
    assert!(ok, "{out}");
    let (ok, out) = cli(data, &["payments", "import", statement_arg]);
    assert!(
        ok && out.contains("CPAS 21004 202501: 1 lines (replacing 1)"),
        "{out}"
    );
    std::fs::write(&statement, "too short\n").unwrap_or_else(|e| panic!("{e}"));
    let (ok, out) = cli(data, &["payments", "import", statement_arg]);
    assert!(!ok, "{out}");
    assert!(out.contains(&format!("{statement_arg}:1: line: ")), "{out}");
}

/// A form in a fragment is what a CPAS sends: judged by the register's rules (a
/// refusal names its rule and writes nothing) and, accepted, notified to the
/// subscribers that manage the person's file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_sent_in_a_fragment_is_judged_and_notified() {
    let gw = start();
    let marie = gw.demo_ssin("no right at all");
    let cin = gw.institution("cin").cbe_number.clone();
    let form = |category: &str| {
        format!(
            "[[formB]]\npcsa = \"{LIEGE}\"\nssin = \"{marie}\"\nkind = \"LIVING_WAGE\"\n\
             entryDate = 2025-01-01\ncategory = \"{category}\"\nrealLifeSituation = 12\n\
             nationalRegisterInscription = 0\nhomeless = false\nstudyGrant = 0\n\
             duration = {{ months = 3 }}\ndecisionDate = 2024-12-18\n"
        )
    };
    let (status, answer) = gw.apply(&form("E")).await;
    assert_eq!(status, 422, "{answer}");
    assert!(
        answer["problems"]
            .as_array()
            .is_some_and(
                |p| p.iter().any(|p| p["field"] == json!("formB[0].partnerSsin")
                    && p["reason"]
                        .as_str()
                        .is_some_and(|r| r.contains("rule 900004")))
            ),
        "{answer}"
    );
    assert_eq!(gw.consult("onem", &marie).await.status_code(), "MSG00100");

    let (status, answer) = gw.apply(&form("B")).await;
    assert_eq!((status, &answer["applied"]), (200, &json!(1)), "{answer}");
    let reply = gw.consult("onem", &marie).await;
    assert_eq!(reply.status_code(), "MSG00000", "{}", reply.body);
    assert_eq!(
        periods(&reply),
        ["2025-01-01..2025-03-31"],
        "{}",
        reply.body
    );
    // The CIN manages her file and is subscribed: the change is queued for it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (_, s) = gw
            .json("GET", &format!("/v1/subscriptions/{cin}"), None)
            .await;
        if s["lastSequence"].as_u64().is_some_and(|n| n >= 1) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never queued: {s}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // The same form again is the same decision.
    let (status, answer) = gw.apply(&form("B")).await;
    assert_eq!(status, 200, "{answer}");
}

/// The journal answers what a tester asks of what their application sent: by
/// institution, operation, SSIN, HTTP status and ticket, in both orders, a page at a
/// time, and counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_journal_answers_queries_and_counts() {
    let gw = start();
    let (two_pcsas, equivalent) = (gw.demo_ssin("two PCSAs"), gw.demo_ssin("equivalent"));
    let onem = gw.institution("onem").cbe_number.clone();
    let mut tickets = Vec::new();
    for ssin in [&two_pcsas, &equivalent, &two_pcsas] {
        let reply = gw.consult("onem", ssin).await;
        tickets.push(reply.text_of("ticketCBSS").unwrap_or_default());
    }
    let wrong = Client::external(gw.addr, &gw.ca)
        .with_basic(&gw.institution("onem").username, "not-the-password")
        .soap_at(
            PATH,
            &Call::new("getLivingWages", &onem, &two_pcsas).soap11(),
        )
        .await;
    assert_eq!(wrong.status, 401);
    // The journal is committed every 50 ms: wait for the last exchange.
    gw.json_until("/v1/journal/count?httpStatus=401", |a| {
        a["count"] == json!(1)
    })
    .await;
    let (_, counted) = gw
        .json(
            "GET",
            &format!(
                "/v1/journal/count?institution={onem}&operation=getLivingWages&ssin={two_pcsas}"
            ),
            None,
        )
        .await;
    assert_eq!(counted["count"], json!(2), "{counted}");
    let (_, refused) = gw.json("GET", "/v1/journal?httpStatus=401", None).await;
    let [record] = refused["records"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .try_into()
        .unwrap_or_else(|r| panic!("{r:?}"));
    assert_eq!(record["outcome"], json!("MSG00015"));
    assert_eq!(record["institution"], Value::Null);

    // Oldest first, two a page: the three consultations in order, then the refusal.
    let (_, first) = gw
        .json(
            "GET",
            &format!("/v1/journal?order=oldest&limit=2&institution={onem}"),
            None,
        )
        .await;
    let records = first["records"].as_array().cloned().unwrap_or_default();
    let shown: Vec<&str> = records
        .iter()
        .filter_map(|r| r["ticket"].as_str())
        .collect();
    assert_eq!(shown, [tickets[0].as_str(), tickets[1].as_str()]);
    let next = first["next"].as_str().unwrap_or_else(|| panic!("{first}"));
    let (_, second) = gw
        .json(
            "GET",
            &format!("/v1/journal?order=oldest&limit=2&institution={onem}&after={next}"),
            None,
        )
        .await;
    assert_eq!(second["records"][0]["ticket"], json!(tickets[2]));
    assert!(second.get("next").is_none(), "{second}");
    // Newest first by default; one ticket alone.
    let (_, newest) = gw
        .json(
            "GET",
            &format!("/v1/journal?institution={onem}&limit=1"),
            None,
        )
        .await;
    assert_eq!(newest["records"][0]["ticket"], json!(tickets[2]));
    let (_, one) = gw
        .json("GET", &format!("/v1/journal?ticket={}", tickets[1]), None)
        .await;
    assert_eq!(one["records"].as_array().map(Vec::len), Some(1), "{one}");
    assert_eq!(one["records"][0]["ssin"], json!(equivalent));
    assert_eq!(one["records"][0]["operation"], json!("getLivingWages"));
    // Nothing before a day long past, everything since.
    let (_, none) = gw
        .json("GET", "/v1/journal/count?until=2001-01-01", None)
        .await;
    assert_eq!(none["count"], json!(0));
    let (_, all) = gw
        .json("GET", "/v1/journal/count?since=2001-01-01", None)
        .await;
    assert!(all["count"].as_u64().is_some_and(|n| n >= 4), "{all}");
    // The command line asks the running gateway the same.
    let (ok, out) = cli(
        gw.data_dir(),
        &["journal", "--institution", &onem, "--count"],
    );
    assert!(ok, "{out}");
    assert_eq!(out.trim(), "3");
    let (ok, out) = cli(
        gw.data_dir(),
        &["journal", "--ssin", &equivalent, "--oldest"],
    );
    assert!(ok, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "a header and one exchange: {out}");
    assert!(
        lines[1].contains(&tickets[1]) && lines[1].contains("getLivingWages"),
        "{out}"
    );
    let (ok, out) = cli(gw.data_dir(), &["journal", "--since", "soon"]);
    assert!(!ok && out.contains("--since"), "{out}");
    // --follow prints the last records, then each new exchange as it is committed.
    let mut follow = Command::new(env!("CARGO_BIN_EXE_bcss-gateway"))
        .args([
            "journal",
            "--follow",
            "--json",
            "--limit",
            "1",
            "--institution",
            &onem,
        ])
        .arg("--data-dir")
        .arg(gw.data_dir())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("run: {e}"));
    let stdout = follow.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    let (lines_tx, lines) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let _ = lines_tx.send(line);
        }
    });
    let next_ticket = || {
        let line = lines
            .recv_timeout(std::time::Duration::from_secs(10))
            .unwrap_or_else(|e| panic!("--follow printed nothing: {e}"));
        let record: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
        record["ticket"].as_str().unwrap_or_default().to_owned()
    };
    assert_eq!(next_ticket(), tickets[2], "the last one first");
    let reply = gw.consult("onem", &two_pcsas).await;
    assert_eq!(
        next_ticket(),
        reply.text_of("ticketCBSS").unwrap_or_default()
    );
    let _ = follow.kill();
    let _ = follow.wait();
    // A parameter that cannot be read is named.
    for (query, named) in [
        ("since=soon", "since"),
        ("limit=0", "limit"),
        ("order=random", "order"),
        ("institution=12", "institution"),
        ("ticket=x", "ticket"),
    ] {
        let (status, answer) = gw.json("GET", &format!("/v1/journal?{query}"), None).await;
        assert_eq!(status, 400, "{query}: {answer}");
        assert!(
            answer["error"]
                .as_str()
                .is_some_and(|e| e.starts_with(named)),
            "{query}: {answer}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_rules_come_from_world_files_the_api_and_the_command_line() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let world = dir.path().join("faults.toml");
    std::fs::write(
        &world,
        "[[fault]]\ncount = 1\neffect = { status = \"MSG00005\" }\n\
         [fault.match]\noperation = \"getLivingWages\"\nservice = \"LivingWagesService v2\"\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let world_arg = world.display().to_string();
    let gw = start_with(&["--world", &world_arg]);
    let two_pcsas = gw.demo_ssin("two PCSAs");
    // The world's rule fires once.
    assert_eq!(
        gw.consult("onem", &two_pcsas).await.status_code(),
        "MSG00005"
    );
    assert_eq!(
        gw.consult("onem", &two_pcsas).await.status_code(),
        "MSG00000"
    );

    // The API: a rule added, listed, fired, removed; a bad one refused by its field.
    let (status, added) = gw
        .json(
            "POST",
            "/v1/faults",
            Some(json!({"match": {"ssin": two_pcsas}, "effect": {"http": {"status": 503, "retryAfter": 2}}})),
        )
        .await;
    assert_eq!(status, 201, "{added}");
    let id = added["rules"][0]["id"].as_u64().unwrap_or_default();
    let unavailable = gw
        .partner("onem")
        .soap_at(
            PATH,
            &Call::new(
                "getLivingWages",
                &gw.institution("onem").cbe_number,
                &two_pcsas,
            )
            .soap11(),
        )
        .await;
    assert_eq!(
        (unavailable.status, unavailable.header("retry-after")),
        (503, Some("2"))
    );
    let (_, listed) = gw.json("GET", "/v1/faults", None).await;
    assert_eq!(listed["rules"][0]["fired"], json!(1), "{listed}");
    let (status, _) = gw.json("DELETE", &format!("/v1/faults/{id}"), None).await;
    assert_eq!(status, 200);
    let (status, _) = gw.json("DELETE", &format!("/v1/faults/{id}"), None).await;
    assert_eq!(status, 404);
    let (status, refused) = gw
        .json(
            "POST",
            "/v1/faults",
            Some(json!([{"effect": "reset"}, {"effect": {"status": "MSG99999"}}])),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        refused["error"]
            .as_str()
            .unwrap_or("")
            .starts_with("rule 2: effect.status:"),
        "{refused}"
    );
    let (_, listed) = gw.json("GET", "/v1/faults", None).await;
    assert_eq!(
        listed["rules"],
        json!([]),
        "nothing of a refused list is added"
    );

    // The command line, through the control socket.
    let data = gw.data_dir();
    let (ok, out) = cli(
        data,
        &[
            "faults",
            "add",
            "--ssin",
            &two_pcsas,
            "--status",
            "MSG00012",
            "--count",
            "2",
            "--delay",
            "10ms..20ms",
        ],
    );
    assert!(ok, "{out}");
    assert!(out.starts_with("added "), "{out}");
    assert_eq!(
        gw.consult("onem", &two_pcsas).await.status_code(),
        "MSG00012"
    );
    let (ok, out) = cli(data, &["faults", "list"]);
    assert!(ok && out.contains("fired 1, 1 to go"), "{out}");
    let (ok, out) = cli(data, &["faults", "add", "--reset", "--truncate"]);
    assert!(!ok && out.contains("cannot be used with"), "{out}");
    let (ok, out) = cli(data, &["faults", "add", "--http", "200"]);
    assert!(!ok && out.contains("effect.http.status"), "{out}");
    let (ok, out) = cli(data, &["faults", "clear"]);
    assert!(ok && out.contains("removed 1"), "{out}");
    assert_eq!(
        gw.consult("onem", &two_pcsas).await.status_code(),
        "MSG00000"
    );

    // The journal tells injected exchanges apart.
    gw.json_until("/v1/journal/count?injected=true", |c| {
        c["count"] == json!(3)
    })
    .await;
    let (_, page) = gw
        .json(
            "GET",
            "/v1/journal?injected=true&order=oldest&service=livingwagesservice%20v2",
            None,
        )
        .await;
    let notes: Vec<&str> = page["records"]
        .as_array()
        .map(|r| r.iter().filter_map(|r| r["injected"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(notes.len(), 3, "{page}");
    assert!(notes[0].ends_with("status MSG00005"), "{notes:?}");
    assert!(notes[1].ends_with("http 503"), "{notes:?}");
    assert!(
        notes[2].contains("status MSG00012") && notes[2].contains("delay"),
        "{notes:?}"
    );
    let (ok, out) = cli(data, &["journal", "--injected", "--limit", "5"]);
    assert!(ok && out.matches("injected: rule").count() == 3, "{out}");
}

/// The value of the sample `name{labels}` (labels as written, in order), 0 when absent.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_move_as_requests_are_made_and_ready_says_the_gateway_serves() {
    let gw = start();
    let two_pcsas = gw.demo_ssin("two PCSAs");
    let scrape = || async {
        let reply = gw.call("GET", "/metrics", None).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(
            reply.header("content-type"),
            Some("text/plain; version=0.0.4; charset=utf-8")
        );
        reply.body
    };
    let consulted = "bcss_requests_total{service=\"LivingWagesService v2\",operation=\"getLivingWages\",outcome=\"MSG00000\",http_status=\"200\"}";
    let timed = "bcss_request_duration_seconds_count{service=\"LivingWagesService v2\",operation=\"getLivingWages\"}";
    let before = scrape().await;
    for _ in 0..3 {
        assert_eq!(
            gw.consult("onem", &two_pcsas).await.status_code(),
            "MSG00000"
        );
    }
    let liege = gw.partner("cpas-liege");
    let form = liege_form_b(LIEGE, &gw.demo_ssin("no right"), "2025-01-01", "METRICS-1");
    let sent = liege.soap_at(PD_PATH, &form).await;
    assert_eq!(
        sent.text_of("outcome").as_deref(),
        Some("ACCEPTED"),
        "{}",
        sent.body
    );
    let (_, added) = gw
        .json(
            "POST",
            "/v1/faults",
            Some(json!({"effect": {"status": "MSG00012"}, "count": 1})),
        )
        .await;
    let rule = added["rules"][0]["id"].as_u64().unwrap_or_default();
    assert_eq!(
        gw.consult("onem", &two_pcsas).await.status_code(),
        "MSG00012"
    );
    // The audit writer commits every 50 ms: the journal's size follows.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let after = loop {
        let after = scrape().await;
        if sample(&after, "bcss_journal_records") >= sample(&before, "bcss_journal_records") + 5.0 {
            break after;
        }
        assert!(std::time::Instant::now() < deadline, "{after}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(sample(&after, consulted) - sample(&before, consulted), 3.0);
    assert_eq!(sample(&after, timed) - sample(&before, timed), 4.0);
    assert_eq!(
        sample(&after, "bcss_registrations_total{outcome=\"ACCEPTED\"}")
            - sample(&before, "bcss_registrations_total{outcome=\"ACCEPTED\"}"),
        1.0
    );
    assert_eq!(
        sample(
            &after,
            &format!("bcss_injected_faults_total{{rule=\"{rule}\"}}")
        ),
        1.0
    );
    assert!(sample(&after, "bcss_outbox_head") >= 1.0, "{after}");
    assert!(sample(&after, "bcss_audit_commits_total") >= 1.0, "{after}");
    assert_eq!(sample(&after, "bcss_audit_dropped_records_total"), 0.0);
    // The demo's subscriber has a queue.
    let cin = gw.institution("cin").cbe_number.clone();
    assert!(
        after.contains(&format!(
            "bcss_subscriber_queue_notifications{{institution=\"{cin}\"}}"
        )),
        "{after}"
    );

    // Bodies are kept only when asked for.
    let (status, refused) = gw
        .json(
            "GET",
            "/v1/journal/01a2338d-8ce5-798f-b2d4-994102b07eef/bodies",
            None,
        )
        .await;
    assert_eq!(status, 404);
    assert!(
        refused["error"]
            .as_str()
            .unwrap_or("")
            .contains("--journal-bodies"),
        "{refused}"
    );

    // Without the token, nothing; /ready and /health on the service's own listener.
    let anonymous = gw.admin.send("GET", "/metrics", &[], Vec::new()).await;
    assert_eq!(anonymous.status, 401);
    let service = Client::external(gw.addr, &gw.ca);
    let ready = service.get("/ready").await;
    assert_eq!((ready.status, ready.body.trim()), (200, "ready"));
    assert_eq!(service.get("/health").await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journal_bodies_show_what_was_sent_and_answered_within_their_bounds() {
    let gw = start_with(&["--journal-bodies", "--journal-bodies-mb", "1"]);
    let two_pcsas = gw.demo_ssin("two PCSAs");
    let onem = gw.institution("onem").cbe_number.clone();
    let sent = Call::new("getLivingWages", &onem, &two_pcsas).soap11();
    let reply = gw.partner("onem").soap_at(PATH, &sent).await;
    let ticket = reply.text_of("ticketCBSS").unwrap_or_default();
    let (status, bodies) = gw
        .json("GET", &format!("/v1/journal/{ticket}/bodies"), None)
        .await;
    assert_eq!(status, 200, "{bodies}");
    assert_eq!(bodies["request"]["text"], json!(sent));
    assert_eq!(bodies["response"]["text"], json!(reply.body));
    assert!(bodies["request"].get("cutAt").is_none());
    gw.json_until(&format!("/v1/journal?ticket={ticket}"), |p| {
        p["records"][0]["bodies"] == json!(true)
    })
    .await;
    let (ok, out) = cli(gw.data_dir(), &["journal", "--ticket", &ticket, "--bodies"]);
    assert!(
        ok && out.contains("--- request\n") && out.contains(&sent),
        "{out}"
    );

    // A body of 600 KB is kept up to 256 KiB; four of them push the first exchange out.
    let padding = "x".repeat(600_000);
    let big = sent.replace("<soap:Header/>", &format!("<soap:Header/><!--{padding}-->"));
    let mut big_tickets = Vec::new();
    for _ in 0..4 {
        let reply = gw.partner("onem").soap_at(PATH, &big).await;
        assert_eq!(reply.status_code(), "MSG00000", "{}", reply.body);
        big_tickets.push(reply.text_of("ticketCBSS").unwrap_or_default());
    }
    let (_, last) = gw
        .json(
            "GET",
            &format!("/v1/journal/{}/bodies", big_tickets[3]),
            None,
        )
        .await;
    assert_eq!(last["request"]["cutAt"], json!(256 * 1024), "{last}");
    assert_eq!(last["request"]["length"], json!(big.len()));
    let (status, gone) = gw
        .json("GET", &format!("/v1/journal/{ticket}/bodies"), None)
        .await;
    assert_eq!(status, 404, "{gone}");
    assert!(
        gone["error"]
            .as_str()
            .unwrap_or("")
            .contains("--journal-bodies-mb"),
        "{gone}"
    );
}
