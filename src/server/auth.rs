//! Who is calling: an institution identified by its client certificate (mutual TLS) or
//! by HTTP Basic with `E<CBE>` and its password, as the deployment allows. A WS-Security
//! signature, read with the body, is checked in `ws_security` and joined to these in the
//! SOAP endpoint.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::{Arc, Mutex, OnceLock};

use argon2::{Argon2, PasswordHash, PasswordVerifier};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hyper::HeaderMap;
use sha2::{Digest, Sha256};
use thiserror::Error;
use tokio::sync::OnceCell;

use super::login_limits::{LoginLimits, Throttled};
use crate::domain::{CbeNumber, CertificateFingerprint, Institution};
use crate::store::{Store, StoreError};

/// Which identities a deployment accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuthModes {
    pub basic: bool,
    pub client_certificate: bool,
    /// A WS-Security X.509 signature in the message.
    pub ws_security: bool,
    /// Every request must be signed, whatever else identifies it.
    pub require_signature: bool,
}

impl Default for AuthModes {
    /// Everything the network's clients send is accepted; nothing more is required.
    fn default() -> Self {
        AuthModes {
            basic: true,
            client_certificate: true,
            ws_security: true,
            require_signature: false,
        }
    }
}

#[derive(Debug, Error)]
pub enum AuthError {
    #[error(
        "no credentials: send HTTP Basic (user E<CBE number>), a client certificate or a \
         WS-Security signature, as the gateway accepts"
    )]
    Missing,
    #[error("malformed Authorization header: {0}")]
    Malformed(&'static str),
    #[error("HTTP Basic is not accepted by this gateway; use a client certificate")]
    BasicNotAccepted,
    #[error("user {0:?} is not E followed by a valid CBE number")]
    BadUser(String),
    #[error("unknown user or wrong password for {0}")]
    Rejected(String),
    #[error("{0}")]
    Throttled(Throttled),
    #[error("the client certificate {0} belongs to no institution")]
    UnknownCertificate(CertificateFingerprint),
    #[error("the client certificate identifies {certificate} but HTTP Basic names {basic}")]
    Disagree {
        certificate: CbeNumber,
        basic: CbeNumber,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Argon2 verification costs milliseconds by design; the (user, password, stored hash)
/// triples already verified are remembered by digest so keep-alive clients pay once.
const VERIFIED_CACHE_LIMIT: usize = 10_000;

/// One verification's outcome, which the requests that wait for it share.
type Verification = OnceCell<Result<bool, Throttled>>;

pub struct Authenticator {
    store: Arc<dyn Store>,
    modes: AuthModes,
    verified: Mutex<HashSet<[u8; 32]>>,
    known: Mutex<Known>,
    verifications: tokio::sync::Semaphore,
    limits: LoginLimits,
    /// Verifications running, by credentials: the same credentials arriving on many
    /// connections at once (a client's pool opening) wait for the one verification,
    /// which costs one Argon2 run and one token of the login limits.
    in_flight: Mutex<HashMap<[u8; 32], Arc<Verification>>>,
}

/// Institutions read from the store, valid while the store's generation is unchanged:
/// a request then opens no store transaction to know its caller.
#[derive(Default)]
struct Known {
    generation: u64,
    by_cbe: HashMap<CbeNumber, Arc<Institution>>,
    by_certificate: HashMap<CertificateFingerprint, Option<Arc<Institution>>>,
    /// Who a request with exactly these credentials (a digest of the client
    /// certificate and the Authorization header) was found to be: a client on a
    /// kept-alive connection sends the same header with every request.
    by_credentials: HashMap<[u8; 32], Arc<Institution>>,
}

/// `Basic base64(user:password)` → (user, password).
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, AuthError> {
    let Some(value) = headers.get(hyper::header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| AuthError::Malformed("not ASCII"))?;
    let (scheme, token) = value
        .trim()
        .split_once(' ')
        .ok_or(AuthError::Malformed("expected 'Basic <token>'"))?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(AuthError::Malformed("only the Basic scheme is accepted"));
    }
    let decoded = STANDARD
        .decode(token.trim())
        .map_err(|_| AuthError::Malformed("the token is not base64"))?;
    let decoded = String::from_utf8(decoded)
        .map_err(|_| AuthError::Malformed("the credentials are not UTF-8"))?;
    let (user, password) = decoded
        .split_once(':')
        .ok_or(AuthError::Malformed("expected user:password"))?;
    Ok(Some((user.to_owned(), password.to_owned())))
}

impl Authenticator {
    pub fn new(store: Arc<dyn Store>, modes: AuthModes) -> Self {
        Authenticator {
            store,
            modes,
            verified: Mutex::new(HashSet::new()),
            known: Mutex::new(Known::default()),
            verifications: tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
            ),
            limits: LoginLimits::default(),
            in_flight: Mutex::new(HashMap::new()),
        }
    }

    pub fn modes(&self) -> AuthModes {
        self.modes
    }

    /// Runs `f` on the cache, emptied first if the store changed since it was filled.
    fn with_known<T>(&self, f: impl FnOnce(&mut Known) -> T) -> Option<T> {
        let generation = self.store.generation();
        let mut known = self.known.lock().ok()?;
        if known.generation != generation {
            *known = Known {
                generation,
                ..Known::default()
            };
        }
        Some(f(&mut known))
    }

    fn institution(&self, cbe: &CbeNumber) -> Result<Option<Arc<Institution>>, AuthError> {
        if let Some(Some(hit)) = self.with_known(|k| k.by_cbe.get(cbe).cloned()) {
            return Ok(Some(hit));
        }
        let generation = self.store.generation();
        let Some(found) = self.store.institution(cbe)?.map(Arc::new) else {
            return Ok(None);
        };
        self.with_known(|k| {
            if k.generation == generation {
                k.by_cbe.insert(*cbe, found.clone());
            }
        });
        Ok(Some(found))
    }

    pub fn institution_by_certificate(
        &self,
        fp: &CertificateFingerprint,
    ) -> Result<Option<Arc<Institution>>, AuthError> {
        if let Some(Some(hit)) = self.with_known(|k| k.by_certificate.get(fp).cloned()) {
            return Ok(hit);
        }
        let generation = self.store.generation();
        let found = self.store.institution_by_certificate(fp)?.map(Arc::new);
        self.with_known(|k| {
            if k.generation == generation {
                k.by_certificate.insert(*fp, found.clone());
            }
        });
        Ok(found)
    }

    /// Who is calling from `source`, with these headers and this client certificate.
    pub async fn authenticate(
        &self,
        headers: &HeaderMap,
        certificate: Option<&CertificateFingerprint>,
        source: IpAddr,
    ) -> Result<Arc<Institution>, AuthError> {
        let credentials = self.modes.basic.then(|| {
            let mut digest = Sha256::new();
            if let Some(fp) = certificate.filter(|_| self.modes.client_certificate) {
                digest.update(fp.as_bytes());
            }
            digest.update([0]);
            if let Some(header) = headers.get(hyper::header::AUTHORIZATION) {
                digest.update(header.as_bytes());
            }
            <[u8; 32]>::from(digest.finalize())
        });
        if let Some(key) = &credentials
            && let Some(Some(known)) = self.with_known(|k| k.by_credentials.get(key).cloned())
        {
            return Ok(known);
        }
        let generation = self.store.generation();
        let found = self.identify(headers, certificate, source).await?;
        if let Some(key) = credentials {
            self.with_known(|k| {
                if k.generation == generation {
                    if k.by_credentials.len() >= VERIFIED_CACHE_LIMIT {
                        k.by_credentials.clear();
                    }
                    k.by_credentials.insert(key, found.clone());
                }
            });
        }
        Ok(found)
    }

    /// Who the request's certificate and credentials name, checked in full.
    async fn identify(
        &self,
        headers: &HeaderMap,
        certificate: Option<&CertificateFingerprint>,
        source: IpAddr,
    ) -> Result<Arc<Institution>, AuthError> {
        let by_certificate = match certificate {
            Some(fp) if self.modes.client_certificate => Some(
                self.institution_by_certificate(fp)?
                    .ok_or(AuthError::UnknownCertificate(*fp))?,
            ),
            _ => None,
        };
        // Basic is only read where it is accepted; elsewhere the header is not ours.
        let basic = if self.modes.basic {
            basic_credentials(headers)?
        } else {
            None
        };
        match (by_certificate, basic) {
            (Some(inst), None) => Ok(inst),
            // Both given: both must hold, and name the same institution.
            (Some(inst), Some((user, password))) => {
                let named = parse_user(&user)?;
                if named != inst.cbe {
                    return Err(AuthError::Disagree {
                        certificate: inst.cbe,
                        basic: named,
                    });
                }
                self.verify_password(&user, &password, source).await
            }
            (None, Some((user, password))) => self.verify_password(&user, &password, source).await,
            (None, None)
                if !self.modes.basic && headers.contains_key(hyper::header::AUTHORIZATION) =>
            {
                Err(AuthError::BasicNotAccepted)
            }
            (None, None) => Err(AuthError::Missing),
        }
    }

    async fn verify_password(
        &self,
        user: &str,
        password: &str,
        source: IpAddr,
    ) -> Result<Arc<Institution>, AuthError> {
        let cbe = parse_user(user)?;
        let rejected = || AuthError::Rejected(user.to_owned());
        let institution = self.institution(&cbe)?;
        let hash = institution.as_ref().and_then(|i| i.password_hash.clone());
        let digest: Option<[u8; 32]> = hash.as_ref().map(|hash| {
            Sha256::new()
                .chain_update(cbe.as_str())
                .chain_update([0])
                .chain_update(hash)
                .chain_update([0])
                .chain_update(password)
                .finalize()
                .into()
        });
        if let (Some(inst), Some(d)) = (&institution, &digest)
            && self.verified.lock().is_ok_and(|set| set.contains(d))
        {
            return Ok(inst.clone());
        }
        let target = hash.unwrap_or_else(|| decoy_hash().to_owned());
        let ok = match digest {
            // Credentials being verified for another request: its verification is
            // this one's.
            Some(d) => {
                let cell = match self.in_flight.lock() {
                    Ok(mut running) => running.entry(d).or_default().clone(),
                    Err(_) => Arc::new(OnceCell::new()),
                };
                let outcome = cell
                    .get_or_init(|| self.check(source, &cbe, target, password, Some(d)))
                    .await
                    .clone();
                if let Ok(mut running) = self.in_flight.lock()
                    && running.get(&d).is_some_and(|c| Arc::ptr_eq(c, &cell))
                {
                    running.remove(&d);
                }
                outcome
            }
            None => self.check(source, &cbe, target, password, None).await,
        }
        .map_err(AuthError::Throttled)?;
        match institution {
            Some(inst) if ok => Ok(inst),
            _ => Err(rejected()),
        }
    }

    /// One Argon2 verification of `password` against `target`, within the login
    /// limits; a success is cached under `digest`.
    async fn check(
        &self,
        source: IpAddr,
        cbe: &CbeNumber,
        target: String,
        password: &str,
        digest: Option<[u8; 32]>,
    ) -> Result<bool, Throttled> {
        self.limits.begin(source, cbe)?;
        // Each verification holds ~19 MiB for ~15 ms: at most one per CPU at a time.
        let Ok(_permit) = self.verifications.acquire().await else {
            return Ok(false);
        };
        let password = password.to_owned();
        let ok = tokio::task::spawn_blocking(move || {
            PasswordHash::new(&target).is_ok_and(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
        })
        .await
        .unwrap_or(false);
        // An unknown user (no digest) never succeeds: its verification ran against
        // a decoy hash, so the time of a refusal does not tell which users exist.
        if let (true, Some(d)) = (ok, digest) {
            self.limits.succeeded(source, cbe);
            if let Ok(mut set) = self.verified.lock() {
                if set.len() >= VERIFIED_CACHE_LIMIT {
                    set.clear();
                }
                set.insert(d);
            }
            return Ok(true);
        }
        Ok(false)
    }
}

/// A hash no password matches in practice, verified for users that have none.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash_password(&uuid::Uuid::new_v4().to_string()).unwrap_or_default())
}

/// The network's user name: `E` followed by the 10 digits of the CBE number.
fn parse_user(user: &str) -> Result<CbeNumber, AuthError> {
    user.strip_prefix('E')
        .filter(|digits| digits.len() == 10 && digits.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|digits| CbeNumber::parse(digits).ok())
        .ok_or_else(|| AuthError::BadUser(user.to_owned()))
}

/// An Argon2id PHC string for `password`, for storing an institution's credentials.
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    use argon2::PasswordHasher;
    use argon2::password_hash::SaltString;
    let salt = SaltString::encode_b64(uuid::Uuid::new_v4().as_bytes())?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}
