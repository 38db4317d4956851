//! Messages signed by xmlsec1 (libxmlsec1) as the network's clients sign them
//! (WS-Security X.509 Token Profile: a timestamp and the Body, exclusive
//! canonicalization, the certificate in a BinarySecurityToken), byte for byte as
//! xmlsec1 writes them. Shared by the signature tests and benchmark.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use bcss_gateway::domain::CertificateFingerprint;
use sha2::{Digest, Sha256};

pub const SOAP11: &str = "http://schemas.xmlsoap.org/soap/envelope/";
pub const SOAP12: &str = "http://www.w3.org/2003/05/soap-envelope";
pub const WSA: &str = "http://www.w3.org/2005/08/addressing";
pub const WSSE: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
pub const WSU: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
pub const X509V3: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3";
pub const BASE64: &str = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary";
pub const RSA_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
pub const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
pub const ECDSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";
pub const SHA1: &str = "http://www.w3.org/2000/09/xmldsig#sha1";
pub const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";

pub fn xmlsec1_available() -> bool {
    Command::new("xmlsec1")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A key and its certificate, as files for xmlsec1.
pub struct Signer {
    pub key: PathBuf,
    pub cert_pem: String,
    pub method: &'static str,
    pub digest: &'static str,
}

impl Signer {
    pub fn from_pem(
        dir: &Path,
        name: &str,
        cert_pem: &str,
        key_pem: &str,
        method: &'static str,
    ) -> Self {
        let key = dir.join(format!("{name}.key"));
        std::fs::write(&key, key_pem).unwrap();
        Signer {
            key,
            cert_pem: cert_pem.to_owned(),
            method,
            digest: SHA256,
        }
    }

    /// A new RSA key and self-signed certificate, made by openssl.
    pub fn rsa(dir: &Path, name: &str, method: &'static str, digest: &'static str) -> Self {
        let key = dir.join(format!("{name}.key"));
        let cert = dir.join(format!("{name}.pem"));
        let out = Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            ])
            .args(["-subj", &format!("/CN={name}")])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Signer {
            key,
            cert_pem: std::fs::read_to_string(&cert).unwrap(),
            method,
            digest,
        }
    }

    pub fn der(&self) -> Vec<u8> {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD
            .decode(self.base64())
            .unwrap()
    }

    pub fn base64(&self) -> String {
        self.cert_pem
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect()
    }

    pub fn fingerprint(&self) -> CertificateFingerprint {
        CertificateFingerprint::from_bytes(Sha256::digest(self.der()).into())
    }

    /// What openssl prints of the certificate for `args`, without the field's name.
    fn openssl(&self, dir: &Path, args: &[&str]) -> String {
        let file = dir.join("certificate-for-openssl.pem");
        std::fs::write(&file, &self.cert_pem).unwrap();
        let out = Command::new("openssl")
            .args(["x509", "-noout", "-in"])
            .arg(&file)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.split_once('=')
            .map_or(text.clone(), |(_, v)| v.trim().to_owned())
    }

    /// The issuer (RFC 2253) and serial number (decimal), as WSS4J's IssuerSerial
    /// reference names the certificate; read by openssl.
    pub fn issuer_serial(&self, dir: &Path) -> (String, String) {
        let issuer = self.openssl(dir, &["-issuer", "-nameopt", "RFC2253"]);
        let hex = self.openssl(dir, &["-serial"]);
        (issuer, decimal(&hex))
    }

    /// The subject key identifier extension's value, read by openssl.
    pub fn subject_key_identifier(&self, dir: &Path) -> Vec<u8> {
        let text = self.openssl(dir, &["-ext", "subjectKeyIdentifier"]);
        let hex = text
            .lines()
            .last()
            .unwrap_or_default()
            .trim()
            .replace(':', "");
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect()
    }
}

/// A hexadecimal number of any length, in decimal.
fn decimal(hex: &str) -> String {
    let mut digits: Vec<u32> = vec![0]; // little-endian, base 10
    for c in hex.chars() {
        let mut carry = c.to_digit(16).unwrap();
        for d in &mut digits {
            let v = *d * 16 + carry;
            *d = v % 10;
            carry = v / 10;
        }
        while carry > 0 {
            digits.push(carry % 10);
            carry /= 10;
        }
    }
    let text: String = digits
        .iter()
        .rev()
        .map(|d| char::from(b'0' + *d as u8))
        .collect();
    let trimmed = text.trim_start_matches('0');
    if trimmed.is_empty() {
        "0".into()
    } else {
        trimmed.into()
    }
}

/// How a message is signed: which parts the signature references and its timestamp.
pub struct Template<'a> {
    pub soap: &'a str,
    pub payload: String,
    pub created: i64,
    pub expires: i64,
    pub references: Vec<&'a str>,
    /// An `InclusiveNamespaces` prefix list on every exclusive canonicalization, as
    /// WSS4J writes one.
    pub inclusive_prefixes: Option<&'a str>,
    /// Namespace declarations the Envelope carries besides SOAP's and wsu's.
    pub envelope_namespaces: &'a str,
    /// What `ds:KeyInfo` holds instead of a reference to the message's token, which is
    /// then left out: a certificate named rather than sent.
    pub key_info: Option<String>,
}

impl<'a> Template<'a> {
    pub fn new(payload: String, now: i64) -> Self {
        Template {
            soap: SOAP11,
            payload,
            created: now - 5,
            expires: now + 300,
            references: vec!["#Body-1", "#TS-1"],
            inclusive_prefixes: None,
            envelope_namespaces: "",
            key_info: None,
        }
    }

    /// An exclusive canonicalization's Algorithm attribute, and its prefix list.
    fn exclusive(&self, element: &str) -> String {
        const EXC: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
        match self.inclusive_prefixes {
            None => format!(r#"<ds:{element} Algorithm="{EXC}"/>"#),
            Some(prefixes) => format!(
                r#"<ds:{element} Algorithm="{EXC}"><ec:InclusiveNamespaces xmlns:ec="{EXC}" PrefixList="{prefixes}"/></ds:{element}>"#
            ),
        }
    }

    pub fn xml(&self, signer: &Signer) -> String {
        let at = |s: i64| jiff::Timestamp::from_second(s).unwrap().to_string();
        let references: String = self
            .references
            .iter()
            .map(|uri| {
                format!(
                    r#"<ds:Reference URI="{uri}"><ds:Transforms>{}</ds:Transforms><ds:DigestMethod Algorithm="{}"/><ds:DigestValue/></ds:Reference>"#,
                    self.exclusive("Transform"),
                    signer.digest
                )
            })
            .collect();
        format!(
            r##"<soapenv:Envelope xmlns:soapenv="{soap}" xmlns:wsu="{WSU}"{extra}><soapenv:Header><wsse:Security xmlns:wsse="{WSSE}" soapenv:mustUnderstand="1"><wsu:Timestamp wsu:Id="TS-1"><wsu:Created>{created}</wsu:Created><wsu:Expires>{expires}</wsu:Expires></wsu:Timestamp>{token}<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>{canonicalization}<ds:SignatureMethod Algorithm="{method}"/>{references}</ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo>{key_info}</ds:KeyInfo></ds:Signature></wsse:Security></soapenv:Header><soapenv:Body wsu:Id="Body-1">{payload}</soapenv:Body></soapenv:Envelope>"##,
            soap = self.soap,
            extra = self.envelope_namespaces,
            canonicalization = self.exclusive("CanonicalizationMethod"),
            created = at(self.created),
            expires = at(self.expires),
            token = match &self.key_info {
                Some(_) => String::new(),
                None => format!(
                    r#"<wsse:BinarySecurityToken wsu:Id="X509-1" ValueType="{X509V3}" EncodingType="{BASE64}">{}</wsse:BinarySecurityToken>"#,
                    signer.base64()
                ),
            },
            key_info = self.key_info.clone().unwrap_or_else(|| format!(
                r##"<wsse:SecurityTokenReference><wsse:Reference URI="#X509-1" ValueType="{X509V3}"/></wsse:SecurityTokenReference>"##
            )),
            method = signer.method,
            payload = self.payload,
        )
    }

    /// The message as xmlsec1 signs it, byte for byte.
    pub fn sign(&self, signer: &Signer, dir: &Path) -> String {
        let template = dir.join("template.xml");
        let signed = dir.join("signed.xml");
        std::fs::write(&template, self.xml(signer)).unwrap();
        let out = Command::new("xmlsec1")
            .arg("--sign")
            .arg("--privkey-pem")
            .arg(&signer.key)
            .args(["--id-attr:Id", &format!("{}:Body", self.soap)])
            .args(["--id-attr:Id", &format!("{WSU}:Timestamp")])
            .arg("--output")
            .arg(&signed)
            .arg(&template)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "xmlsec1: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::read_to_string(&signed).unwrap()
    }
}

/// Checks `message`'s signature with xmlsec1 and the key of `certificate` (a PEM
/// file), the Body, the timestamp and WS-Addressing's reply headers found by their
/// `wsu:Id`: what a client that verifies answers does. The error is xmlsec1's.
pub fn verify(message: &str, soap: &str, certificate: &Path, dir: &Path) -> Result<(), String> {
    let file = dir.join("answer.xml");
    std::fs::write(&file, message).unwrap();
    let out = Command::new("xmlsec1")
        .arg("--verify")
        .arg("--pubkey-cert-pem")
        .arg(certificate)
        .args(["--id-attr:Id", &format!("{soap}:Body")])
        .args(["--id-attr:Id", &format!("{WSU}:Timestamp")])
        .args(
            ["Action", "MessageID", "RelatesTo"]
                .iter()
                .flat_map(|h| ["--id-attr:Id".to_owned(), format!("{WSA}:{h}")]),
        )
        .arg(&file)
        .output()
        .unwrap();
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

pub fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}
