//! The contract documents the server publishes: `GET <endpoint>?wsdl` and `?xsd=NAME`,
//! with every address rewritten to the server's own so that a client can be generated
//! from the running server alone.

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
    /// The WSDL with its address and schema locations pointing at `endpoint`.
    pub fn wsdl(&self, endpoint: &str) -> String {
        self.wsdl
            .replace(self.placeholder_address, endpoint)
            .replace(
                "schemaLocation=\"../schemas/",
                &format!("schemaLocation=\"{endpoint}?xsd="),
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
        ] {
            locations_point_back(contract, &format!("https://gw.example:9443{path}"));
        }
    }

    fn locations_point_back(contract: &Contract, base: &str) {
        let wsdl = contract.wsdl(base);
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
