//! PcsaDecisionService v1 on the wire: `sendFormB`, `sendFormC`, `sendFormD` and
//! `sendPayments`.
//!
//! The structure of a message (which elements, in which order) is the contract: a
//! message that breaks it gets a MSG00004 fault, like any other service. The values of
//! a form's rubrics are the CPAS's business: each one that cannot be read becomes an
//! error of the reply (code 900002, naming the rubric), together with every error the
//! rules find, so that the CPAS sees all of them at once.

use super::common::{
    CbssFault, Children, InformationCbss, InformationCustomer, InvalidField, Status,
};
use super::novaprima;
use super::xml::{Element, XmlWriter};
use crate::domain::decision::{
    CStatus, Duration, ErrorCode, Form, FormB, FormC, FormD, FormError, Nature, Sender, Suspension,
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

    /// The WSDL's SOAPAction; an empty one (allowed by SOAP 1.1) matches any operation.
    pub fn soap_action_matches(self, action: &str) -> bool {
        action.is_empty()
            || action
                .strip_prefix("urn:bcss-gateway:PcsaDecisionService/")
                .is_some_and(|op| op == self.name())
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

#[derive(Debug, PartialEq, Eq)]
pub enum RequestError {
    UnknownOperation(String),
    WrongNamespace { element: String },
    Invalid(InvalidField),
}

impl From<InvalidField> for RequestError {
    fn from(f: InvalidField) -> Self {
        RequestError::Invalid(f)
    }
}

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
}

fn read_sender(el: &Element, path: &str, v: &mut Values) -> Result<Option<Sender>, InvalidField> {
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
    let annual_amount = match c.optional_text("annualAmount")? {
        Some((t, _)) => v.amount("annualAmount", t).map(Some),
        None => Some(None),
    };
    let installation_premium = match c.optional_text("installationPremium")? {
        Some((t, _)) => v.amount("installationPremium", t).map(Some),
        None => Some(None),
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

pub fn read_request(payload: &Element) -> Result<Request, RequestError> {
    if payload.ns.as_deref() != Some(INTF_NS) {
        return Err(RequestError::WrongNamespace {
            element: payload.expanded_name(),
        });
    }
    let operation = match payload.local.as_str() {
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
