//! LivingWages V3 as a partner reads it: a request, its answer validated against the
//! schema, and each `<right>` as text.

use super::{Gateway, LW3_NS, LW3_PATH, Reply, SOAP11, envelope, validate_soap_reply};

pub const ONEM_CONTEXT: &str = "UNEMPLOYMENT:LIVING_WAGE_CHECK";

/// A V3 request: `operation`, the SSIN, the period and, when given, the region.
pub fn request(
    operation: &str,
    cbe: &str,
    ssin: &str,
    period: (&str, Option<&str>),
    region: Option<&str>,
) -> String {
    let end = period
        .1
        .map(|e| format!("<endDate>{e}</endDate>"))
        .unwrap_or_default();
    let region = region
        .map(|r| format!("<region>{r}</region>"))
        .unwrap_or_default();
    format!(
        "<lw:{operation}Request xmlns:lw=\"{LW3_NS}\">\
         <informationCustomer><customerIdentification><cbeNumber>{cbe}</cbeNumber></customerIdentification></informationCustomer>\
         <legalContext>{ONEM_CONTEXT}</legalContext>\
         <criteria><ssin>{ssin}</ssin><period><beginDate>{begin}</beginDate>{end}</period>{region}</criteria>\
         </lw:{operation}Request>",
        begin = period.0
    )
}

pub async fn ask(gw: &Gateway, key: &str, payload: &str) -> Reply {
    let reply = gw
        .basic(key)
        .soap_at(LW3_PATH, &envelope(SOAP11, payload))
        .await;
    validate_soap_reply(&reply.body);
    reply
}

/// One `<right>` of a getLivingWages answer, as text.
#[derive(Debug, PartialEq, Eq)]
pub struct RightSeen {
    pub ins: String,
    pub kind: String,
    pub period: Option<String>,
    pub decision_date: Option<String>,
    pub attestation: Option<String>,
    pub last_modification: Option<String>,
    pub suspension: Option<String>,
    pub state: String,
    /// (days, decision date, attestation) of the withdrawal.
    pub withdrawal: Option<(String, String, String)>,
}

fn first(xml: &str, local: &str) -> Option<String> {
    super::texts_of(xml, local).into_iter().next()
}

/// `begin..end` of the first `<period>` in `xml`.
fn period_in(xml: &str) -> Option<String> {
    let begin = first(xml, "beginDate")?;
    let end = first(xml, "endDate")?;
    Some(format!("{begin}..{end}"))
}

pub fn rights(reply: &Reply) -> Vec<RightSeen> {
    reply
        .body
        .split("<right>")
        .skip(1)
        .map(|chunk| {
            let right = chunk.split("</right>").next().unwrap_or_default();
            let (own, withdrawal) = match right.split_once("<withdrawal>") {
                Some((own, w)) => (own, Some(w)),
                None => (right, None),
            };
            let own_period = own.split_once("<period>").map(|(_, p)| p);
            RightSeen {
                ins: first(own, "insCode").unwrap_or_default(),
                kind: first(own, "kind").unwrap_or_default(),
                period: own_period.and_then(period_in),
                decision_date: first(own, "decisionDate"),
                attestation: first(own, "attestation"),
                last_modification: first(own, "lastModification"),
                suspension: first(own, "suspensionCode"),
                state: first(own, "state").unwrap_or_default(),
                withdrawal: withdrawal.map(|w| {
                    (
                        period_in(w).unwrap_or_default(),
                        first(w, "decisionDate").unwrap_or_default(),
                        first(w, "attestation").unwrap_or_default(),
                    )
                }),
            }
        })
        .collect()
}

/// The rights ONEM sees of `ssin` over [begin, end] in V3's getLivingWages.
pub async fn onem_rights(gw: &Gateway, ssin: &str, begin: &str, end: &str) -> Vec<RightSeen> {
    let onem = gw.cbe("onem");
    let reply = ask(
        gw,
        "onem",
        &request("getLivingWages", &onem, ssin, (begin, Some(end)), None),
    )
    .await;
    rights(&reply)
}
