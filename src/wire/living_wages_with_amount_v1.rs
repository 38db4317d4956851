//! LivingWagesWithAmountService v1 on the wire: one operation,
//! `getLivingWagesWithAmount`, whose criteria are those of LivingWages (SSIN, period)
//! plus the aggregation and the person's role.

use super::common::{
    CbssFault, Children, InformationCbss, InformationCustomer, InvalidField, RequestHead, Status,
    operation_of, read_legal_context, write_period,
};
use super::living_wages_v2::Criteria;
use super::xml::{Element, XmlWriter};
use crate::domain::paid::{Aggregation, Role, Unit};
use crate::domain::{CbeNumber, InsCode, Ssin};

pub const INTF_NS: &str = "urn:bcss-gateway:intf:LivingWagesWithAmountService:v1";
pub const PATH: &str = "/SOA4520/LivingWagesWithAmountService/v1/consult";
pub const FAULT_ELEMENT: &str = "livingWagesWithAmountFault";
const OPERATION: &str = "getLivingWagesWithAmount";

pub use super::common::RequestError;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub information_customer: InformationCustomer,
    pub legal_context: String,
    pub criteria: Criteria,
    pub aggregation: Aggregation,
    pub role: Role,
}

impl Request {
    pub fn head(&self) -> RequestHead<'_> {
        RequestHead {
            operation: OPERATION,
            action_base: Some("urn:bcss-gateway:LivingWagesWithAmountService/"),
            customer: Some(&self.information_customer),
            legal_context: Some(&self.legal_context),
            ssin: Some(&self.criteria.ssin),
        }
    }
}

fn aggregation_name(a: Aggregation) -> &'static str {
    match a {
        Aggregation::Month => "MONTH",
        Aggregation::Year => "YEAR",
    }
}

fn role_name(r: Role) -> &'static str {
    match r {
        Role::PrimaryBeneficiary => "PRIMARY_BENEFICIARY",
        Role::Partner => "PARTNER",
    }
}

pub fn read_request(el: &Element) -> Result<Request, RequestError> {
    operation_of(el, INTF_NS, &[OPERATION])?;
    let mut c = Children::of(el, "")?;
    let information_customer =
        InformationCustomer::read(c.required("informationCustomer")?, "informationCustomer")?;
    c.optional("informationCBSS")?;
    let (lc, lc_path) = c.required_text("legalContext")?;
    let legal_context = read_legal_context(lc, &lc_path)?;
    let mut cr = Children::of(c.required("criteria")?, "criteria")?;
    c.finish()?;
    let criteria = Criteria::read(&mut cr)?;
    let (aggregation, path) = cr.required_text("aggregation")?;
    let aggregation = match aggregation {
        "MONTH" => Aggregation::Month,
        "YEAR" => Aggregation::Year,
        other => {
            return Err(InvalidField::new(path, Some(other), "expected MONTH or YEAR").into());
        }
    };
    let role = match cr.optional_text("role")? {
        None | Some(("PRIMARY_BENEFICIARY", _)) => Role::PrimaryBeneficiary,
        Some(("PARTNER", _)) => Role::Partner,
        Some((other, path)) => {
            return Err(InvalidField::new(
                path,
                Some(other),
                "expected PRIMARY_BENEFICIARY or PARTNER",
            )
            .into());
        }
    };
    cr.finish()?;
    Ok(Request {
        information_customer,
        legal_context,
        criteria,
        aggregation,
        role,
    })
}

/// One payment row as the answer writes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentRow {
    pub unit: Unit,
    pub allowance: &'static str,
    pub category: Option<char>,
    pub partner: Option<Ssin>,
    pub paid: crate::domain::Period,
    pub covers_whole_period: bool,
    pub amount: crate::domain::Amount,
    pub definitive: bool,
}

/// A PCSA's rows, in month (or year) order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PcsaPayments {
    pub cbe: CbeNumber,
    pub ins: InsCode,
    pub payments: Vec<PaymentRow>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Answer {
    pub pcsas: Vec<PcsaPayments>,
    pub last_month_is_last_paid: Option<bool>,
}

pub fn write_response(
    w: &mut XmlWriter,
    request: &Request,
    cbss: &InformationCbss,
    status: &Status,
    answer: &Answer,
) {
    let name = format!("lwa:{OPERATION}Response");
    w.open_ns(&name, &[("lwa", INTF_NS)]);
    request.information_customer.write(w);
    cbss.write(w);
    w.leaf("legalContext", &request.legal_context);
    w.open("criteria");
    request.criteria.write(w);
    w.leaf("aggregation", aggregation_name(request.aggregation))
        .leaf("role", role_name(request.role))
        .close("criteria");
    status.write(w);
    if !answer.pcsas.is_empty() {
        w.open("result");
        for pcsa in &answer.pcsas {
            w.open("pcsa")
                .leaf("cbeNumber", pcsa.cbe.as_str())
                .leaf("insCode", pcsa.ins.as_str());
            for p in &pcsa.payments {
                write_payment(w, p);
            }
            w.close("pcsa");
        }
        if let Some(last) = answer.last_month_is_last_paid {
            w.leaf("lastMonthIsLastPaid", if last { "true" } else { "false" });
        }
        w.close("result");
    }
    w.close(&name);
}

fn write_payment(w: &mut XmlWriter, p: &PaymentRow) {
    w.open("payment");
    match p.unit {
        Unit::Month(m) => w.leaf("month", &m.to_string()),
        Unit::Year(y) => w.leaf("year", &format!("{y:04}")),
    };
    w.leaf("allowanceType", p.allowance);
    if let Some(c) = p.category {
        w.leaf("category", c.encode_utf8(&mut [0; 4]));
    }
    if let Some(partner) = p.partner {
        w.leaf("partnerSsin", &partner.to_string());
    }
    write_period(w, "paidPeriod", &p.paid);
    w.leaf(
        "coversWholePeriod",
        if p.covers_whole_period {
            "true"
        } else {
            "false"
        },
    )
    .leaf("amount", &p.amount.to_string())
    .leaf("definitive", if p.definitive { "true" } else { "false" })
    .close("payment");
}

pub fn write_fault(w: &mut XmlWriter, fault: &CbssFault) {
    fault.write(w, FAULT_ELEMENT, INTF_NS);
}
