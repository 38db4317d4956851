//! WS-Security X.509 signatures as the network's clients send them, over real TLS:
//! messages signed by xmlsec1 (libxmlsec1, which no project code wrote) with RSA and
//! ECDSA keys identify their institution without any other credential; a tampered
//! body or timestamp, an expired timestamp, an unknown certificate, another
//! institution's, a signature that leaves the Body out, a reference to nothing, a
//! duplicated ID and a DOCTYPE are each refused with the fault WS-Security names.
//! Skipped, with the reason printed, when xmlsec1 is not installed; CI installs it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;

use base64::Engine;
use rustls::pki_types::pem::PemObject;

use bcss_gateway::server::AuthModes;
use bcss_gateway::store::Change;
use support::xmlsec1::{
    self, ECDSA_SHA256, RSA_SHA1, RSA_SHA256, SHA1, SHA256, SOAP12, Signer, Template, WSU, now,
};
use support::{Call, Gateway, Options, Reply, validate_soap_reply};

macro_rules! require_xmlsec1 {
    () => {
        if !xmlsec1::xmlsec1_available() {
            eprintln!("SKIPPED: xmlsec1 is not installed (apt-get install xmlsec1)");
            return;
        }
    };
}

fn fault_code(reply: &Reply) -> String {
    reply
        .text_of("faultcode")
        .or_else(|| reply.texts_of("Value").get(1).cloned())
        .unwrap_or_default()
}

/// The demo institution `key`'s client certificate as a signer (ECDSA P-256).
fn demo_signer(gw: &Gateway, dir: &Path, key: &str) -> Signer {
    let (_, issued) = gw.pki.clients.iter().find(|(stem, _)| stem == key).unwrap();
    Signer::from_pem(
        dir,
        key,
        &issued.certificate_pem,
        &issued.key_pem,
        ECDSA_SHA256,
    )
}

/// Registers `signer`'s certificate for the demo institution `key`.
fn register(gw: &Gateway, key: &str, signer: &Signer) {
    let cbe = gw.cbe(key).parse().unwrap();
    let mut institution = gw.store.institution(&cbe).unwrap().unwrap();
    institution.certificates.push(signer.fingerprint());
    gw.store.apply(&[Change::Institution(institution)]).unwrap();
}

/// `body` sent as SOAP 1.2, with no credential but what it holds.
async fn soap12(gw: &Gateway, body: &str) -> Reply {
    let content_type = [("content-type", "application/soap+xml; charset=utf-8")];
    gw.anonymous().soap_with(body, &content_type).await
}

/// A gateway, a directory for xmlsec1's files, ONEM's demo certificate as a signer and
/// the payload of a getLivingWages of ONEM's.
async fn setup() -> (Gateway, tempfile::TempDir, Signer, String) {
    setup_with(AuthModes::default()).await
}

/// The same, with a gateway that accepts `auth`.
async fn setup_with(auth: AuthModes) -> (Gateway, tempfile::TempDir, Signer, String) {
    let gw = Gateway::start_with(Options {
        auth,
        ..Options::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let signer = demo_signer(&gw, dir.path(), "onem");
    let onem = gw.cbe("onem");
    let payload = Call::new("getLivingWages", &onem, &gw.ssins.two_pcsas).payload();
    (gw, dir, signer, payload)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signature_alone_identifies_the_institution_with_rsa_and_ecdsa() {
    require_xmlsec1!();
    let gw = Gateway::start().await;
    let dir = tempfile::tempdir().unwrap();
    let onem = gw.cbe("onem");
    let call = Call::new("getLivingWages", &onem, &gw.ssins.two_pcsas);
    let rsa = Signer::rsa(dir.path(), "onem-rsa", RSA_SHA256, SHA256);
    let rsa_sha1 = Signer::rsa(dir.path(), "onem-rsa1", RSA_SHA1, SHA1);
    register(&gw, "onem", &rsa);
    register(&gw, "onem", &rsa_sha1);
    for signer in [demo_signer(&gw, dir.path(), "onem"), rsa, rsa_sha1] {
        let signed = Template::new(call.payload(), now()).sign(&signer, dir.path());
        let reply = gw.anonymous().soap(&signed).await;
        assert_eq!(reply.status, 200, "{} {}", signer.method, reply.body);
        assert_eq!(reply.status_code(), "MSG00000", "{}", reply.body);
        validate_soap_reply(&reply.body);
        // Beside the same institution's Basic credentials and client certificate.
        let reply = gw.basic("onem").soap(&signed).await;
        assert_eq!(reply.status_code(), "MSG00000", "{}", reply.body);
        let reply = gw.with_certificate("onem").soap(&signed).await;
        assert_eq!(reply.status_code(), "MSG00000", "{}", reply.body);
    }
    // SOAP 1.2 too.
    let mut template = Template::new(call.payload(), now());
    template.soap = SOAP12;
    let signed = template.sign(&demo_signer(&gw, dir.path(), "onem"), dir.path());
    let reply = soap12(&gw, &signed).await;
    assert_eq!(reply.status_code(), "MSG00000", "{}", reply.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn who_signed_must_be_who_else_the_request_names() {
    require_xmlsec1!();
    let (gw, dir, signer, payload) = setup().await;
    let onem = gw.cbe("onem");
    let forem = gw.cbe("forem");
    // customerIdentification names another institution than the signer.
    let other = Call::new("getLivingWages", &forem, &gw.ssins.two_pcsas);
    let signed = Template::new(other.payload(), now()).sign(&signer, dir.path());
    let reply = gw.anonymous().soap(&signed).await;
    assert_eq!(reply.reason_code(), "MSG00014", "{}", reply.body);
    // Basic credentials or a client certificate of another institution.
    let signed = Template::new(payload.clone(), now()).sign(&signer, dir.path());
    for reply in [
        gw.basic("forem").soap(&signed).await,
        gw.with_certificate("forem").soap(&signed).await,
    ] {
        assert_eq!(
            fault_code(&reply),
            "wsse:FailedAuthentication",
            "{}",
            reply.body
        );
        let reason = reply.text_of("faultstring").unwrap();
        assert!(
            reason.contains(&onem) && reason.contains(&forem),
            "{reason}"
        );
    }
    // A certificate registered for nobody.
    let stranger = Signer::rsa(dir.path(), "stranger", RSA_SHA256, SHA256);
    let signed = Template::new(payload, now()).sign(&stranger, dir.path());
    let reply = gw.anonymous().soap(&signed).await;
    assert_eq!(
        fault_code(&reply),
        "wsse:FailedAuthentication",
        "{}",
        reply.body
    );
    assert!(
        reply
            .text_of("faultstring")
            .unwrap()
            .contains(&stranger.fingerprint().to_string()),
        "{}",
        reply.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampering_and_weak_signatures_get_the_faults_ws_security_names() {
    require_xmlsec1!();
    let (gw, dir, signer, payload) = setup().await;
    let onem = gw.cbe("onem");
    let good = Template::new(payload.clone(), now()).sign(&signer, dir.path());
    let expect = |reply: &Reply, code: &str, names: &str| {
        assert_eq!(reply.status, 500, "{}", reply.body);
        assert_eq!(fault_code(reply), code, "{}", reply.body);
        let reason = reply.text_of("faultstring").unwrap_or_default();
        assert!(reason.contains(names), "{reason}");
        // Raised before the service reads the request: no CBSS detail.
        assert!(reply.text_of("reasonCode").is_none(), "{}", reply.body);
    };
    let send = |body: String| {
        let client = gw.anonymous();
        async move { client.soap(&body).await }
    };

    // The body changed after it was signed: another SSIN asked.
    let tampered = good.replace(&gw.ssins.two_pcsas, &gw.ssins.no_right);
    assert_ne!(tampered, good);
    expect(&send(tampered).await, "wsse:FailedCheck", "#Body-1");
    // The timestamp changed: a later expiry.
    let expires = texts_between(&good, "<wsu:Expires>", "</wsu:Expires>");
    let later = good.replace(&expires, "2099-01-01T00:00:00Z");
    expect(&send(later).await, "wsse:FailedCheck", "#TS-1");
    // Expired by the gateway's clock, and the clock moved past a good message.
    let mut old = Template::new(payload.clone(), now() - 3600);
    old.expires = now() - 3000;
    expect(
        &send(old.sign(&signer, dir.path())).await,
        "wsu:MessageExpired",
        "expired at",
    );
    // Created in the future beyond the skew.
    let ahead = Template::new(payload.clone(), now() + 3600);
    expect(
        &send(ahead.sign(&signer, dir.path())).await,
        "wsse:InvalidSecurity",
        "ahead",
    );
    // A signature over the timestamp alone.
    let mut partial = Template::new(payload.clone(), now());
    partial.references = vec!["#TS-1"];
    expect(
        &send(partial.sign(&signer, dir.path())).await,
        "wsse:InvalidSecurity",
        "does not cover the soap:Body",
    );
    // A reference to an element that is not there: the Body's ID renamed.
    let renamed = good.replace("wsu:Id=\"Body-1\"", "wsu:Id=\"Body-2\"");
    expect(
        &send(renamed).await,
        "wsse:FailedCheck",
        "points to no element",
    );
    // Signature wrapping: the signed Body moved into the header, another one put in its
    // place with the same ID.
    let body_start = good.find("<soapenv:Body").unwrap();
    let signed_body = &good[body_start..good.find("</soapenv:Envelope>").unwrap()];
    let forged_payload = Call::new("getLivingWages", &onem, &gw.ssins.no_right).payload();
    let wrapped = format!(
        "{}<Wrapper xmlns=\"urn:wrap\">{}</Wrapper></soapenv:Header><soapenv:Body wsu:Id=\"Body-1\">{forged_payload}</soapenv:Body></soapenv:Envelope>",
        &good[..good.find("</soapenv:Header>").unwrap()],
        signed_body
            .replace("soapenv:Body", "Moved")
            .replace("wsu:Id=\"Body-1\"", "wsu:Id=\"Body-1\" xmlns=\"\""),
    );
    expect(&send(wrapped).await, "wsse:InvalidSecurity", "\"Body-1\"");
    // A DOCTYPE inside the header is not XML a SOAP message may hold.
    let doctype = good.replacen(
        "<wsse:Security",
        "<!DOCTYPE x [<!ENTITY e \"e\">]><wsse:Security",
        1,
    );
    let reply = send(doctype).await;
    assert_eq!(reply.status, 500, "{}", reply.body);
    assert_eq!(reply.reason_code(), "MSG00004", "{}", reply.body);
    // Another certificate's token in place of the signer's: an ECDSA key that did not
    // sign, and an RSA key, which the method does not fit.
    let other = demo_signer(&gw, dir.path(), "stranger");
    let swapped = good.replace(&signer.base64(), &other.base64());
    expect(&send(swapped).await, "wsse:FailedCheck", "SignatureValue");
    let rsa = Signer::rsa(dir.path(), "other", RSA_SHA256, SHA256);
    let swapped = good.replace(&signer.base64(), &rsa.base64());
    expect(
        &send(swapped).await,
        "wsse:FailedCheck",
        "does not match signature algorithm",
    );
    // A signature method the gateway does not accept.
    let hmac = good.replace(ECDSA_SHA256, "http://www.w3.org/2000/09/xmldsig#hmac-sha1");
    expect(&send(hmac).await, "wsse:UnsupportedAlgorithm", "hmac-sha1");
    // A UsernameToken is not an identity here.
    let username = good.replacen(
        "<wsu:Timestamp",
        "<wsse:UsernameToken><wsse:Username>x</wsse:Username></wsse:UsernameToken><wsu:Timestamp",
        1,
    );
    expect(
        &send(username).await,
        "wsse:UnsupportedSecurityToken",
        "UsernameToken",
    );
    // And the good message still passes.
    assert_eq!(send(good).await.status_code(), "MSG00000");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_moved_clock_expires_a_message_and_soap12_faults_carry_a_subcode() {
    require_xmlsec1!();
    let (gw, dir, signer, payload) = setup().await;
    let mut template = Template::new(payload, now());
    template.soap = SOAP12;
    let signed = template.sign(&signer, dir.path());
    gw.clock.advance_ms(3_600_000);
    let reply = soap12(&gw, &signed).await;
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert_eq!(
        reply.texts_of("Value"),
        ["soapenv:Sender", "wsu:MessageExpired"],
        "{}",
        reply.body
    );
    assert!(
        reply.body.contains(&format!("xmlns:wsu=\"{WSU}\"")),
        "{}",
        reply.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deployment_can_require_signatures_or_not_understand_them() {
    require_xmlsec1!();
    let (required, dir, signer, payload) = setup_with(AuthModes {
        require_signature: true,
        ..AuthModes::default()
    })
    .await;
    let unsigned = support::envelope(support::SOAP11, &payload);
    let reply = required.basic("onem").soap(&unsigned).await;
    assert_eq!(fault_code(&reply), "wsse:InvalidSecurity", "{}", reply.body);
    assert!(
        reply.text_of("faultstring").unwrap().contains("requires"),
        "{}",
        reply.body
    );
    let signed = Template::new(payload, now()).sign(&signer, dir.path());
    assert_eq!(
        required.basic("onem").soap(&signed).await.status_code(),
        "MSG00000"
    );

    let (without, dir, signer, payload) = setup_with(AuthModes {
        ws_security: false,
        ..AuthModes::default()
    })
    .await;
    let signed = Template::new(payload.clone(), now()).sign(&signer, dir.path());
    let reply = without.basic("onem").soap(&signed).await;
    assert_eq!(
        fault_code(&reply),
        "soapenv:MustUnderstand",
        "{}",
        reply.body
    );
    // Unsigned and anonymous: the credentials are missing, as before.
    let unsigned = support::envelope(support::SOAP11, &payload);
    let reply = without.anonymous().soap(&unsigned).await;
    assert_eq!(reply.status, 401, "{}", reply.body);
}

/// A registered certificate may be named instead of sent: by issuer and serial
/// number, by thumbprint, or by subject key identifier, as WSS4J's key identifier
/// types do, once it is registered whole (from a file). A certificate registered by
/// its fingerprint alone, or one registered for nobody, cannot be named.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registered_certificate_may_be_named_instead_of_sent() {
    require_xmlsec1!();
    let (gw, dir, _, payload) = setup().await;
    let signer = Signer::rsa(dir.path(), "onem-named", RSA_SHA256, SHA256);
    register(&gw, "onem", &signer);
    gw.store
        .apply(&[Change::Certificate(signer.der())])
        .unwrap();
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let thumbprint = |signer: &Signer| {
        let sha1 =
            aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, &signer.der());
        format!(
            r#"<wsse:SecurityTokenReference><wsse:KeyIdentifier EncodingType="{}" ValueType="http://docs.oasis-open.org/wss/oasis-wss-soap-message-security-1.1#ThumbprintSHA1">{}</wsse:KeyIdentifier></wsse:SecurityTokenReference>"#,
            xmlsec1::BASE64,
            b64(sha1.as_ref())
        )
    };
    let (issuer, serial) = signer.issuer_serial(dir.path());
    let ski = signer.subject_key_identifier(dir.path());
    assert!(!ski.is_empty());
    for key_info in [
        format!(
            "<wsse:SecurityTokenReference><ds:X509Data><ds:X509IssuerSerial><ds:X509IssuerName>{issuer}</ds:X509IssuerName><ds:X509SerialNumber>{serial}</ds:X509SerialNumber></ds:X509IssuerSerial></ds:X509Data></wsse:SecurityTokenReference>"
        ),
        thumbprint(&signer),
        format!(
            r#"<wsse:SecurityTokenReference><wsse:KeyIdentifier EncodingType="{}" ValueType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509SubjectKeyIdentifier">{}</wsse:KeyIdentifier></wsse:SecurityTokenReference>"#,
            xmlsec1::BASE64,
            b64(&ski)
        ),
    ] {
        let mut template = Template::new(payload.clone(), now());
        template.key_info = Some(key_info.clone());
        let signed = template.sign(&signer, dir.path());
        assert!(!signed.contains("BinarySecurityToken"), "{signed}");
        let reply = gw.anonymous().soap(&signed).await;
        assert_eq!(
            reply.status_code(),
            "MSG00000",
            "{key_info}\n{}",
            reply.body
        );
    }
    // Registered by its fingerprint only, or for nobody: no certificate to name.
    let fingerprint_only = Signer::rsa(dir.path(), "onem-fingerprint", RSA_SHA256, SHA256);
    register(&gw, "onem", &fingerprint_only);
    let stranger = Signer::rsa(dir.path(), "stranger", RSA_SHA256, SHA256);
    for other in [&fingerprint_only, &stranger] {
        let mut template = Template::new(payload.clone(), now());
        template.key_info = Some(thumbprint(other));
        let reply = gw.anonymous().soap(&template.sign(other, dir.path())).await;
        assert_eq!(
            fault_code(&reply),
            "wsse:SecurityTokenUnavailable",
            "{}",
            reply.body
        );
        let reason = reply.text_of("faultstring").unwrap_or_default();
        assert!(reason.contains("certificateFiles"), "{reason}");
    }
    // Named by the right issuer and another serial: not the registered certificate.
    let mut template = Template::new(payload, now());
    template.key_info = Some(format!(
        "<ds:X509Data><ds:X509IssuerSerial><ds:X509IssuerName>{issuer}</ds:X509IssuerName><ds:X509SerialNumber>1{serial}</ds:X509SerialNumber></ds:X509IssuerSerial></ds:X509Data>"
    ));
    let reply = gw
        .anonymous()
        .soap(&template.sign(&signer, dir.path()))
        .await;
    assert_eq!(
        fault_code(&reply),
        "wsse:SecurityTokenUnavailable",
        "{}",
        reply.body
    );
}

/// An `InclusiveNamespaces` prefix list, as WSS4J writes one on every exclusive
/// canonicalization, is applied: the signature covers the declarations it names, so
/// changing one the Body inherits breaks it, though no byte of the Body changed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inclusive_namespace_prefix_lists_are_applied() {
    require_xmlsec1!();
    let (gw, dir, signer, payload) = setup().await;
    let mut template = Template::new(payload, now());
    template.inclusive_prefixes = Some("soapenv wsu x");
    template.envelope_namespaces = r#" xmlns:x="urn:example:x""#;
    let signed = template.sign(&signer, dir.path());
    assert!(signed.contains("PrefixList=\"soapenv wsu x\""), "{signed}");
    let reply = gw.anonymous().soap(&signed).await;
    assert_eq!(reply.status_code(), "MSG00000", "{}", reply.body);
    let moved = signed.replace(r#"xmlns:x="urn:example:x""#, r#"xmlns:x="urn:example:y""#);
    let reply = gw.anonymous().soap(&moved).await;
    assert_eq!(fault_code(&reply), "wsse:FailedCheck", "{}", reply.body);
    // Without the prefix in the list, the same change is outside what was signed.
    template.inclusive_prefixes = Some("soapenv wsu");
    let signed = template.sign(&signer, dir.path());
    let moved = signed.replace(r#"xmlns:x="urn:example:x""#, r#"xmlns:x="urn:example:y""#);
    let reply = gw.anonymous().soap(&moved).await;
    assert_eq!(reply.status_code(), "MSG00000", "{}", reply.body);
}

fn texts_between(s: &str, open: &str, close: &str) -> String {
    let start = s.find(open).unwrap() + open.len();
    let end = start + s[start..].find(close).unwrap();
    s[start..end].to_owned()
}

/// With `--sign-answers`, every answer, a fault too, carries the server's certificate
/// and a signature over its Body and timestamp that xmlsec1 verifies with that
/// certificate; changing one byte of the Body breaks it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_are_signed_with_the_servers_certificate_when_asked() {
    require_xmlsec1!();
    let gw = Gateway::start_with(Options {
        sign_answers: true,
        ..Options::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let onem = gw.cbe("onem");
    let vdab = gw.cbe("vdab");
    let call = Call::new("getLivingWages", &onem, &gw.ssins.two_pcsas);
    let refused = Call::new("getLivingWages", &vdab, &gw.ssins.two_pcsas);
    let server_der = rustls::pki_types::CertificateDer::pem_file_iter(&gw.server_certificate)
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    let token = base64::engine::general_purpose::STANDARD.encode(server_der.as_ref());
    for (body, soap, status) in [
        (call.soap11(), xmlsec1::SOAP11, 200),
        (call.soap12(), SOAP12, 200),
        // MSG00014: customerIdentification of another institution than the caller.
        (refused.soap11(), xmlsec1::SOAP11, 500),
    ] {
        let r = gw.basic("onem").soap(&body).await;
        assert_eq!(r.status, status, "{}", r.body);
        assert_eq!(r.texts_of("BinarySecurityToken"), [token.as_str()]);
        assert_eq!(r.texts_of("Created").len(), 1, "{}", r.body);
        xmlsec1::verify(&r.body, soap, &gw.server_certificate, dir.path())
            .unwrap_or_else(|e| panic!("{e}\n{}", r.body));
        let ticket = r.text_of("ticketCBSS").unwrap();
        let tampered = r
            .body
            .replace(&ticket, &ticket.replace('0', "1").replace('a', "b"));
        assert_ne!(tampered, r.body);
        assert!(
            xmlsec1::verify(&tampered, soap, &gw.server_certificate, dir.path()).is_err(),
            "a changed Body still verified"
        );
    }
    // An addressed request: the answer's addressing headers are signed too.
    let addressed = call.soap11().replace(
        "<soap:Header/>",
        &format!(
            "<soap:Header><a:Action xmlns:a=\"{}\">http://kszbcss.fgov.be/LivingWagesService/getLivingWages</a:Action><a:MessageID xmlns:a=\"{}\">urn:uuid:77</a:MessageID></soap:Header>",
            xmlsec1::WSA,
            xmlsec1::WSA
        ),
    );
    assert_ne!(addressed, call.soap11());
    let r = gw.basic("onem").soap(&addressed).await;
    assert_eq!(r.texts_of("RelatesTo"), ["urn:uuid:77"], "{}", r.body);
    assert_eq!(r.body.matches("<ds:Reference ").count(), 5, "{}", r.body);
    xmlsec1::verify(&r.body, xmlsec1::SOAP11, &gw.server_certificate, dir.path())
        .unwrap_or_else(|e| panic!("{e}\n{}", r.body));
    let tampered = r.body.replace(">urn:uuid:77<", ">urn:uuid:78<");
    assert!(
        xmlsec1::verify(
            &tampered,
            xmlsec1::SOAP11,
            &gw.server_certificate,
            dir.path()
        )
        .is_err(),
        "a changed RelatesTo still verified"
    );
    // The timestamp follows the gateway's clock.
    let r = gw.basic("onem").soap(&call.soap11()).await;
    let created = r.text_of("Created").unwrap();
    let received = r.text_of("timestampReceive").unwrap();
    assert_eq!(created[..16], received[..16], "{}", r.body);
}
