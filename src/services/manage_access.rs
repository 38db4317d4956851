//! ManageAccess (`OCMWCPASManageAccess` over the old-style connector): a CPAS
//! registers, unregisters and lists inscriptions in the reference directory, proving
//! that it knows the person. Inscriptions decide who may consult a person (MSG00012)
//! and, later, who is notified about them.
//!
//! - Only a CPAS (a PCSA of the register) may call it, in its own name: an `OrgUnit`
//!   must be its CBE number and `MatrixID` the CPAS sector, 17.
//! - The proof of authentication is checked against the person register: the last
//!   name (and the first name when given) compared without case, accents or
//!   punctuation, and the birth date, which may leave the day or month open. The
//!   register holds no card numbers, so a proof by SIS or identity card alone is
//!   accepted with a warning.
//! - REGISTER joins the new period with the CPAS's inscriptions of the same quality
//!   that overlap or touch it; UNREGISTER cuts the period out of them (possibly in
//!   two); LIST shows every CPAS's inscriptions of the person overlapping the period.

use super::ServiceError;
use crate::domain::inscription::{with_registered, without_unregistered};
use crate::domain::{Institution, OpenPeriod, Pcsa, Person, QualityCode, RegisterStatus, Ssin};
use crate::store::Store;
use crate::wire::ssdn::{
    self, Action, Detail, ManageAccessReply, ManageAccessRequest, Partial, RegisterKind,
    Registration, ReplyContext, ServiceReply, reason,
};
use crate::wire::xml;

/// The sector of CPAS in the CBSS network.
const CPAS_SECTOR: &str = "17";

/// What one `sendXML` exchange produced: the `SSDNReply` document, the outcome for the
/// audit trail and the SSIN it was about.
pub struct Answer {
    pub reply: String,
    pub outcome: &'static str,
    pub ssin: Option<String>,
}

/// The caller was authorised as the CPAS `pcsa` (`access::authorize`).
pub fn send_xml(
    store: &dyn Store,
    caller: &Institution,
    pcsa: &Pcsa,
    inner: &str,
    ticket: String,
    received_ms: i64,
    now_ms: impl Fn() -> i64,
) -> Result<Answer, ServiceError> {
    reply(
        caller,
        Some((store, pcsa)),
        inner,
        ticket,
        received_ms,
        now_ms,
    )
}

/// The access rules refused the caller: the SSDNReply says so, once the request was
/// read (a request that cannot be read is answered as such first, as before any
/// other check).
pub fn refused(
    caller: &Institution,
    inner: &str,
    ticket: String,
    received_ms: i64,
    now_ms: impl Fn() -> i64,
) -> Result<Answer, ServiceError> {
    reply(caller, None, inner, ticket, received_ms, now_ms)
}

fn reply(
    caller: &Institution,
    granted: Option<(&dyn Store, &Pcsa)>,
    inner: &str,
    ticket: String,
    received_ms: i64,
    now_ms: impl Fn() -> i64,
) -> Result<Answer, ServiceError> {
    let mut partial = Partial::default();
    let (context_details, services, ssin) = match answer(caller, granted, inner, &mut partial) {
        Ok((services, ssin)) => (Vec::new(), services, ssin),
        Err(Failure::Request(detail)) => (vec![detail], Vec::new(), None),
        Err(Failure::Store(e)) => return Err(e),
    };
    let ctx = ReplyContext {
        details: context_details,
        partial: &partial,
        ticket,
        time_receive: ssdn::ssdn_time(received_ms),
        time_response: ssdn::ssdn_time(now_ms()),
    };
    let reply = ssdn::write_reply(&ctx, &services);
    let outcome = ctx
        .details
        .iter()
        .chain(services.iter().flat_map(|s| s.details.iter()))
        .map(|d| d.reason_code)
        .next()
        .unwrap_or("0");
    Ok(Answer {
        reply,
        outcome,
        ssin,
    })
}

enum Failure {
    /// The request as a whole is refused (ReplyContext says NO).
    Request(Detail),
    Store(ServiceError),
}

impl From<crate::store::StoreError> for Failure {
    fn from(e: crate::store::StoreError) -> Self {
        Failure::Store(e.into())
    }
}

impl From<ServiceError> for Failure {
    fn from(e: ServiceError) -> Self {
        Failure::Store(e)
    }
}

fn answer(
    caller: &Institution,
    granted: Option<(&dyn Store, &Pcsa)>,
    inner: &str,
    partial: &mut Partial,
) -> Result<(Vec<ServiceReply>, Option<String>), Failure> {
    let doc = xml::parse(inner.as_bytes()).map_err(|e| {
        Failure::Request(Detail::error(
            reason::MALFORMED,
            format!("xmlString does not hold an XML document: {e}"),
        ))
    })?;
    let request = ssdn::read_request(&doc, partial).map_err(Failure::Request)?;
    // The connector's identity is the SSDN request's own (checked below); the role
    // was checked before, and a refusal is an SSDN detail.
    let Some((store, pcsa)) = granted else {
        return Err(Failure::Request(Detail::error(
            reason::NOT_AUTHORISED,
            format!(
                "{} is not a CPAS: only a CPAS manages inscriptions of sector 17",
                caller.cbe
            ),
        )));
    };
    if let Some(org) = &request.user.org_unit
        && org.trim_start_matches('0') != caller.cbe.as_str().trim_start_matches('0')
    {
        return Err(Failure::Request(
            Detail::error(
                reason::NOT_AUTHORISED,
                format!(
                    "AuthorizedUser/OrgUnit {org} is not the caller's CBE number {}",
                    caller.cbe
                ),
            )
            .with("OrgUnit", org),
        ));
    }
    if request.user.matrix_id != CPAS_SECTOR {
        return Err(Failure::Request(
            Detail::error(
                reason::NOT_AUTHORISED,
                format!(
                    "AuthorizedUser/MatrixID is {}, a CPAS acts in sector {CPAS_SECTOR}",
                    request.user.matrix_id
                ),
            )
            .with("MatrixID", &request.user.matrix_id),
        ));
    }
    let mut replies = Vec::new();
    let mut ssin = None;
    for s in &request.services {
        let mut reply = ServiceReply {
            details: Vec::new(),
            service_id: s.service_id.clone(),
            version: s.version.clone(),
            manage_access: None,
        };
        if s.service_id != ssdn::MANAGE_ACCESS {
            reply.details.push(Detail::error(
                reason::UNKNOWN_SERVICE,
                format!(
                    "{} is not a service of this connector (it serves {})",
                    s.service_id,
                    ssdn::MANAGE_ACCESS
                ),
            ));
        } else {
            match s.payload.as_ref().map(ssdn::read_manage_access) {
                None => reply.details.push(Detail::error(
                    reason::MISSING,
                    "the ServiceRequest carries no ManageAccessRequest",
                )),
                Some(Err(detail)) => reply.details.push(detail),
                Some(Ok(ma)) => {
                    ssin.get_or_insert_with(|| ma.ssin.clone());
                    match manage(store, caller, &pcsa.ins, &ma)? {
                        Ok((registrations, warnings)) => {
                            reply.details = warnings;
                            reply.manage_access = Some(ManageAccessReply {
                                original: ma,
                                registrations,
                            });
                        }
                        Err(detail) => reply.details.push(detail),
                    }
                }
            }
        }
        replies.push(reply);
    }
    Ok((replies, ssin))
}

type Managed = Result<(Vec<Registration>, Vec<Detail>), Detail>;

fn manage(
    store: &dyn Store,
    caller: &Institution,
    callers_ins: &crate::domain::InsCode,
    ma: &ManageAccessRequest,
) -> Result<Managed, ServiceError> {
    let ssin = match Ssin::parse(&ma.ssin) {
        Ok(s) => s,
        Err(e) => {
            return Ok(Err(
                Detail::error(reason::INVALID_SSIN, e.to_string()).with("SSIN", &ma.ssin)
            ));
        }
    };
    let person = match store.person(&ssin)? {
        None => {
            return Ok(Err(Detail::error(
                reason::UNKNOWN_SSIN,
                format!("{ssin} is not in the register"),
            )
            .with("SSIN", ssin.as_str())));
        }
        Some(p) => p,
    };
    match person.status {
        RegisterStatus::Active => {}
        RegisterStatus::Replaced { by } => {
            return Ok(Err(Detail::error(
                reason::REPLACED_SSIN,
                format!("{ssin} was replaced by {by}: use the new number"),
            )
            .with("SSIN", ssin.as_str())
            .with("newSSIN", by.as_str())));
        }
        RegisterStatus::Cancelled => {
            return Ok(Err(Detail::error(
                reason::CANCELLED_SSIN,
                format!("{ssin} was cancelled in the register"),
            )
            .with("SSIN", ssin.as_str())));
        }
    }
    let Ok(period) = OpenPeriod::new(ma.start, ma.end) else {
        return Ok(Err(Detail::error(
            reason::INVALID_VALUE,
            format!(
                "the period ends ({}) before it starts ({})",
                ma.end.map(|e| e.to_string()).unwrap_or_default(),
                ma.start
            ),
        )));
    };
    let quality = match (ma.purpose, ma.action) {
        (None, Action::List) => None,
        (None, _) => {
            return Ok(Err(Detail::error(
                reason::MISSING,
                format!("{} needs a Purpose (the quality code)", ma.action.name()),
            )
            .with("Purpose", "")));
        }
        (Some(p), _) => match u8::try_from(p).ok().and_then(|p| QualityCode::new(p).ok()) {
            Some(q) => Some(q),
            None => {
                return Ok(Err(Detail::error(
                    reason::INVALID_VALUE,
                    format!("{p} is not a quality code of sector 17 (1-9, 11, 12, 20, 21, 40)"),
                )
                .with("Purpose", &p.to_string())));
            }
        },
    };
    let warnings = match check_proof(&person, &ma.proof) {
        Ok(w) => w,
        Err(detail) => return Ok(Err(detail)),
    };

    let registrations = match (ma.action, quality) {
        (Action::Register, Some(q)) => {
            store.update_inscriptions(&ssin, &caller.cbe, q, &mut |existing| {
                Some(with_registered(existing, period))
            })?;
            own_registrations(store, &ssin, caller, q, period, callers_ins)?
        }
        (Action::Unregister, Some(q)) => {
            let mut found = true;
            store.update_inscriptions(&ssin, &caller.cbe, q, &mut |existing| {
                let left = without_unregistered(existing, period);
                found = left.is_some();
                left
            })?;
            if !found {
                return Ok(Err(Detail::error(
                    reason::NOTHING_TO_UNREGISTER,
                    format!(
                        "no inscription of {} with quality {q} for {ssin} overlaps the period",
                        caller.cbe
                    ),
                )));
            }
            own_registrations(store, &ssin, caller, q, period, callers_ins)?
        }
        (Action::List, _) if ma.query_register == Some(RegisterKind::Primary) => Vec::new(),
        (_, quality) => list(store, &ssin, quality, period)?,
    };
    Ok(Ok((registrations, warnings)))
}

/// The caller's inscriptions of one quality overlapping the period.
fn own_registrations(
    store: &dyn Store,
    ssin: &Ssin,
    caller: &Institution,
    quality: QualityCode,
    period: OpenPeriod,
    ins: &crate::domain::InsCode,
) -> Result<Vec<Registration>, ServiceError> {
    Ok(store
        .person_file(ssin)?
        .inscriptions
        .iter()
        .filter(|i| i.institution == caller.cbe && i.quality == quality)
        .filter(|i| i.period.overlaps(&period))
        .map(|i| Registration {
            purpose: i.quality.code(),
            start: i.period.begin(),
            end: i.period.end(),
            org_unit: ins.as_str().to_owned(),
        })
        .collect())
}

/// Every CPAS's inscriptions of the person overlapping the period.
fn list(
    store: &dyn Store,
    ssin: &Ssin,
    quality: Option<QualityCode>,
    period: OpenPeriod,
) -> Result<Vec<Registration>, ServiceError> {
    let mut out = Vec::new();
    for i in &store.person_file(ssin)?.inscriptions {
        if quality.is_some_and(|q| q != i.quality) || !i.period.overlaps(&period) {
            continue;
        }
        // Sector 17 is the CPAS: other institutions' inscriptions are not listed here.
        if let Some(pcsa) = store.pcsa(&i.institution)? {
            out.push(Registration {
                purpose: i.quality.code(),
                start: i.period.begin(),
                end: i.period.end(),
                org_unit: pcsa.ins.as_str().to_owned(),
            });
        }
    }
    Ok(out)
}

/// Upper-case letters and digits only, accents removed: "Lambert-Ćosić" and
/// "LAMBERT COSIC" compare equal.
fn folded(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => {
                'A'
            }
            'ç' | 'ć' | 'č' | 'Ç' | 'Ć' | 'Č' => 'C',
            'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => 'E',
            'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => 'I',
            'ñ' | 'Ñ' => 'N',
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => {
                'O'
            }
            'š' | 'Š' => 'S',
            'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => 'U',
            'ý' | 'ÿ' | 'Ý' => 'Y',
            'ž' | 'Ž' => 'Z',
            other => other.to_ascii_uppercase(),
        })
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

fn check_proof(person: &Person, proof: &ssdn::Proof) -> Result<Vec<Detail>, Detail> {
    let Some(data) = &proof.person else {
        if proof.sis_card.is_none() && proof.identity_card.is_none() {
            return Err(Detail::error(
                reason::MISSING,
                "ProofOfAuthentication needs SISCardNumber, IdentityCardNumber or PersonData",
            )
            .with("ProofOfAuthentication", ""));
        }
        return Ok(vec![Detail::warning(
            reason::PROOF_NOT_CHECKED,
            "the register holds no card numbers: the card given as proof was not checked",
        )]);
    };
    let mismatch = |field: &str, value: &str| {
        Err(Detail::error(
            reason::PROOF_MISMATCH,
            format!(
                "the proof of authentication does not match {}: {field}",
                person.ssin
            ),
        )
        .with(field, value))
    };
    if folded(&data.last_name) != folded(&person.last_name) {
        return mismatch("LastName", &data.last_name);
    }
    if let Some(first) = &data.first_name {
        let (given, known) = (folded(first), folded(&person.first_name));
        if !(known.starts_with(&given) || given.starts_with(&known)) {
            return mismatch("FirstName", first);
        }
    }
    if let Some(birth) = person.birth_date
        && !data.birth_date.admits(birth)
    {
        return mismatch("BirthDate", &data.birth_date.to_string());
    }
    Ok(Vec::new())
}

#[cfg(test)]
mod tests {
    use super::folded;

    #[test]
    fn names_compare_without_case_accents_or_punctuation() {
        assert_eq!(folded("Lambert-Ćosić"), folded("LAMBERT COSIC"));
        assert_eq!(folded("D'Hondt"), "DHONDT");
        assert_ne!(folded("Dupont"), folded("Dupond"));
    }
}
