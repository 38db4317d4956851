//! Demo mode: development certificates, the demo world (`examples/worlds/demo.toml`,
//! which shows every answer of LivingWages V2) loaded with a password and a
//! certificate for each of its institutions, and a manifest (`demo.json`) saying how
//! to call the server.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::certs::{CertError, DevelopmentPki, KeyType};
use crate::domain::{CbeNumber, CertificateFingerprint, Institution};
use crate::server::TlsFiles;
use crate::server::auth::hash_password;
use crate::store::{Change, Store, StoreError};
use crate::world::{self, WorldError};

#[derive(Debug, Error)]
pub enum DemoError {
    #[error(transparent)]
    Certificates(#[from] CertError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the demo world was not loaded: {0}")]
    World(#[from] WorldError),
    #[error("demo data is invalid: {0}")]
    Data(String),
    #[error("cannot hash a demo password: {0}")]
    Password(String),
    #[error("cannot {action} {path}: {reason}")]
    Manifest {
        action: &'static str,
        path: PathBuf,
        reason: String,
    },
    #[error("{0} holds data but no demo.json: start the demo on an empty --data-dir")]
    NotADemo(PathBuf),
}

/// The manifest that `serve --demo` writes into its data directory.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub endpoints: Endpoints,
    pub wsdl: Endpoints,
    pub ca_certificate: PathBuf,
    /// The server's certificate: what signs its answers with `--sign-answers`. Absent
    /// from manifests written by earlier versions.
    #[serde(default)]
    pub server_certificate: PathBuf,
    pub default_institution: String,
    pub institutions: Vec<DemoInstitution>,
    pub ssins: Vec<DemoSsin>,
    /// The PCSAs of the demo register. Absent from manifests written by earlier
    /// versions.
    #[serde(default)]
    pub pcsas: Vec<DemoPcsa>,
}

/// A CPAS of the demo, as a form or ManageAccess names it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DemoPcsa {
    pub name: String,
    pub cbe_number: String,
    pub ins_code: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Endpoints {
    pub living_wages_v2: String,
    /// Absent from manifests written by earlier versions.
    #[serde(default)]
    pub pcsa_decision_v1: String,
    #[serde(default)]
    pub connector: String,
    #[serde(default)]
    pub subscription_v1: String,
    #[serde(default)]
    pub with_amount_v1: String,
    #[serde(default)]
    pub living_wages_v3: String,
    #[serde(default)]
    pub test_connection_v1: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DemoInstitution {
    pub key: String,
    pub name: String,
    pub cbe_number: String,
    pub username: String,
    pub password: String,
    pub certificate: PathBuf,
    pub private_key: PathBuf,
    /// Service name → legal contexts granted.
    pub legal_contexts: std::collections::BTreeMap<String, Vec<String>>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DemoSsin {
    pub ssin: String,
    pub illustrates: String,
    /// The status code getLivingWages answers the default institution.
    pub expected_status: String,
    /// What the register knows of the person (the proof of authentication
    /// ManageAccess asks for); absent for a number it does not know, and from
    /// manifests written by earlier versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<String>,
}

impl DemoSsin {
    /// A number of the demo; what the register knows of the person is added once the
    /// register is built.
    fn new(ssin: String, illustrates: &str, expected_status: &str) -> DemoSsin {
        DemoSsin {
            ssin,
            illustrates: illustrates.to_owned(),
            expected_status: expected_status.to_owned(),
            last_name: None,
            first_name: None,
            birth_date: None,
        }
    }
}

/// The demo world, shipped in the repository (`examples/worlds/`) and built into the
/// binary: `serve --demo` writes it into the data directory and loads it from there.
pub const WORLD: &str = include_str!("../examples/worlds/demo.toml");
/// The statements the demo world names, beside it.
const STATEMENTS: &str = include_str!("../examples/worlds/demo-statements.txt");
const WORLD_FILE: &str = "demo.toml";
const STATEMENTS_FILE: &str = "demo-statements.txt";

/// The demo's institutions: the key that names their certificate files and their
/// entry in `demo.json`, and their CBE number. Their names, grants and everything else
/// are the world's.
pub const INSTITUTIONS: [(&str, &str); 7] = [
    ("onem", "0206737484"),
    ("vdab", "0887606616"),
    ("forem", "0236023071"),
    // No deliberation for LivingWages: every consultation answers MSG00013.
    ("inami", "0206897238"),
    // Notified about the people whose file it manages; no consultation grant.
    ("cin", "0411702543"),
    // Two CPAS, which register decisions (PcsaDecisionService) for themselves.
    ("cpas-liege", "0207594351"),
    ("ocmw-gent", "0212239166"),
];

/// The demo's SSINs: what each shows, and the status getLivingWages answers the default
/// institution (ONEM).
pub const SSINS: [(&str, &str, &str); 11] = [
    (
        "85073100130",
        "living wage from two PCSAs, one Flemish (Gent) and one Walloon (Liège); the Flanders operations show only Gent",
        "MSG00000",
    ),
    (
        "90021512370",
        "equivalent living wage, then living wage, from CPAS de Bruxelles (two categories in getLivingWages)",
        "MSG00000",
    ),
    (
        "03061521254",
        "born in 2003 (check digits computed with the 2000s rule), living wage from CPAS de Charleroi",
        "MSG00000",
    ),
    ("78041204597", "no right at all (NO_DATA_FOUND)", "MSG00100"),
    (
        "85102011771",
        "National Register number that replaced a bis number; living wage from OCMW Antwerpen",
        "MSG00000",
    ),
    (
        "85302001126",
        "bis number replaced by a National Register number (MSG00006 with newSSIN)",
        "MSG00006",
    ),
    ("92050508781", "cancelled SSIN (MSG00007)", "MSG00007"),
    (
        "88090913353",
        "living wage from CPAS de Namur, but only Le Forem manages her file (MSG00012 for the others)",
        "MSG00012",
    ),
    (
        "92030824612",
        "partner named in CPAS de Bruxelles's decisions for Ahmed Benali (category E), without a right herself",
        "MSG00100",
    ),
    (
        "75010199968",
        "well-formed SSIN unknown to the register (MSG00005)",
        "MSG00005",
    ),
    ("85073100137", "check digits wrong (MSG00011)", "MSG00011"),
];

/// A demo institution's credentials: its key, password hash and client certificate
/// (DER).
pub type Credentials<'a> = (&'a str, Option<String>, Option<Vec<u8>>);

fn data_err(e: impl std::fmt::Display) -> DemoError {
    DemoError::Data(e.to_string())
}

pub fn institution_cbe(key: &str) -> Result<CbeNumber, DemoError> {
    let (_, cbe) = INSTITUTIONS
        .iter()
        .find(|(k, _)| *k == key)
        .ok_or_else(|| DemoError::Data(format!("no demo institution {key}")))?;
    CbeNumber::parse(cbe).map_err(data_err)
}

/// The demo world, read from `dir` (where it is written first) and checked against
/// `store`.
fn read_world(
    dir: &Path,
    store: &dyn Store,
) -> Result<(Vec<world::Source>, world::Checked), DemoError> {
    crate::files::private_dir(dir).map_err(|e| DemoError::Manifest {
        action: "create",
        path: dir.to_owned(),
        reason: e.to_string(),
    })?;
    for (name, text) in [(WORLD_FILE, WORLD), (STATEMENTS_FILE, STATEMENTS)] {
        let path = dir.join(name);
        crate::files::write(&path, text, false).map_err(|e| DemoError::Manifest {
            action: "write",
            path: path.clone(),
            reason: e.to_string(),
        })?;
    }
    let sources = world::read(&[dir.join(WORLD_FILE)])?;
    let checked = world::check(&sources, store)?;
    Ok((sources, checked))
}

/// Loads the demo world into `store` (its files written to `dir`), the institutions
/// with `credentials`, in one transaction; its decisions are the register's past (not
/// notified). Returns the demo's SSINs with what the register knows of each person.
pub fn load(
    store: &dyn Store,
    dir: &Path,
    credentials: &[Credentials<'_>],
) -> Result<Vec<DemoSsin>, DemoError> {
    let (sources, checked) = read_world(dir, store)?;
    write_world(store, &sources, checked, credentials)
}

fn write_world(
    store: &dyn Store,
    sources: &[world::Source],
    mut checked: world::Checked,
    credentials: &[Credentials<'_>],
) -> Result<Vec<DemoSsin>, DemoError> {
    for change in &mut checked.changes {
        if let Change::Institution(i) = change
            && let Some((key, _)) = INSTITUTIONS.iter().find(|(_, cbe)| *cbe == i.cbe.as_str())
            && let Some((_, hash, certificate)) = credentials.iter().find(|(k, _, _)| k == key)
        {
            i.password_hash = hash.clone();
            i.certificates = certificate
                .iter()
                .map(|der| CertificateFingerprint::of_der(der))
                .collect();
        }
    }
    // Registered whole: a signature may name them instead of carrying them.
    checked.changes.extend(
        credentials
            .iter()
            .filter_map(|(_, _, der)| der.clone())
            .map(Change::Certificate),
    );
    world::write(store, sources, &checked, false, crate::clock::unix_millis())?;
    let mut ssins: Vec<DemoSsin> = SSINS
        .iter()
        .map(|(ssin, illustrates, expected)| {
            DemoSsin::new((*ssin).to_owned(), illustrates, expected)
        })
        .collect();
    for change in &checked.changes {
        if let Change::Person(p) = change {
            for s in ssins.iter_mut().filter(|s| s.ssin == p.ssin.as_str()) {
                s.last_name = Some(p.last_name.clone());
                s.first_name = Some(p.first_name.clone());
                s.birth_date = p.birth_date.map(|d| d.to_string());
            }
        }
    }
    Ok(ssins)
}

/// The world's institution of a demo key.
fn institution<'c>(checked: &'c world::Checked, key: &str) -> Result<&'c Institution, DemoError> {
    let cbe = institution_cbe(key)?;
    checked
        .changes
        .iter()
        .find_map(|c| match c {
            Change::Institution(i) if i.cbe == cbe => Some(i),
            _ => None,
        })
        .ok_or_else(|| DemoError::Data(format!("the demo world has no institution {key} ({cbe})")))
}

/// What `serve --demo` needs to start: the TLS files and the manifest (without the
/// listening address, known only once bound).
pub struct DemoSetup {
    pub tls: TlsFiles,
    pub manifest: Manifest,
}

fn manifest_path(data_dir: &Path) -> PathBuf {
    data_dir.join("demo.json")
}

/// Prepares a demo in `data_dir`: on an empty store, makes certificates and passwords
/// and loads the demo world (written to `<data_dir>/world/`); on a store it made
/// before, reuses them.
pub fn prepare(data_dir: &Path, store: &dyn Store) -> Result<DemoSetup, DemoError> {
    let certs_dir = data_dir.join("certs");
    let tls = |ca: PathBuf| TlsFiles {
        certificate_chain: certs_dir.join("server.pem"),
        private_key: certs_dir.join("server.key"),
        client_ca: Some(ca),
    };
    let path = manifest_path(data_dir);
    if !store.is_empty()? {
        let text =
            std::fs::read_to_string(&path).map_err(|_| DemoError::NotADemo(data_dir.to_owned()))?;
        let manifest: Manifest = serde_json::from_str(&text).map_err(|e| DemoError::Manifest {
            action: "read",
            path: path.clone(),
            reason: e.to_string(),
        })?;
        return Ok(DemoSetup {
            tls: tls(manifest.ca_certificate.clone()),
            manifest,
        });
    }

    let (sources, checked) = read_world(&data_dir.join("world"), store)?;
    let mut clients = Vec::new();
    for (key, _) in INSTITUTIONS {
        clients.push((
            key.to_owned(),
            format!("{} (demo)", institution(&checked, key)?.name),
        ));
    }
    let hosts = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    // RSA, as the network's application certificates (and every WS-Security stack).
    let pki = DevelopmentPki::generate(&hosts, &clients, KeyType::Rsa)?;
    let files = pki.write(&certs_dir)?;

    let mut credentials = Vec::new();
    let mut institutions = Vec::new();
    for ((key, _), ((_, issued), (_, cert_path, key_path))) in INSTITUTIONS
        .iter()
        .zip(pki.clients.iter().zip(&files.clients))
    {
        let password = uuid::Uuid::new_v4().simple().to_string();
        let hash = hash_password(&password).map_err(|e| DemoError::Password(e.to_string()))?;
        credentials.push((*key, Some(hash), Some(issued.der.to_vec())));
        let declared = institution(&checked, key)?;
        let legal_contexts = declared
            .grants
            .iter()
            .filter(|g| !g.legal_contexts.is_empty())
            .map(|g| (g.service.name().to_owned(), g.legal_contexts.clone()))
            .collect();
        institutions.push(DemoInstitution {
            key: (*key).to_owned(),
            name: declared.name.clone(),
            cbe_number: declared.cbe.to_string(),
            username: format!("E{}", declared.cbe),
            password,
            certificate: absolute(cert_path),
            private_key: absolute(key_path),
            legal_contexts,
        });
    }
    // What a tester needs to name a CPAS as the register knows it.
    let pcsas = checked
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::Pcsa(p) => Some(DemoPcsa {
                name: p.name.clone(),
                cbe_number: p.cbe.to_string(),
                ins_code: p.ins.as_str().to_owned(),
            }),
            _ => None,
        })
        .collect();
    let mut manifest = Manifest {
        endpoints: Endpoints::default(),
        wsdl: Endpoints::default(),
        ca_certificate: absolute(&files.ca),
        server_certificate: absolute(&files.server_certificate),
        default_institution: "onem".to_owned(),
        institutions,
        ssins: Vec::new(),
        pcsas,
    };
    // The passwords exist only in the manifest: write it before the store holds their
    // hashes, so that a start failing later (a port in use) leaves a usable demo.
    save_manifest(data_dir, &manifest)?;
    manifest.ssins = write_world(store, &sources, checked, &credentials)?;
    save_manifest(data_dir, &manifest)?;
    Ok(DemoSetup {
        tls: tls(manifest.ca_certificate.clone()),
        manifest,
    })
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_owned())
}

/// Writes the manifest with the address the server listens on.
pub fn write_manifest(
    data_dir: &Path,
    manifest: &mut Manifest,
    base_url: &str,
) -> Result<PathBuf, DemoError> {
    let url = |path: &str| format!("{base_url}{path}");
    let (e, w) = (&mut manifest.endpoints, &mut manifest.wsdl);
    for (endpoint, wsdl, path) in [
        (
            &mut e.living_wages_v2,
            &mut w.living_wages_v2,
            crate::wire::living_wages_v2::PATH,
        ),
        (
            &mut e.living_wages_v3,
            &mut w.living_wages_v3,
            crate::wire::living_wages_v3::PATH,
        ),
        (
            &mut e.pcsa_decision_v1,
            &mut w.pcsa_decision_v1,
            crate::wire::pcsa_decision_v1::PATH,
        ),
        (&mut e.connector, &mut w.connector, crate::wire::ssdn::PATH),
        (
            &mut e.subscription_v1,
            &mut w.subscription_v1,
            crate::wire::subscription_v1::PATH,
        ),
        (
            &mut e.with_amount_v1,
            &mut w.with_amount_v1,
            crate::wire::living_wages_with_amount_v1::PATH,
        ),
        (
            &mut e.test_connection_v1,
            &mut w.test_connection_v1,
            crate::wire::test_connection_v1::PATH,
        ),
    ] {
        *endpoint = url(path);
        *wsdl = format!("{}?wsdl", url(path));
    }
    save_manifest(data_dir, manifest)
}

/// `demo.json` holds the demo passwords: readable by its owner only.
fn save_manifest(data_dir: &Path, manifest: &Manifest) -> Result<PathBuf, DemoError> {
    let path = manifest_path(data_dir);
    let text = serde_json::to_string_pretty(manifest).map_err(|e| DemoError::Manifest {
        action: "encode",
        path: path.clone(),
        reason: e.to_string(),
    })?;
    crate::files::write(&path, &(text + "\n"), true).map_err(|e| DemoError::Manifest {
        action: "write",
        path: path.clone(),
        reason: e.to_string(),
    })?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AmountType, Ssin};
    use crate::store::{RedbStore, ReferenceData, Register, Statements, Subscriptions};

    /// The world the binary carries loads whole: every demo institution and person is
    /// in it, its decisions are accepted, and its statements pay two persons for at
    /// least eighteen months.
    #[test]
    fn the_demo_world_loads_and_holds_what_the_demo_shows() {
        let dir = tempfile::tempdir().unwrap();
        let store = RedbStore::open_dir(&dir.path().join("data")).unwrap();
        let keys: Vec<Credentials<'_>> =
            INSTITUTIONS.iter().map(|(k, _)| (*k, None, None)).collect();
        let ssins = load(&store, &dir.path().join("world"), &keys).unwrap();
        for (key, _) in INSTITUTIONS {
            assert!(
                store
                    .institution(&institution_cbe(key).unwrap())
                    .unwrap()
                    .is_some(),
                "{key}"
            );
        }
        for s in &ssins {
            let known = !matches!(s.expected_status.as_str(), "MSG00005" | "MSG00011");
            assert_eq!(s.last_name.is_some(), known, "{s:?}");
        }
        let sophie = Ssin::parse(SSINS[0].0).unwrap();
        assert_eq!(store.forms(&sophie).unwrap().len(), 4);
        assert_eq!(store.subscriptions().unwrap().len(), 1);
        let mut months_per_person = std::collections::BTreeMap::new();
        for pcsa in store.pcsas().unwrap() {
            for month in store.statement_months(&pcsa.ins).unwrap() {
                for line in store.statement(&pcsa.ins, month).unwrap() {
                    assert_eq!(line.check(), [], "{line:?}");
                    if line.amount_type == AmountType::Grant {
                        *months_per_person.entry(line.ssin).or_insert(0) += 1;
                    }
                }
            }
        }
        assert_eq!(months_per_person.len(), 2);
        assert!(
            months_per_person.values().all(|&n| n >= 18),
            "{months_per_person:?}"
        );
    }
}
