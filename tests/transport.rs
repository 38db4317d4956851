//! The transport: identities, limits, HTTP/2, the published contract, timeouts and
//! graceful shutdown, all over real TLS on loopback.

mod support;

use std::time::Duration;

use bcss_gateway::server::AuthModes;
use support::{Call, Gateway, Options, PATH};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn onem_call(gw: &Gateway) -> String {
    Call::new("getLivingWages", &gw.cbe("onem"), &gw.ssins.two_pcsas).soap11()
}

async fn unauthorized(r: &support::Reply, diagnostic: &str) {
    assert_eq!(r.status, 401, "{}", r.body);
    assert_eq!(r.reason_code(), "MSG00015");
    let d = r.text_of("diagnostic").unwrap_or_default();
    assert!(d.contains(diagnostic), "{diagnostic:?} not in {d:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_are_identified_by_basic_or_by_certificate() {
    let gw = Gateway::start().await;
    let body = onem_call(&gw);
    assert_eq!(gw.basic("onem").soap(&body).await.status_code(), "MSG00000");
    assert_eq!(
        gw.with_certificate("onem").soap(&body).await.status_code(),
        "MSG00000"
    );
    // Certificate and Basic together: both must hold, for the same institution.
    let onem_user = format!("E{}", gw.cbe("onem"));
    let both = gw
        .with_certificate("onem")
        .with_basic(&onem_user, "secret-onem");
    assert_eq!(both.soap(&body).await.status_code(), "MSG00000");
    let wrong = gw
        .with_certificate("onem")
        .with_basic(&onem_user, "not-the-password");
    unauthorized(&wrong.soap(&body).await, "wrong password").await;
    // The user name is E and exactly the ten digits of the CBE number.
    let cbe = gw.cbe("onem");
    let dotted = format!("E{}.{}.{}", &cbe[..4], &cbe[4..7], &cbe[7..]);
    for user in [
        dotted.as_str(),
        &format!("E{}", &cbe[1..]),
        &format!("e{cbe}"),
    ] {
        unauthorized(
            &gw.anonymous()
                .with_basic(user, "secret-onem")
                .soap(&body)
                .await,
            "is not E followed by",
        )
        .await;
    }

    let r = gw.anonymous().soap(&body).await;
    unauthorized(&r, "no credentials").await;
    assert!(
        r.header("www-authenticate")
            .is_some_and(|h| h.starts_with("Basic"))
    );
    unauthorized(
        &gw.anonymous()
            .with_basic(&onem_user, "wrong")
            .soap(&body)
            .await,
        "wrong password",
    )
    .await;
    unauthorized(
        &gw.anonymous()
            .with_basic("E0123456749", "x")
            .soap(&body)
            .await,
        "unknown user",
    )
    .await;
    unauthorized(
        &gw.anonymous().with_basic("onem", "x").soap(&body).await,
        "is not E followed by",
    )
    .await;
    unauthorized(
        &gw.with_certificate("stranger").soap(&body).await,
        "belongs to no institution",
    )
    .await;
    let vdab_user = format!("E{}", gw.cbe("vdab"));
    unauthorized(
        &gw.with_certificate("onem")
            .with_basic(&vdab_user, "secret-vdab")
            .soap(&body)
            .await,
        "but HTTP Basic names",
    )
    .await;
    // Credentials already accepted (ONEM's Basic header, alone and with ONEM's
    // certificate) are refused beside another institution's certificate.
    unauthorized(
        &gw.with_certificate("vdab")
            .with_basic(&onem_user, "secret-onem")
            .soap(&body)
            .await,
        "but HTTP Basic names",
    )
    .await;
    assert_eq!(gw.basic("onem").soap(&body).await.status_code(), "MSG00000");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_only_gateway_refuses_basic_and_anonymous_connections() {
    let gw = Gateway::start_with(Options {
        auth: AuthModes {
            basic: false,
            client_certificate: true,
            ws_security: false,
            require_signature: false,
        },
        ..Options::default()
    })
    .await;
    let body = onem_call(&gw);
    assert_eq!(
        gw.with_certificate("onem").soap(&body).await.status_code(),
        "MSG00000"
    );
    // Without a certificate the TLS handshake itself is refused.
    let r = gw
        .basic("onem")
        .try_send("POST", PATH, &[], body.into_bytes())
        .await;
    assert!(r.is_err(), "{:?}", r.map(|r| r.status));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_basic_only_gateway_ignores_certificates() {
    let gw = Gateway::start_with(Options {
        auth: AuthModes {
            basic: true,
            client_certificate: false,
            ws_security: false,
            require_signature: false,
        },
        ..Options::default()
    })
    .await;
    let body = onem_call(&gw);
    unauthorized(
        &gw.with_certificate("onem").soap(&body).await,
        "no credentials",
    )
    .await;
    assert_eq!(gw.basic("onem").soap(&body).await.status_code(), "MSG00000");
}

/// A body over the limit gets a 413 naming the limit; also when the client sends its
/// whole body before it reads (python `requests` without `Expect: 100-continue`),
/// over HTTP/1.1 with the length declared and chunked, rather than a connection reset
/// under its feet.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_over_the_limit_get_413() {
    let gw = Gateway::start_with(Options {
        body_limit: 4096,
        ..Options::default()
    })
    .await;
    let body = onem_call(&gw);
    let padded = |n: usize| {
        body.replacen(
            "<soap:Header/>",
            &format!("<soap:Header><!--{}--></soap:Header>", "x".repeat(n)),
            1,
        )
    };
    let r = gw.basic("onem").soap(&padded(5000)).await;
    assert_eq!(r.status, 413, "{}", r.body);
    assert!(
        r.text_of("diagnostic")
            .is_some_and(|d| d.contains("exceeds 4096 bytes"))
    );
    // Five MiB: far more than the sockets' buffers hold.
    let large = padded(5 << 20);
    for chunked in [false, true] {
        let mut headers = vec![("content-type", "text/xml; charset=utf-8")];
        if chunked {
            headers.push(("transfer-encoding", "chunked"));
        }
        let r = gw
            .basic("onem")
            .try_send("POST", PATH, &headers, large.clone().into_bytes())
            .await;
        match r {
            Ok(r) => assert_eq!(r.status, 413, "chunked {chunked}: {}", r.body),
            Err(e) => panic!("chunked {chunked}: no answer reached the client: {e}"),
        }
    }
    assert_eq!(gw.basic("onem").soap(&body).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_is_negotiated_and_served() {
    let gw = Gateway::start().await;
    let r = gw.basic("onem").http2().soap(&onem_call(&gw)).await;
    assert_eq!(
        (r.status, r.status_code().as_str()),
        (200, "MSG00000"),
        "{}",
        r.body
    );
    let wsdl = gw.anonymous().http2().get(&format!("{PATH}?wsdl")).await;
    assert!(
        wsdl.body
            .contains(&format!("https://localhost:{}{PATH}", gw.addr.port())),
        "{}",
        wsdl.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wsdl_and_every_schema_it_reaches_are_published_without_login() {
    let gw = Gateway::start().await;
    let client = gw.anonymous();
    let base = format!("https://localhost:{}{PATH}", gw.addr.port());
    let wsdl = client.get(&format!("{PATH}?wsdl")).await;
    assert_eq!(wsdl.status, 200);
    assert!(
        wsdl.header("content-type")
            .is_some_and(|c| c.starts_with("text/xml"))
    );
    assert!(
        wsdl.body.contains(&format!("location=\"{base}\"")),
        "{}",
        wsdl.body
    );
    for op in [
        "getLivingWagePeriods",
        "getLivingWagePeriodsFlanders",
        "getLivingWagePeriodsPerPCSA",
        "getLivingWagePeriodsPerPCSAFlanders",
        "getLivingWages",
    ] {
        assert!(
            wsdl.body.contains(&format!(
                "soapAction=\"http://kszbcss.fgov.be/LivingWagesService/{op}\""
            )),
            "{op}"
        );
    }
    // Follow every schemaLocation, transitively.
    let mut pending: Vec<String> = vec![wsdl.body];
    let mut seen = std::collections::BTreeSet::new();
    while let Some(doc) = pending.pop() {
        for loc in doc
            .split("schemaLocation=\"")
            .skip(1)
            .filter_map(|s| s.split('"').next())
        {
            let Some(query) = loc.strip_prefix(&base) else {
                panic!("{loc} does not point back at {base}")
            };
            if seen.insert(query.to_owned()) {
                let r = client.get(&format!("{PATH}{query}")).await;
                assert_eq!(r.status, 200, "{loc}");
                assert!(
                    r.body.contains("<xs:schema") || r.body.contains("<xsd:schema"),
                    "{loc}"
                );
                pending.push(r.body);
            }
        }
    }
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert_eq!(
        client
            .get(&format!("{PATH}?xsd=../../Cargo.toml"))
            .await
            .status,
        404
    );
    assert_eq!(client.get(PATH).await.status, 400);
}

/// `?wsdl` holds the SOAP 1.1 binding alone (WS-I Basic Profile 1.1, as the network
/// publishes it), `?wsdl12` the SOAP 1.2 one, both at this address; a service without
/// a SOAP 1.2 binding says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_soap_version_has_its_own_wsdl() {
    let gw = Gateway::start().await;
    let client = gw.anonymous();
    let base = format!("https://localhost:{}{PATH}", gw.addr.port());
    let soap11 = client.get(&format!("{PATH}?wsdl")).await.body;
    let soap12 = client.get(&format!("{PATH}?wsdl12")).await.body;
    for (doc, ours, theirs) in [
        (&soap11, "<soap:address", "<wsoap12:"),
        (&soap12, "<wsoap12:address", "<soap:"),
    ] {
        assert!(
            doc.contains(&format!("{ours} location=\"{base}\"")),
            "{doc}"
        );
        assert!(!doc.contains(theirs), "{doc}");
        assert_eq!(doc.matches("<wsdl:binding ").count(), 1, "{doc}");
        assert_eq!(doc.matches("<wsdl:operation name=").count(), 10, "{doc}");
    }
    let connector = "/connectors/webservice/KSZBCSSWebServiceConnectorPort";
    let none = client.get(&format!("{connector}?wsdl12")).await;
    assert_eq!(none.status, 404);
    assert!(none.body.contains("no SOAP 1.2 binding"), "{}", none.body);
    assert_eq!(client.get(&format!("{connector}?wsdl")).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_unknown_paths_and_methods() {
    let gw = Gateway::start().await;
    let client = gw.anonymous();
    let health = client.get("/health").await;
    assert_eq!((health.status, health.body.trim()), (200, "ok"));
    assert_eq!(client.get("/SOA4520/Nothing").await.status, 404);
    let r = client.send("PUT", PATH, &[], Vec::new()).await;
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("GET, POST"));
}

/// HEAD answers as GET would, without the body, over HTTP/1.1 and HTTP/2 alike (over
/// HTTP/2 a body would be a protocol error).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn head_is_get_without_the_body_over_both_protocols() {
    let gw = Gateway::start().await;
    for client in [gw.anonymous(), gw.anonymous().http2()] {
        let get = client.get("/health").await;
        let head = client
            .try_send("HEAD", "/health", &[], Vec::new())
            .await
            .unwrap_or_else(|e| panic!("HEAD /health: {e}"));
        assert_eq!((head.status, head.body.as_str()), (200, ""));
        assert_eq!(
            head.header("content-length"),
            Some(get.body.len().to_string().as_str())
        );
        let wsdl = client
            .try_send("HEAD", &format!("{PATH}?wsdl"), &[], Vec::new())
            .await
            .unwrap_or_else(|e| panic!("HEAD ?wsdl: {e}"));
        assert_eq!((wsdl.status, wsdl.body.as_str()), (200, ""));
        let missing = client
            .try_send("HEAD", "/SOA4520/Nothing", &[], Vec::new())
            .await
            .unwrap_or_else(|e| panic!("HEAD a missing path: {e}"));
        assert_eq!(missing.status, 404);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_an_in_flight_request_finish_and_accepts_no_more() {
    let mut gw = Gateway::start().await;
    let body = onem_call(&gw);
    let client = gw.basic("onem");
    let mut tls = client.connect().await;
    let head = gw.raw_post_head("onem", body.len());
    let (first, rest) = body.split_at(body.len() / 2);
    tls.write_all(head.as_bytes())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    tls.write_all(first.as_bytes())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    tls.flush().await.unwrap_or_else(|e| panic!("{e}"));
    tokio::time::sleep(Duration::from_millis(100)).await;

    let server = gw.server.take().unwrap_or_else(|| panic!("server running"));
    let stopping = tokio::spawn(server.shutdown());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !stopping.is_finished(),
        "shutdown must wait for the request in flight"
    );
    // The listener is closed: no new connection.
    assert!(
        gw.anonymous()
            .try_send("GET", "/health", &[], Vec::new())
            .await
            .is_err()
    );

    tls.write_all(rest.as_bytes())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    tls.flush().await.unwrap_or_else(|e| panic!("{e}"));
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), tls.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the connection must close after the answer");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("<code>MSG00000</code>"), "{answer}");
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
    assert_eq!(support::contract_element_count(body), 1);
    support::validate_soap_reply(body);
    let stopped = tokio::time::timeout(Duration::from_secs(10), stopping).await;
    assert!(
        matches!(stopped, Ok(Ok(Ok(())))),
        "shutdown completes once the request is answered"
    );
}

async fn closed_within(
    stream: &mut tokio_rustls::client::TlsStream<tokio::net::TcpStream>,
    limit: Duration,
) -> bool {
    let mut buf = [0u8; 64];
    match tokio::time::timeout(limit, stream.read(&mut buf)).await {
        Ok(Ok(0)) | Ok(Err(_)) => true,
        Ok(Ok(_)) => false,
        Err(_) => false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_are_closed() {
    let gw = Gateway::start_with(Options {
        idle_timeout: Duration::from_secs(1),
        ..Options::default()
    })
    .await;
    let mut tls = gw.anonymous().connect().await;
    assert!(
        closed_within(&mut tls, Duration::from_secs(10)).await,
        "an idle connection must be closed"
    );
}

/// An HTTP/2 peer that never acknowledges the server's closing PING still loses its
/// connection (and its slot) a bounded time after the idle timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http2_peer_that_ignores_the_close_is_cut_off() {
    let gw = Gateway::start_with(Options {
        idle_timeout: Duration::from_secs(1),
        ..Options::default()
    })
    .await;
    let mut tls = gw.anonymous().http2().connect().await;
    // The preface and an empty SETTINGS frame, then nothing: no acknowledgement of the
    // server's SETTINGS or of its PING.
    tls.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    tls.flush().await.unwrap_or_else(|e| panic!("{e}"));
    // Whatever the server sends (its SETTINGS, GOAWAY, PING) is read, never answered.
    let drained = tokio::time::timeout(Duration::from_secs(15), async {
        let mut buf = [0u8; 1024];
        loop {
            match tls.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(
        drained.is_ok(),
        "a peer that ignores the close keeps its connection"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_too_slow_to_send_its_headers_is_cut_off() {
    let gw = Gateway::start_with(Options {
        header_timeout: Duration::from_secs(1),
        ..Options::default()
    })
    .await;
    let mut tls = gw.anonymous().connect().await;
    tls.write_all(b"POST /health HTTP/1.1\r\nhost: local")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    tls.flush().await.unwrap_or_else(|e| panic!("{e}"));
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), tls.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the connection must be closed");
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
}

/// Between two requests, an HTTP/1.1 keep-alive connection is idle, not slow with
/// its headers: the idle timeout closes it, and the header timeout only counts from a
/// request's first byte.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_alive_connection_waits_for_the_idle_timeout_not_the_header_timeout() {
    let gw = Gateway::start_with(Options {
        header_timeout: Duration::from_secs(1),
        idle_timeout: Duration::from_secs(3),
        ..Options::default()
    })
    .await;
    let mut tls = gw.anonymous().connect().await;
    let request = b"GET /health HTTP/1.1\r\nhost: localhost\r\n\r\n";
    let mut answer = vec![0u8; 4096];
    for round in 0..2 {
        tls.write_all(request)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        tls.flush().await.unwrap_or_else(|e| panic!("{e}"));
        let n = tokio::time::timeout(Duration::from_secs(5), tls.read(&mut answer))
            .await
            .unwrap_or_else(|_| panic!("no answer in round {round}"))
            .unwrap_or_else(|e| panic!("{e}"));
        let text = String::from_utf8_lossy(&answer[..n]);
        assert!(text.starts_with("HTTP/1.1 200"), "round {round}: {text:?}");
        // Quiet for longer than the header timeout, shorter than the idle timeout.
        tokio::time::sleep(Duration::from_millis(1_800)).await;
    }
    let started = std::time::Instant::now();
    assert!(closed_within(&mut tls, Duration::from_secs(10)).await);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(800),
        "closed {waited:?} after the last quiet spell began 1.8 s in: before the idle timeout"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_does_not_arrive_in_time_gets_408() {
    let gw = Gateway::start_with(Options {
        header_timeout: Duration::from_secs(1),
        ..Options::default()
    })
    .await;
    let body = onem_call(&gw);
    let mut tls = gw.basic("onem").connect().await;
    let head = gw.raw_post_head("onem", body.len());
    tls.write_all(head.as_bytes())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    tls.write_all(&body.as_bytes()[..body.len() / 2])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    tls.flush().await.unwrap_or_else(|e| panic!("{e}"));
    let mut answer = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(10), tls.read(&mut answer))
        .await
        .unwrap_or_else(|_| panic!("no answer to a stalled body"))
        .unwrap_or_else(|e| panic!("{e}"));
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}

/// Wrong passwords cost an Argon2 verification each: after a burst from one source
/// they are refused at once, with 429 and Retry-After, and the journal shows it; a
/// client whose credentials were verified before is served meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_logins_are_limited_per_source() {
    use bcss_gateway::server::login_limits::PER_SOURCE;
    let gw = Gateway::start().await;
    let body = onem_call(&gw);
    let onem = gw.basic("onem");
    assert_eq!(onem.soap(&body).await.status_code(), "MSG00000");
    let guesser = gw
        .anonymous()
        .with_basic(&format!("E{}", gw.cbe("vdab")), "guess");
    // Guess until refused: the burst, and what the rate forgave meanwhile.
    let started = std::time::Instant::now();
    let mut verified = 0;
    let refused = loop {
        let reply = guesser.soap(&body).await;
        if reply.status != 401 {
            break reply;
        }
        unauthorized(&reply, "wrong password").await;
        verified += 1;
        let forgiven = started.elapsed().as_secs_f64() * f64::from(PER_SOURCE.per_second);
        assert!(
            f64::from(verified) <= f64::from(PER_SOURCE.burst) + forgiven + 1.0,
            "{verified} wrong passwords verified in {:?}",
            started.elapsed()
        );
    };
    assert!(verified >= PER_SOURCE.burst, "refused after {verified}");
    assert_eq!(refused.status, 429, "{}", refused.body);
    assert_eq!(refused.reason_code(), "MSG00015");
    assert_eq!(refused.header("retry-after"), Some("1"));
    let diagnostic = refused.text_of("diagnostic").unwrap_or_default();
    assert!(
        diagnostic.contains("too many failed logins from source 127.0.0.1"),
        "{diagnostic}"
    );
    // Credentials verified before are not verified again: served at once.
    assert_eq!(onem.soap(&body).await.status_code(), "MSG00000");
    // Once a failure is forgiven, the right password is verified again (the body
    // names ONEM: authenticated as VDAB, the answer is MSG00014).
    tokio::time::sleep(Duration::from_millis(
        1000 / u64::from(PER_SOURCE.per_second) + 50,
    ))
    .await;
    let vdab = gw.basic("vdab").soap(&body).await;
    assert_eq!(vdab.reason_code(), "MSG00014", "{}", vdab.body);

    gw.flush_audit().await;
    let trail = gw
        .store
        .audit_trail(None, 10_000)
        .unwrap_or_else(|e| panic!("{e}"));
    let count = |status: u16| trail.iter().filter(|r| r.http_status == status).count();
    assert_eq!(count(401), verified as usize);
    assert_eq!(count(429), 1);
}

/// `onem_call` padded with whitespace after its root element to `size` bytes.
fn padded_call(gw: &Gateway, size: usize) -> String {
    let mut body = onem_call(gw);
    body.push_str(&" ".repeat(size.saturating_sub(body.len())));
    body
}

/// Bodies held at once are bounded, all connections together: one more gets 503 with
/// Retry-After, and those already held are answered as usual.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_held_at_once_are_bounded_in_all() {
    const LIMIT: usize = 100 * 1024;
    let gw = Gateway::start_with(Options {
        body_limit: LIMIT,
        body_memory: 250 * 1024,
        ..Options::default()
    })
    .await;
    let body = padded_call(&gw, LIMIT);
    let head = gw.raw_post_head("onem", body.len());
    // Two slow senders hold 90 KiB each.
    let mut slow = Vec::new();
    for _ in 0..2 {
        let mut tls = gw.basic("onem").connect().await;
        tls.write_all(head.as_bytes()).await.unwrap();
        tls.write_all(&body.as_bytes()[..90 * 1024]).await.unwrap();
        tls.flush().await.unwrap();
        slow.push(tls);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    // A third body does not fit beside them.
    let refused = gw
        .basic("onem")
        .soap_with(&body, &[("content-type", "text/xml; charset=utf-8")])
        .await;
    assert_eq!(refused.status, 503, "{}", refused.body);
    assert_eq!(refused.header("retry-after"), Some("1"));
    assert_eq!(refused.reason_code(), "MSG00003");
    assert!(
        refused.body.contains("as many request bodies"),
        "{}",
        refused.body
    );
    // The held ones are answered once they arrive whole; then there is room again.
    for mut tls in slow {
        tls.write_all(&body.as_bytes()[90 * 1024..]).await.unwrap();
        tls.flush().await.unwrap();
        let mut answer = vec![0u8; 16];
        tokio::time::timeout(Duration::from_secs(10), tls.read_exact(&mut answer))
            .await
            .unwrap_or_else(|_| panic!("no answer"))
            .unwrap();
        assert!(
            answer.starts_with(b"HTTP/1.1 200"),
            "{}",
            String::from_utf8_lossy(&answer)
        );
    }
    let served = gw
        .basic("onem")
        .soap_with(&body, &[("content-type", "text/xml; charset=utf-8")])
        .await;
    assert_eq!(served.status_code(), "MSG00000", "{}", served.body);
}

/// One HTTP/2 connection holds at most a few bodies' worth over all its streams.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_http2_connection_holds_a_bounded_share_of_bodies() {
    use bcss_gateway::server::BODIES_PER_CONNECTION;
    use http_body_util::BodyExt;
    const LIMIT: usize = 100 * 1024;
    let gw = Gateway::start_with(Options {
        body_limit: LIMIT,
        ..Options::default()
    })
    .await;
    let body = bytes::Bytes::from(padded_call(&gw, LIMIT));
    let client = gw.basic("onem").http2();
    let tls = client.connect().await;
    let (sender, conn) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(tls),
    )
    .await
    .unwrap();
    tokio::spawn(conn);
    let auth = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("E{}:secret-onem", gw.cbe("onem"))
        )
    );
    let request =
        |body: http_body_util::channel::Channel<bytes::Bytes, std::convert::Infallible>| {
            hyper::Request::post(format!(
                "https://localhost:{}{}",
                gw.addr.port(),
                support::PATH
            ))
            .header("content-type", "text/xml; charset=utf-8")
            .header("authorization", &auth)
            .header("content-length", LIMIT.to_string())
            .body(body)
            .unwrap()
        };
    // As many streams as the connection's share holds, each 90 KiB into its body.
    let mut held = Vec::new();
    for _ in 0..BODIES_PER_CONNECTION {
        let (mut tx, channel) = http_body_util::channel::Channel::new(4);
        let (mut sender, req) = (sender.clone(), request(channel));
        let answer = tokio::spawn(async move { sender.send_request(req).await });
        tx.send_data(body.slice(..90 * 1024)).await.unwrap();
        held.push((tx, answer));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    // One stream more does not fit on this connection.
    let (mut tx, channel) = http_body_util::channel::Channel::new(4);
    let (mut one_more, req) = (sender.clone(), request(channel));
    let answer = tokio::spawn(async move { one_more.send_request(req).await });
    tx.send_data(body.clone()).await.unwrap();
    drop(tx);
    let refused = answer.await.unwrap().unwrap();
    assert_eq!(refused.status(), 503);
    let text = refused.into_body().collect().await.unwrap().to_bytes();
    assert!(String::from_utf8_lossy(&text).contains("as many request bodies"));
    // Another connection is not held back by this one.
    let other = gw
        .basic("onem")
        .soap_with(
            std::str::from_utf8(&body).unwrap(),
            &[("content-type", "text/xml; charset=utf-8")],
        )
        .await;
    assert_eq!(other.status_code(), "MSG00000", "{}", other.body);
    // The held streams are answered once their bodies are whole.
    for (mut tx, answer) in held {
        tx.send_data(body.slice(90 * 1024..)).await.unwrap();
        drop(tx);
        assert_eq!(answer.await.unwrap().unwrap().status(), 200);
    }
}

/// Connections that never finish their TLS handshake hold no place among those served:
/// with more of them than places, kept open again and again, a client is served at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_open_handshakes_do_not_keep_clients_waiting() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let gw = Gateway::start_with(Options {
        max_connections: 50,
        handshake_timeout: Duration::from_secs(2),
        ..Options::default()
    })
    .await;
    let (addr, stop, opened) = (
        gw.addr,
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicUsize::new(0)),
    );
    // 400 connections that send nothing, each opened again once the gateway closes it.
    let mut attackers = Vec::new();
    for _ in 0..400 {
        let (stop, opened) = (stop.clone(), opened.clone());
        attackers.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let Ok(mut tcp) = tokio::net::TcpStream::connect(addr).await else {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                opened.fetch_add(1, Ordering::Relaxed);
                let mut byte = [0u8; 1];
                let _ = tokio::time::timeout(Duration::from_secs(5), tcp.read(&mut byte)).await;
            }
        }));
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while opened.load(Ordering::Relaxed) < 400 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let open = opened.load(Ordering::Relaxed);
    assert!(open >= 400, "{open} half-open connections opened");
    let mut slowest = Duration::ZERO;
    for _ in 0..5 {
        let started = std::time::Instant::now();
        let reply = tokio::time::timeout(Duration::from_secs(10), gw.anonymous().get("/health"))
            .await
            .unwrap_or_else(|_| panic!("/health got no answer within 10 s"));
        assert_eq!(reply.body.trim(), "ok");
        slowest = slowest.max(started.elapsed());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    stop.store(true, Ordering::Relaxed);
    eprintln!("slowest /health beside 400 half-open handshakes: {slowest:?}");
    assert!(
        slowest < Duration::from_secs(1),
        "a client waited {slowest:?}"
    );
    for a in attackers {
        a.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pool_of_connections_opened_at_once_is_verified_once_and_not_throttled() {
    use bcss_gateway::server::login_limits::PER_SOURCE;
    let gw = Gateway::start().await;
    let body = onem_call(&gw);
    // Twice the burst of the login limits, all before any verification ends, as a
    // client's connection pool starts: the same credentials wait for one verification.
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..(2 * PER_SOURCE.burst) {
        let (client, body) = (gw.basic("onem"), body.clone());
        calls.spawn(async move { client.soap(&body).await });
    }
    let mut answered = 0;
    while let Some(reply) = calls.join_next().await {
        let reply = reply.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(reply.status, 200, "{}", reply.body);
        answered += 1;
    }
    assert_eq!(answered, 2 * PER_SOURCE.burst);
}
