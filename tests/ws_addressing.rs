//! WS-Addressing over real TLS: the headers clients add are understood (also with
//! `mustUnderstand="1"`), `wsa:Action` must name the body's operation, and the answer
//! (or fault) relates to the request's `MessageID`, in the client's WS-Addressing.

mod support;

use support::{Call, Gateway, INTF_NS, SOAP11, SOAP12, texts_of};

const WSA: &str = "http://www.w3.org/2005/08/addressing";
const WSA_2004: &str = "http://schemas.xmlsoap.org/ws/2004/08/addressing";
const ANONYMOUS: &str = "http://www.w3.org/2005/08/addressing/anonymous";
const GET_LIVING_WAGES: &str = "http://kszbcss.fgov.be/LivingWagesService/getLivingWages";

/// A request whose header holds `header` (with `a` bound to `wsa` and `s` to the
/// envelope's namespace).
fn addressed(soap: &str, wsa: &str, header: &str, payload: &str) -> String {
    format!(
        "<s:Envelope xmlns:s=\"{soap}\" xmlns:a=\"{wsa}\"><s:Header>{header}</s:Header>\
         <s:Body>{payload}</s:Body></s:Envelope>"
    )
}

/// The headers JAX-WS and WCF send, each marked mustUnderstand.
fn headers(action: &str, message_id: &str, to: &str) -> String {
    format!(
        "<a:Action s:mustUnderstand=\"1\">{action}</a:Action>\
         <a:MessageID>{message_id}</a:MessageID>\
         <a:To s:mustUnderstand=\"1\">{to}</a:To>\
         <a:ReplyTo><a:Address>{ANONYMOUS}</a:Address></a:ReplyTo>"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_addressed_request_gets_an_answer_that_relates_to_it() {
    let gw = Gateway::start().await;
    let onem = gw.cbe("onem");
    let call = Call::new("getLivingWages", &onem, &gw.ssins.two_pcsas);
    let to = format!("https://localhost:{}{}", gw.addr.port(), support::PATH);
    let response_action = format!("{INTF_NS}/LivingWagesPortType/getLivingWagesResponse");
    // Its SOAPAction, and the action of its input by the metadata's default pattern.
    for action in [
        GET_LIVING_WAGES.to_owned(),
        format!("{INTF_NS}/LivingWagesPortType/getLivingWagesRequest"),
    ] {
        let id = "urn:uuid:5b0a1c2e-0000-4000-8000-000000000001";
        let body = addressed(SOAP11, WSA, &headers(&action, id, &to), &call.payload());
        let r = gw.basic("onem").soap(&body).await;
        assert_eq!(
            (r.status, r.status_code().as_str()),
            (200, "MSG00000"),
            "{}",
            r.body
        );
        assert_eq!(r.texts_of("RelatesTo"), [id], "{}", r.body);
        assert_eq!(r.texts_of("Action"), [response_action.as_str()]);
        let ticket = r.text_of("ticketCBSS").unwrap_or_default();
        assert_eq!(r.texts_of("MessageID"), [format!("urn:uuid:{ticket}")]);
        assert!(
            r.body.contains(&format!("xmlns:wsa=\"{WSA}\"")),
            "{}",
            r.body
        );
    }
    // SOAP 1.2 and the 2004/08 submission: answered in the same.
    let id = "uuid:42";
    let body = addressed(
        SOAP12,
        WSA_2004,
        &format!("<a:Action>{GET_LIVING_WAGES}</a:Action><a:MessageID>{id}</a:MessageID>"),
        &call.payload(),
    );
    let r = gw.basic("onem").soap(&body).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.texts_of("RelatesTo"), [id]);
    assert!(
        r.body.contains(&format!("xmlns:wsa=\"{WSA_2004}\"")),
        "{}",
        r.body
    );
    // No addressing headers, no reply header.
    let r = gw.basic("onem").soap(&call.soap11()).await;
    assert!(!r.body.contains("Header"), "{}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_gateway_cannot_honour_is_an_addressing_fault() {
    let gw = Gateway::start().await;
    let onem = gw.cbe("onem");
    let payload = Call::new("getLivingWages", &onem, &gw.ssins.two_pcsas).payload();
    let id = "urn:uuid:1";
    let reply_to =
        |address: &str| format!("<a:ReplyTo><a:Address>{address}</a:Address></a:ReplyTo>");
    for (header, subcode, second, says) in [
        (
            format!(
                "<a:Action>http://kszbcss.fgov.be/LivingWagesService/getLivingWagePeriods</a:Action>\
                 <a:MessageID>{id}</a:MessageID>"
            ),
            "ActionNotSupported",
            None,
            "is not the operation getLivingWages",
        ),
        (
            format!("<a:MessageID>{id}</a:MessageID>"),
            "MessageAddressingHeaderRequired",
            None,
            "no wsa:Action",
        ),
        (
            format!(
                "<a:Action>{GET_LIVING_WAGES}</a:Action><a:MessageID>{id}</a:MessageID>{}",
                reply_to("https://client.example/replies")
            ),
            "InvalidAddressingHeader",
            Some("OnlyAnonymousAddressSupported"),
            "https://client.example/replies",
        ),
        (
            format!(
                "<a:Action>{GET_LIVING_WAGES}</a:Action><a:MessageID>{id}</a:MessageID>\
                 <a:MessageID>urn:uuid:2</a:MessageID>"
            ),
            "InvalidAddressingHeader",
            None,
            "appears twice",
        ),
    ] {
        // SOAP 1.1: the subcode is the faultcode.
        let r = gw
            .basic("onem")
            .soap(&addressed(SOAP11, WSA, &header, &payload))
            .await;
        assert_eq!(r.status, 500, "{}", r.body);
        assert_eq!(
            r.text_of("faultcode"),
            Some(format!("wsa:{subcode}")),
            "{}",
            r.body
        );
        assert!(
            r.text_of("faultstring").is_some_and(|s| s.contains(says)),
            "{}",
            r.body
        );
        assert!(!r.body.contains("livingWagesFault"), "{}", r.body);
        assert_eq!(
            r.texts_of("Action"),
            ["http://www.w3.org/2005/08/addressing/fault"],
            "{}",
            r.body
        );
        assert_eq!(r.texts_of("RelatesTo"), [id], "{}", r.body);
        // SOAP 1.2: subcodes of Sender, HTTP 400.
        let r = gw
            .basic("onem")
            .soap(&addressed(SOAP12, WSA, &header, &payload))
            .await;
        assert_eq!(r.status, 400, "{}", r.body);
        let mut values = vec!["soapenv:Sender".to_owned(), format!("wsa:{subcode}")];
        values.extend(second.map(|s| format!("wsa:{s}")));
        assert_eq!(texts_of(&r.body, "Value"), values, "{}", r.body);
    }
}

/// `mustUnderstand` addressing headers are understood whatever else the deployment
/// accepts; a header block of another namespace that must be understood is still
/// refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn addressing_is_understood_and_other_headers_are_not() {
    let gw = Gateway::start().await;
    let onem = gw.cbe("onem");
    let payload = Call::new("getLivingWages", &onem, &gw.ssins.no_right).payload();
    let header = format!(
        "{}<x:Trace xmlns:x=\"urn:tracing\" s:mustUnderstand=\"1\"/>",
        headers(GET_LIVING_WAGES, "urn:uuid:7", "urn:anywhere")
    );
    let r = gw
        .basic("onem")
        .soap(&addressed(SOAP11, WSA, &header, &payload))
        .await;
    assert_eq!(
        r.text_of("faultcode").as_deref(),
        Some("soapenv:MustUnderstand")
    );
    assert!(r.body.contains("{urn:tracing}Trace"), "{}", r.body);
    assert_eq!(r.texts_of("RelatesTo"), Vec::<String>::new(), "{}", r.body);
    let r = gw
        .basic("onem")
        .soap(&addressed(
            SOAP11,
            WSA,
            &headers(GET_LIVING_WAGES, "urn:uuid:7", "urn:anywhere"),
            &payload,
        ))
        .await;
    assert_eq!(r.status_code(), "MSG00100", "{}", r.body);
}
