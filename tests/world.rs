//! World files as a tester uses them: the binary loads one (`world load`, `serve
//! --world`), the tester's own institution logs in with the password the file gives it
//! and consults the persons the file declares, over TLS; a bad world is refused whole
//! with every problem named; and export → load gives the same register.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use bcss_gateway::store::{Change, RedbStore, ReferenceData, Register, Statements, Subscriptions};
use support::{
    Call, Client, Issued, PATH, client_params, demo_binary, periods, self_signed,
    validate_soap_reply,
};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/worlds/example.toml");
const FAULTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/worlds/faults.toml");
/// The example's partner institution, its password and its persons.
const PARTNER: &str = "0212345668";
const PASSWORD: &str = "change-me-test-partner";
const WITH_RIGHT: &str = "90011512363";
const WITHOUT_RIGHT: &str = "92030224695";
const REPLACED: &str = "05060710159";
/// The example's person whose right comes from its forms B and C.
const DECIDED: &str = "88081512370";

fn gateway(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bcss-gateway"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("run the gateway: {e}"))
}

/// `world load --data-dir data_dir files...`.
fn world_load(data_dir: &Path, files: &[&str]) -> Output {
    let mut args = vec!["world", "load", "--data-dir", path_arg(data_dir)];
    args.extend_from_slice(files);
    gateway(&args)
}

fn path_arg(p: &Path) -> &str {
    p.to_str()
        .unwrap_or_else(|| panic!("not UTF-8: {}", p.display()))
}

fn contents(data_dir: &Path) -> Vec<Change> {
    let store = RedbStore::open_dir(data_dir).unwrap_or_else(|e| panic!("open: {e}"));
    store.contents().unwrap_or_else(|e| panic!("contents: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_testers_world_is_served_as_declared() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().join("data");
    let (mut child, addr) = demo_binary(&data, &["--world", EXAMPLE]);
    let ca = std::fs::read_to_string(data.join("certs").join("ca.pem"))
        .unwrap_or_else(|e| panic!("ca: {e}"));
    let client = Client::external(addr, &ca).with_basic(&format!("E{PARTNER}"), PASSWORD);
    let consult = |ssin: &'static str| {
        let client = &client;
        async move {
            let reply = client
                .soap_at(PATH, &Call::new("getLivingWages", PARTNER, ssin).soap11())
                .await;
            validate_soap_reply(&reply.body);
            reply
        }
    };
    let reply = consult(WITH_RIGHT).await;
    assert_eq!(reply.status_code(), "MSG00000", "{}", reply.body);
    assert_eq!(
        periods(&reply),
        ["2023-01-01..2023-12-31", "2024-03-01..2024-08-31"],
        "{}",
        reply.body
    );
    let reply = consult(WITHOUT_RIGHT).await;
    assert_eq!(reply.status_code(), "MSG00100", "{}", reply.body);
    // Granted for six months by a form B, withdrawn from April by a form C.
    let reply = consult(DECIDED).await;
    assert_eq!(reply.status_code(), "MSG00000", "{}", reply.body);
    assert_eq!(
        periods(&reply),
        ["2025-01-01..2025-03-31"],
        "{}",
        reply.body
    );
    // Declared, but the institution is not inscribed for that person.
    let reply = consult(REPLACED).await;
    assert_eq!(reply.status_code(), "MSG00012", "{}", reply.body);
    // The demo's institutions are still there beside the tester's.
    let wrong = Client::external(addr, &ca).with_basic(&format!("E{PARTNER}"), "not-it");
    let refused = wrong
        .soap_at(
            PATH,
            &Call::new("getLivingWages", PARTNER, WITH_RIGHT).soap11(),
        )
        .await;
    assert_eq!(refused.status, 401, "{}", refused.body);
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn a_bad_world_is_refused_whole_with_every_problem_named() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().join("data");
    let loaded = world_load(&data, &[EXAMPLE]);
    assert!(loaded.status.success(), "{loaded:?}");
    let before = contents(&data);

    // A file that adds to the example: one good person, and a problem on each line
    // that follows.
    let bad = dir.path().join("team.toml");
    std::fs::write(
        &bad,
        "[[person]]\nssin = \"88080844159\"\nlastName = \"Maes\"\nfirstName = \"Eva\"\n\n\
         [[person]]\nssin = \"88080844158\"\nlastName = \"Wouters\"\nfirstName = \"Jan\"\n\n\
         [[pcsa]]\ncbeNumber = \"0212345668\"\ninsCode = \"4402\"\nname = \"Test\"\n\n\
         [[inscription]]\ninstitution = \"0876543270\"\nssin = \"88080844159\"\nquality = 13\n\
         begin = \"2020-02-30\"\n\n\
         [[right]]\nssin = \"85073100130\"\npcsa = \"0207654333\"\nkind = \"LIVING\"\ncategory = \"B\"\n\
         [[right.period]]\nbegin = \"2024-02-01\"\nend = \"2024-01-31\"\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = world_load(&data, &[path_arg(&bad)]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let file = path_arg(&bad);
    for expected in [
        format!("{file}:7: person[1].ssin: SSIN check digits"),
        format!("{file}:13: pcsa[0].insCode:"),
        format!("{file}:17: inscription[0].institution: 0876543270 is not an institution"),
        format!("{file}:19: inscription[0].quality: quality code 13"),
        format!("{file}:20: inscription[0].begin: day 30 does not exist"),
        format!("{file}:23: right[0].ssin: 85073100130 is not a person"),
        format!("{file}:25: right[0].kind:"),
        format!("{file}:29: right[0].period[0].end:"),
    ] {
        assert!(stderr.contains(&expected), "{expected}\nin\n{stderr}");
    }
    assert_eq!(
        contents(&data),
        before,
        "nothing of a refused world is written"
    );

    // A key declared in two files names both places; a file that is not of the format
    // names its line and field.
    let twice = dir.path().join("twice.toml");
    std::fs::write(
        &twice,
        "[[pcsa]]\ncbeNumber = \"0207654333\"\ninsCode = \"44021\"\nname = \"Again\"\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = world_load(&data, &[EXAMPLE, path_arg(&twice)]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "{}:2: pcsa[0]: 0207654333 is declared twice: also at {EXAMPLE}:",
            path_arg(&twice)
        )),
        "{stderr}"
    );
    let typo = dir.path().join("typo.toml");
    std::fs::write(&typo, "[[person]]\nssin = 88080844159\n").unwrap_or_else(|e| panic!("{e}"));
    let out = world_load(&data, &[path_arg(&typo)]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{}:2: person.ssin: invalid type", path_arg(&typo))),
        "{stderr}"
    );
    assert_eq!(contents(&data), before);
}

fn forms_of(data_dir: &Path, ssin: &str) -> usize {
    let store = RedbStore::open_dir(data_dir).unwrap_or_else(|e| panic!("open: {e}"));
    let ssin = bcss_gateway::domain::Ssin::parse(ssin).unwrap_or_else(|e| panic!("{e}"));
    store
        .forms(&ssin)
        .unwrap_or_else(|e| panic!("forms: {e}"))
        .len()
}

/// The example's decision history is judged and written once: loading it again is
/// no new decision, and its statement is the register's.
#[test]
fn a_worlds_decision_history_and_statements_are_the_registers() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().join("data");
    for _ in 0..2 {
        let out = world_load(&data, &[EXAMPLE]);
        assert!(out.status.success(), "{out:?}");
    }
    assert_eq!(forms_of(&data, DECIDED), 2);
    let out = gateway(&[
        "payments",
        "export",
        "--data-dir",
        path_arg(&data),
        "--ins",
        "45035",
        "--month",
        "202502",
    ]);
    assert!(out.status.success(), "{out:?}");
    let example_statement = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/worlds/example-statement.txt"
    );
    let lines = std::fs::read_to_string(example_statement).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim_end(),
        lines.lines().nth(1).unwrap_or_default()
    );
}

/// Forms are read as PcsaDecisionService reads them and judged by the register's
/// rules: every value it cannot read is named at once, and a world whose decision the
/// register refuses is not written at all, the rule named.
#[test]
fn a_world_holds_no_decision_the_register_would_refuse() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().join("data");
    let loaded = world_load(&data, &[EXAMPLE]);
    assert!(loaded.status.success(), "{loaded:?}");
    let before = contents(&data);
    let form_b = |category: &str, extra: &str| {
        format!(
            "[[formB]]\npcsa = \"0207654333\"\nssin = \"88080844159\"\nkind = \"LIVING_WAGE\"\n\
             entryDate = 2025-01-01\ncategory = \"{category}\"\nrealLifeSituation = 12\n\
             nationalRegisterInscription = 0\nhomeless = false\nstudyGrant = 0\n\
             duration = {{ months = 6 }}\ndecisionDate = 2024-12-18\n{extra}\n"
        )
    };
    let person = "[[person]]\nssin = \"88080844159\"\nlastName = \"Maes\"\nfirstName = \"Eva\"\n\n";

    // What cannot be read: all of it at once, by line and field.
    let unreadable = dir.path().join("unreadable.toml");
    std::fs::write(
        &unreadable,
        format!(
            "{person}{}{}[[statement]]\nlines = [\"{}\"]\n\n[[subscription]]\ninstitution = \"0212345668\"\n",
            form_b("Z", "durationInDays = 3"),
            form_b("A", "pcsa = \"0212345668\"").replacen("pcsa = \"0207654333\"\n", "", 1),
            "1".repeat(157),
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = world_load(&data, &[path_arg(&unreadable)]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let file = path_arg(&unreadable);
    assert!(!stderr.contains("mandatory element missing"), "{stderr}");
    for expected in [
        format!("{file}:11: formB[0].category: \"Z\" is not a valid category"),
        format!("{file}:18: formB[0].durationInDays: not a field here"),
        format!(
            "{file}:30: formB[1].pcsa: 0212345668 is not a PCSA of the world or of the register"
        ),
        format!("{file}:32: statement[0].NNISS: \"11111111111\": SSIN check digits"),
        format!(
            "{file}:35: subscription[0].institution: 0212345668 is not an institution granted LivingWagesNotifications"
        ),
    ] {
        assert!(stderr.contains(&expected), "{expected}\nin\n{stderr}");
    }

    // Read, but refused by the register: category E names the partner.
    let refused = dir.path().join("refused.toml");
    std::fs::write(&refused, format!("{person}{}", form_b("E", "")))
        .unwrap_or_else(|e| panic!("{e}"));
    let out = world_load(&data, &[path_arg(&refused)]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "{}:6: formB[0].partnerSsin: the register refuses it: category E requires the partner's SSIN (rule 900004)",
            path_arg(&refused)
        )),
        "{stderr}"
    );
    // Nothing of either was written, the person included.
    assert_eq!(contents(&data), before);
    assert_eq!(forms_of(&data, "88080844159"), 0);
}

/// A generated population is one the register accepts whole, and the same whether it
/// is loaded directly or written as a world file and loaded from it.
#[test]
fn a_generated_population_loads_the_same_directly_or_from_its_world_file() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let direct = dir.path().join("direct");
    let args = [
        "--persons",
        "300",
        "--seed",
        "42",
        "--pcsas",
        "8",
        "--months",
        "30",
    ];
    let mut generate = vec!["world", "generate", "--data-dir", path_arg(&direct)];
    generate.extend_from_slice(&args);
    let out = gateway(&generate);
    assert!(out.status.success(), "{out:?}");
    let file = dir.path().join("population.toml");
    let mut write = vec!["world", "generate", "--out", path_arg(&file)];
    write.extend_from_slice(&args);
    let out = gateway(&write);
    assert!(out.status.success(), "{out:?}");
    assert!(dir.path().join("population-statements.txt").exists());
    let loaded = dir.path().join("loaded");
    let out = world_load(&loaded, &[path_arg(&file)]);
    assert!(out.status.success(), "{out:?}");
    // The same register, but for the partner's password hash (salted each time).
    let without_hashes = |changes: Vec<Change>| -> Vec<Change> {
        changes
            .into_iter()
            .map(|c| match c {
                Change::Institution(mut i) => {
                    assert!(
                        i.password_hash.is_some(),
                        "the partner logs in with a password"
                    );
                    i.password_hash = None;
                    Change::Institution(i)
                }
                other => other,
            })
            .collect()
    };
    let (a, b) = (
        without_hashes(contents(&direct)),
        without_hashes(contents(&loaded)),
    );
    assert!(a.iter().filter(|c| matches!(c, Change::Right(_))).count() > 100);
    assert_eq!(a, b);
    // And the same statements: a month of the first PCSA's (the demo's Gent).
    let statement = |data: &Path| {
        let out = gateway(&[
            "payments",
            "export",
            "--data-dir",
            path_arg(data),
            "--ins",
            "44021",
            "--month",
            &month_before_last(),
        ]);
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let (a, b) = (statement(&direct), statement(&loaded));
    assert!(a.lines().count() > 10, "{a}");
    assert_eq!(a, b);
}

/// The month before last (YYYYMM), by the system clock: the generator's statements
/// end last month.
fn month_before_last() -> String {
    let today = bcss_gateway::clock::brussels_day(bcss_gateway::clock::unix_millis());
    let month = bcss_gateway::domain::Month::of(today);
    month.sub_months(2).unwrap_or(month).compact()
}

/// A data directory `name` in `dir` holding the demo register.
fn demo_register(dir: &Path, name: &str) -> PathBuf {
    let data = dir.join(name);
    let demo = RedbStore::open_dir(&data).unwrap_or_else(|e| panic!("{e}"));
    bcss_gateway::demo::prepare(&data, &demo).unwrap_or_else(|e| panic!("demo: {e}"));
    data
}

/// `world export --out file` of `data_dir`; returns the file.
fn export_to(data_dir: &Path, file: &Path) -> PathBuf {
    let out = gateway(&[
        "world",
        "export",
        "--data-dir",
        path_arg(data_dir),
        "--out",
        path_arg(file),
    ]);
    assert!(out.status.success(), "{out:?}");
    file.to_owned()
}

/// Export, load into an empty data directory, export again: the same register and the
/// same text, for the example and for the whole demo register.
#[test]
fn export_then_load_gives_the_same_register() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let first = demo_register(dir.path(), "first");
    let loaded = world_load(&first, &[EXAMPLE]);
    assert!(loaded.status.success(), "{loaded:?}");
    let exported = export_to(&first, &dir.path().join("exported.toml"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&exported)
            .unwrap_or_else(|e| panic!("{e}"))
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "an export holds password hashes: {mode:o}");
    }
    let second = dir.path().join("second");
    let out = world_load(&second, &[path_arg(&exported)]);
    assert!(out.status.success(), "{out:?}");
    let (a, b) = (contents(&first), contents(&second));
    assert!(
        a.len() > 50,
        "the demo register and the example: {}",
        a.len()
    );
    assert_eq!(a, b);
    // The decision history (each form, when it was accepted, its attestation), the
    // statements and the subscriptions too.
    let history = |data: &Path| {
        let store = RedbStore::open_dir(data).unwrap_or_else(|e| panic!("open: {e}"));
        let mut forms = Vec::new();
        for change in store.contents().unwrap_or_else(|e| panic!("{e}")) {
            if let Change::Person(p) = change {
                forms.extend(store.forms(&p.ssin).unwrap_or_else(|e| panic!("{e}")));
            }
        }
        let mut lines = Vec::new();
        for pcsa in store.pcsas().unwrap_or_else(|e| panic!("{e}")) {
            for month in store
                .statement_months(&pcsa.ins)
                .unwrap_or_else(|e| panic!("{e}"))
            {
                lines.extend(
                    store
                        .statement(&pcsa.ins, month)
                        .unwrap_or_else(|e| panic!("{e}")),
                );
            }
        }
        let subscriptions: Vec<_> = store
            .subscriptions()
            .unwrap_or_else(|e| panic!("{e}"))
            .into_iter()
            .map(|s| (s.institution, s.delivery, s.mode))
            .collect();
        (forms, lines, subscriptions)
    };
    let (forms, lines, subscriptions) = history(&first);
    assert!(forms.len() >= 12 && lines.len() > 40 && !subscriptions.is_empty());
    assert_eq!(history(&second), (forms, lines, subscriptions));
    let again = gateway(&["world", "export", "--data-dir", path_arg(&second)]);
    let text = std::fs::read_to_string(&exported).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(String::from_utf8_lossy(&again.stdout), text);
}

/// Validates world files against `schemas/world.schema.json` with Python's
/// jsonschema; `None` when it is missing outside CI.
fn schema_errors(files: &[&Path]) -> Option<Vec<String>> {
    const CHECK: &str = "\
import json, sys, tomllib, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema)
for f in sys.argv[2:]:
    for e in v.iter_errors(tomllib.load(open(f, 'rb'))):
        print(f, '/'.join(map(str, e.absolute_path)), e.message)
";
    let probe = Command::new("python3")
        .args(["-c", "import jsonschema, tomllib"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        assert!(
            std::env::var_os("CI").is_none(),
            "python3 with jsonschema is required in CI"
        );
        return None;
    }
    let schema = concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/world.schema.json");
    let out = Command::new("python3")
        .args(["-c", CHECK, schema])
        .args(files)
        .output()
        .unwrap_or_else(|e| panic!("python3: {e}"));
    assert!(out.status.success(), "{out:?}");
    Some(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_owned)
            .collect(),
    )
}

#[test]
fn the_schema_describes_the_example_and_what_export_writes() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = demo_register(dir.path(), "data");
    let exported = export_to(&data, &dir.path().join("demo.toml"));
    let wrong = dir.path().join("wrong.toml");
    std::fs::write(&wrong, "[[person]]\nssin = \"1\"\nlastName = \"A\"\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let Some(errors) = schema_errors(&[Path::new(EXAMPLE), &exported, &wrong]) else {
        return;
    };
    let wrong = path_arg(&wrong);
    let (of_wrong, others): (Vec<_>, Vec<_>) = errors.iter().partition(|e| e.starts_with(wrong));
    assert!(others.is_empty(), "{others:?}");
    assert_eq!(
        of_wrong.len(),
        2,
        "a short SSIN and no firstName: {of_wrong:?}"
    );
}

/// A client certificate and its key, as PEM.
/// A CA of the institution's own, and a client certificate it issued.
fn own_ca_and_client() -> (String, Issued) {
    let ca_key = rcgen::KeyPair::generate().unwrap_or_else(|e| panic!("{e}"));
    let mut ca_params = client_params("Tester's own CA");
    ca_params.extended_key_usages = Vec::new();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Constrained(0));
    let ca = ca_params
        .self_signed(&ca_key)
        .unwrap_or_else(|e| panic!("{e}"));
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = rcgen::KeyPair::generate().unwrap_or_else(|e| panic!("{e}"));
    let cert = client_params("tester application")
        .signed_by(&key, &issuer)
        .unwrap_or_else(|e| panic!("{e}"));
    (
        ca.pem(),
        Issued {
            cert: cert.pem(),
            key: key.serialize_pem(),
        },
    )
}

/// A tester's own client certificates identify their institution as they will on the
/// network: one issued by the institution's own CA (which the world declares trusted)
/// and a self-signed one pinned by being registered. A certificate nobody registered
/// or trusts is refused at the handshake.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_testers_own_client_certificates_identify_their_institution() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (ca, issued) = own_ca_and_client();
    let pinned = self_signed("tester laptop");
    let stranger = self_signed("nobody");
    let write = |name: &str, text: &str| {
        std::fs::write(dir.path().join(name), text).unwrap_or_else(|e| panic!("{e}"));
    };
    write("own-ca.pem", &ca);
    write("app.pem", &issued.cert);
    write("laptop.pem", &pinned.cert);
    let statement = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/worlds/example-statement.txt"
    );
    write(
        "example-statement.txt",
        &std::fs::read_to_string(statement).unwrap_or_else(|e| panic!("{e}")),
    );
    // The example's persons and PCSA, and the tester's institution with certificates.
    let example = std::fs::read_to_string(EXAMPLE).unwrap_or_else(|e| panic!("{e}"));
    let world = format!(
        "clientCa = [\"own-ca.pem\"]\n{}",
        example.replace(
            "certificates = []",
            "certificateFiles = [\"app.pem\", \"laptop.pem\"]"
        )
    );
    write("world.toml", &world);
    let data = dir.path().join("data");
    let world_file = dir.path().join("world.toml");
    let (mut child, addr) = demo_binary(&data, &["--world", path_arg(&world_file)]);
    let gateway_ca = std::fs::read_to_string(data.join("certs").join("ca.pem"))
        .unwrap_or_else(|e| panic!("ca: {e}"));
    for (what, identity) in [("own CA", &issued), ("pinned", &pinned)] {
        let client =
            Client::external_with_certificate(addr, &gateway_ca, &identity.cert, &identity.key);
        let reply = client
            .soap_at(
                PATH,
                &Call::new("getLivingWages", PARTNER, WITH_RIGHT).soap11(),
            )
            .await;
        assert_eq!(reply.status_code(), "MSG00000", "{what}: {}", reply.body);
        validate_soap_reply(&reply.body);
    }
    let client =
        Client::external_with_certificate(addr, &gateway_ca, &stranger.cert, &stranger.key);
    let refused = client.try_connect().await;
    if refused.is_ok() {
        // TLS 1.3: the server's refusal arrives with the first read.
        let answered = client.try_send("GET", "/health", &[], Vec::new()).await;
        assert!(
            answered.is_err(),
            "a stranger's certificate was accepted: {:?}",
            answered.map(|r| r.status)
        );
    }
    let _ = child.kill();
    let _ = child.wait();
    // Given as files, both are registered whole: a signature may name them.
    let store = RedbStore::open_dir(&data).unwrap_or_else(|e| panic!("{e}"));
    let registered = store
        .registered_certificates()
        .unwrap_or_else(|e| panic!("{e}"));
    for identity in [&issued, &pinned] {
        use rustls::pki_types::pem::PemObject;
        let der = rustls::pki_types::CertificateDer::from_pem_slice(identity.cert.as_bytes())
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(registered.contains(&der.to_vec()), "{}", identity.cert);
    }
    drop(store);
    // The export names the CA the server trusts and the certificates' fingerprints.
    let out = gateway(&["world", "export", "--data-dir", path_arg(&data)]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(text.contains("client-cas"), "{text}");
}

#[test]
fn a_worlds_fault_rules_are_checked_with_it_and_kept_by_a_running_gateway_only() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().join("data");
    let bad = dir.path().join("faults.toml");
    std::fs::write(
        &bad,
        "[[fault]]\neffect = \"reset\"\nprobability = 2.0\n\n\
         [[fault]]\neffect = { status = \"MSG00099\" }\n\n\
         [[fault]]\nmatch = { service = \"Nowhere\" }\ndelay = { fixed = { ms = 10 } }\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = world_load(&data, &[path_arg(&bad)]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let file = path_arg(&bad);
    for expected in [
        format!("{file}:1: fault[0].probability: 2 is not above 0 and at most 1"),
        format!("{file}:5: fault[1].effect.status: \"MSG00099\" is not one of MSG00005"),
        format!(
            "{file}:8: fault[2].match.service: \"Nowhere\" is not one of LivingWagesService v2"
        ),
    ] {
        assert!(stderr.contains(&expected), "{expected}\nin\n{stderr}");
    }
    let out = world_load(&data, &[FAULTS]);
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("fault rule(s) not kept"), "{stdout}");
    if let Some(errors) = schema_errors(&[Path::new(FAULTS)]) {
        assert!(errors.is_empty(), "{errors:?}");
    }
}
