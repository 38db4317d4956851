//! TestConnectionService v1: the echo an institution calls first when it connects,
//! answered to any institution the gateway identifies.

use std::future::{Future, ready};
use std::sync::Arc;

use super::{Answering, Contract, Cx, Handled, SoapService, operate};
use crate::services::access::Identified;
use crate::services::status;
use crate::wire::common::{InformationCbss, RequestError, RequestHead, Status};
use crate::wire::test_connection_v1 as tc;
use crate::wire::wsdl;
use crate::wire::xml::{Element, XmlWriter};

pub const SERVICE: SoapService = SoapService {
    name: "TestConnectionService v1",
    banner: "TestConnection",
    path: tc::PATH,
    namespace: tc::INTF_NS,
    port_type: "TestConnectionServicePortType",
    documents: &wsdl::TEST_CONNECTION_V1,
    fault_detail: Some(tc::write_fault),
    operate: operate::<TestConnectionV1>,
};

pub struct TestConnectionV1;

impl Contract for TestConnectionV1 {
    type Role = Identified;
    const ROLE: Identified = Identified;
    type Request = tc::Request;
    /// Who the gateway identified, and the status.
    type Answer = (Arc<crate::domain::Institution>, Status);

    fn read(payload: &Element<'_>) -> Result<tc::Request, RequestError> {
        tc::read_request(payload)
    }

    fn head(request: &tc::Request) -> RequestHead<'_> {
        request.head()
    }

    fn answer<'a>(
        cx: &'a Cx<'a>,
        (): (),
        _request: &'a Arc<tc::Request>,
    ) -> impl Future<Output = Answering<Self::Answer>> + Send + 'a {
        ready(Ok(Handled::answer((
            cx.caller.clone(),
            status::data_found(),
        ))))
    }

    fn write(
        w: &mut XmlWriter,
        request: &tc::Request,
        cbss: &InformationCbss,
        (caller, status): &Self::Answer,
    ) {
        tc::write_response(w, request, cbss, caller, status);
    }

    fn outcome((_, status): &Self::Answer) -> &'static str {
        status.code
    }
}
