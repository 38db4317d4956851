//! The contract documents the server publishes: `GET <endpoint>?wsdl`, `?wsdl12` and
//! `?xsd=NAME`, with every address rewritten to the server's own so that a client can be
//! generated from the running server alone.
//!
//! Each WSDL file holds a service's SOAP 1.1 and SOAP 1.2 bindings, but a served WSDL
//! describes one version: WS-I Basic Profile 1.1 allows SOAP 1.1 bindings only (R2401),
//! and stacks that follow it fail on a SOAP 1.2 binding beside them (Axis 1.4's
//! WSDL2Java stops at its faults, `wsimport` skips its port without `-extension`). The
//! network publishes SOAP 1.1, so `?wsdl` is that; `?wsdl12` describes the SOAP 1.2
//! binding, answered at the same address.

use super::soap::SoapVersion;

/// One service's WSDL and the schemas it reaches.
pub struct Contract {
    wsdl: &'static str,
    schemas: &'static [(&'static str, &'static str)],
    /// The address written in the WSDL file, replaced by the real endpoint when served.
    placeholder_address: &'static str,
}

pub const LIVING_WAGES_V2: Contract = Contract {
    wsdl: include_str!("../../wsdl/LivingWagesV2.wsdl"),
    schemas: &[
        (
            "LivingWagesServiceV2.xsd",
            include_str!("../../schemas/LivingWagesServiceV2.xsd"),
        ),
        (
            "LivingWagesV2.xsd",
            include_str!("../../schemas/LivingWagesV2.xsd"),
        ),
        ("CommonV3.xsd", include_str!("../../schemas/CommonV3.xsd")),
    ],
    placeholder_address: "https://localhost:8443/SOA4520/LivingWagesService/v2/consult",
};

pub const PCSA_DECISION_V1: Contract = Contract {
    wsdl: include_str!("../../wsdl/PcsaDecisionV1.wsdl"),
    schemas: &[
        (
            "PcsaDecisionV1.xsd",
            include_str!("../../schemas/PcsaDecisionV1.xsd"),
        ),
        ("CommonV3.xsd", include_str!("../../schemas/CommonV3.xsd")),
    ],
    placeholder_address: "https://localhost:8443/SOA4520/PcsaDecisionService/v1",
};

pub const CONNECTOR: Contract = Contract {
    wsdl: include_str!("../../wsdl/WebServiceConnector.wsdl"),
    schemas: &[],
    placeholder_address: "https://localhost:8443/connectors/webservice/KSZBCSSWebServiceConnectorPort",
};

pub const SUBSCRIPTION_V1: Contract = Contract {
    wsdl: include_str!("../../wsdl/LivingWagesSubscriptionV1.wsdl"),
    schemas: &[
        (
            "LivingWagesSubscriptionV1.xsd",
            include_str!("../../schemas/LivingWagesSubscriptionV1.xsd"),
        ),
        (
            "LivingWagesNotificationV1.xsd",
            include_str!("../../schemas/LivingWagesNotificationV1.xsd"),
        ),
        ("CommonV3.xsd", include_str!("../../schemas/CommonV3.xsd")),
    ],
    placeholder_address: "https://localhost:8443/SOA4520/LivingWagesSubscriptionService/v1",
};

pub const LIVING_WAGES_V3: Contract = Contract {
    wsdl: include_str!("../../wsdl/LivingWagesV3.wsdl"),
    schemas: &[
        (
            "LivingWagesV3.xsd",
            include_str!("../../schemas/LivingWagesV3.xsd"),
        ),
        ("CommonV3.xsd", include_str!("../../schemas/CommonV3.xsd")),
    ],
    placeholder_address: "https://localhost:8443/SOA4520/LivingWagesService/v3/consult",
};

pub const WITH_AMOUNT_V1: Contract = Contract {
    wsdl: include_str!("../../wsdl/LivingWagesWithAmountV1.wsdl"),
    schemas: &[
        (
            "LivingWagesWithAmountV1.xsd",
            include_str!("../../schemas/LivingWagesWithAmountV1.xsd"),
        ),
        ("CommonV3.xsd", include_str!("../../schemas/CommonV3.xsd")),
    ],
    placeholder_address: "https://localhost:8443/SOA4520/LivingWagesWithAmountService/v1/consult",
};

pub const TEST_CONNECTION_V1: Contract = Contract {
    wsdl: include_str!("../../wsdl/TestConnectionV1.wsdl"),
    schemas: &[
        (
            "TestConnectionV1.xsd",
            include_str!("../../schemas/TestConnectionV1.xsd"),
        ),
        ("CommonV3.xsd", include_str!("../../schemas/CommonV3.xsd")),
    ],
    placeholder_address: "https://localhost:8443/SOA4520/TestConnectionService/v1",
};

/// The receivers' contract, which the notification sink serves.
pub const NOTIFICATION_V1: Contract = Contract {
    wsdl: include_str!("../../wsdl/LivingWagesNotificationV1.wsdl"),
    schemas: &[(
        "LivingWagesNotificationV1.xsd",
        include_str!("../../schemas/LivingWagesNotificationV1.xsd"),
    )],
    placeholder_address: "https://localhost:9443/LivingWagesNotificationService/v1",
};

impl Contract {
    /// The WSDL of `version`'s binding, with its address and schema locations pointing
    /// at `endpoint`; `None` when the service has no binding of that version.
    pub fn wsdl(&self, endpoint: &str, version: SoapVersion) -> Option<String> {
        Some(
            bindings_of(self.wsdl, version)?
                .replace(self.placeholder_address, endpoint)
                .replace(
                    "schemaLocation=\"../schemas/",
                    &format!("schemaLocation=\"{endpoint}?xsd="),
                ),
        )
    }

    /// A schema by file name (only the contract's own: no path ever reaches the disk).
    pub fn schema(&self, name: &str, endpoint: &str) -> Option<String> {
        let (_, text) = self.schemas.iter().find(|(n, _)| *n == name)?;
        Some(text.replace(
            "schemaLocation=\"",
            &format!("schemaLocation=\"{endpoint}?xsd="),
        ))
    }

    pub fn schema_names(&self) -> impl Iterator<Item = &'static str> {
        self.schemas.iter().map(|(n, _)| *n)
    }
}

/// `doc` without the bindings and ports of the other SOAP version; `None` when no
/// binding of `version` is left. A binding or port is of the version whose WSDL
/// extension elements (`soap:` or `wsoap12:`, as every file here names them) it holds.
fn bindings_of(doc: &str, version: SoapVersion) -> Option<String> {
    const BLOCKS: [(&str, &str); 2] = [
        ("<wsdl:binding ", "</wsdl:binding>"),
        ("<wsdl:port ", "</wsdl:port>"),
    ];
    let (ours, theirs) = match version {
        SoapVersion::Soap11 => ("<soap:binding ", "<wsoap12:"),
        SoapVersion::Soap12 => ("<wsoap12:binding ", "<soap:"),
    };
    let mut out = String::with_capacity(doc.len());
    let mut rest = doc;
    let mut kept_a_binding = false;
    while let Some((start, close)) = BLOCKS
        .iter()
        .filter_map(|(open, close)| Some((rest.find(open)?, *close)))
        .min()
    {
        let end = start + rest[start..].find(close)? + close.len();
        let block = &rest[start..end];
        if block.contains(theirs) {
            // The block goes with the blank space before it.
            out.push_str(rest[..start].trim_end());
            rest = &rest[end..];
        } else {
            kept_a_binding |= block.contains(ours);
            out.push_str(&rest[..end]);
            rest = &rest[end..];
        }
    }
    out.push_str(rest);
    kept_a_binding.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_location_points_back_at_the_endpoint() {
        for (contract, path) in [
            (&LIVING_WAGES_V2, "/SOA4520/LivingWagesService/v2/consult"),
            (&PCSA_DECISION_V1, "/SOA4520/PcsaDecisionService/v1"),
            (&LIVING_WAGES_V3, "/SOA4520/LivingWagesService/v3/consult"),
            (
                &WITH_AMOUNT_V1,
                "/SOA4520/LivingWagesWithAmountService/v1/consult",
            ),
            (
                &CONNECTOR,
                "/connectors/webservice/KSZBCSSWebServiceConnectorPort",
            ),
            (
                &SUBSCRIPTION_V1,
                "/SOA4520/LivingWagesSubscriptionService/v1",
            ),
            (&NOTIFICATION_V1, "/LivingWagesNotificationService/v1"),
            (&TEST_CONNECTION_V1, "/SOA4520/TestConnectionService/v1"),
        ] {
            locations_point_back(contract, &format!("https://gw.example:9443{path}"));
        }
    }

    const WSDL_NS: &str = "http://schemas.xmlsoap.org/wsdl/";
    const SOAP11_BINDING_NS: &str = "http://schemas.xmlsoap.org/wsdl/soap/";
    const SOAP12_BINDING_NS: &str = "http://schemas.xmlsoap.org/wsdl/soap12/";

    /// Each served WSDL holds the bindings and ports of its version only, every one
    /// of them whole: each port names a binding that is there, each binding carries
    /// every operation of the port type.
    #[test]
    fn a_wsdl_describes_one_soap_version() {
        let base = "https://gw.example/x";
        for contract in [
            &LIVING_WAGES_V2,
            &LIVING_WAGES_V3,
            &WITH_AMOUNT_V1,
            &PCSA_DECISION_V1,
            &SUBSCRIPTION_V1,
            &NOTIFICATION_V1,
            &TEST_CONNECTION_V1,
        ] {
            for (version, ours, theirs) in [
                (SoapVersion::Soap11, SOAP11_BINDING_NS, SOAP12_BINDING_NS),
                (SoapVersion::Soap12, SOAP12_BINDING_NS, SOAP11_BINDING_NS),
            ] {
                let text = contract.wsdl(base, version).unwrap_or_default();
                let doc = crate::wire::xml::parse(text.as_bytes())
                    .unwrap_or_else(|e| panic!("{version:?}: {e}\n{text}"));
                let of = |local: &str| -> Vec<&crate::wire::xml::Element<'_>> {
                    doc.children
                        .iter()
                        .filter(|c| c.is(WSDL_NS, local))
                        .collect()
                };
                let operations = of("portType")
                    .iter()
                    .flat_map(|p| p.children.iter())
                    .filter(|o| o.is(WSDL_NS, "operation"))
                    .count();
                let bindings = of("binding");
                assert_eq!(bindings.len(), 1, "{version:?}\n{text}");
                let binding = bindings[0];
                assert!(binding.children.iter().any(|c| c.is(ours, "binding")));
                let bound = binding
                    .children
                    .iter()
                    .filter(|o| o.is(WSDL_NS, "operation"))
                    .count();
                assert_eq!(bound, operations, "{version:?}");
                let name = binding.attribute(None, "name").unwrap_or_default();
                let ports: Vec<_> = of("service")
                    .iter()
                    .flat_map(|s| s.children.iter())
                    .filter(|p| p.is(WSDL_NS, "port"))
                    .collect();
                assert_eq!(ports.len(), 1, "{version:?}");
                assert_eq!(
                    ports[0].attribute(None, "binding"),
                    Some(format!("tns:{name}").as_str())
                );
                assert!(!uses(&doc, theirs), "{version:?}\n{text}");
            }
        }
        assert!(CONNECTOR.wsdl(base, SoapVersion::Soap12).is_none());
        assert!(CONNECTOR.wsdl(base, SoapVersion::Soap11).is_some());
    }

    /// The consultations' schemas name every type: SOAP stacks that generate classes
    /// (node-soap's `describe()`, JAXB) read an anonymous type's values as strings
    /// or leave its fields out. CommonV3 keeps the network's own anonymous types.
    #[test]
    fn the_consultations_schemas_name_their_types() {
        for contract in [&LIVING_WAGES_V2, &LIVING_WAGES_V3, &WITH_AMOUNT_V1] {
            for name in contract.schema_names().filter(|n| *n != "CommonV3.xsd") {
                let text = contract
                    .schema(name, "https://gw.example/x")
                    .unwrap_or_default();
                for anonymous in ["<xs:complexType>", "<xs:simpleType>"] {
                    assert!(!text.contains(anonymous), "{name}: {anonymous}");
                }
            }
        }
    }

    /// Whether any element of `doc` is in `ns`.
    fn uses(doc: &crate::wire::xml::Element<'_>, ns: &str) -> bool {
        doc.ns.as_deref() == Some(ns) || doc.children.iter().any(|c| uses(c, ns))
    }

    fn locations_point_back(contract: &Contract, base: &str) {
        let wsdl = contract.wsdl(base, SoapVersion::Soap11).unwrap_or_default();
        assert!(!wsdl.contains("localhost:8443"));
        assert!(!wsdl.contains("../schemas/"));
        assert!(wsdl.contains(&format!("location=\"{base}\"")));
        for name in contract.schema_names() {
            let schema = contract.schema(name, base).unwrap_or_default();
            for loc in schema.split("schemaLocation=\"").skip(1) {
                assert!(loc.starts_with(&format!("{base}?xsd=")), "{name}: {loc}");
                let target = loc[base.len() + 5..].split('"').next().unwrap_or_default();
                assert!(
                    contract.schema(target, base).is_some(),
                    "{name} imports {target}"
                );
            }
        }
        assert!(contract.schema("../../etc/passwd", base).is_none());
    }
}
