//! What a WS-Security signature costs a request, stage by stage and without the
//! network: the envelope read with and without a signed header, the header read, and
//! the signature checked over the message's bytes with RSA-SHA256, ECDSA P-256
//! SHA-256 (both by aws-lc) and ECDSA P-256 SHA-1 (by `xml-sec`'s own arithmetic,
//! which aws-lc lacks for that pair). The messages are signed by xmlsec1, as in the
//! tests. Then libxmlsec1, the other candidate, on the RSA message
//! (`benches/libxmlsec1.py`), and what `--sign-answers` costs an answer (RSA-2048 and
//! ECDSA P-256, the arithmetic by aws-lc). `cargo bench --bench signatures`; needs xmlsec1 and
//! openssl (and python-xmlsec for the comparison).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/xmlsec1.rs"]
mod xmlsec1;

use std::hint::black_box;
use std::time::Instant;

use bcss_gateway::server::signed_answers::{self, AnswerSigner};
use bcss_gateway::server::ws_security::{self, Parts};
use bcss_gateway::wire::soap;
use bcss_gateway::wire::ws_security as header;
use xmlsec1::{ECDSA_SHA256, RSA_SHA256, SHA256, Signer, Template};

// The allocator the gateway runs with, so that allocation costs are the server's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn time(name: &str, rounds: u32, mut f: impl FnMut()) {
    for _ in 0..rounds / 10 {
        f();
    }
    let start = Instant::now();
    for _ in 0..rounds {
        f();
    }
    let per = start.elapsed().as_secs_f64() * 1e6 / f64::from(rounds);
    println!("{name:<52} {per:>8.2} µs");
}

const PAYLOAD: &str = "<lw:getLivingWagesRequest xmlns:lw=\"http://kszbcss.fgov.be/intf/LivingWagesService/v2\"><informationCustomer><ticket>bench</ticket><customerIdentification><cbeNumber>0206737484</cbeNumber></customerIdentification></informationCustomer><legalContext>UNEMPLOYMENT:LIVING_WAGE_CHECK</legalContext><criteria><ssin>85073100136</ssin><period><beginDate>2015-01-01</beginDate></period></criteria></lw:getLivingWagesRequest>";

fn ecdsa(dir: &std::path::Path, name: &str, method: &'static str, digest: &'static str) -> Signer {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(Vec::<String>::new())
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let mut signer = Signer::from_pem(dir, name, &cert.pem(), &key.serialize_pem(), method);
    signer.digest = digest;
    signer
}

fn main() {
    if !xmlsec1::xmlsec1_available() {
        eprintln!("xmlsec1 is not installed (apt-get install xmlsec1)");
        std::process::exit(2);
    }
    let dir = tempfile::tempdir().unwrap();
    let now = xmlsec1::now();
    let unsigned = format!(
        "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body>{PAYLOAD}</soapenv:Body></soapenv:Envelope>"
    );
    let signers = [
        (
            "RSA-2048 SHA-256 (aws-lc)",
            Signer::rsa(dir.path(), "rsa", RSA_SHA256, SHA256),
        ),
        (
            "ECDSA P-256 SHA-256 (aws-lc)",
            ecdsa(dir.path(), "ec", ECDSA_SHA256, SHA256),
        ),
        (
            "ECDSA P-256 SHA-1 (xml-sec's arithmetic)",
            ecdsa(
                dir.path(),
                "ec1",
                "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1",
                xmlsec1::SHA1,
            ),
        ),
    ];
    let messages: Vec<(&str, String)> = signers
        .iter()
        .map(|(name, signer)| {
            let mut template = Template::new(PAYLOAD.to_owned(), now);
            template.expires = now + 3600;
            (*name, template.sign(signer, dir.path()))
        })
        .collect();
    println!(
        "unsigned request {} bytes, signed {} bytes",
        unsigned.len(),
        messages[0].1.len()
    );
    time("envelope read, unsigned", 20_000, || {
        black_box(soap::parse_envelope(black_box(unsigned.as_bytes())).is_ok());
    });
    let signed = messages[0].1.as_bytes();
    time("envelope read, signed (with the IDs)", 20_000, || {
        black_box(soap::parse_envelope(black_box(signed)).is_ok());
    });
    let envelope = soap::parse_envelope(signed).unwrap();
    let secured = envelope.security.unwrap();
    time("wsse:Security header read", 20_000, || {
        black_box(header::read(black_box(&secured.header)).is_ok());
    });
    for (name, message) in &messages {
        let envelope = soap::parse_envelope(message.as_bytes()).unwrap();
        let secured = envelope.security.unwrap();
        let read = header::read(&secured.header).unwrap();
        let parts = Parts {
            body_id: secured.body_id.clone(),
            ids: secured.ids.clone().unwrap(),
        };
        assert!(ws_security::verify(message.as_bytes(), &read, &parts, now).is_ok());
        time(&format!("signature checked, {name}"), 2_000, || {
            black_box(ws_security::verify(message.as_bytes(), &read, &parts, now).is_ok());
        });
    }
    // A signed answer: the template written, then digests and signature filled in.
    for (name, signer) in signers.iter().take(2) {
        let certificate = dir.path().join("answer.pem");
        std::fs::write(&certificate, &signer.cert_pem).unwrap();
        let answers = AnswerSigner::load(&certificate, &signer.key).unwrap();
        let blocks =
            |w: &mut bcss_gateway::wire::xml::XmlWriter| answers.write_header(w, now * 1000, &[]);
        let head = soap::Head {
            blocks: Some(&blocks),
            body_id: Some(signed_answers::BODY_ID),
        };
        let template = soap::envelope_with_head(soap::SoapVersion::Soap11, head, |w| {
            w.raw(PAYLOAD);
        });
        assert!(answers.sign(&template).is_ok());
        let label = name.split(" (").next().unwrap_or(name);
        time(&format!("answer signed, {label} (aws-lc)"), 500, || {
            black_box(answers.sign(black_box(&template)).is_ok());
        });
    }
    // The other candidate, on the RSA message, in the same run.
    let message = dir.path().join("rsa-signed.xml");
    std::fs::write(&message, &messages[0].1).unwrap();
    let certificate = dir.path().join("rsa.pem");
    std::fs::write(&certificate, &signers[0].1.cert_pem).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/libxmlsec1.py");
    match std::process::Command::new("python3")
        .arg(script)
        .arg(&message)
        .arg(&certificate)
        .output()
    {
        Ok(out) if out.status.success() => print!("{}", String::from_utf8_lossy(&out.stdout)),
        _ => println!("(libxmlsec1 not measured: python3 -m pip install xmlsec)"),
    }
}
