//! PcsaDecisionService v1 on the wire: `sendFormB`, `sendFormC`, `sendFormD` and
//! `sendPayments`.
//!
//! The structure of a message (which elements, in which order) is the contract: a
//! message that breaks it gets a MSG00004 fault, like any other service. The values of
//! a form's rubrics are the CPAS's business: each one that cannot be read becomes an
//! error of the reply (code 900002, naming the rubric), together with every error the
//! rules find, so that the CPAS sees all of them at once.

use super::common::{
    CbssFault, Children, InformationCbss, InformationCustomer, InvalidField, RequestHead, Status,
};
use super::novaprima;
use super::xml::{Element, XmlWriter};
use std::ops::RangeInclusive;

use crate::domain::decision::measures::{self, at};
use crate::domain::decision::{
    Art60Employment, CStatus, Cohabitants, Duration, ErrorCode, Form, FormB, FormC, FormD,
    FormError, Income, Measures, Nature, PerPerson, Resource, Resources, Sender, Subsidies,
    Suspension, Who,
};
use crate::domain::{
    Amount, AmountType, Category, CbeNumber, Date, InsCode, Law, Month, PaymentLine, RightKind,
    Ssin,
};

pub const INTF_NS: &str = "urn:bcss-gateway:intf:PcsaDecisionService:v1";
pub const PATH: &str = "/SOA4520/PcsaDecisionService/v1";
pub const FAULT_ELEMENT: &str = "pcsaDecisionFault";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    SendFormB,
    SendFormC,
    SendFormD,
    SendPayments,
}

impl Operation {
    pub fn name(self) -> &'static str {
        match self {
            Operation::SendFormB => "sendFormB",
            Operation::SendFormC => "sendFormC",
            Operation::SendFormD => "sendFormD",
            Operation::SendPayments => "sendPayments",
        }
    }

    fn response_element(self) -> &'static str {
        match self {
            Operation::SendFormB => "sendFormBResponse",
            Operation::SendFormC => "sendFormCResponse",
            Operation::SendFormD => "sendFormDResponse",
            Operation::SendPayments => "sendPaymentsResponse",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub operation: Operation,
    pub information_customer: InformationCustomer,
    pub submission: Submission,
    /// The reference as sent, echoed even when the form is refused.
    pub reference: Option<String>,
    /// The SSIN as sent, for the audit trail (a statement has many).
    pub ssin: Option<String>,
}

impl Request {
    pub fn head(&self) -> RequestHead<'_> {
        RequestHead {
            operation: self.operation.name(),
            action_base: Some("urn:bcss-gateway:PcsaDecisionService/"),
            customer: Some(&self.information_customer),
            legal_context: None,
            ssin: self.ssin.as_deref(),
        }
    }
}

/// What the CPAS sends: a form or a statement of payments, or every value that could
/// not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Submission {
    Form(Result<Form, Vec<FormError>>),
    Payments(Result<Statement, Vec<FormError>>),
}

/// A CPAS's monthly statement of payments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    pub ins: InsCode,
    pub month: Month,
    pub lines: Vec<PaymentLine>,
}

pub use super::common::RequestError;

/// Reads rubric values, keeping an error for each one that cannot be read.
#[derive(Default)]
struct Values {
    errors: Vec<FormError>,
}

impl Values {
    fn read<T>(
        &mut self,
        field: &'static str,
        text: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        match parse(text) {
            Ok(v) => Some(v),
            Err(reason) => {
                self.errors.push(FormError::new(
                    ErrorCode::Invalid,
                    field,
                    format!("{text:?} is not a valid {field}: {reason}"),
                ));
                None
            }
        }
    }

    fn date(&mut self, field: &'static str, text: &str) -> Option<Date> {
        self.read(field, text, |t| {
            Date::parse_xsd(t).map_err(|e| e.to_string())
        })
    }

    fn ssin(&mut self, field: &'static str, text: &str) -> Option<Ssin> {
        self.read(field, text, |t| Ssin::parse(t).map_err(|e| e.to_string()))
    }

    fn code(&mut self, field: &'static str, text: &str, allowed: &[u8]) -> Option<u8> {
        self.read(field, text, |t| match t.parse::<u8>() {
            Ok(n) if allowed.contains(&n) => Ok(n),
            _ => Err(format!("expected one of {allowed:?}")),
        })
    }

    fn number(&mut self, field: &'static str, text: &str) -> Option<u16> {
        self.read(field, text, |t| {
            t.parse::<u16>()
                .map_err(|_| "expected a whole number from 0 to 65535".to_owned())
        })
    }

    fn boolean(&mut self, field: &'static str, text: &str) -> Option<bool> {
        self.read(field, text, |t| match t {
            "true" | "1" => Ok(true),
            "false" | "0" => Ok(false),
            _ => Err("expected true or false".to_owned()),
        })
    }

    fn amount(&mut self, field: &'static str, text: &str) -> Option<Amount> {
        self.read(field, text, |t| Amount::parse(t).map_err(|e| e.to_string()))
    }

    /// An optional amount: `Some(None)` when absent, `None` when it cannot be read.
    fn optional_amount(
        &mut self,
        c: &mut Children<'_>,
        local: &str,
        field: &'static str,
    ) -> Result<Option<Option<Amount>>, InvalidField> {
        Ok(match c.optional_text(local)? {
            Some((t, _)) => self.amount(field, t).map(Some),
            None => Some(None),
        })
    }

    /// An optional code of a list: `Some(None)` when absent, `None` when invalid.
    fn optional_code(
        &mut self,
        c: &mut Children<'_>,
        local: &str,
        field: &'static str,
        (valid, expected): (impl Fn(u8) -> bool, &str),
    ) -> Result<Option<Option<u8>>, InvalidField> {
        Ok(match c.optional_text(local)? {
            Some((t, _)) => self
                .read(field, t, |t| {
                    t.parse::<u8>()
                        .ok()
                        .filter(|n| valid(*n))
                        .ok_or_else(|| format!("expected {expected}"))
                })
                .map(Some),
            None => Some(None),
        })
    }
}

/// The code lists of rubrics 21–25, with how an error describes them.
fn in_range(range: RangeInclusive<u8>, expected: &str) -> (impl Fn(u8) -> bool, &str) {
    (move |n| range.contains(&n), expected)
}

/// Rubric 21 of one person.
fn read_art60(
    el: &Element,
    who: Who,
    v: &mut Values,
) -> Result<Option<Art60Employment>, InvalidField> {
    let mut c = Children::of(el, format!("formB/{}/art60Employment", who.element()))?;
    let employment_type = v.optional_code(
        &mut c,
        "employmentType",
        at!(who, "", "art60Employment/employmentType"),
        in_range(measures::EMPLOYMENT_TYPES, "a code from 1 to 8"),
    )?;
    let work_schedule = v.optional_code(
        &mut c,
        "workSchedule",
        at!(who, "", "art60Employment/workSchedule"),
        in_range(measures::WORK_SCHEDULES, "a code from 1 to 3"),
    )?;
    let occupation_rate = v.optional_code(
        &mut c,
        "occupationRate",
        at!(who, "", "art60Employment/occupationRate"),
        in_range(measures::OCCUPATION_RATES, "a percentage from 10 to 100"),
    )?;
    let workplace = v.optional_code(
        &mut c,
        "workplace",
        at!(who, "", "art60Employment/workplace"),
        in_range(measures::WORKPLACES, "a code from 01 to 21"),
    )?;
    let initiative = match c.optional_text("initiative")? {
        Some((t, _)) => v
            .read(at!(who, "", "art60Employment/initiative"), t, |t| {
                if t.is_empty() || t.chars().count() > 10 {
                    Err("expected 1 to 10 characters".to_owned())
                } else {
                    Ok(t.to_owned())
                }
            })
            .map(Some),
        None => Some(None),
    };
    c.finish()?;
    Ok((|| {
        Some(Art60Employment {
            employment_type: employment_type?,
            work_schedule: work_schedule?,
            occupation_rate: occupation_rate?,
            workplace: workplace?,
            initiative: initiative?,
        })
    })())
}

/// Rubrics 21–25 and 31–33 of one person (`beneficiary` or `partner`).
fn read_person(
    el: &Element,
    who: Who,
    v: &mut Values,
) -> Result<Option<(Measures, Income)>, InvalidField> {
    let mut c = Children::of(el, format!("formB/{}", who.element()))?;
    let art60 = match c.optional("art60Employment")? {
        Some(a) => read_art60(a, who, v)?.map(Some),
        None => Some(None),
    };
    let socio_professional_integration = v.optional_code(
        &mut c,
        "socioProfessionalIntegration",
        at!(who, "", "socioProfessionalIntegration"),
        in_range(measures::SOCIO_PROFESSIONAL, "a code from 1 to 9"),
    )?;
    let integration_project = v.optional_code(
        &mut c,
        "integrationProject",
        at!(who, "", "integrationProject"),
        (
            measures::is_integration_project,
            "a code from 1 to 12 or 15 to 20",
        ),
    )?;
    let activation = v.optional_code(
        &mut c,
        "activation",
        at!(who, "", "activation"),
        in_range(measures::ACTIVATIONS, "a code from 01 to 19"),
    )?;
    let partnership_convention = v.optional_code(
        &mut c,
        "partnershipConvention",
        at!(who, "", "partnershipConvention"),
        in_range(measures::PARTNERSHIP_CONVENTIONS, "1 or 2"),
    )?;
    let professional = v.optional_amount(
        &mut c,
        "professionalIncome",
        at!(who, "", "professionalIncome"),
    )?;
    let art35 = v.optional_amount(
        &mut c,
        "professionalIncomeArt35",
        at!(who, "", "professionalIncomeArt35"),
    )?;
    let artistic = v.optional_amount(&mut c, "artisticIncome", at!(who, "", "artisticIncome"))?;
    c.finish()?;
    Ok((|| {
        Some((
            Measures {
                art60: art60?,
                socio_professional_integration: socio_professional_integration?,
                integration_project: integration_project?,
                activation: activation?,
                partnership_convention: partnership_convention?,
                subsidies: Subsidies::default(),
            },
            Income {
                professional: professional?,
                art35: art35?,
                artistic: artistic?,
            },
        ))
    })())
}

/// Rubrics 34–41 and 42, as `Resources` holds them.
type OtherResources = (Vec<(Resource, Amount)>, Option<Cohabitants>);

/// Rubrics 34–42.
fn read_resources(el: &Element, v: &mut Values) -> Result<Option<OtherResources>, InvalidField> {
    let mut c = Children::of(el, "formB/resources")?;
    let mut amounts = Vec::new();
    let mut readable = true;
    let benefits = c.optional("benefits")?;
    let mut benefit_children = benefits
        .map(|b| Children::of(b, "formB/resources/benefits"))
        .transpose()?;
    for r in Resource::ALL {
        let from = match (&mut benefit_children, r.is_benefit()) {
            (Some(b), true) => b,
            (None, true) => continue,
            (_, false) => &mut c,
        };
        match v.optional_amount(from, r.element(), r.field())? {
            Some(Some(a)) => amounts.push((r, a)),
            Some(None) => {}
            None => readable = false,
        }
    }
    if let Some(b) = benefit_children {
        b.finish()?;
    }
    let cohabitants = match c.optional("cohabitants")? {
        None => Some(None),
        Some(el) => {
            let mut k = Children::of(el, "formB/resources/cohabitants")?;
            let resources =
                v.optional_amount(&mut k, "resources", "resources/cohabitants/resources")?;
            let mut count = |k: &mut Children<'_>, local: &str, field: &'static str| {
                v.optional_code(k, local, field, in_range(0..=99, "a number from 0 to 99"))
                    .map(|n| n.map(|n| n.unwrap_or(0)))
            };
            let category_a = count(
                &mut k,
                "categoryACount",
                "resources/cohabitants/categoryACount",
            )?;
            let category_e = count(
                &mut k,
                "categoryECount",
                "resources/cohabitants/categoryECount",
            )?;
            k.finish()?;
            (|| {
                Some(Some(Cohabitants {
                    resources: resources?,
                    category_a: category_a?,
                    category_e: category_e?,
                }))
            })()
        }
    };
    c.finish()?;
    Ok(cohabitants.filter(|_| readable).map(|k| (amounts, k)))
}

/// Rubrics 63–72.
fn read_subsidies(
    el: &Element,
    v: &mut Values,
) -> Result<Option<PerPerson<Subsidies>>, InvalidField> {
    let mut c = Children::of(el, "formB/subsidies")?;
    let mut one = |c: &mut Children<'_>, who: Who| -> Result<Option<Subsidies>, InvalidField> {
        let Some(el) = c.optional(who.element())? else {
            return Ok(Some(Subsidies::default()));
        };
        let mut s = Children::of(el, format!("formB/subsidies/{}", who.element()))?;
        let art60 = v.optional_amount(&mut s, "art60", at!(who, "subsidies/", "art60"))?;
        let art61 = v.optional_amount(&mut s, "art61", at!(who, "subsidies/", "art61"))?;
        let activation =
            v.optional_amount(&mut s, "activation", at!(who, "subsidies/", "activation"))?;
        let partnership_convention = v.optional_amount(
            &mut s,
            "partnershipConvention",
            at!(who, "subsidies/", "partnershipConvention"),
        )?;
        let alimony = v.optional_amount(&mut s, "alimony", at!(who, "subsidies/", "alimony"))?;
        s.finish()?;
        Ok((|| {
            Some(Subsidies {
                art60: art60?,
                art61: art61?,
                activation: activation?,
                partnership_convention: partnership_convention?,
                alimony: alimony?,
            })
        })())
    };
    let beneficiary = one(&mut c, Who::Beneficiary)?;
    let partner = one(&mut c, Who::Partner)?;
    c.finish()?;
    Ok((|| {
        Some(PerPerson {
            beneficiary: beneficiary?,
            partner: partner?,
        })
    })())
}

fn read_sender(
    el: &Element,
    path: &'static str,
    v: &mut Values,
) -> Result<Option<Sender>, InvalidField> {
    let mut c = Children::of(el, path)?;
    let (name, _) = c.required_text("name")?;
    let (ins, _) = c.required_text("insCode")?;
    let (cbe, _) = c.required_text("cbeNumber")?;
    c.finish()?;
    let name = v.read("pcsa/name", name, |t| {
        if t.is_empty() || t.chars().count() > 100 {
            Err("expected 1 to 100 characters".to_owned())
        } else {
            Ok(t.to_owned())
        }
    });
    let ins = v.read("pcsa/insCode", ins, |t| {
        InsCode::parse(t).map_err(|e| e.to_string())
    });
    let cbe = v.read("pcsa/cbeNumber", cbe, |t| {
        CbeNumber::parse(t).map_err(|e| e.to_string())
    });
    Ok(match (name, ins, cbe) {
        (Some(name), Some(ins), Some(cbe)) => Some(Sender { name, ins, cbe }),
        _ => None,
    })
}

fn read_form_b(
    el: &Element,
    v: &mut Values,
) -> Result<(Option<FormB>, Option<String>, String), InvalidField> {
    let mut c = Children::of(el, "formB")?;
    let sender = read_sender(c.required("pcsa")?, "formB/pcsa", v)?;
    let (ssin_text, _) = c.required_text("ssin")?;
    let ssin = v.ssin("ssin", ssin_text);
    let (kind, _) = c.required_text("kind")?;
    let kind = v.read("kind", kind, |t| {
        t.parse::<RightKind>().map_err(|e| e.to_string())
    });
    let (entry, _) = c.required_text("entryDate")?;
    let entry_date = v.date("entryDate", entry);
    let (category, _) = c.required_text("category")?;
    let category = v.read("category", category, |t| {
        t.parse::<Category>().map_err(|e| e.to_string())
    });
    let (situation, _) = c.required_text("realLifeSituation")?;
    let situation = v.read("realLifeSituation", situation, |t| match t.parse::<u8>() {
        Ok(n @ 1..=44) => Ok(n),
        _ => Err("expected a code from 1 to 44".to_owned()),
    });
    let (register, _) = c.required_text("nationalRegisterInscription")?;
    let national_register = v.code("nationalRegisterInscription", register, &[0, 1, 3]);
    let (homeless, _) = c.required_text("homeless")?;
    let homeless = v.boolean("homeless", homeless);
    let (grant, _) = c.required_text("studyGrant")?;
    let study_grant = v.code("studyGrant", grant, &[0, 1, 2, 3, 4, 5]);
    let partner = match c.optional_text("partnerSsin")? {
        Some((t, _)) => v.ssin("partnerSsin", t).map(Some),
        None => Some(None),
    };
    let person = |c: &mut Children<'_>, who: Who, v: &mut Values| {
        Ok::<_, InvalidField>(match c.optional(who.element())? {
            Some(el) => read_person(el, who, v)?,
            None => Some(Default::default()),
        })
    };
    let beneficiary = person(&mut c, Who::Beneficiary, v)?;
    let partner_rubrics = person(&mut c, Who::Partner, v)?;
    let resources = match c.optional("resources")? {
        Some(el) => read_resources(el, v)?,
        None => Some(Default::default()),
    };
    let duration_el = c.required("duration")?;
    let mut d = Children::of(duration_el, "formB/duration")?;
    let mut part = |d: &mut Children<'_>, name: &'static str, field: &'static str| {
        d.optional_text(name)
            .map(|t| t.map_or(Some(0), |(t, _)| v.number(field, t)))
    };
    let months = part(&mut d, "months", "duration/months")?;
    let weeks = part(&mut d, "weeks", "duration/weeks")?;
    let days = part(&mut d, "days", "duration/days")?;
    d.finish()?;
    let (decision, _) = c.required_text("decisionDate")?;
    let decision_date = v.date("decisionDate", decision);
    let annual_amount = v.optional_amount(&mut c, "annualAmount", "annualAmount")?;
    let installation_premium =
        v.optional_amount(&mut c, "installationPremium", "installationPremium")?;
    let subsidies = match c.optional("subsidies")? {
        Some(el) => read_subsidies(el, v)?,
        None => Some(PerPerson::default()),
    };
    let status = match c.optional_text("status")? {
        Some((t, _)) => v.code("status", t, &[0, 1]),
        None => Some(0),
    };
    let reference = c.optional_text("reference")?.map(|(t, _)| t.to_owned());
    let suspension = match c.optional_text("suspension")? {
        Some((t, _)) => v.read("suspension", t, |t| {
            t.parse::<u8>()
                .ok()
                .and_then(Suspension::from_code)
                .ok_or_else(|| "expected a code from 0 to 5".to_owned())
        }),
        None => Some(None),
    };
    let judgement = match c.optional_text("judgement")? {
        Some((t, _)) => v.boolean("judgement", t),
        None => Some(false),
    };
    c.finish()?;
    let form = (|| {
        Some(FormB {
            sender: sender?,
            ssin: ssin?,
            kind: kind?,
            entry_date: entry_date?,
            category: category?,
            situation: situation?,
            national_register: national_register?,
            homeless: homeless?,
            study_grant: study_grant?,
            partner: partner?,
            duration: Duration {
                months: months?,
                weeks: weeks?,
                days: days?,
            },
            decision_date: decision_date?,
            annual_amount: annual_amount?,
            installation_premium: installation_premium?,
            regularisation: status? == 1,
            reference: reference.clone(),
            suspension: suspension?,
            judgement: judgement?,
            measures: {
                let (mut beneficiary, _) = beneficiary.clone()?;
                let (mut partner, _) = partner_rubrics.clone()?;
                let subsidies = subsidies?;
                beneficiary.subsidies = subsidies.beneficiary;
                partner.subsidies = subsidies.partner;
                Box::new(PerPerson {
                    beneficiary,
                    partner,
                })
            },
            resources: {
                let (amounts, cohabitants) = resources?;
                Box::new(Resources {
                    income: PerPerson {
                        beneficiary: beneficiary?.1,
                        partner: partner_rubrics?.1,
                    },
                    amounts,
                    cohabitants,
                })
            },
        })
    })();
    Ok((form, reference, ssin_text.to_owned()))
}

fn read_form_c(
    el: &Element,
    v: &mut Values,
) -> Result<(Option<FormC>, Option<String>, String), InvalidField> {
    let mut c = Children::of(el, "formC")?;
    let sender = read_sender(c.required("pcsa")?, "formC/pcsa", v)?;
    let (ssin_text, _) = c.required_text("ssin")?;
    let ssin = v.ssin("ssin", ssin_text);
    let (entry, _) = c.required_text("entryDate")?;
    let entry_date = v.date("entryDate", entry);
    let (decision, _) = c.required_text("decisionDate")?;
    let decision_date = v.date("decisionDate", decision);
    let (nature, _) = c.required_text("nature")?;
    let nature = v.code("nature", nature, &[1, 2]).map(|n| {
        if n == 1 {
            Nature::Refusal
        } else {
            Nature::Withdrawal
        }
    });
    let effective_stop = match c.optional_text("effectiveStopDate")? {
        Some((t, _)) => v.date("effectiveStopDate", t).map(Some),
        None => Some(None),
    };
    let status = match c.optional_text("status")? {
        Some((t, _)) => v.code("status", t, &[0, 1, 9]).map(|s| match s {
            1 => CStatus::Regularisation,
            9 => CStatus::Withdrawal,
            _ => CStatus::New,
        }),
        None => Some(CStatus::New),
    };
    let reference = c.optional_text("reference")?.map(|(t, _)| t.to_owned());
    c.finish()?;
    let form = (|| {
        Some(FormC {
            sender: sender?,
            ssin: ssin?,
            entry_date: entry_date?,
            decision_date: decision_date?,
            nature: nature?,
            effective_stop: effective_stop?,
            status: status?,
            reference: reference.clone(),
        })
    })();
    Ok((form, reference, ssin_text.to_owned()))
}

fn read_form_d(
    el: &Element,
    v: &mut Values,
) -> Result<(Option<FormD>, Option<String>, String), InvalidField> {
    let mut c = Children::of(el, "formD")?;
    let sender = read_sender(c.required("pcsa")?, "formD/pcsa", v)?;
    let (ssin_text, _) = c.required_text("ssin")?;
    let ssin = v.ssin("ssin", ssin_text);
    let (month, _) = c.required_text("recoveryMonth")?;
    let recovery_month = v.read("recoveryMonth", month, |t| {
        Month::parse_xsd(t).map_err(|e| e.to_string())
    });
    let (sequence, _) = c.required_text("sequenceNumber")?;
    let sequence = v.number("sequenceNumber", sequence);
    let (recovery_type, _) = c.required_text("recoveryType")?;
    let recovery_type = v.read("recoveryType", recovery_type, |t| {
        match (t.len(), t.parse::<u8>()) {
            (2, Ok(n)) => Ok(n),
            _ => Err("expected a two-digit code".to_owned()),
        }
    });
    let (amount, _) = c.required_text("recoveredAmount")?;
    let amount = v.amount("recoveredAmount", amount);
    let (start, _) = c.required_text("periodStart")?;
    let period_start = v.date("periodStart", start);
    let (end, _) = c.required_text("periodEnd")?;
    let period_end = v.date("periodEnd", end);
    let status = match c.optional_text("status")? {
        Some((t, _)) => v.code("status", t, &[0, 1]),
        None => Some(0),
    };
    let reference = c.optional_text("reference")?.map(|(t, _)| t.to_owned());
    c.finish()?;
    let form = (|| {
        Some(FormD {
            sender: sender?,
            ssin: ssin?,
            recovery_month: recovery_month?,
            sequence: sequence?,
            recovery_type: recovery_type?,
            amount: amount?,
            period_start: period_start?,
            period_end: period_end?,
            regularisation: status? == 1,
            reference: reference.clone(),
        })
    })();
    Ok((form, reference, ssin_text.to_owned()))
}

/// A text of the statement padded to its fixed width.
fn fixed(v: &mut Values, field: &'static str, text: &str, width: usize) -> Option<String> {
    match novaprima::pad(text, width) {
        Ok(t) => Some(t),
        Err(reason) => {
            v.errors.push(FormError::new(
                ErrorCode::Invalid,
                field,
                format!("{text:?} {reason}"),
            ));
            None
        }
    }
}

fn read_statement(el: &Element, v: &mut Values) -> Result<Option<Statement>, InvalidField> {
    let mut c = Children::of(el, "statement")?;
    let (ins, _) = c.required_text("insCode")?;
    let ins = v.read("insCode", ins, |t| {
        InsCode::parse(t).map_err(|e| e.to_string())
    });
    let (month, _) = c.required_text("month")?;
    let month = v.read("month", month, |t| {
        Month::parse_xsd(t).map_err(|e| e.to_string())
    });
    let mut lines = Vec::new();
    let mut complete = true;
    let mut number = 0u32;
    while let Some(p) = c.optional("payment")? {
        number += 1;
        let before = v.errors.len();
        let line = read_payment(p, v, ins, month)?;
        for e in &mut v.errors[before..] {
            e.line = Some(number);
        }
        match line {
            Some(l) => lines.push(l),
            None => complete = false,
        }
    }
    if number == 0 {
        return Err(InvalidField::new(
            "statement/payment",
            None,
            "a statement has at least one payment",
        ));
    }
    c.finish()?;
    Ok(match (ins, month, complete) {
        (Some(ins), Some(month), true) => Some(Statement { ins, month, lines }),
        _ => None,
    })
}

fn read_payment(
    el: &Element,
    v: &mut Values,
    ins: Option<InsCode>,
    month: Option<Month>,
) -> Result<Option<PaymentLine>, InvalidField> {
    let mut c = Children::of(el, "statement/payment")?;
    let (law, _) = c.required_text("law")?;
    let law = v.read("law", law, |t| {
        let mut chars = t.chars();
        match (chars.next().and_then(Law::from_code), chars.next()) {
            (Some(l), None) => Ok(l),
            _ => Err("expected 1, 2 or 6".into()),
        }
    });
    let (file_number, _) = c.required_text("fileNumber")?;
    let file_number = fixed(v, "fileNumber", file_number, 11);
    let suffix = c.optional_text("suffix")?.map_or("", |(t, _)| t);
    let suffix = fixed(v, "suffix", suffix, 2);
    let (ssin, _) = c.required_text("ssin")?;
    let ssin = v.ssin("ssin", ssin);
    let reference = c.optional_text("reference")?.map_or("", |(t, _)| t);
    let reference = fixed(v, "reference", reference, 12);
    let (amount_type, _) = c.required_text("amountType")?;
    let amount_type = v.read("amountType", amount_type, |t| {
        let mut chars = t.chars();
        match (chars.next().and_then(AmountType::from_code), chars.next()) {
            (Some(a), None) => Ok(a),
            _ => Err("expected a code from 1 to 6".into()),
        }
    });
    let (first, _) = c.required_text("firstDay")?;
    let first_day = v.date("firstDay", first);
    let (last, _) = c.required_text("lastDay")?;
    let last_day = v.date("lastDay", last);
    let (article, _) = c.required_text("budgetArticle")?;
    let article = v.read("budgetArticle", article, |t| match t.parse::<u16>() {
        Ok(n) if t.len() <= 6 => Ok(n),
        _ => Err("expected the article's number".into()),
    });
    let (amount, _) = c.required_text("amount")?;
    let amount = v.amount("amount", amount);
    let (category, _) = c.required_text("category")?;
    let category = v.read("category", category, |t| {
        let mut chars = t.chars();
        match (chars.next(), chars.next()) {
            (Some(ch), None) if !ch.is_control() => Ok(ch),
            _ => Err("expected one character".into()),
        }
    });
    let (last_name, _) = c.required_text("lastName")?;
    let last_name = fixed(v, "lastName", last_name, 30);
    let (first_name, _) = c.required_text("firstName")?;
    let first_name = fixed(v, "firstName", first_name, 20);
    let (concerned, _) = c.required_text("personConcerned")?;
    let concerned = fixed(v, "personConcerned", concerned, 2);
    let reference2 = c.optional_text("cbssReference")?.map_or("", |(t, _)| t);
    let reference2 = fixed(v, "cbssReference", reference2, 15);
    let (paid, _) = c.required_text("paidAmount")?;
    let paid = v.amount("paidAmount", paid);
    c.finish()?;
    for (field, a) in [("amount", amount), ("paidAmount", paid)] {
        if a.is_some_and(|a| !novaprima::fits(a)) {
            v.errors.push(FormError::new(
                ErrorCode::Invalid,
                field,
                "a statement holds at most 999999.99 per line",
            ));
        }
    }
    Ok((|| {
        let article = article?;
        Some(PaymentLine {
            law: law?,
            ins: ins?,
            statement: month?,
            file_number: file_number?,
            suffix: suffix?,
            ssin: ssin?,
            reference: reference?,
            amount_type: amount_type?,
            first_day: first_day?,
            last_day: last_day?,
            budget_article: novaprima::pad(&article.to_string(), 6).ok()?,
            article,
            amount: amount.filter(|a| novaprima::fits(*a))?,
            category: category?,
            last_name: last_name?,
            first_name: first_name?,
            concerned: concerned?,
            reference2: reference2?,
            paid: paid.filter(|a| novaprima::fits(*a))?,
        })
    })())
}

/// The element of `payment` that a statement field (as the register's checks name
/// it) is about.
pub fn payment_element(statement_field: &str) -> &'static str {
    match statement_field {
        "CPAS" => "insCode",
        "NNISS" => "ssin",
        "DPAY1STDAY" => "firstDay",
        "DPAYLSTDAY" => "lastDay",
        "Article budgétaire" => "budgetArticle",
        "Montant 100%" => "amount",
        "Catégorie" => "category",
        "Personne concernée" => "personConcerned",
        "Montant payé" => "paidAmount",
        _ => "payment",
    }
}

/// Reads one form element (`formB`, `formC` or `formD`) as the service does: the form,
/// or every rubric value that could not be read; an element out of place is an
/// `InvalidField`. World files' forms come through here, so that a world can hold no
/// form the service would read otherwise.
pub fn read_form(el: &Element) -> Result<Result<Form, Vec<FormError>>, InvalidField> {
    let mut values = Values::default();
    let form = match el.local.as_ref() {
        "formB" => read_form_b(el, &mut values)?.0.map(Form::B),
        "formC" => read_form_c(el, &mut values)?.0.map(Form::C),
        "formD" => read_form_d(el, &mut values)?.0.map(Form::D),
        other => {
            return Err(InvalidField::new(
                other.to_owned(),
                None,
                "expected formB, formC or formD",
            ));
        }
    };
    Ok(match form {
        Some(f) if values.errors.is_empty() => Ok(f),
        _ => Err(values.errors),
    })
}

pub fn read_request(payload: &Element) -> Result<Request, RequestError> {
    if payload.ns.as_deref() != Some(INTF_NS) {
        return Err(RequestError::WrongNamespace {
            element: payload.expanded_name(),
        });
    }
    let operation = match payload.local.as_ref() {
        "sendFormBRequest" => Operation::SendFormB,
        "sendFormCRequest" => Operation::SendFormC,
        "sendFormDRequest" => Operation::SendFormD,
        "sendPaymentsRequest" => Operation::SendPayments,
        other => return Err(RequestError::UnknownOperation(other.to_owned())),
    };
    let mut c = Children::of(payload, "")?;
    let information_customer =
        InformationCustomer::read(c.required("informationCustomer")?, "informationCustomer")?;
    let mut values = Values::default();
    let (form, reference, ssin) = match operation {
        Operation::SendFormB => {
            let (form, reference, ssin) = read_form_b(c.required("formB")?, &mut values)?;
            (form.map(Form::B), reference, Some(ssin))
        }
        Operation::SendFormC => {
            let (form, reference, ssin) = read_form_c(c.required("formC")?, &mut values)?;
            (form.map(Form::C), reference, Some(ssin))
        }
        Operation::SendFormD => {
            let (form, reference, ssin) = read_form_d(c.required("formD")?, &mut values)?;
            (form.map(Form::D), reference, Some(ssin))
        }
        Operation::SendPayments => {
            let statement = read_statement(c.required("statement")?, &mut values)?;
            c.finish()?;
            let submission = match statement {
                Some(s) if values.errors.is_empty() => Ok(s),
                _ => Err(values.errors),
            };
            return Ok(Request {
                operation,
                information_customer,
                submission: Submission::Payments(submission),
                reference: None,
                ssin: None,
            });
        }
    };
    c.finish()?;
    let form = match form {
        Some(f) if values.errors.is_empty() => Ok(f),
        _ => Err(values.errors),
    };
    Ok(Request {
        operation,
        information_customer,
        submission: Submission::Form(form),
        reference,
        ssin,
    })
}

/// What the register did with the form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FormResult {
    Accepted {
        attestation: String,
    },
    AlreadyRegistered {
        attestation: String,
    },
    Rejected {
        errors: Vec<FormError>,
    },
    /// A statement of payments was written, replacing `replaced` earlier lines.
    StatementWritten {
        lines: usize,
        replaced: usize,
    },
}

impl FormResult {
    /// For the audit trail.
    pub fn outcome(&self) -> &'static str {
        match self {
            FormResult::Accepted { .. } | FormResult::StatementWritten { .. } => "ACCEPTED",
            FormResult::AlreadyRegistered { .. } => "ALREADY_REGISTERED",
            FormResult::Rejected { .. } => "REJECTED",
        }
    }
}

pub fn write_response(
    w: &mut XmlWriter,
    request: &Request,
    cbss: &InformationCbss,
    status: &Status,
    result: Option<&FormResult>,
) {
    let name = format!("pd:{}", request.operation.response_element());
    w.open_ns(&name, &[("pd", INTF_NS)]);
    request.information_customer.write(w);
    cbss.write(w);
    status.write(w);
    if let Some(result) = result {
        w.open("result");
        let (attestation, errors) = match result {
            FormResult::Accepted { attestation }
            | FormResult::AlreadyRegistered { attestation } => (Some(attestation), &[][..]),
            FormResult::Rejected { errors } => (None, errors.as_slice()),
            FormResult::StatementWritten { .. } => (None, &[][..]),
        };
        w.leaf("outcome", result.outcome())
            .leaf_opt("attestation", attestation.map(String::as_str));
        if let FormResult::StatementWritten { lines, replaced } = result {
            w.leaf("lineCount", &lines.to_string())
                .leaf("replacedLineCount", &replaced.to_string());
        }
        // The reference is echoed as long as the contract can carry it.
        if let Some(r) = request
            .reference
            .as_deref()
            .filter(|r| r.chars().count() <= 12)
        {
            w.leaf("reference", r);
        }
        for e in errors {
            w.open("error").leaf("code", e.code.code());
            if let Some(line) = e.line {
                w.leaf("line", &line.to_string());
            }
            w.leaf("field", e.field)
                .leaf("message", &e.message)
                .close("error");
        }
        w.close("result");
    }
    w.close(&name);
}

pub fn write_fault(w: &mut XmlWriter, fault: &CbssFault) {
    fault.write(w, FAULT_ELEMENT, INTF_NS);
}
