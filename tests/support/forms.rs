//! Forms B and C as a CPAS sends them to PcsaDecisionService, in the CPAS de Liège's
//! name unless told otherwise: every rubric a test sets, the others at their defaults.

use super::{PD_NS, SOAP11, envelope};

pub const LIEGE_INS: &str = "62063";

pub struct FormB<'a> {
    pub cbe: &'a str,
    pub ins: &'a str,
    pub ssin: &'a str,
    pub entry: &'a str,
    pub months: u16,
    /// Days after the months (rubric 51), when not 0.
    pub days: u16,
    pub category: &'a str,
    pub situation: u8,
    pub study_grant: u8,
    pub partner: Option<&'a str>,
    pub decision: &'a str,
    pub reference: Option<&'a str>,
    pub annual_amount: Option<&'a str>,
    pub installation_premium: Option<&'a str>,
    /// Rubric 80: 0 new, 1 regularisation.
    pub status: u8,
    /// Rubric 82, when set.
    pub suspension: Option<u8>,
    /// Rubrics 21–42 as XML (`beneficiary`, `partner`, `resources`).
    pub rubrics: &'a str,
    /// Rubrics 63–72 as XML (`subsidies`).
    pub subsidies: &'a str,
}

impl<'a> FormB<'a> {
    pub fn new(cbe: &'a str, ssin: &'a str, entry: &'a str, months: u16) -> Self {
        FormB {
            cbe,
            ins: LIEGE_INS,
            ssin,
            entry,
            months,
            days: 0,
            category: "B",
            situation: 12,
            study_grant: 0,
            partner: None,
            decision: entry,
            reference: Some("DOS-2024-001"),
            annual_amount: None,
            installation_premium: None,
            status: 0,
            suspension: None,
            rubrics: "",
            subsidies: "",
        }
    }

    /// Category E: a couple living together, both with a study grant code.
    pub fn family(cbe: &'a str, ssin: &'a str, entry: &'a str, months: u16) -> Self {
        FormB {
            category: "E",
            situation: 28,
            study_grant: 2,
            partner: Some("87041200238"),
            ..FormB::new(cbe, ssin, entry, months)
        }
    }

    pub fn envelope(&self, caller: &str) -> String {
        let optional = |name: &str, value: Option<&str>| {
            value
                .map(|v| format!("<{name}>{v}</{name}>"))
                .unwrap_or_default()
        };
        let partner = optional("partnerSsin", self.partner);
        let annual = optional("annualAmount", self.annual_amount);
        let premium = optional("installationPremium", self.installation_premium);
        let status = format!("<status>{}</status>", self.status);
        let reference = optional("reference", self.reference);
        let count = |name: &str, n: u16| optional(name, (n > 0).then(|| n.to_string()).as_deref());
        let (months, days) = (count("months", self.months), count("days", self.days));
        let suspension = optional(
            "suspension",
            self.suspension.map(|s| s.to_string()).as_deref(),
        );
        envelope(
            SOAP11,
            &format!(
                "<pd:sendFormBRequest xmlns:pd=\"{PD_NS}\">\
                 <informationCustomer><customerIdentification><cbeNumber>{caller}</cbeNumber></customerIdentification></informationCustomer>\
                 <formB><pcsa><name>CPAS</name><insCode>{}</insCode><cbeNumber>{}</cbeNumber></pcsa>\
                 <ssin>{}</ssin><kind>LIVING_WAGE</kind><entryDate>{}</entryDate><category>{}</category>\
                 <realLifeSituation>{}</realLifeSituation><nationalRegisterInscription>0</nationalRegisterInscription>\
                 <homeless>false</homeless><studyGrant>{}</studyGrant>{partner}{}\
                 <duration>{months}{days}</duration><decisionDate>{}</decisionDate>{annual}{premium}{}\
                 {status}{reference}{suspension}</formB>\
                 </pd:sendFormBRequest>",
                self.ins,
                self.cbe,
                self.ssin,
                self.entry,
                self.category,
                self.situation,
                self.study_grant,
                self.rubrics,
                self.decision,
                self.subsidies
            ),
        )
    }
}

pub struct FormC<'a> {
    pub cbe: &'a str,
    pub ins: &'a str,
    pub ssin: &'a str,
    pub entry: &'a str,
    pub decision: &'a str,
    /// Rubric 12: 1 refusal, 2 withdrawal.
    pub nature: u8,
    /// Rubric 13, when set.
    pub effective_stop: Option<&'a str>,
    /// Rubric 21: 0 new, 1 regularisation, 9 withdrawal of a C.
    pub status: u8,
    pub reference: Option<&'a str>,
}

impl<'a> FormC<'a> {
    /// A withdrawal from `entry`, decided that day, sent by the PCSA `cbe` itself.
    pub fn withdrawal(cbe: &'a str, ssin: &'a str, entry: &'a str) -> Self {
        FormC {
            cbe,
            ins: LIEGE_INS,
            ssin,
            entry,
            decision: entry,
            nature: 2,
            effective_stop: None,
            status: 0,
            reference: None,
        }
    }

    /// The form as the PCSA itself sends it.
    pub fn envelope(&self) -> String {
        let stop = self
            .effective_stop
            .map(|d| format!("<effectiveStopDate>{d}</effectiveStopDate>"))
            .unwrap_or_default();
        let reference = self
            .reference
            .map(|r| format!("<reference>{r}</reference>"))
            .unwrap_or_default();
        envelope(
            SOAP11,
            &format!(
                "<pd:sendFormCRequest xmlns:pd=\"{PD_NS}\">\
                 <informationCustomer><customerIdentification><cbeNumber>{cbe}</cbeNumber></customerIdentification></informationCustomer>\
                 <formC><pcsa><name>CPAS</name><insCode>{ins}</insCode><cbeNumber>{cbe}</cbeNumber></pcsa>\
                 <ssin>{ssin}</ssin><entryDate>{entry}</entryDate><decisionDate>{decision}</decisionDate>\
                 <nature>{nature}</nature>{stop}<status>{status}</status>{reference}</formC></pd:sendFormCRequest>",
                cbe = self.cbe,
                ins = self.ins,
                ssin = self.ssin,
                entry = self.entry,
                decision = self.decision,
                nature = self.nature,
                status = self.status,
            ),
        )
    }
}

/// A three-month form B of the CPAS de Liège, with `reference`.
pub fn liege_form_b(cbe: &str, ssin: &str, entry: &str, reference: &str) -> String {
    FormB {
        reference: Some(reference),
        ..FormB::new(cbe, ssin, entry, 3)
    }
    .envelope(cbe)
}
