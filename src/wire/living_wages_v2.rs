//! LivingWages V2 on the wire: the five operations, their requests and responses,
//! exactly as the public CBSS contract describes them.

use super::common::{
    CbssFault, Children, INVALID_SSIN, InformationCbss, InformationCustomer, InvalidField,
    RequestHead, Status, read_legal_context, write_period,
};
use super::xml::{Element, XmlWriter};
use crate::domain::{CbeNumber, Date, Period, RightKind, Ssin};

pub const INTF_NS: &str = "http://kszbcss.fgov.be/intf/LivingWagesService/v2";
pub const PATH: &str = "/SOA4520/LivingWagesService/v2/consult";
pub const FAULT_ELEMENT: &str = "livingWagesFault";
const SOAP_ACTION_BASE: &str = "http://kszbcss.fgov.be/LivingWagesService/";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operation {
    GetLivingWagePeriods,
    GetLivingWagePeriodsFlanders,
    GetLivingWagePeriodsPerPcsa,
    GetLivingWagePeriodsPerPcsaFlanders,
    GetLivingWages,
}

impl Operation {
    pub const ALL: [Operation; 5] = [
        Operation::GetLivingWagePeriods,
        Operation::GetLivingWagePeriodsFlanders,
        Operation::GetLivingWagePeriodsPerPcsa,
        Operation::GetLivingWagePeriodsPerPcsaFlanders,
        Operation::GetLivingWages,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Operation::GetLivingWagePeriods => "getLivingWagePeriods",
            Operation::GetLivingWagePeriodsFlanders => "getLivingWagePeriodsFlanders",
            Operation::GetLivingWagePeriodsPerPcsa => "getLivingWagePeriodsPerPCSA",
            Operation::GetLivingWagePeriodsPerPcsaFlanders => "getLivingWagePeriodsPerPCSAFlanders",
            Operation::GetLivingWages => "getLivingWages",
        }
    }

    fn request_element(self) -> &'static str {
        match self {
            Operation::GetLivingWagePeriods => "getLivingWagePeriodsRequest",
            Operation::GetLivingWagePeriodsFlanders => "getLivingWagePeriodsFlandersRequest",
            Operation::GetLivingWagePeriodsPerPcsa => "getLivingWagePeriodsPerPCSARequest",
            Operation::GetLivingWagePeriodsPerPcsaFlanders => {
                "getLivingWagePeriodsPerPCSAFlandersRequest"
            }
            Operation::GetLivingWages => "getLivingWagesRequest",
        }
    }

    fn response_element(self) -> &'static str {
        match self {
            Operation::GetLivingWagePeriods => "getLivingWagePeriodsResponse",
            Operation::GetLivingWagePeriodsFlanders => "getLivingWagePeriodsFlandersResponse",
            Operation::GetLivingWagePeriodsPerPcsa => "getLivingWagePeriodsPerPCSAResponse",
            Operation::GetLivingWagePeriodsPerPcsaFlanders => {
                "getLivingWagePeriodsPerPCSAFlandersResponse"
            }
            Operation::GetLivingWages => "getLivingWagesResponse",
        }
    }

    pub fn from_request_element(local: &str) -> Option<Operation> {
        Operation::ALL
            .into_iter()
            .find(|op| op.request_element() == local)
    }

    /// The "Flanders" operations only count PCSAs of the Flemish region.
    pub fn flanders_only(self) -> bool {
        matches!(
            self,
            Operation::GetLivingWagePeriodsFlanders
                | Operation::GetLivingWagePeriodsPerPcsaFlanders
        )
    }
}

/// The criteria as the client sent them: the SSIN is kept as text because its check
/// digits are a business outcome (MSG00011), not a contract violation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Criteria {
    pub ssin: String,
    pub begin: Date,
    pub end: Option<Date>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub operation: Operation,
    pub information_customer: InformationCustomer,
    pub legal_context: String,
    pub criteria: Criteria,
}

pub use super::common::RequestError;

impl Request {
    pub fn head(&self) -> RequestHead<'_> {
        RequestHead {
            operation: self.operation.name(),
            action_base: Some(SOAP_ACTION_BASE),
            customer: Some(&self.information_customer),
            legal_context: Some(&self.legal_context),
            ssin: Some(&self.criteria.ssin),
        }
    }
}

fn read_date(text: &str, path: &str) -> Result<Date, InvalidField> {
    Date::parse_xsd(text).map_err(|e| InvalidField::new(path, Some(text), e.to_string()))
}

pub fn read_request(payload: &Element) -> Result<Request, RequestError> {
    if payload.ns.as_deref() != Some(INTF_NS) {
        return Err(RequestError::WrongNamespace {
            element: payload.expanded_name(),
        });
    }
    let operation = Operation::from_request_element(&payload.local)
        .ok_or_else(|| RequestError::UnknownOperation(payload.local.to_string()))?;
    let mut c = Children::of(payload, "")?;
    let ic = c.required("informationCustomer")?;
    let information_customer = InformationCustomer::read(ic, "informationCustomer")?;
    // A client may echo an informationCBSS block; it carries nothing we act on.
    c.optional("informationCBSS")?;
    let (lc, lc_path) = c.required_text("legalContext")?;
    let legal_context = read_legal_context(lc, &lc_path)?;
    let criteria_el = c.required("criteria")?;
    c.finish()?;

    let mut cr = Children::of(criteria_el, "criteria")?;
    let criteria = Criteria::read(&mut cr)?;
    cr.finish()?;
    Ok(Request {
        operation,
        information_customer,
        legal_context,
        criteria,
    })
}

impl Criteria {
    /// Reads `ssin` and `period` from a criteria element (the shape every consultation
    /// of a person shares); the caller reads what follows.
    pub fn read(cr: &mut Children<'_>) -> Result<Criteria, RequestError> {
        let (ssin, ssin_path) = cr.required_text("ssin")?;
        if !Ssin::matches_xsd_pattern(ssin) {
            return Err(RequestError::Invalid(InvalidField {
                code: INVALID_SSIN,
                path: ssin_path,
                value: Some(ssin.to_owned()),
                reason: "an SSIN is 11 digits: birth date (YYMMDD, month +20 or +40 for bis numbers), serial, check digits".into(),
            }));
        }
        let mut p = Children::of(cr.required("period")?, "criteria/period")?;
        let (begin, begin_path) = p.required_text("beginDate")?;
        let begin = read_date(begin, &begin_path)?;
        let end = match p.optional_text("endDate")? {
            Some((end, end_path)) => Some(read_date(end, &end_path)?),
            None => None,
        };
        p.finish()?;
        Ok(Criteria {
            ssin: ssin.to_owned(),
            begin,
            end,
        })
    }

    /// Writes `ssin` and `period` inside an open criteria element.
    pub fn write(&self, w: &mut XmlWriter) {
        w.leaf("ssin", &self.ssin)
            .open("period")
            .leaf("beginDate", &self.begin.xsd());
        if let Some(end) = self.end {
            w.leaf("endDate", &end.xsd());
        }
        w.close("period");
    }
}

/// The periods of right of one PCSA.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PcsaPeriods {
    pub pcsa: CbeNumber,
    pub periods: Vec<Period>,
}

/// The periods of right of one PCSA for one kind of aid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LivingWage {
    pub pcsa: CbeNumber,
    pub kind: RightKind,
    pub periods: Vec<Period>,
}

/// The data part of an answer; its shape follows the operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    Nothing,
    Periods(Vec<Period>),
    PerPcsa(Vec<PcsaPeriods>),
    LivingWages(Vec<LivingWage>),
}

impl Answer {
    /// Whether there is data to answer (MSG00000) or none (MSG00100).
    pub fn found(&self) -> bool {
        match self {
            Answer::Nothing => false,
            Answer::Periods(p) => !p.is_empty(),
            Answer::PerPcsa(g) => !g.is_empty(),
            Answer::LivingWages(l) => !l.is_empty(),
        }
    }
}

pub fn write_response(
    w: &mut XmlWriter,
    request: &Request,
    cbss: &InformationCbss,
    status: &Status,
    answer: &Answer,
) {
    let name = request.operation.response_element();
    w.open_root("lw", name, INTF_NS);
    request.information_customer.write(w);
    cbss.write(w);
    w.leaf("legalContext", &request.legal_context);
    w.open("criteria");
    request.criteria.write(w);
    w.close("criteria");
    status.write(w);
    match answer {
        Answer::Nothing => {}
        Answer::Periods(periods) => {
            for p in periods {
                write_period(w, "livingWagePeriod", p);
            }
        }
        Answer::PerPcsa(groups) => {
            for g in groups {
                w.open("livingWagePeriodsPerPCSA")
                    .leaf("pcsaCbeNumber", g.pcsa.as_str());
                for p in &g.periods {
                    write_period(w, "livingWagePeriod", p);
                }
                w.close("livingWagePeriodsPerPCSA");
            }
        }
        Answer::LivingWages(wages) => {
            for lw in wages {
                w.open("livingWages")
                    .leaf("pcsaCbeNumber", lw.pcsa.as_str())
                    .leaf("category", lw.kind.wire_name());
                for p in &lw.periods {
                    write_period(w, "livingWagePeriod", p);
                }
                w.close("livingWages");
            }
        }
    }
    w.close_root("lw", name);
}

pub fn write_fault(w: &mut XmlWriter, fault: &CbssFault) {
    fault.write(w, FAULT_ELEMENT, INTF_NS);
}
