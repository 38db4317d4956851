//! The CBSS's old-style connector: one operation, `sendXML`, whose `xmlString` carries
//! an `SSDNRequest` document as text and answers an `SSDNReply` the same way. The
//! inner documents follow the CBSS's public SSDN schemas (Service, Common and
//! OCMW_CPAS/ManageAccess); every element there is qualified, so elements are matched
//! by namespace URI and local name, in the schemas' order.
//!
//! A problem with the inner document is not a SOAP fault: the connector answers an
//! `SSDNReply` whose `ResultSummary` says NO, with a `Detail` naming the problem.

use super::xml::{Element, XmlWriter};
use crate::domain::Date;

pub const PATH: &str = "/connectors/webservice/KSZBCSSWebServiceConnectorPort";
pub const CONNECTOR_NS: &str = "http://ksz-bcss.fgov.be/connectors/WebServiceConnector";
pub const SOAP_ACTION: &str = "http://ksz-bcss.fgov.be/connectors/WebServiceConnector/sendXML";
pub const SERVICE_NS: &str = "http://www.ksz-bcss.fgov.be/XSD/SSDN/Service";
pub const COMMON_NS: &str = "http://www.ksz-bcss.fgov.be/XSD/SSDN/Common";
pub const MANAGE_ACCESS_NS: &str = "http://www.ksz-bcss.fgov.be/XSD/SSDN/OCMW_CPAS/ManageAccess";
pub const MANAGE_ACCESS: &str = "OCMWCPASManageAccess";

/// Reason codes of `Detail` (8 digits, author CBSS). Only 31000007 is attested in
/// public replies of the network; the others are the gateway's, listed in the README.
pub mod reason {
    /// A mandatory argument is missing or empty.
    pub const MISSING: &str = "31000007";
    /// The document is not an SSDNRequest as the schemas describe it.
    pub const MALFORMED: &str = "90000101";
    /// The ServiceId is not a service of this connector.
    pub const UNKNOWN_SERVICE: &str = "90000102";
    /// The caller may not use the service, or the AuthorizedUser is not the caller.
    pub const NOT_AUTHORISED: &str = "90000103";
    /// The SSIN's check digits are wrong.
    pub const INVALID_SSIN: &str = "90000104";
    /// The SSIN is not in the register.
    pub const UNKNOWN_SSIN: &str = "90000105";
    /// The SSIN was replaced by another (given as `newSSIN`).
    pub const REPLACED_SSIN: &str = "90000106";
    /// The SSIN was cancelled.
    pub const CANCELLED_SSIN: &str = "90000107";
    /// The proof of authentication does not match the person.
    pub const PROOF_MISMATCH: &str = "90000108";
    /// UNREGISTER of a period no inscription of the caller covers.
    pub const NOTHING_TO_UNREGISTER: &str = "90000109";
    /// A value outside its type (period ending before it begins, unknown quality code).
    pub const INVALID_VALUE: &str = "90000110";
    /// Warning: a card number was given as proof; the register cannot check it.
    pub const PROOF_NOT_CHECKED: &str = "90000111";

    pub const ALL: [&str; 12] = [
        MISSING,
        MALFORMED,
        UNKNOWN_SERVICE,
        NOT_AUTHORISED,
        INVALID_SSIN,
        UNKNOWN_SSIN,
        REPLACED_SSIN,
        CANCELLED_SSIN,
        PROOF_MISMATCH,
        NOTHING_TO_UNREGISTER,
        INVALID_VALUE,
        PROOF_NOT_CHECKED,
    ];
}

/// Why a request gets a NO (or WARNING) instead of its service's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Detail {
    pub severity: Severity,
    pub reason_code: &'static str,
    pub diagnostic: String,
    /// `FieldName` / `FieldValue` pairs (at most 5).
    pub information: Vec<(String, String)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Warning,
    Error,
}

impl Detail {
    pub fn error(reason_code: &'static str, diagnostic: impl Into<String>) -> Detail {
        Detail {
            severity: Severity::Error,
            reason_code,
            diagnostic: diagnostic.into(),
            information: Vec::new(),
        }
    }

    pub fn warning(reason_code: &'static str, diagnostic: impl Into<String>) -> Detail {
        Detail {
            severity: Severity::Warning,
            ..Detail::error(reason_code, diagnostic)
        }
    }

    pub fn with(mut self, field: &str, value: &str) -> Detail {
        self.information.push((field.to_owned(), value.to_owned()));
        self
    }
}

/// The text of the SOAP payload `{connector}xmlString`: the inner document.
pub fn xml_string<'a>(payload: &'a Element<'_>) -> Result<&'a str, String> {
    if !payload.is(CONNECTOR_NS, "xmlString") {
        return Err(format!(
            "{} is not {{{CONNECTOR_NS}}}xmlString, the one part of sendXML",
            payload.expanded_name()
        ));
    }
    if !payload.children.is_empty() {
        return Err(
            "xmlString holds the SSDNRequest as text (escaped or in CDATA), not as elements".into(),
        );
    }
    Ok(payload.text.trim())
}

/// Reads qualified children in the schema's order.
struct Seq<'a> {
    el: &'a Element<'a>,
    path: String,
    next: usize,
}

fn malformed(path: &str, problem: impl std::fmt::Display) -> Detail {
    Detail::error(reason::MALFORMED, format!("{path}: {problem}")).with("element", path)
}

impl<'a> Seq<'a> {
    fn of(el: &'a Element<'a>, path: &str) -> Result<Seq<'a>, Detail> {
        if !el.text.trim().is_empty() {
            return Err(malformed(path, "text is not allowed here, only elements"));
        }
        Ok(Seq {
            el,
            path: path.to_owned(),
            next: 0,
        })
    }

    fn optional(&mut self, ns: &str, local: &str) -> Option<&'a Element<'a>> {
        let child = self.el.children.get(self.next)?;
        if child.is(ns, local) {
            self.next += 1;
            Some(child)
        } else {
            None
        }
    }

    fn required(&mut self, ns: &str, local: &str) -> Result<&'a Element<'a>, Detail> {
        self.optional(ns, local).ok_or_else(|| {
            let path = format!("{}/{local}", self.path);
            match self.el.children.get(self.next) {
                Some(other) => malformed(
                    &path,
                    format!(
                        "mandatory element {{{ns}}}{local} missing (found {} in its place)",
                        other.expanded_name()
                    ),
                ),
                None => malformed(&path, format!("mandatory element {{{ns}}}{local} missing")),
            }
        })
    }

    fn text(&mut self, ns: &str, local: &str) -> Result<Option<String>, Detail> {
        self.optional(ns, local)
            .map(|el| leaf(el, &format!("{}/{local}", self.path)))
            .transpose()
    }

    fn required_text(&mut self, ns: &str, local: &str) -> Result<String, Detail> {
        let el = self.required(ns, local)?;
        leaf(el, &format!("{}/{local}", self.path))
    }

    fn finish(self) -> Result<(), Detail> {
        match self.el.children.get(self.next) {
            None => Ok(()),
            Some(extra) => Err(malformed(
                &self.path,
                format!("{} is not expected here", extra.expanded_name()),
            )),
        }
    }
}

fn leaf(el: &Element, path: &str) -> Result<String, Detail> {
    if !el.children.is_empty() {
        return Err(malformed(path, "expected text, found elements"));
    }
    Ok(el.text.trim().to_owned())
}

/// `AuthorizedUser`, echoed in the reply as sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorizedUser {
    pub user_id: String,
    pub email: String,
    pub org_unit: Option<String>,
    pub matrix_id: String,
    pub matrix_sub_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceRequest<'a> {
    pub service_id: String,
    pub version: String,
    pub payload: Option<Element<'a>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SsdnRequest<'a> {
    pub user: AuthorizedUser,
    pub reference: Option<String>,
    pub time_request: Option<String>,
    pub services: Vec<ServiceRequest<'a>>,
}

/// Whatever could be read of a request before a problem, for the reply's context.
#[derive(Clone, Debug, Default)]
pub struct Partial {
    pub user: Option<AuthorizedUser>,
    pub reference: Option<String>,
    pub time_request: Option<String>,
}

fn is_digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

/// `yyyyMMddThhmmss`, the SSDN time stamps.
fn is_ssdn_time(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 15 && b[8] == b'T' && b[..8].iter().chain(&b[9..]).all(u8::is_ascii_digit)
}

pub fn ssdn_time(unix_millis: i64) -> String {
    let full = crate::domain::date::format_utc_timestamp(unix_millis);
    // 2026-11-22T07:30:01.123Z -> 20261122T073001
    full.chars()
        .filter(|c| c.is_ascii_digit() || *c == 'T')
        .take(15)
        .collect()
}

pub fn read_request<'a>(
    doc: &'a Element<'a>,
    partial: &mut Partial,
) -> Result<SsdnRequest<'a>, Detail> {
    if !doc.is(SERVICE_NS, "SSDNRequest") {
        return Err(malformed(
            "/",
            format!(
                "the document is {}, not {{{SERVICE_NS}}}SSDNRequest",
                doc.expanded_name()
            ),
        ));
    }
    let mut root = Seq::of(doc, "SSDNRequest")?;
    let context = root.required(SERVICE_NS, "RequestContext")?;
    let mut c = Seq::of(context, "SSDNRequest/RequestContext")?;
    let user_el = c.required(SERVICE_NS, "AuthorizedUser")?;
    let mut u = Seq::of(user_el, "SSDNRequest/RequestContext/AuthorizedUser")?;
    let user = AuthorizedUser {
        user_id: u.required_text(SERVICE_NS, "UserID")?,
        email: u.required_text(SERVICE_NS, "Email")?,
        org_unit: u.text(SERVICE_NS, "OrgUnit")?,
        matrix_id: u.required_text(SERVICE_NS, "MatrixID")?,
        matrix_sub_id: u.text(SERVICE_NS, "MatrixSubID")?,
    };
    u.finish()?;
    let path = "SSDNRequest/RequestContext/AuthorizedUser";
    if !is_digits(&user.user_id, 11) {
        return Err(malformed(&format!("{path}/UserID"), "expected 11 digits"));
    }
    if user.email.len() > 100 || !user.email.contains('@') {
        return Err(malformed(
            &format!("{path}/Email"),
            "expected an e-mail address",
        ));
    }
    for (name, value) in [
        ("MatrixID", Some(&user.matrix_id)),
        ("MatrixSubID", user.matrix_sub_id.as_ref()),
    ] {
        if value.is_some_and(|v| v.parse::<i64>().is_err()) {
            return Err(malformed(&format!("{path}/{name}"), "expected an integer"));
        }
    }
    partial.user = Some(user.clone());
    if let Some(message) = c.optional(SERVICE_NS, "Message") {
        let mut m = Seq::of(message, "SSDNRequest/RequestContext/Message")?;
        partial.reference = m.text(SERVICE_NS, "Reference")?;
        partial.time_request = m.text(SERVICE_NS, "TimeRequest")?;
        // Some CPAS software adds a Language the schema does not have: ignored.
        let _ = m.optional(SERVICE_NS, "Language");
        m.finish()?;
        if partial
            .time_request
            .as_deref()
            .is_some_and(|t| !is_ssdn_time(t))
        {
            partial.time_request = None;
            return Err(malformed(
                "SSDNRequest/RequestContext/Message/TimeRequest",
                "expected yyyyMMddThhmmss",
            ));
        }
    }
    c.finish()?;
    let mut services = Vec::new();
    while let Some(s) = root.optional(SERVICE_NS, "ServiceRequest") {
        let mut r = Seq::of(s, "SSDNRequest/ServiceRequest")?;
        let service_id = r.required_text(SERVICE_NS, "ServiceId")?;
        let version = r.required_text(SERVICE_NS, "Version")?;
        if version.chars().count() != 8 {
            return Err(malformed(
                "SSDNRequest/ServiceRequest/Version",
                "expected 8 characters (e.g. 20050930)",
            ));
        }
        let payload = s.children.get(r.next).cloned();
        if payload.is_some() {
            r.next += 1;
        }
        r.finish()?;
        services.push(ServiceRequest {
            service_id,
            version,
            payload,
        });
    }
    if services.is_empty() {
        return Err(malformed(
            "SSDNRequest/ServiceRequest",
            "at least one ServiceRequest is required",
        ));
    }
    root.finish()?;
    Ok(SsdnRequest {
        user,
        reference: partial.reference.clone(),
        time_request: partial.time_request.clone(),
        services,
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Register,
    Unregister,
    List,
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Action::Register => "REGISTER",
            Action::Unregister => "UNREGISTER",
            Action::List => "LIST",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegisterKind {
    Primary,
    Secondary,
    All,
}

impl RegisterKind {
    pub fn name(self) -> &'static str {
        match self {
            RegisterKind::Primary => "PRIMARY",
            RegisterKind::Secondary => "SECONDARY",
            RegisterKind::All => "ALL",
        }
    }
}

/// A birth date as proof: `yyyy-mm-dd`, `yyyy-mm-00` or `yyyy-00-00`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IncompleteDate {
    pub year: i32,
    pub month: Option<u32>,
    pub day: Option<u32>,
}

impl IncompleteDate {
    pub fn parse(s: &str) -> Option<IncompleteDate> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let n = |r: std::ops::Range<usize>| s.get(r).and_then(|t| t.parse::<u32>().ok());
        let (year, month, day) = (n(0..4)?, n(5..7)?, n(8..10)?);
        let year = i32::try_from(year).ok()?;
        match (month, day) {
            (0, 0) => Some(IncompleteDate {
                year,
                month: None,
                day: None,
            }),
            (1..=12, 0) => Some(IncompleteDate {
                year,
                month: Some(month),
                day: None,
            }),
            _ => Date::from_ymd(year, month, day)
                .ok()
                .map(|_| IncompleteDate {
                    year,
                    month: Some(month),
                    day: Some(day),
                }),
        }
    }

    /// True when the date is compatible with the full date `d`.
    pub fn admits(&self, d: Date) -> bool {
        let (y, m, dd) = d.ymd();
        self.year == y && self.month.is_none_or(|x| x == m) && self.day.is_none_or(|x| x == dd)
    }
}

impl std::fmt::Display for IncompleteDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}",
            self.year,
            self.month.unwrap_or(0),
            self.day.unwrap_or(0)
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonData {
    pub last_name: String,
    pub first_name: Option<String>,
    pub birth_date: IncompleteDate,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Proof {
    pub sis_card: Option<String>,
    pub identity_card: Option<String>,
    pub person: Option<PersonData>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManageAccessRequest {
    pub ssin: String,
    /// The quality code as sent (an integer).
    pub purpose: Option<i64>,
    pub start: Date,
    pub end: Option<Date>,
    pub action: Action,
    pub query_register: Option<RegisterKind>,
    pub proof: Proof,
}

const MA_PATH: &str = "ServiceRequest/ManageAccessRequest";

fn date(text: &str, path: &str) -> Result<Date, Detail> {
    Date::parse_xsd(text).map_err(|e| malformed(path, e))
}

pub fn read_manage_access(el: &Element) -> Result<ManageAccessRequest, Detail> {
    if !el.is(MANAGE_ACCESS_NS, "ManageAccessRequest") {
        return Err(malformed(
            "ServiceRequest",
            format!(
                "{} is not {{{MANAGE_ACCESS_NS}}}ManageAccessRequest",
                el.expanded_name()
            ),
        ));
    }
    let ns = MANAGE_ACCESS_NS;
    let mut s = Seq::of(el, MA_PATH)?;
    let ssin = s.required_text(ns, "SSIN")?;
    if !is_digits(&ssin, 11) {
        return Err(malformed(&format!("{MA_PATH}/SSIN"), "expected 11 digits"));
    }
    let purpose = match s.text(ns, "Purpose")? {
        Some(p) => Some(
            p.parse::<i64>()
                .map_err(|_| malformed(&format!("{MA_PATH}/Purpose"), "expected an integer"))?,
        ),
        None => None,
    };
    let period = s.required(ns, "Period")?;
    let period_path = format!("{MA_PATH}/Period");
    let mut p = Seq::of(period, &period_path)?;
    let start = date(
        &p.required_text(COMMON_NS, "StartDate")?,
        &format!("{period_path}/StartDate"),
    )?;
    let end = match p.text(COMMON_NS, "EndDate")? {
        Some(t) => Some(date(&t, &format!("{period_path}/EndDate"))?),
        None => None,
    };
    p.finish()?;
    let action = match s.required_text(ns, "Action")?.as_str() {
        "REGISTER" => Action::Register,
        "UNREGISTER" => Action::Unregister,
        "LIST" => Action::List,
        other => {
            return Err(malformed(
                &format!("{MA_PATH}/Action"),
                format!("{other:?} is not REGISTER, UNREGISTER or LIST"),
            ));
        }
    };
    if let Some(sector) = s.text(ns, "Sector")?
        && sector.parse::<i64>().is_err()
    {
        return Err(malformed(
            &format!("{MA_PATH}/Sector"),
            "expected an integer",
        ));
    }
    let query_register = match s.text(ns, "QueryRegister")?.as_deref() {
        None => None,
        Some("PRIMARY") => Some(RegisterKind::Primary),
        Some("SECONDARY") => Some(RegisterKind::Secondary),
        Some("ALL") => Some(RegisterKind::All),
        Some(other) => {
            return Err(malformed(
                &format!("{MA_PATH}/QueryRegister"),
                format!("{other:?} is not PRIMARY, SECONDARY or ALL"),
            ));
        }
    };
    let proof_el = s.required(ns, "ProofOfAuthentication")?;
    let proof_path = format!("{MA_PATH}/ProofOfAuthentication");
    let mut pr = Seq::of(proof_el, &proof_path)?;
    let sis_card = pr.text(ns, "SISCardNumber")?;
    if sis_card.as_deref().is_some_and(|c| !is_digits(c, 10)) {
        return Err(malformed(
            &format!("{proof_path}/SISCardNumber"),
            "expected 10 digits",
        ));
    }
    let identity_card = pr.text(ns, "IdentityCardNumber")?;
    if identity_card.as_deref().is_some_and(|c| !is_digits(c, 12)) {
        return Err(malformed(
            &format!("{proof_path}/IdentityCardNumber"),
            "expected 12 digits",
        ));
    }
    let person = match pr.optional(ns, "PersonData") {
        None => None,
        Some(pd) => {
            let pd_path = format!("{proof_path}/PersonData");
            let mut d = Seq::of(pd, &pd_path)?;
            let last_name = d.required_text(ns, "LastName")?;
            let first_name = d.text(ns, "FirstName")?;
            let birth = d.required_text(ns, "BirthDate")?;
            d.finish()?;
            let birth_date = IncompleteDate::parse(&birth).ok_or_else(|| {
                malformed(
                    &format!("{pd_path}/BirthDate"),
                    format!("{birth:?} is not yyyy-mm-dd, yyyy-mm-00 or yyyy-00-00"),
                )
            })?;
            Some(PersonData {
                last_name,
                first_name,
                birth_date,
            })
        }
    };
    pr.finish()?;
    s.finish()?;
    Ok(ManageAccessRequest {
        ssin,
        purpose,
        start,
        end,
        action,
        query_register,
        proof: Proof {
            sis_card,
            identity_card,
            person,
        },
    })
}

/// One inscription in a ManageAccess reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Registration {
    pub purpose: u8,
    pub start: Date,
    pub end: Option<Date>,
    /// The INS code of the CPAS that holds it.
    pub org_unit: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManageAccessReply {
    pub original: ManageAccessRequest,
    pub registrations: Vec<Registration>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceReply {
    pub details: Vec<Detail>,
    pub service_id: String,
    pub version: String,
    pub manage_access: Option<ManageAccessReply>,
}

/// Everything the reply's context says.
pub struct ReplyContext<'a> {
    pub details: Vec<Detail>,
    pub partial: &'a Partial,
    pub ticket: String,
    pub time_receive: String,
    pub time_response: String,
}

/// `ok` and `ReturnCode` from the details: the most severe wins.
fn summary(details: &[Detail]) -> (&'static str, &'static str) {
    if details.iter().any(|d| d.severity == Severity::Error) {
        ("NO", "10000")
    } else if details.is_empty() {
        ("YES", "0")
    } else {
        ("WARNING", "1")
    }
}

fn write_summary(w: &mut XmlWriter, details: &[Detail]) {
    let (ok, code) = summary(details);
    w.raw(&format!("<c:ResultSummary ok=\"{ok}\">"))
        .leaf("c:ReturnCode", code);
    for d in details.iter().take(30) {
        w.open("c:Detail")
            .leaf(
                "c:Severity",
                match d.severity {
                    Severity::Warning => "WARNING",
                    Severity::Error => "ERROR",
                },
            )
            .leaf("c:ReasonCode", d.reason_code)
            .leaf("c:Diagnostic", &d.diagnostic)
            .leaf("c:AuthorCodeList", "CBSS");
        for (field, value) in d.information.iter().take(5) {
            w.open("c:Information")
                .leaf("c:FieldName", field)
                .leaf("c:FieldValue", value)
                .close("c:Information");
        }
        w.close("c:Detail");
    }
    w.close("c:ResultSummary");
}

fn write_period(w: &mut XmlWriter, start: Date, end: Option<Date>) {
    w.open("ma:Period")
        .leaf("c:StartDate", &start.to_string())
        .leaf_opt("c:EndDate", end.map(|e| e.to_string()).as_deref())
        .close("ma:Period");
}

/// The `SSDNReply` document.
pub fn write_reply(ctx: &ReplyContext<'_>, services: &[ServiceReply]) -> String {
    let mut w = XmlWriter::with_capacity(2048);
    w.raw("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>");
    // Service elements in the default namespace, as the network writes them.
    w.raw(&format!(
        "<SSDNReply xmlns=\"{SERVICE_NS}\" xmlns:c=\"{COMMON_NS}\" xmlns:ma=\"{MANAGE_ACCESS_NS}\">"
    ));
    w.open("ReplyContext");
    // The reply's summary is the worst of the services' and its own.
    let mut all: Vec<Detail> = ctx.details.clone();
    let worst = services
        .iter()
        .flat_map(|s| s.details.iter())
        .find(|d| d.severity == Severity::Error)
        .or_else(|| services.iter().flat_map(|s| s.details.iter()).next());
    if ctx.details.is_empty()
        && let Some(d) = worst
    {
        all.push(d.clone());
    }
    write_summary(&mut w, &all);
    if let Some(u) = &ctx.partial.user {
        w.open("AuthorizedUser")
            .leaf("UserID", &u.user_id)
            .leaf("Email", &u.email)
            .leaf_opt("OrgUnit", u.org_unit.as_deref())
            .leaf("MatrixID", &u.matrix_id)
            .leaf_opt("MatrixSubID", u.matrix_sub_id.as_deref())
            .close("AuthorizedUser");
    }
    w.open("Message")
        .leaf_opt("Reference", ctx.partial.reference.as_deref())
        .leaf("Ticket", &ctx.ticket)
        .leaf_opt("TimeRequest", ctx.partial.time_request.as_deref())
        .leaf("TimeReceive", &ctx.time_receive)
        .leaf("TimeResponse", &ctx.time_response)
        .close("Message");
    w.close("ReplyContext");
    for s in services {
        w.open("ServiceReply");
        write_summary(&mut w, &s.details);
        w.leaf("ServiceId", &s.service_id)
            .leaf("Version", &s.version);
        if let Some(ma) = &s.manage_access {
            let o = &ma.original;
            w.open("ma:ManageAccessReply")
                .open("ma:OriginalRequest")
                .leaf("ma:SSIN", &o.ssin)
                // Mandatory in the reply even for a LIST without one: 0 then.
                .leaf("ma:Purpose", &o.purpose.unwrap_or(0).to_string());
            write_period(&mut w, o.start, o.end);
            w.leaf("ma:Action", o.action.name());
            if o.action == Action::List {
                w.leaf(
                    "ma:Register",
                    o.query_register.unwrap_or(RegisterKind::All).name(),
                );
            }
            w.close("ma:OriginalRequest");
            for r in &ma.registrations {
                w.open("ma:Registrations")
                    .leaf("ma:Purpose", &r.purpose.to_string());
                write_period(&mut w, r.start, r.end);
                w.leaf("ma:OrgUnit", &r.org_unit)
                    .leaf("ma:Register", "SECONDARY")
                    .close("ma:Registrations");
            }
            w.close("ma:ManageAccessReply");
        }
        w.close("ServiceReply");
    }
    w.close("SSDNReply");
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incomplete_birth_dates_admit_what_they_leave_open() {
        let d = |s| Date::parse_xsd(s).unwrap();
        let full = IncompleteDate::parse("1968-06-01").unwrap();
        assert!(full.admits(d("1968-06-01")) && !full.admits(d("1968-06-02")));
        let month = IncompleteDate::parse("1968-06-00").unwrap();
        assert!(month.admits(d("1968-06-30")) && !month.admits(d("1968-07-01")));
        let year = IncompleteDate::parse("1968-00-00").unwrap();
        assert!(year.admits(d("1968-12-31")));
        for bad in [
            "1968-00-05",
            "1968-13-00",
            "1968-02-30",
            "68-06-01",
            "1968/06/01",
        ] {
            assert!(IncompleteDate::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn every_reason_code_is_documented_for_clients() {
        let readme = include_str!("../../README.md");
        for code in reason::ALL {
            assert!(
                readme.contains(&format!("| {code} |")),
                "{code} not in README"
            );
        }
    }

    #[test]
    fn ssdn_times_have_no_separators() {
        assert_eq!(ssdn_time(0), "19700101T000000");
        assert!(is_ssdn_time(&ssdn_time(1_764_000_000_123)));
    }
}
