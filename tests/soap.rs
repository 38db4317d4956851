//! The SOAP layer over real TLS: versions, prefixes and default namespaces, and a
//! specific answer for each kind of bad request.

mod support;

use support::{Call, Gateway, INTF_NS, SOAP11, SOAP12, envelope, periods};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soap_1_2_is_answered_in_soap_1_2() {
    let gw = Gateway::start().await;
    let onem = gw.cbe("onem");
    let r = gw
        .basic("onem")
        .soap_with(
            &Call::new("getLivingWagePeriods", &onem, &gw.ssins.two_pcsas).soap12(),
            &[("content-type", "application/soap+xml; charset=utf-8; action=\"http://kszbcss.fgov.be/LivingWagesService/getLivingWagePeriods\"")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.header("content-type")
            .is_some_and(|c| c.starts_with("application/soap+xml"))
    );
    assert!(r.body.contains(SOAP12) && !r.body.contains(SOAP11));
    assert_eq!(r.status_code(), "MSG00000");

    // A SOAP 1.2 sender fault is HTTP 400 with Code/Value Sender.
    let bad = envelope(SOAP12, &format!("<lw:nope xmlns:lw='{INTF_NS}'/>"));
    let r = gw
        .basic("onem")
        .soap_with(&bad, &[("content-type", "application/soap+xml")])
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.text_of("Value").as_deref(), Some("soapenv:Sender"));
    assert_eq!(r.reason_code(), "MSG00004");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_prefix_a_default_namespace_comments_and_whitespace_are_understood() {
    let gw = Gateway::start().await;
    let onem = gw.cbe("onem");
    let ssin = &gw.ssins.two_pcsas;
    let customer = format!(
        "<informationCustomer><customerIdentification><cbeNumber>{onem}</cbeNumber></customerIdentification></informationCustomer>"
    );
    let variants = [
        // Default namespace on the wrapper; children reset to no namespace.
        format!(
            "<?xml version='1.0' encoding='utf-8'?>\n<Envelope xmlns='{SOAP11}'><Body>\
             <getLivingWagePeriodsRequest xmlns='{INTF_NS}'>{}\
             <legalContext xmlns=''>UNEMPLOYMENT:LIVING_WAGE_CHECK</legalContext>\
             <criteria xmlns=''><ssin>{ssin}</ssin><period><beginDate>2015-01-01</beginDate></period></criteria>\
             </getLivingWagePeriodsRequest></Body></Envelope>",
            customer.replace("<informationCustomer>", "<informationCustomer xmlns=''>")
        ),
        // Unusual prefixes, declarations on the Body, comments and whitespace everywhere.
        format!(
            "<!-- request --><S:Envelope xmlns:S='{SOAP11}'>\n  <S:Header>\n  </S:Header>\n  <S:Body xmlns:ns9='{INTF_NS}'>\n\
             <!-- op --><ns9:getLivingWagePeriodsRequest>\n    {customer}\n    <legalContext> UNEMPLOYMENT:LIVING_WAGE_CHECK </legalContext>\n\
             <criteria><!-- who --><ssin>\n{ssin}\n</ssin><period><beginDate>2015-01-01</beginDate></period></criteria>\n\
             </ns9:getLivingWagePeriodsRequest>\n  </S:Body>\n</S:Envelope>\n"
        ),
    ];
    for v in variants {
        let r = gw.basic("onem").soap(&v).await;
        assert_eq!(r.status, 200, "{v}\n{}", r.body);
        assert_eq!(r.status_code(), "MSG00000");
        assert_eq!(
            periods(&r),
            ["2019-03-01..2021-08-31", "2022-01-01..2022-12-31"]
        );
    }
}

/// Sends a bad request and returns the fault's HTTP status, reason code and diagnostic.
async fn fault(
    gw: &Gateway,
    body: &str,
    headers: &[(&str, &str)],
) -> (u16, String, String, support::Reply) {
    let r = gw.basic("onem").soap_with(body, headers).await;
    assert_eq!(
        r.text_of("faultcode").as_deref(),
        Some("soapenv:Client"),
        "{}",
        r.body
    );
    (
        r.status,
        r.reason_code(),
        r.text_of("diagnostic").unwrap_or_default(),
        r,
    )
}

const XML: (&str, &str) = ("content-type", "text/xml; charset=utf-8");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_and_hostile_xml_get_a_client_fault_naming_the_problem() {
    let gw = Gateway::start().await;
    let onem = gw.cbe("onem");
    let good = Call::new("getLivingWages", &onem, &gw.ssins.two_pcsas).soap11();
    let cases: Vec<(String, &str)> = vec![
        (good[..good.len() - 20].to_owned(), "malformed XML"),
        ("not xml at all".to_owned(), "malformed XML"),
        (
            format!("<!DOCTYPE x [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;'>]>{good}"),
            "DOCTYPE",
        ),
        (good.replace("test-ticket", "&xxe;"), "&xxe; is not defined"),
        (format!("<?evil x?>{good}"), "processing instructions"),
        // Not well-formed XML 1.0, though a lenient reader would take them.
        (
            good.replacen("<soap:Body>", "<soap:Body><?xml version=\"1.0\"?>", 1),
            "an XML declaration is only allowed at the start of the document",
        ),
        (
            format!(" <?xml version=\"1.0\"?>{good}"),
            "an XML declaration is only allowed at the start of the document",
        ),
        (
            good.replacen("<soap:Header/>", "<soap:Header a=\"x<y\"/>", 1),
            "'<' is not allowed in an attribute value",
        ),
        (
            good.replace("soap:Body", "soap:Bodyy"),
            "unexpected element",
        ),
        (
            good.replace("<soap:Header/>", "<soap:Header/><soap:Header/>"),
            "unexpected element",
        ),
        (
            good.replace("<soap:Header/>", "<soap:Header/>stray"),
            "text is not allowed directly inside the Envelope",
        ),
        (envelope(SOAP11, ""), "Body is empty"),
        (
            "<x:Envelope xmlns:x='urn:not-soap'><x:Body/></x:Envelope>".to_owned(),
            "not a SOAP 1.1 or 1.2 Envelope",
        ),
    ];
    for (body, expected) in cases {
        let r = gw.basic("onem").soap_with(&body, &[XML]).await;
        assert_eq!(r.status, 500, "{body}\n{}", r.body);
        assert!(
            r.text_of("faultcode")
                .is_some_and(|c| c == "soapenv:Client" || c == "soapenv:VersionMismatch"),
            "{}",
            r.body
        );
        assert_eq!(r.reason_code(), "MSG00004", "{body}");
        let diagnostic = r.text_of("diagnostic").unwrap_or_default();
        assert!(
            diagnostic.contains(expected),
            "{expected:?} not in {diagnostic:?}"
        );
        // The fault still carries the CBSS information block with a ticket.
        assert!(
            r.text_of("ticketCBSS")
                .is_some_and(|t| uuid::Uuid::parse_str(&t).is_ok())
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contract_violations_name_the_operation_or_field() {
    let gw = Gateway::start().await;
    let onem = gw.cbe("onem");
    let ssin = gw.ssins.two_pcsas.clone();
    let good = Call::new("getLivingWages", &onem, &ssin).soap11();

    let (_, code, diag, _) = fault(
        &gw,
        &Call::new("getLivingWageAmounts", &onem, &ssin).soap11(),
        &[XML],
    )
    .await;
    assert_eq!(code, "MSG00004");
    assert!(
        diag.contains("getLivingWageAmountsRequest is not an operation"),
        "{diag}"
    );

    let (_, code, diag, _) = fault(
        &gw,
        &good.replace(INTF_NS, "http://kszbcss.fgov.be/intf/LivingWagesService/v1"),
        &[XML],
    )
    .await;
    assert_eq!(code, "MSG00004");
    assert!(diag.contains("is not in the namespace"), "{diag}");

    let missing = good.replace(&format!("<criteria><ssin>{ssin}</ssin>"), "<criteria>");
    let (_, code, diag, r) = fault(&gw, &missing, &[XML]).await;
    assert_eq!(code, "MSG00004");
    assert!(
        diag.contains("criteria/ssin: mandatory element missing"),
        "{diag}"
    );
    assert_eq!(r.text_of("fieldName").as_deref(), Some("criteria/ssin"));

    let qualified = good.replace(
        "<legalContext>",
        &format!("<legalContext xmlns='{INTF_NS}'>"),
    );
    let (_, _, diag, _) = fault(&gw, &qualified, &[XML]).await;
    assert!(diag.contains("legalContext: must be unqualified"), "{diag}");

    let (_, _, diag, _) = fault(&gw, &good.replace("2015-01-01", "2015-02-30"), &[XML]).await;
    assert!(diag.contains("criteria/period/beginDate"), "{diag}");

    let (_, _, diag, r) = fault(
        &gw,
        &good.replace("</criteria>", "<extra/></criteria>"),
        &[XML],
    )
    .await;
    assert!(
        diag.contains("criteria: unexpected element extra"),
        "{diag}"
    );
    assert_eq!(
        (
            r.text_of("fieldName").as_deref(),
            r.text_of("fieldValue").as_deref()
        ),
        (Some("criteria"), Some("extra"))
    );

    // A name longer than fieldName allows still gives a valid fault (validated by `fault`).
    let long = "x".repeat(80);
    let (_, _, diag, _) = fault(
        &gw,
        &good.replace(
            "</informationCustomer>",
            &format!("<{long}/></informationCustomer>"),
        ),
        &[XML],
    )
    .await;
    assert!(diag.contains(&long), "{diag}");

    // Characters XML forbids are refused, not echoed.
    for forbidden in ["a&#1;b", "a&#xFFFE;", "a\u{1}b"] {
        let (_, code, diag, _) = fault(&gw, &good.replace("test-ticket", forbidden), &[XML]).await;
        assert_eq!(code, "MSG00004");
        assert!(diag.contains("is not allowed in XML"), "{diag}");
    }
    let (_, _, diag, _) = fault(
        &gw,
        &good.replace("</criteria>", "<a\u{1}b/></criteria>"),
        &[XML],
    )
    .await;
    assert!(diag.contains("is not allowed in XML"), "{diag}");
    // An empty legal context is valid on the wire and granted to nobody.
    let r = gw
        .basic("onem")
        .soap(&good.replace("UNEMPLOYMENT:LIVING_WAGE_CHECK", ""))
        .await;
    assert_eq!(
        (r.status, r.status_code().as_str()),
        (200, "MSG00013"),
        "{}",
        r.body
    );

    // Not even the shape of an SSIN: MSG00011 as a fault (it cannot be echoed).
    for bad in ["8507310013", "85133100130", "ABCDEFGHIJK"] {
        let (status, code, _, r) = fault(&gw, &good.replace(&ssin, bad), &[XML]).await;
        assert_eq!((status, code.as_str()), (500, "MSG00011"), "{bad}");
        assert_eq!(r.text_of("fieldValue").as_deref(), Some(bad));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soap_action_may_be_absent_empty_or_quoted_but_not_another_operation() {
    let gw = Gateway::start().await;
    let onem = gw.cbe("onem");
    let body = Call::new("getLivingWages", &onem, &gw.ssins.two_pcsas).soap11();
    let client = gw.basic("onem");
    for action in [
        None,
        Some("\"\""),
        Some(""),
        Some("\"http://kszbcss.fgov.be/LivingWagesService/getLivingWages\""),
    ] {
        let mut headers = vec![XML];
        if let Some(a) = action {
            headers.push(("SOAPAction", a));
        }
        let r = client.soap_with(&body, &headers).await;
        assert_eq!(
            (r.status, r.status_code().as_str()),
            (200, "MSG00000"),
            "{action:?}"
        );
    }
    let (_, code, diag, _) = fault(
        &gw,
        &body,
        &[
            XML,
            (
                "SOAPAction",
                "\"http://kszbcss.fgov.be/LivingWagesService/getLivingWagePeriods\"",
            ),
        ],
    )
    .await;
    assert_eq!(code, "MSG00004");
    assert!(
        diag.contains("does not match the operation getLivingWages"),
        "{diag}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_header_that_must_be_understood_is_refused() {
    let gw = Gateway::start().await;
    let onem = gw.cbe("onem");
    let body = Call::new("getLivingWages", &onem, &gw.ssins.two_pcsas)
        .soap11()
        .replace(
            "<soap:Header/>",
            "<soap:Header><w:Security xmlns:w='urn:wsse' soap:mustUnderstand='1'/></soap:Header>",
        );
    let r = gw.basic("onem").soap(&body).await;
    assert_eq!(r.status, 500);
    assert_eq!(
        r.text_of("faultcode").as_deref(),
        Some("soapenv:MustUnderstand")
    );
}
