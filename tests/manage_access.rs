//! ManageAccess over the old-style connector: a CPAS registers, lists and unregisters
//! inscriptions with real `sendXML` calls over TLS; every SSDNReply is validated
//! against the real SSDN schemas.

// Test helpers, outside #[test] functions, may stop the test on a failed setup.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::{Gateway, SOAP11, envelope, texts_of, validate_ssdn_reply};

const PATH: &str = "/connectors/webservice/KSZBCSSWebServiceConnectorPort";
const WSC: &str = "http://ksz-bcss.fgov.be/connectors/WebServiceConnector";

/// A ManageAccessRequest as CPAS software sends it.
struct Request<'a> {
    org_unit: &'a str,
    ssin: &'a str,
    purpose: Option<u8>,
    start: &'a str,
    end: Option<&'a str>,
    action: &'a str,
    proof: String,
}

impl<'a> Request<'a> {
    fn new(org_unit: &'a str, ssin: &'a str, action: &'a str) -> Self {
        Request {
            org_unit,
            ssin,
            purpose: Some(2),
            start: "2024-01-01",
            end: None,
            action,
            // Marie Dubois, born 12 April 1978: the day left open, as CPAS software does.
            proof: "<ma:PersonData><ma:LastName>DUBOIS</ma:LastName><ma:BirthDate>1978-04-00</ma:BirthDate></ma:PersonData>".into(),
        }
    }

    fn document(&self) -> String {
        let purpose = self
            .purpose
            .map(|p| format!("<ma:Purpose>{p}</ma:Purpose>"))
            .unwrap_or_default();
        let end = self
            .end
            .map(|e| format!("<c:EndDate>{e}</c:EndDate>"))
            .unwrap_or_default();
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
             <SSDNRequest xmlns=\"http://www.ksz-bcss.fgov.be/XSD/SSDN/Service\" \
               xmlns:ma=\"http://www.ksz-bcss.fgov.be/XSD/SSDN/OCMW_CPAS/ManageAccess\" \
               xmlns:c=\"http://www.ksz-bcss.fgov.be/XSD/SSDN/Common\">\
             <RequestContext><AuthorizedUser><UserID>00901234567</UserID><Email>social@cpas.example</Email>\
             <OrgUnit>{}</OrgUnit><MatrixID>17</MatrixID><MatrixSubID>1</MatrixSubID></AuthorizedUser>\
             <Message><Reference>MA-1</Reference><TimeRequest>20261122T080000</TimeRequest></Message></RequestContext>\
             <ServiceRequest><ServiceId>OCMWCPASManageAccess</ServiceId><Version>20050930</Version>\
             <ma:ManageAccessRequest><ma:SSIN>{}</ma:SSIN>{purpose}<ma:Period><c:StartDate>{}</c:StartDate>{end}</ma:Period>\
             <ma:Action>{}</ma:Action><ma:Sector>17</ma:Sector><ma:QueryRegister>SECONDARY</ma:QueryRegister>\
             <ma:ProofOfAuthentication>{}</ma:ProofOfAuthentication></ma:ManageAccessRequest></ServiceRequest></SSDNRequest>",
            self.org_unit, self.ssin, self.start, self.action, self.proof
        )
    }
}

/// Sends the document in a CDATA section and returns the SSDNReply, validated.
async fn send(gw: &Gateway, key: &str, document: &str) -> String {
    let body = envelope(
        SOAP11,
        &format!("<wsc:xmlString xmlns:wsc=\"{WSC}\"><![CDATA[{document}]]></wsc:xmlString>"),
    );
    let reply = gw.basic(key).soap_at(PATH, &body).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let inner = texts_of(&reply.body, "xmlString")
        .pop()
        .unwrap_or_else(|| panic!("no xmlString in {}", reply.body));
    validate_ssdn_reply(&inner);
    inner
}

fn return_codes(reply: &str) -> Vec<String> {
    texts_of(reply, "ReturnCode")
}

/// (start, end) of each registration in a reply: the last periods of the reply (the
/// original request's comes first).
fn registrations(reply: &str) -> Vec<(String, String)> {
    let n = reply.matches("<ma:Registrations>").count();
    let starts = texts_of(reply, "StartDate");
    let ends = texts_of(reply, "EndDate");
    starts[starts.len() - n..]
        .iter()
        .cloned()
        .zip(ends[ends.len() - n..].iter().cloned())
        .collect()
}

/// The CPAS de Liège's inscriptions of a person in the store.
fn liege_inscriptions(gw: &Gateway, ssin: &str) -> usize {
    let ssin = bcss_gateway::domain::Ssin::parse(ssin).unwrap();
    let liege = gw.cbe("cpas-liege");
    gw.store
        .person_file(&ssin)
        .unwrap()
        .inscriptions
        .iter()
        .filter(|i| i.institution.as_str() == liege)
        .count()
}

#[tokio::test]
async fn a_cpas_registers_lists_and_unregisters_an_inscription() {
    let gw = Gateway::start().await;
    let liege = gw.cbe("cpas-liege");
    let marie = gw.ssins.no_right.clone();

    let mut register = Request::new(&liege, &marie, "REGISTER");
    register.end = Some("2024-06-30");
    let reply = send(&gw, "cpas-liege", &register.document()).await;
    assert_eq!(return_codes(&reply), ["0", "0"], "{reply}");
    assert_eq!(
        texts_of(&reply, "OrgUnit").last().map(String::as_str),
        Some("62063")
    );
    assert_eq!(texts_of(&reply, "Reference"), ["MA-1"]);
    assert_eq!(texts_of(&reply, "Ticket").len(), 1);

    // A period that touches the first is joined with it.
    let mut more = Request::new(&liege, &marie, "REGISTER");
    more.start = "2024-07-01";
    more.end = Some("2024-12-31");
    let reply = send(&gw, "cpas-liege", &more.document()).await;
    assert_eq!(
        registrations(&reply),
        [("2024-01-01".into(), "2024-12-31".into())]
    );

    // Cutting out March leaves two inscriptions.
    let mut cut = Request::new(&liege, &marie, "UNREGISTER");
    cut.start = "2024-03-01";
    cut.end = Some("2024-03-31");
    let reply = send(&gw, "cpas-liege", &cut.document()).await;
    assert_eq!(return_codes(&reply), ["0", "0"], "{reply}");

    // Any CPAS lists them (Gent here), and they are in the register for consultations.
    let gent = gw.cbe("ocmw-gent");
    let mut list = Request::new(&gent, &marie, "LIST");
    list.purpose = None;
    let reply = send(&gw, "ocmw-gent", &list.document()).await;
    assert_eq!(
        registrations(&reply),
        [
            ("2024-01-01".into(), "2024-02-29".into()),
            ("2024-04-01".into(), "2024-12-31".into())
        ],
        "{reply}"
    );
    assert_eq!(liege_inscriptions(&gw, &marie), 2);

    // Unregistering what is not there says so and changes nothing.
    let mut nothing = Request::new(&liege, &marie, "UNREGISTER");
    nothing.start = "2030-01-01";
    let reply = send(&gw, "cpas-liege", &nothing.document()).await;
    assert_eq!(return_codes(&reply), ["10000", "10000"]);
    assert_eq!(texts_of(&reply, "ReasonCode"), ["90000109", "90000109"]);
    assert_eq!(liege_inscriptions(&gw, &marie), 2);
}

#[tokio::test]
async fn the_proof_of_authentication_must_match_the_person() {
    let gw = Gateway::start().await;
    let liege = gw.cbe("cpas-liege");
    let marie = gw.ssins.no_right.clone();
    let mut wrong = Request::new(&liege, &marie, "REGISTER");
    wrong.proof = "<ma:PersonData><ma:LastName>DUPONT</ma:LastName><ma:BirthDate>1978-04-12</ma:BirthDate></ma:PersonData>".into();
    let reply = send(&gw, "cpas-liege", &wrong.document()).await;
    assert_eq!(return_codes(&reply), ["10000", "10000"]);
    assert_eq!(texts_of(&reply, "ReasonCode")[0], "90000108");
    assert_eq!(texts_of(&reply, "FieldName"), ["LastName", "LastName"]);
    let mut born_later = Request::new(&liege, &marie, "REGISTER");
    born_later.proof = "<ma:PersonData><ma:LastName>Dubois</ma:LastName><ma:BirthDate>1978-05-00</ma:BirthDate></ma:PersonData>".into();
    let reply = send(&gw, "cpas-liege", &born_later.document()).await;
    assert_eq!(texts_of(&reply, "ReasonCode")[0], "90000108");
    assert_eq!(liege_inscriptions(&gw, &marie), 0);

    // A card number cannot be checked here: accepted with a warning.
    let mut card = Request::new(&liege, &marie, "REGISTER");
    card.proof = "<ma:IdentityCardNumber>591234567890</ma:IdentityCardNumber>".into();
    let reply = send(&gw, "cpas-liege", &card.document()).await;
    assert_eq!(return_codes(&reply), ["1", "1"], "{reply}");
    assert_eq!(texts_of(&reply, "ReasonCode")[0], "90000111");
    // No proof at all is the network's "mandatory argument" error.
    let mut none = Request::new(&liege, &marie, "REGISTER");
    none.proof = String::new();
    let reply = send(&gw, "cpas-liege", &none.document()).await;
    assert_eq!(texts_of(&reply, "ReasonCode")[0], "31000007");
}

#[tokio::test]
async fn requests_the_register_cannot_serve_are_answered_with_their_reason() {
    let gw = Gateway::start().await;
    let liege = gw.cbe("cpas-liege");
    // Not a CPAS.
    let onem = gw.cbe("onem");
    let reply = send(
        &gw,
        "onem",
        &Request::new(&onem, &gw.ssins.no_right, "LIST").document(),
    )
    .await;
    assert_eq!(return_codes(&reply), ["10000"]);
    assert_eq!(texts_of(&reply, "ReasonCode"), ["90000103"]);
    // In another CPAS's name.
    let reply = send(
        &gw,
        "cpas-liege",
        &Request::new(&gw.cbe("ocmw-gent"), &gw.ssins.no_right, "LIST").document(),
    )
    .await;
    assert_eq!(texts_of(&reply, "ReasonCode"), ["90000103"]);
    // A replaced number names its successor.
    let mut replaced = Request::new(&liege, &gw.ssins.replaced, "REGISTER");
    replaced.proof = "<ma:PersonData><ma:LastName>Claes</ma:LastName><ma:BirthDate>1985-00-00</ma:BirthDate></ma:PersonData>".into();
    let reply = send(&gw, "cpas-liege", &replaced.document()).await;
    assert_eq!(texts_of(&reply, "ReasonCode")[0], "90000106");
    assert!(
        texts_of(&reply, "FieldValue").contains(&gw.ssins.replacing),
        "{reply}"
    );
    // Not an SSDNRequest at all.
    let reply = send(&gw, "cpas-liege", "<hello/>").await;
    assert_eq!(texts_of(&reply, "ReasonCode"), ["90000101"]);
    // REGISTER without a quality code.
    let mut no_purpose = Request::new(&liege, &gw.ssins.no_right, "REGISTER");
    no_purpose.purpose = None;
    let reply = send(&gw, "cpas-liege", &no_purpose.document()).await;
    assert_eq!(texts_of(&reply, "ReasonCode")[0], "31000007");
}

#[tokio::test]
async fn the_connector_publishes_its_wsdl_and_faults_on_a_foreign_payload() {
    let gw = Gateway::start().await;
    let wsdl = gw.basic("cpas-liege").get(&format!("{PATH}?wsdl")).await;
    assert_eq!(wsdl.status, 200);
    assert!(wsdl.body.contains("sendXML"));
    assert!(
        wsdl.body
            .contains(&format!("https://127.0.0.1:{}{PATH}", gw.addr.port()))
            || wsdl.body.contains(PATH)
    );
    let reply = gw
        .basic("cpas-liege")
        .soap_at(PATH, &envelope(SOAP11, "<other xmlns=\"urn:x\"/>"))
        .await;
    assert_eq!(reply.status, 500);
    assert!(reply.body.contains("xmlString"), "{}", reply.body);
}

/// `demo.json` says what a CPAS's software needs to call ManageAccess as a tester
/// would: the CPAS's CBE number and INS code, and each person's names and birth date,
/// which are the proof the register checks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_json_gives_the_proof_manage_access_asks_for() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (mut child, addr) = support::demo_binary(&data, &[]);
    let text = std::fs::read_to_string(data.join("demo.json")).unwrap();
    let manifest: bcss_gateway::demo::Manifest = serde_json::from_str(&text).unwrap();
    let cpas = manifest
        .institutions
        .iter()
        .find(|i| i.key == "cpas-liege")
        .unwrap();
    let pcsa = manifest
        .pcsas
        .iter()
        .find(|p| p.cbe_number == cpas.cbe_number)
        .unwrap_or_else(|| panic!("the CPAS is not among {:?}", manifest.pcsas));
    assert_eq!(pcsa.ins_code, "62063");
    let ca = std::fs::read_to_string(&manifest.ca_certificate).unwrap();
    let client = support::Client::external(addr, &ca).with_basic(&cpas.username, &cpas.password);
    let persons: Vec<_> = manifest
        .ssins
        .iter()
        .filter(|s| s.expected_status == "MSG00000")
        .collect();
    assert!(!persons.is_empty());
    for person in persons {
        let (Some(last), Some(born)) = (&person.last_name, &person.birth_date) else {
            panic!("no names or birth date for {}", person.ssin);
        };
        let mut request = Request::new(&cpas.cbe_number, &person.ssin, "REGISTER");
        request.proof = format!(
            "<ma:PersonData><ma:LastName>{last}</ma:LastName><ma:BirthDate>{born}</ma:BirthDate></ma:PersonData>"
        );
        let body = envelope(
            SOAP11,
            &format!(
                "<wsc:xmlString xmlns:wsc=\"{WSC}\"><![CDATA[{}]]></wsc:xmlString>",
                request.document()
            ),
        );
        let reply = client.soap_at(PATH, &body).await;
        let inner = texts_of(&reply.body, "xmlString").pop().unwrap();
        validate_ssdn_reply(&inner);
        assert_eq!(return_codes(&inner), ["0", "0"], "{}: {inner}", person.ssin);
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// What ONEM sees of `ssin` in 2024: V2's periods and V3's rights' states.
async fn onem_sees_2024(gw: &Gateway, ssin: &str) -> (Vec<String>, Vec<String>) {
    let (begin, end) = ("2024-01-01", "2024-12-31");
    let states = support::v3::onem_rights(gw, ssin, begin, end)
        .await
        .into_iter()
        .map(|r| format!("{} {}", r.period.unwrap_or_default(), r.state))
        .collect();
    (support::onem_periods(gw, ssin, begin, end).await, states)
}

#[tokio::test]
async fn a_withdrawal_ends_the_cpass_own_inscription_and_its_cancellation_restores_it() {
    use support::forms::{FormB, FormC};
    let gw = Gateway::start().await;
    let liege = gw.cbe("cpas-liege");
    let marie = gw.ssins.no_right.clone();
    // The CPAS inscribes Marie for the integration income (quality 2) and for guidance
    // (quality 9), from 2024 without end.
    for quality in [2, 9] {
        let mut register = Request::new(&liege, &marie, "REGISTER");
        register.purpose = Some(quality);
        let reply = send(&gw, "cpas-liege", &register.document()).await;
        assert_eq!(return_codes(&reply), ["0", "0"], "{reply}");
    }
    let cpas = gw.basic("cpas-liege");
    let grant = FormB::new(&liege, &marie, "2024-01-01", 12).envelope(&liege);
    let reply = cpas.soap_at(support::PD_PATH, &grant).await;
    assert_eq!(
        reply.text_of("outcome").as_deref(),
        Some("ACCEPTED"),
        "{}",
        reply.body
    );
    // « la désintègre au niveau de la banque carrefour »: withdrawn from 15 April.
    let withdrawal = FormC::withdrawal(&liege, &marie, "2024-04-15");
    let reply = cpas.soap_at(support::PD_PATH, &withdrawal.envelope()).await;
    assert_eq!(
        reply.text_of("outcome").as_deref(),
        Some("ACCEPTED"),
        "{}",
        reply.body
    );

    let listed = |quality: u8| {
        let mut list = Request::new(&liege, &marie, "LIST");
        list.purpose = Some(quality);
        list.document()
    };
    let reply = send(&gw, "cpas-liege", &listed(2)).await;
    assert_eq!(
        registrations(&reply),
        [("2024-01-01".into(), "2024-04-14".into())],
        "{reply}"
    );
    // Guidance is another file of the CPAS: it stays open.
    let ssin = bcss_gateway::domain::Ssin::parse(&marie).unwrap();
    let guidance: Vec<_> = gw
        .store
        .person_file(&ssin)
        .unwrap()
        .inscriptions
        .iter()
        .filter(|i| i.institution.as_str() == liege && i.quality.code() == 9)
        .map(|i| (i.period.begin().to_string(), i.period.end()))
        .collect();
    assert_eq!(guidance, [("2024-01-01".to_owned(), None)]);
    assert_eq!(
        onem_sees_2024(&gw, &marie).await,
        (
            vec!["2024-01-01..2024-04-14".into()],
            vec!["2024-01-01..2024-04-14 WITHDRAWN".into()]
        )
    );

    // Cancelled with status 9, the withdrawal « ne semble jamais avoir existé ».
    let cancel = FormC {
        status: 9,
        ..withdrawal
    };
    let reply = cpas.soap_at(support::PD_PATH, &cancel.envelope()).await;
    assert_eq!(
        reply.text_of("outcome").as_deref(),
        Some("ACCEPTED"),
        "{}",
        reply.body
    );
    let reply = send(&gw, "cpas-liege", &listed(2)).await;
    assert_eq!(
        registrations(&reply),
        [("2024-01-01".into(), "2024-12-31".into())],
        "{reply}"
    );
    assert_eq!(
        onem_sees_2024(&gw, &marie).await,
        (
            vec!["2024-01-01..2024-12-31".into()],
            vec!["2024-01-01..2024-12-31 CURRENT".into()]
        )
    );
}
