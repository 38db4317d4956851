//! TestConnectionService v1 over real TLS: the echo answers what it was sent, with a
//! ticket and the institution the gateway identified, whichever credential identified
//! it, under the identity rules of every service; answers validated against its schema.

mod support;

use support::{Gateway, SOAP11, SOAP12, TC_NS, TC_PATH, envelope};

fn test_message(cbe: &str, message: &str) -> String {
    format!(
        "<tc:sendTestMessageRequest xmlns:tc=\"{TC_NS}\"><informationCustomer>\
         <ticket>hello-1</ticket><timestampSent>2026-12-02T08:00:00+01:00</timestampSent>\
         <customerIdentification><cbeNumber>{cbe}</cbeNumber></customerIdentification>\
         </informationCustomer><message>{message}</message></tc:sendTestMessageRequest>"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_echo_answers_the_message_with_a_ticket_and_the_caller() {
    let gw = Gateway::start().await;
    let onem = gw.cbe("onem");
    // Kept as sent: spaces, an escaped character, a line end, letters outside ASCII.
    let message = "  Bonjour &amp; goeiedag, Grüß Gott\n ";
    for (client, soap) in [
        (gw.basic("onem"), SOAP11),
        (gw.with_certificate("onem"), SOAP12),
    ] {
        let r = client
            .soap_at(TC_PATH, &envelope(soap, &test_message(&onem, message)))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.status_code(), "MSG00000");
        assert_eq!(
            r.text_of("message").as_deref(),
            Some("  Bonjour & goeiedag, Grüß Gott\n ")
        );
        assert_eq!(r.texts_of("cbeNumber"), [onem.as_str(), onem.as_str()]);
        assert!(
            r.text_of("name").is_some_and(|n| n.contains("Emploi")),
            "{}",
            r.body
        );
        assert_eq!(r.text_of("ticket").as_deref(), Some("hello-1"));
        assert_eq!(r.text_of("ticketCBSS").map(|t| t.len()), Some(36));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_echo_keeps_the_identity_rules() {
    let gw = Gateway::start().await;
    let onem = gw.cbe("onem");
    let vdab = gw.cbe("vdab");
    // Another institution in customerIdentification than the credentials'.
    let r = gw
        .basic("onem")
        .soap_at(TC_PATH, &envelope(SOAP11, &test_message(&vdab, "hi")))
        .await;
    assert_eq!(r.reason_code(), "MSG00014", "{}", r.body);
    assert!(r.body.contains("testConnectionFault"), "{}", r.body);
    // No credentials at all.
    let r = gw
        .anonymous()
        .soap_at(TC_PATH, &envelope(SOAP11, &test_message(&onem, "hi")))
        .await;
    assert_eq!((r.status, r.reason_code().as_str()), (401, "MSG00015"));
    // A message longer than the contract allows, and one holding an element.
    let long = "x".repeat(1001);
    for bad in [long.as_str(), "<b>hi</b>"] {
        let r = gw
            .basic("onem")
            .soap_at(TC_PATH, &envelope(SOAP11, &test_message(&onem, bad)))
            .await;
        assert_eq!(r.reason_code(), "MSG00004", "{}", r.body);
        assert!(r.body.contains("message"), "{}", r.body);
    }
    let r = gw
        .basic("onem")
        .soap_at(
            TC_PATH,
            &envelope(SOAP11, &test_message(&onem, &"x".repeat(1000))),
        )
        .await;
    assert_eq!(r.status_code(), "MSG00000", "{}", r.body);
}
