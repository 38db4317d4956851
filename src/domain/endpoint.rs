//! Where a receiver of notifications is reached: an `https://` URL, checked once when a
//! subscription names it and cut into what a connection needs; and where receivers
//! may be at all (`Receivers`), so that a subscriber cannot make the gateway probe the
//! network it runs in.

use std::net::IpAddr;

use ipnet::IpNet;

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

/// Where receivers may be, as the operator set it (`serve --receivers`): networks, host
/// names, and `*.domain` suffixes. Without a list, any public address; loopback,
/// private, link-local, shared (CGNAT), multicast and unspecified addresses only when a
/// listed network holds them. With a list, only what it names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Receivers {
    networks: Vec<IpNet>,
    hosts: Vec<String>,
    /// `example.org` for `*.example.org`: its subdomains.
    suffixes: Vec<String>,
    /// The operator gave a list: nothing else receives.
    only_listed: bool,
}

impl Receivers {
    /// A comma-separated list: `127.0.0.0/8,::1,receiver.test,*.example.org`.
    pub fn parse(list: &str) -> Result<Receivers, String> {
        let mut out = Receivers::default();
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            if let Ok(net) = entry.parse::<IpNet>() {
                out.networks.push(net.trunc());
            } else if let Ok(ip) = entry.parse::<IpAddr>() {
                out.networks.push(IpNet::from(ip));
            } else if let Some(domain) = entry.strip_prefix("*.") {
                out.suffixes.push(host_name(domain, entry)?);
            } else {
                out.hosts.push(host_name(entry, entry)?);
            }
            out.only_listed = true;
        }
        Ok(out)
    }

    /// Receivers on this machine too (the demo's and the tests' own), beside what was
    /// allowed already.
    pub fn with_loopback(mut self) -> Receivers {
        for net in ["127.0.0.0/8", "::1/128"] {
            if let Ok(net) = net.parse::<IpNet>()
                && !self.networks.contains(&net)
            {
                self.networks.push(net);
            }
        }
        self
    }

    /// Whether a receiver may be at this address.
    pub fn check_address(&self, ip: IpAddr) -> Result<(), String> {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            IpAddr::V4(_) => ip,
        };
        if self.networks.iter().any(|n| n.contains(&ip)) {
            return Ok(());
        }
        if self.only_listed {
            return Err(format!(
                "{ip} is not among the receivers' networks the gateway allows (serve --receivers)"
            ));
        }
        match special_range(ip) {
            None => Ok(()),
            Some(kind) => Err(format!(
                "{ip} is a {kind} address: receivers may be there only when the gateway allows it (serve --receivers)"
            )),
        }
    }

    /// Whether the host name itself is allowed, whatever it resolves to.
    pub fn names(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.hosts.contains(&host)
            || self.suffixes.iter().any(|s| {
                host.strip_suffix(s.as_str())
                    .is_some_and(|h| h.ends_with('.'))
            })
    }

    /// What can be known of `endpoint` without resolving it: an address must be
    /// allowed; a name must be listed, when a list names hosts and no networks (else
    /// each address it resolves to is checked when a batch is sent).
    pub fn check(&self, endpoint: &PushEndpoint) -> Result<(), String> {
        if let Ok(ip) = endpoint.host().parse::<IpAddr>() {
            return self.check_address(ip);
        }
        if self.names(endpoint.host()) || !self.only_listed || !self.networks.is_empty() {
            return Ok(());
        }
        Err(format!(
            "{} is not among the receivers' hosts the gateway allows (serve --receivers)",
            endpoint.host()
        ))
    }
}

fn host_name(name: &str, entry: &str) -> Result<String, String> {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    // A last label of digits only is a mistyped address, not a name.
    let valid = !name.is_empty()
        && !name
            .rsplit('.')
            .next()
            .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()))
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if valid {
        Ok(name)
    } else {
        Err(format!(
            "{entry:?} is neither a network (10.0.0.0/8), an address, a host name nor *.domain"
        ))
    }
}

/// The kind of a non-public address, `None` for a public one.
fn special_range(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            if v4.is_loopback() {
                Some("loopback")
            } else if v4.is_private() {
                Some("private")
            } else if v4.is_link_local() {
                Some("link-local")
            } else if a == 100 && (64..128).contains(&b) {
                Some("shared (CGNAT)")
            } else if v4.is_unspecified() || a == 0 {
                Some("unspecified")
            } else if v4.is_multicast() || v4.is_broadcast() || a >= 240 {
                Some("multicast or reserved")
            } else {
                None
            }
        }
        IpAddr::V6(v6) => {
            let [a, b, c, d, e, f, ..] = v6.segments();
            let zeros = a == 0 && b == 0 && c == 0 && d == 0 && e == 0 && f == 0;
            if v6.is_loopback() {
                Some("loopback")
            } else if v6.is_unspecified() {
                Some("unspecified")
            } else if zeros {
                // ::a.b.c.d, the deprecated IPv4-compatible form, reaches no host.
                Some("IPv4-compatible")
            } else if a == 0x64 && b == 0xff9b {
                // NAT64 (64:ff9b::/96, 64:ff9b:1::/48): reaches an IPv4 network.
                Some("NAT64")
            } else if a == 0 && b == 0 && c == 0 && d == 0 && e == 0xffff && f == 0 {
                Some("IPv4-translated")
            } else if v6.is_unique_local() {
                Some("private")
            } else if v6.is_unicast_link_local() {
                Some("link-local")
            } else if a & 0xffc0 == 0xfec0 {
                Some("site-local")
            } else if v6.is_multicast() {
                Some("multicast or reserved")
            } else {
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{PushEndpoint, Receivers};

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

    #[test]
    fn without_a_list_only_public_addresses_receive() {
        let any = Receivers::default();
        for public in ["192.0.2.10", "2001:db8::1", "8.8.8.8"] {
            assert_eq!(
                any.check_address(public.parse().unwrap()),
                Ok(()),
                "{public}"
            );
        }
        for (ip, kind) in [
            ("127.0.0.1", "loopback"),
            ("::1", "loopback"),
            ("10.1.2.3", "private"),
            ("172.16.0.1", "private"),
            ("192.168.1.1", "private"),
            ("fd00::1", "private"),
            ("169.254.169.254", "link-local"),
            ("fe80::1", "link-local"),
            ("100.64.0.1", "shared (CGNAT)"),
            ("0.0.0.0", "unspecified"),
            ("::ffff:127.0.0.1", "loopback"),
            ("224.0.0.1", "multicast or reserved"),
            ("64:ff9b::a00:1", "NAT64"),
            ("64:ff9b:1::1", "NAT64"),
            ("fec0::1", "site-local"),
            ("::a00:1", "IPv4-compatible"),
            ("::ffff:0:a00:1", "IPv4-translated"),
        ] {
            let refused = any.check_address(ip.parse().unwrap()).unwrap_err();
            assert!(
                refused.contains(&format!("a {kind} address")),
                "{ip}: {refused}"
            );
        }
        let named = PushEndpoint::parse("https://receiver.example.org/n").unwrap();
        assert_eq!(any.check(&named), Ok(()), "checked once resolved");
    }

    #[test]
    fn a_list_allows_what_it_names_and_nothing_else() {
        let list = Receivers::parse("10.20.0.0/16, ::1, receiver.test, *.example.org").unwrap();
        assert_eq!(list.check_address("10.20.3.4".parse().unwrap()), Ok(()));
        assert_eq!(list.check_address("::1".parse().unwrap()), Ok(()));
        assert!(list.check_address("10.21.0.1".parse().unwrap()).is_err());
        assert!(
            list.check_address("192.0.2.10".parse().unwrap()).is_err(),
            "a public address outside the list"
        );
        assert!(list.names("receiver.test") && list.names("RECEIVER.test."));
        assert!(list.names("a.example.org") && !list.names("example.org"));
        assert!(!list.names("badexample.org"));
        let hosts_only = Receivers::parse("receiver.test").unwrap();
        let other = PushEndpoint::parse("https://other.test/").unwrap();
        assert!(hosts_only.check(&other).unwrap_err().contains("other.test"));
        assert!(Receivers::parse("not a host").is_err());
        assert!(Receivers::parse("10.0.0.0/33").is_err());
        assert!(Receivers::parse("10.0.0.300").is_err());
        let demo = Receivers::default().with_loopback();
        assert_eq!(demo.check_address("127.0.0.1".parse().unwrap()), Ok(()));
        assert_eq!(demo.check_address("192.0.2.10".parse().unwrap()), Ok(()));
        assert!(demo.check_address("10.0.0.1".parse().unwrap()).is_err());
    }
}
