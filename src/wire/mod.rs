//! The wire: XML reading and writing, SOAP envelopes and faults, and one module per
//! service with its request and response records. No I/O and no business rules here.

pub mod common;
pub mod invariants;
pub mod living_wages_notification_v1;
pub mod living_wages_v2;
pub mod living_wages_v3;
pub mod living_wages_with_amount_v1;
pub mod novaprima;
pub mod pcsa_decision_v1;
pub mod schema;
pub mod soap;
pub mod ssdn;
pub mod subscription_v1;
pub mod test_connection_v1;
pub mod ws_addressing;
pub mod ws_security;
pub mod wsdl;
pub mod xml;
