// A LivingWages V2 client as a Java institution builds it: the classes come from
// `wsimport` run on the WSDL the server publishes (`?wsdl`), nothing is written by hand
// but this file. It calls every V2 operation for each SSIN given and prints one line
// per call:
//
//     <operation> <ssin> <status code> <PCSA CBE numbers> <periods, begin..end>
//     <operation> <ssin> fault:<first reason code of the contract's fault>
//
// Lists are comma-separated, in the answer's order; "-" when empty.
//
// Usage (see examples/README.md):
//     java -Djavax.net.ssl.trustStore=ca.p12 -cp classes LivingWagesClient [--addressing] \
//         WSDL_URL USER PASSWORD CBE_NUMBER LEGAL_CONTEXT SSIN...
//
// --addressing turns JAX-WS's WS-Addressing on (AddressingFeature, required): each
// request carries wsa:Action, MessageID, To and ReplyTo, and JAX-WS checks that the
// answer relates to it.

import be.fgov.kszbcss.intf.livingwagesservice.v2.LivingWagesFaultMsg;
import be.fgov.kszbcss.intf.livingwagesservice.v2.LivingWagesPortType;
import be.fgov.kszbcss.intf.livingwagesservice.v2.LivingWagesService;
import be.fgov.kszbcss.types.common.v3.InformationCustomerType;
import be.fgov.kszbcss.types.common.v3.MessageType;
import be.fgov.kszbcss.types.common.v3.OpenPeriodType;
import be.fgov.kszbcss.types.common.v3.OrganizationIdentificationType;
import be.fgov.kszbcss.types.common.v3.PeriodType;
import be.fgov.kszbcss.types.common.v3.StatusType;
import be.fgov.kszbcss.types.livingwages.v2.GetLivingWagePeriodsPerPCSARequestType;
import be.fgov.kszbcss.types.livingwages.v2.GetLivingWagePeriodsPerPCSAResponseType;
import be.fgov.kszbcss.types.livingwages.v2.GetLivingWagePeriodsRequestType;
import be.fgov.kszbcss.types.livingwages.v2.GetLivingWagePeriodsResponseType;
import be.fgov.kszbcss.types.livingwages.v2.GetLivingWagesRequestType;
import be.fgov.kszbcss.types.livingwages.v2.GetLivingWagesResponseType;
import be.fgov.kszbcss.types.livingwages.v2.LivingWagePeriodsPerPCSAType;
import be.fgov.kszbcss.types.livingwages.v2.LivingWageType;
import be.fgov.kszbcss.types.livingwages.v2.LivingWagesCriteriaType;
import java.net.URL;
import java.util.GregorianCalendar;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.xml.datatype.DatatypeFactory;
import javax.xml.ws.BindingProvider;
import javax.xml.ws.soap.AddressingFeature;

public final class LivingWagesClient {
    private final LivingWagesPortType port;
    private final String cbeNumber;
    private final String legalContext;
    private final DatatypeFactory dates;

    private LivingWagesClient(String wsdl, boolean addressing, String user, String password,
            String cbeNumber, String legalContext) throws Exception {
        LivingWagesService service = new LivingWagesService(new URL(wsdl));
        this.port = addressing
            ? service.getLivingWagesService(new AddressingFeature(true, true))
            : service.getLivingWagesService();
        Map<String, Object> context = ((BindingProvider) port).getRequestContext();
        context.put(BindingProvider.USERNAME_PROPERTY, user);
        context.put(BindingProvider.PASSWORD_PROPERTY, password);
        this.cbeNumber = cbeNumber;
        this.legalContext = legalContext;
        this.dates = DatatypeFactory.newInstance();
    }

    public static void main(String[] args) throws Exception {
        int first = args.length > 0 && args[0].equals("--addressing") ? 1 : 0;
        if (args.length - first < 6) {
            System.err.println("usage: LivingWagesClient [--addressing] WSDL_URL USER PASSWORD"
                + " CBE_NUMBER LEGAL_CONTEXT SSIN...");
            System.exit(2);
        }
        LivingWagesClient client = new LivingWagesClient(args[first], first == 1,
            args[first + 1], args[first + 2], args[first + 3], args[first + 4]);
        for (int i = first + 5; i < args.length; i++) {
            client.consult(args[i]);
        }
    }

    /** Every operation of the contract, for one person. */
    private void consult(String ssin) {
        call("getLivingWages", ssin, () -> {
            GetLivingWagesRequestType request = fill(new GetLivingWagesRequestType(), ssin);
            GetLivingWagesResponseType response = port.getLivingWages(request);
            List<LivingWageType> rights = response.getLivingWages();
            return line(response.getStatus(),
                rights.stream().map(LivingWageType::getPcsaCbeNumber),
                rights.stream().flatMap(r -> r.getLivingWagePeriod().stream()));
        });
        call("getLivingWagePeriods", ssin, () -> {
            GetLivingWagePeriodsResponseType response =
                port.getLivingWagePeriods(fill(new GetLivingWagePeriodsRequestType(), ssin));
            return line(response.getStatus(), Stream.empty(),
                response.getLivingWagePeriod().stream());
        });
        call("getLivingWagePeriodsFlanders", ssin, () -> {
            GetLivingWagePeriodsResponseType response = port.getLivingWagePeriodsFlanders(
                fill(new GetLivingWagePeriodsRequestType(), ssin));
            return line(response.getStatus(), Stream.empty(),
                response.getLivingWagePeriod().stream());
        });
        call("getLivingWagePeriodsPerPCSA", ssin, () -> {
            GetLivingWagePeriodsPerPCSAResponseType response = port.getLivingWagePeriodsPerPCSA(
                fill(new GetLivingWagePeriodsPerPCSARequestType(), ssin));
            return perPcsa(response);
        });
        call("getLivingWagePeriodsPerPCSAFlanders", ssin, () -> {
            GetLivingWagePeriodsPerPCSAResponseType response =
                port.getLivingWagePeriodsPerPCSAFlanders(
                    fill(new GetLivingWagePeriodsPerPCSARequestType(), ssin));
            return perPcsa(response);
        });
    }

    private interface Call {
        String run() throws LivingWagesFaultMsg;
    }

    /** One call's line; a fault of the contract prints its first reason code. */
    private static void call(String operation, String ssin, Call call) {
        String outcome;
        try {
            outcome = call.run();
        } catch (LivingWagesFaultMsg fault) {
            List<MessageType> detail = fault.getFaultInfo().getDetail();
            outcome = "fault:" + (detail.isEmpty() ? "" : detail.get(0).getReasonCode());
        }
        System.out.println(operation + " " + ssin + " " + outcome);
    }

    private static String perPcsa(GetLivingWagePeriodsPerPCSAResponseType response) {
        List<LivingWagePeriodsPerPCSAType> groups = response.getLivingWagePeriodsPerPCSA();
        return line(response.getStatus(),
            groups.stream().map(LivingWagePeriodsPerPCSAType::getPcsaCbeNumber),
            groups.stream().flatMap(g -> g.getLivingWagePeriod().stream()));
    }

    private static String line(StatusType status, Stream<String> pcsas,
            Stream<PeriodType> periods) {
        return status.getCode() + " " + list(pcsas) + " " + list(periods.map(p ->
            p.getBeginDate().toXMLFormat() + ".."
                + (p.getEndDate() == null ? "open" : p.getEndDate().toXMLFormat())));
    }

    private static String list(Stream<String> items) {
        String joined = items.collect(Collectors.joining(","));
        return joined.isEmpty() ? "-" : joined;
    }

    /** The header every request carries, and criteria from 2000 on, open-ended. */
    private <R extends be.fgov.kszbcss.types.common.v3.BaseRequestType> R fill(R request,
            String ssin) {
        InformationCustomerType customer = new InformationCustomerType();
        customer.setTicket("java-" + UUID.randomUUID().toString().substring(0, 8));
        customer.setTimestampSent(dates.newXMLGregorianCalendar(new GregorianCalendar()));
        OrganizationIdentificationType organization = new OrganizationIdentificationType();
        organization.setCbeNumber(cbeNumber);
        customer.setCustomerIdentification(organization);
        request.setInformationCustomer(customer);
        request.setLegalContext(legalContext);
        LivingWagesCriteriaType criteria = new LivingWagesCriteriaType();
        criteria.setSsin(ssin);
        OpenPeriodType period = new OpenPeriodType();
        period.setBeginDate(dates.newXMLGregorianCalendarDate(2000, 1, 1,
            javax.xml.datatype.DatatypeConstants.FIELD_UNDEFINED));
        criteria.setPeriod(period);
        if (request instanceof GetLivingWagesRequestType) {
            ((GetLivingWagesRequestType) request).setCriteria(criteria);
        } else if (request instanceof GetLivingWagePeriodsRequestType) {
            ((GetLivingWagePeriodsRequestType) request).setCriteria(criteria);
        } else if (request instanceof GetLivingWagePeriodsPerPCSARequestType) {
            ((GetLivingWagePeriodsPerPCSARequestType) request).setCriteria(criteria);
        }
        return request;
    }
}
