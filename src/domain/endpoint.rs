//! Where a receiver of notifications is reached: an `https://` URL, checked once when a
//! subscription names it and cut into what a connection needs.

/// An `https://` URL cut into host, port, authority and path.
#[derive(Debug, PartialEq, Eq)]
pub struct PushEndpoint {
    host: String,
    port: u16,
    authority: String,
    path_and_query: String,
}

impl PushEndpoint {
    pub fn parse(url: &str) -> Result<PushEndpoint, String> {
        // The http crate's URI grammar (through hyper): parsing only, no I/O.
        let uri: hyper::Uri = url.parse().map_err(|e| format!("{url:?}: {e}"))?;
        if uri.scheme_str() != Some("https") {
            return Err(format!("{url:?}: notifications are pushed over https only"));
        }
        let authority = uri
            .authority()
            .ok_or_else(|| format!("{url:?} has no host"))?;
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        Ok(PushEndpoint {
            port: authority.port_u16().unwrap_or(443),
            authority: authority.as_str().to_owned(),
            path_and_query: uri
                .path_and_query()
                .map_or("/".to_owned(), |p| p.as_str().to_owned()),
            host,
        })
    }
}

impl PushEndpoint {
    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `host[:port]`, as the request's Host header carries it.
    pub fn authority(&self) -> &str {
        &self.authority
    }

    pub fn path_and_query(&self) -> &str {
        &self.path_and_query
    }
}

#[cfg(test)]
mod tests {
    use super::PushEndpoint;

    #[test]
    fn endpoints_are_https_urls() {
        let t = PushEndpoint::parse("https://127.0.0.1:9443/LivingWagesNotificationService/v1")
            .unwrap();
        assert_eq!((t.host.as_str(), t.port), ("127.0.0.1", 9443));
        assert_eq!(t.path_and_query, "/LivingWagesNotificationService/v1");
        assert_eq!(
            PushEndpoint::parse("https://example.org").unwrap().port,
            443
        );
        assert!(PushEndpoint::parse("http://example.org/").is_err());
        assert!(PushEndpoint::parse("not a url").is_err());
    }
}
