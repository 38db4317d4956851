//! The SOAP services the gateway serves, one file each, and the table of them. A row
//! says everything the exchange needs to know about a service: where it is served,
//! its namespace and published documents, how its faults carry a detail, and the
//! operation stage (read the request, answer it, write the response). Routes, the
//! published WSDLs and the `serve` banner all come from `SERVICES`; adding a service
//! is one new file here and one row below.

/// The `Operate` of an operation stage that answers without waiting.
macro_rules! at_once {
    ($operate:path) => {
        |gw, caller, payload, action, ex| {
            Box::pin(std::future::ready($operate(
                gw, caller, payload, action, ex,
            )))
        }
    };
}

/// Declares `$start`, the `Operate` of an operation stage that waits (for the
/// register's writer, or a blocking thread). A named function rather than a closure:
/// the future's `Send` must be checked outside the row that names it.
macro_rules! awaiting {
    ($start:ident = $operate:path) => {
        fn $start<'a>(
            gw: &'a $crate::server::routes::Gateway,
            caller: &'a $crate::domain::Institution,
            payload: &'a $crate::wire::xml::Element<'a>,
            action: Option<&'a str>,
            ex: &'a mut $crate::server::soap_endpoint::Exchange,
        ) -> $crate::server::contracts::Operation<'a> {
            Box::pin($operate(gw, caller, payload, action, ex))
        }
    };
}

mod connector;
mod living_wages_v2;
mod living_wages_v3;
mod living_wages_with_amount_v1;
mod pcsa_decision_v1;
mod subscription_v1;

use std::future::Future;
use std::pin::Pin;

use super::routes::Gateway;
use super::soap_endpoint::{Exchange, Fault};
use crate::domain::Institution;
use crate::wire::common::CbssFault;
use crate::wire::wsdl;
use crate::wire::xml::{Element, XmlWriter};

/// The response body and the outcome the audit keeps (a status or result code).
pub type Answered = (String, &'static str);

/// The operation stage of one exchange, from the request element to the answer.
pub type Operation<'a> = Pin<Box<dyn Future<Output = Result<Answered, Fault>> + Send + 'a>>;

/// Starts the operation stage: the caller, the body's payload element, the declared
/// SOAPAction, and the exchange's audit facts.
pub type Operate = for<'a> fn(
    &'a Gateway,
    &'a Institution,
    &'a Element<'a>,
    Option<&'a str>,
    &'a mut Exchange,
) -> Operation<'a>;

pub struct SoapService {
    /// As named in faults: "LivingWagesService v2".
    pub name: &'static str,
    /// As listed by `serve` when it starts.
    pub banner: &'static str,
    pub path: &'static str,
    pub namespace: &'static str,
    /// The WSDL and schemas served at `path?wsdl` and `?xsd=NAME`.
    pub documents: &'static wsdl::Contract,
    /// Writes a fault's detail in the contract's own element; `None` for a contract
    /// that declares none (its faults then carry only a reason).
    pub fault_detail: Option<fn(&mut XmlWriter, &CbssFault)>,
    pub operate: Operate,
}

/// Every SOAP service, in the order `serve` lists them.
pub static SERVICES: [&SoapService; 6] = [
    &living_wages_v2::SERVICE,
    &living_wages_v3::SERVICE,
    &living_wages_with_amount_v1::SERVICE,
    &pcsa_decision_v1::SERVICE,
    &connector::SERVICE,
    &subscription_v1::SERVICE,
];

/// The service served at `path`, if any.
pub fn at(path: &str) -> Option<&'static SoapService> {
    SERVICES.iter().copied().find(|s| s.path == path)
}
