//! Interoperability with Java's SOAP stacks, over TLS to a real server: JAX-WS's
//! `wsimport` (the reference implementation, Debian's `jaxws`) and Apache Axis 1.4's
//! `WSDL2Java` (Debian's `libaxis-java`) generate a client from every served WSDL
//! without flags, and the client `wsimport` generated from LivingWages V2, driven by
//! `examples/java/LivingWagesClient.java`, calls every operation and reads what the
//! suite's own client reads. Skipped, with the reason printed, when Java or either
//! tool is missing; CI installs them.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::{Call, Gateway, periods, run_tool, tool_output};

const LC_ONEM: &str = "UNEMPLOYMENT:LIVING_WAGE_CHECK";
const STORE_PASSWORD: &str = "changeit";
/// Where Debian's `jaxws` and `libaxis-java` put their jars.
const JAXWS_RUNTIME: &str = "/usr/share/jaxws/lib/jaxws-rt.jar";
const AXIS_JARS: [&str; 7] = [
    "axis.jar",
    "axis-jaxrpc.jar",
    "axis-saaj.jar",
    "wsdl4j.jar",
    "commons-logging.jar",
    "commons-discovery.jar",
    "javax.activation.jar",
];

fn succeeds(program: &str, arg: &str) -> bool {
    Command::new(program)
        .arg(arg)
        .output()
        .is_ok_and(|o| o.status.success())
}

fn axis_classpath() -> String {
    AXIS_JARS
        .iter()
        .map(|jar| format!("/usr/share/java/{jar}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// What is missing to run these tests, if anything.
fn missing_tools() -> Option<&'static str> {
    if !succeeds("javac", "-version") || !succeeds("keytool", "-help") {
        return Some("a JDK (apt-get install default-jdk-headless)");
    }
    if !succeeds("wsimport", "-version") || !Path::new(JAXWS_RUNTIME).exists() {
        return Some("JAX-WS's wsimport (apt-get install jaxws)");
    }
    if !AXIS_JARS
        .iter()
        .all(|jar| Path::new("/usr/share/java").join(jar).exists())
    {
        return Some("Apache Axis 1.4 (apt-get install libaxis-java)");
    }
    None
}

/// A trust store holding the gateway's CA, and the JVM options that use it.
fn trust_options(gw: &Gateway, dir: &Path) -> Vec<String> {
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, &gw.pki.ca.certificate_pem).unwrap_or_else(|e| panic!("{e}"));
    let store = dir.join("trust.p12");
    let out = run_tool(
        Command::new("keytool")
            .args(["-importcert", "-noprompt", "-alias", "gateway", "-file"])
            .arg(&ca)
            .args([
                "-storetype",
                "PKCS12",
                "-storepass",
                STORE_PASSWORD,
                "-keystore",
            ])
            .arg(&store),
        "keytool",
    );
    assert!(out.status.success(), "{}", tool_output(&out));
    vec![
        format!("-Djavax.net.ssl.trustStore={}", store.display()),
        format!("-Djavax.net.ssl.trustStorePassword={STORE_PASSWORD}"),
    ]
}

/// `wsimport URL`, compiling what it generates into `classes`; its output must hold no
/// warning that it left a port out.
fn wsimport(url: &str, trust: &[String], classes: &Path) {
    std::fs::create_dir_all(classes).unwrap_or_else(|e| panic!("{}: {e}", classes.display()));
    let out = run_tool(
        Command::new("wsimport")
            .env("WSIMPORT_OPTS", trust.join(" "))
            .arg("-d")
            .arg(classes)
            .arg(url),
        "wsimport",
    );
    let said = tool_output(&out);
    assert!(out.status.success(), "wsimport {url}\n{said}");
    assert!(!said.contains("Ignoring"), "wsimport {url}\n{said}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_served_wsdl_generates_a_client_with_wsimport_and_axis() {
    if let Some(missing) = missing_tools() {
        eprintln!("SKIPPED: needs {missing}");
        return;
    }
    let gw = Gateway::start().await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let trust = trust_options(&gw, dir.path());
    for service in bcss_gateway::server::contracts::SERVICES {
        let url = format!("https://localhost:{}{}?wsdl", gw.addr.port(), service.path);
        let name = service.path.replace('/', "_");
        wsimport(&url, &trust, &dir.path().join(format!("{name}-jaxws")));
        let sources = dir.path().join(format!("{name}-axis"));
        let out = run_tool(
            Command::new("java")
                .args(&trust)
                .args([
                    "-cp",
                    &axis_classpath(),
                    "org.apache.axis.wsdl.WSDL2Java",
                    "-o",
                ])
                .arg(&sources)
                .arg(&url),
            "Axis WSDL2Java",
        );
        assert!(
            out.status.success(),
            "WSDL2Java {url}\n{}",
            tool_output(&out)
        );
        // What Axis generated compiles against Axis alone.
        let files = java_files(&sources);
        assert!(!files.is_empty(), "WSDL2Java {url} wrote nothing");
        let out = run_tool(
            Command::new("javac")
                .args(["-nowarn", "-cp", &axis_classpath(), "-d"])
                .arg(dir.path().join(format!("{name}-axis-classes")))
                .args(&files),
            "javac",
        );
        assert!(
            out.status.success(),
            "javac of Axis's {url}\n{}",
            tool_output(&out)
        );
    }
}

fn java_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "java") {
                found.push(path);
            }
        }
    }
    found
}

/// The example client, compiled against the classes `wsimport` generated from the
/// served V2 WSDL, run with onem's Basic credentials and `options` (JVM options, then
/// the client's); its lines, one per call, and JAX-WS's own output.
fn java_client(
    gw: &Gateway,
    dir: &Path,
    trust: &[String],
    options: &[&str],
    cbe: &str,
    ssins: &[&str],
) -> (String, String) {
    let classes = dir.join("classes");
    if !classes.join("LivingWagesClient.class").exists() {
        let url = format!("https://localhost:{}{}?wsdl", gw.addr.port(), support::PATH);
        wsimport(&url, trust, &classes);
        let out = run_tool(
            Command::new("javac")
                .args(["-nowarn", "-cp"])
                .arg(format!("{}:{JAXWS_RUNTIME}", classes.display()))
                .arg("-d")
                .arg(&classes)
                .arg(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/examples/java/LivingWagesClient.java"
                )),
            "javac",
        );
        assert!(out.status.success(), "javac\n{}", tool_output(&out));
    }
    let out = run_tool(
        Command::new("java")
            .args(trust)
            .args(options.iter().filter(|o| o.starts_with("-D")))
            .arg("-cp")
            .arg(format!("{}:{JAXWS_RUNTIME}", classes.display()))
            .arg("LivingWagesClient")
            .args(options.iter().filter(|o| o.starts_with("--")))
            .arg(format!(
                "https://localhost:{}{}?wsdl",
                gw.addr.port(),
                support::PATH
            ))
            .arg(format!("E{}", gw.cbe("onem")))
            .arg(&gw.passwords["onem"])
            .args([cbe, LC_ONEM])
            .args(ssins),
        "the Java client",
    );
    assert!(out.status.success(), "{}", tool_output(&out));
    let said = String::from_utf8_lossy(&out.stdout);
    // JAX-WS's message dump, when asked for, goes to the same output: it is kept apart.
    let (calls, dump): (Vec<&str>, Vec<&str>) = said
        .lines()
        .partition(|l| l.starts_with("get") && !l.contains('<'));
    (calls.join("\n"), dump.join("\n"))
}

fn listed(items: Vec<String>) -> String {
    if items.is_empty() {
        "-".to_owned()
    } else {
        items.join(",")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wsimport_client_reads_every_v2_operation_as_the_suite_does() {
    if let Some(missing) = missing_tools() {
        eprintln!("SKIPPED: needs {missing}");
        return;
    }
    let gw = Gateway::start().await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let trust = trust_options(&gw, dir.path());
    let s = &gw.ssins;
    let ssins = [
        s.two_pcsas.as_str(),
        &s.equivalent,
        &s.born_2003,
        &s.no_right,
        &s.replacing,
        &s.replaced,
        &s.cancelled,
        &s.forem_only,
        &s.unknown,
    ];
    let onem = gw.cbe("onem");
    let (said, _) = java_client(&gw, dir.path(), &trust, &[], &onem, &ssins);
    let lines: Vec<&str> = said.lines().collect();
    assert_eq!(lines.len(), ssins.len() * 5, "{said}");
    let mut statuses = std::collections::BTreeSet::new();
    for line in &lines {
        let fields: Vec<&str> = line.split(' ').collect();
        let [operation, ssin, outcome @ ..] = fields.as_slice() else {
            panic!("{line}");
        };
        let call = Call::new(operation, &onem, ssin).period("2000-01-01", None);
        let r = gw.basic("onem").soap(&call.soap11()).await;
        assert_eq!(r.status, 200, "{line}\n{}", r.body);
        let expected = [
            r.status_code(),
            listed(r.texts_of("pcsaCbeNumber")),
            listed(periods(&r)),
        ];
        assert_eq!(
            outcome,
            &expected.each_ref().map(String::as_str),
            "{line}\n{}",
            r.body
        );
        statuses.insert(r.status_code());
    }
    // The comparison covered data, no data and each kind of refusal the demo shows.
    for code in [
        "MSG00000", "MSG00100", "MSG00005", "MSG00006", "MSG00007", "MSG00012",
    ] {
        assert!(statuses.contains(code), "{code} not seen: {said}");
    }
    assert!(said.contains(','), "no answer with two periods: {said}");

    // The contract's fault, read through the class wsimport generated for it: another
    // institution named in customerIdentification than the credentials'.
    let vdab = gw.cbe("vdab");
    let (said, _) = java_client(&gw, dir.path(), &trust, &[], &vdab, &[&s.two_pcsas]);
    assert_eq!(said.lines().count(), 5, "{said}");
    for line in said.lines() {
        assert!(line.ends_with(" fault:MSG00014"), "{said}");
    }

    // With JAX-WS's WS-Addressing on, the same answers: JAX-WS sent its addressing
    // headers (its dump shows them) and accepted the answers that relate to them.
    let dump = "-Dcom.sun.xml.ws.transport.http.client.HttpTransportPipe.dump=true";
    let few = [s.two_pcsas.as_str(), &s.no_right];
    let (plain, _) = java_client(&gw, dir.path(), &trust, &[], &onem, &few);
    let (addressed, exchanged) = java_client(
        &gw,
        dir.path(),
        &trust,
        &["--addressing", dump],
        &onem,
        &few,
    );
    assert_eq!(addressed, plain);
    for header in ["Action", "MessageID", "ReplyTo"] {
        let sent = format!("<{header} xmlns=\"http://www.w3.org/2005/08/addressing\"");
        assert_eq!(
            exchanged.matches(&sent).count(),
            10,
            "{header}:\n{exchanged}"
        );
    }
    assert_eq!(
        exchanged.matches("<wsa:RelatesTo").count(),
        10,
        "{exchanged}"
    );
}
