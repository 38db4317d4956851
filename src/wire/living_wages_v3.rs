//! LivingWages V3 on the wire: V2's consultations as three operations with a region
//! filter, and `getLivingWages` answering per right what a receiver of notifications
//! needs to reconcile: the decision, its attestation, its last change, its suspension
//! and whether a withdrawal took days of it.

use super::common::{
    CbssFault, Children, InformationCbss, InformationCustomer, InvalidField, RequestHead, Status,
    operation_of, read_legal_context, write_period,
};
use super::living_wages_v2::Criteria;
use super::xml::{Element, XmlWriter};
use crate::domain::date::format_utc_timestamp;
use crate::domain::decision::Suspension;
use crate::domain::{CbeNumber, Date, InsCode, Period, Region, RightKind};

pub const INTF_NS: &str = "urn:bcss-gateway:intf:LivingWagesService:v3";
pub const PATH: &str = "/SOA4520/LivingWagesService/v3/consult";
pub const FAULT_ELEMENT: &str = "livingWagesFault";
const SOAP_ACTION_BASE: &str = "urn:bcss-gateway:LivingWagesService:v3/";

pub use super::common::RequestError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operation {
    GetLivingWagePeriods,
    GetLivingWagePeriodsPerPcsa,
    GetLivingWages,
}

impl Operation {
    const ALL: [Operation; 3] = [
        Operation::GetLivingWagePeriods,
        Operation::GetLivingWagePeriodsPerPcsa,
        Operation::GetLivingWages,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Operation::GetLivingWagePeriods => "getLivingWagePeriods",
            Operation::GetLivingWagePeriodsPerPcsa => "getLivingWagePeriodsPerPCSA",
            Operation::GetLivingWages => "getLivingWages",
        }
    }
}

/// Which PCSAs count: all of them (BELGIUM, the default) or one region's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RegionFilter {
    #[default]
    Belgium,
    Only(Region),
}

impl RegionFilter {
    pub fn wire_name(self) -> &'static str {
        match self {
            RegionFilter::Belgium => "BELGIUM",
            RegionFilter::Only(r) => r.code(),
        }
    }

    fn parse(text: &str) -> Option<RegionFilter> {
        Some(match text {
            "BELGIUM" => RegionFilter::Belgium,
            "FLANDERS" => RegionFilter::Only(Region::Flanders),
            "WALLONIA" => RegionFilter::Only(Region::Wallonia),
            "BRUSSELS" => RegionFilter::Only(Region::Brussels),
            _ => return None,
        })
    }

    pub fn admits(self, region: Region) -> bool {
        match self {
            RegionFilter::Belgium => true,
            RegionFilter::Only(r) => r == region,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub operation: Operation,
    pub information_customer: InformationCustomer,
    pub legal_context: String,
    pub criteria: Criteria,
    /// As sent: the echo leaves out what the client left out.
    pub region: Option<RegionFilter>,
}

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

pub fn read_request(el: &Element) -> Result<Request, RequestError> {
    let name = operation_of(el, INTF_NS, &Operation::ALL.map(Operation::name))?;
    let operation = Operation::ALL
        .into_iter()
        .find(|op| op.name() == name)
        .ok_or_else(|| RequestError::UnknownOperation(el.local.to_string()))?;
    let mut c = Children::of(el, "")?;
    let information_customer =
        InformationCustomer::read(c.required("informationCustomer")?, "informationCustomer")?;
    c.optional("informationCBSS")?;
    let (lc, lc_path) = c.required_text("legalContext")?;
    let legal_context = read_legal_context(lc, &lc_path)?;
    let mut cr = Children::of(c.required("criteria")?, "criteria")?;
    c.finish()?;
    let criteria = Criteria::read(&mut cr)?;
    let region = match cr.optional_text("region")? {
        None => None,
        Some((text, path)) => Some(RegionFilter::parse(text).ok_or_else(|| {
            InvalidField::new(
                path,
                Some(text),
                "expected BELGIUM, FLANDERS, WALLONIA or BRUSSELS",
            )
        })?),
    };
    cr.finish()?;
    Ok(Request {
        operation,
        information_customer,
        legal_context,
        criteria,
        region,
    })
}

/// The periods of right of one PCSA.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PcsaPeriods {
    pub cbe: CbeNumber,
    pub ins: InsCode,
    pub periods: Vec<Period>,
}

/// The decision behind a right: absent for a right the register holds from before it
/// kept decisions (loaded whole rather than sent as forms).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub decision_date: Date,
    pub attestation: String,
    pub changed_at_ms: i64,
    pub suspension: Option<Suspension>,
}

/// The days a withdrawal took from a right inside the requested period, and the
/// form C that did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WithdrawnDays {
    pub days: Period,
    pub attestation: String,
    pub decision_date: Date,
}

/// One right as getLivingWages answers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RightRecord {
    pub cbe: CbeNumber,
    pub ins: InsCode,
    pub kind: RightKind,
    /// Its days in force inside the requested period.
    pub period: Option<Period>,
    pub decision: Option<Decision>,
    /// Set when the right was withdrawn in the requested period.
    pub withdrawn: Option<WithdrawnDays>,
}

/// The data part of an answer; its shape follows the operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    Nothing,
    Periods(Vec<Period>),
    PerPcsa(Vec<PcsaPeriods>),
    Rights(Vec<RightRecord>),
}

impl Answer {
    /// Whether there is data to answer (MSG00000) or none (MSG00100).
    pub fn found(&self) -> bool {
        match self {
            Answer::Nothing => false,
            Answer::Periods(p) => !p.is_empty(),
            Answer::PerPcsa(g) => !g.is_empty(),
            Answer::Rights(r) => !r.is_empty(),
        }
    }
}

fn write_pcsa(w: &mut XmlWriter, cbe: &CbeNumber, ins: &InsCode) {
    w.open("pcsa")
        .leaf("cbeNumber", cbe.as_str())
        .leaf("insCode", ins.as_str());
}

pub fn write_response(
    w: &mut XmlWriter,
    request: &Request,
    cbss: &InformationCbss,
    status: &Status,
    answer: &Answer,
) {
    let name = format!("lw:{}Response", request.operation.name());
    w.open_ns(&name, &[("lw", INTF_NS)]);
    request.information_customer.write(w);
    cbss.write(w);
    w.leaf("legalContext", &request.legal_context);
    w.open("criteria");
    request.criteria.write(w);
    if let Some(region) = request.region {
        w.leaf("region", region.wire_name());
    }
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
                write_pcsa(w, &g.cbe, &g.ins);
                for p in &g.periods {
                    write_period(w, "livingWagePeriod", p);
                }
                w.close("pcsa");
            }
        }
        Answer::Rights(rights) => {
            for r in rights {
                write_right(w, r);
            }
        }
    }
    w.close(&name);
}

fn write_right(w: &mut XmlWriter, r: &RightRecord) {
    w.open("right");
    write_pcsa(w, &r.cbe, &r.ins);
    w.close("pcsa").leaf("kind", r.kind.wire_name());
    if let Some(p) = &r.period {
        write_period(w, "period", p);
    }
    if let Some(d) = &r.decision {
        w.leaf("decisionDate", &d.decision_date.to_string())
            .leaf("attestation", &d.attestation)
            .leaf("lastModification", &format_utc_timestamp(d.changed_at_ms))
            .leaf(
                "suspensionCode",
                &d.suspension.map_or(0, Suspension::code).to_string(),
            );
    }
    w.leaf(
        "state",
        if r.withdrawn.is_some() {
            "WITHDRAWN"
        } else {
            "CURRENT"
        },
    );
    if let Some(wd) = &r.withdrawn {
        w.open("withdrawal");
        write_period(w, "period", &wd.days);
        w.leaf("decisionDate", &wd.decision_date.to_string())
            .leaf("attestation", &wd.attestation)
            .close("withdrawal");
    }
    w.close("right");
}

pub fn write_fault(w: &mut XmlWriter, fault: &CbssFault) {
    fault.write(w, FAULT_ELEMENT, INTF_NS);
}
