#!/usr/bin/env python3
"""Call the LivingWages V2 service of a running bcss-gateway demo server with zeep.

The client is generated from the WSDL the server publishes (``?wsdl``), exactly as an
institution would do against the real CBSS, and is driven by the manifest that
``serve --demo`` writes into its data directory (endpoints, CA certificate, demo
institutions and their credentials, demo SSINs).

    python3 examples/zeep_client.py                          # all five operations
    python3 examples/zeep_client.py --auth cert --ssin 85073100136
    python3 examples/zeep_client.py --auth signature          # WS-Security X.509
    python3 examples/zeep_client.py --all-ssins              # interoperability check

Exit status: 0 when every call was answered with a status (and, with --all-ssins, every
status code is the expected one); 1 otherwise; 2 for a usage or manifest problem.

Requires: pip install zeep (which brings requests and lxml); --auth signature also
needs xmlsec (pip install xmlsec).
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import secrets
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import zeep
import zeep.exceptions
from lxml import etree
from requests.auth import HTTPBasicAuth

INTF_NS = "http://kszbcss.fgov.be/intf/LivingWagesService/v2"
SOAP11_BINDING = f"{{{INTF_NS}}}LivingWagesServiceHTTPBinding"
SOAP12_BINDING = f"{{{INTF_NS}}}LivingWagesServiceSOAP12Binding"
OPERATIONS = (
    "getLivingWagePeriods",
    "getLivingWagePeriodsFlanders",
    "getLivingWagePeriodsPerPCSA",
    "getLivingWagePeriodsPerPCSAFlanders",
    "getLivingWages",
)
SERVICE_KEY = "livingWagesV2"
LEGAL_CONTEXT_KEY = "LivingWages"


class UsageError(Exception):
    """A problem with the arguments or the manifest (exit status 2)."""


# --------------------------------------------------------------------------- manifest


@dataclass(frozen=True)
class Institution:
    key: str
    name: str
    cbe_number: str
    username: str
    password: str
    certificate: Path | None
    private_key: Path | None
    legal_contexts: dict[str, list[str]]


@dataclass(frozen=True)
class DemoSsin:
    ssin: str
    illustrates: str
    expected_status: str


@dataclass(frozen=True)
class Manifest:
    endpoint: str
    wsdl: str
    ca_certificate: Path
    server_certificate: Path | None
    default_institution: str
    institutions: list[Institution]
    ssins: list[DemoSsin]

    def institution(self, key: str | None) -> Institution:
        wanted = key or self.default_institution
        for inst in self.institutions:
            if inst.key == wanted:
                return inst
        known = ", ".join(i.key for i in self.institutions) or "none"
        raise UsageError(f"institution {wanted!r} is not in the manifest (known: {known})")


def load_manifest(path: Path) -> Manifest:
    """Read the demo manifest; relative file names are taken relative to it."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(
            f"manifest {path} not found: start the server with `cargo run --release -- serve --demo` "
            "or pass --manifest DATA_DIR/demo.json"
        ) from None
    except json.JSONDecodeError as err:
        raise UsageError(f"manifest {path} is not valid JSON: {err}") from None

    base = path.resolve().parent

    def file(value: str | None) -> Path | None:
        if not value:
            return None
        p = Path(value)
        return p if p.is_absolute() else base / p

    try:
        institutions = [
            Institution(
                key=i["key"],
                name=i.get("name", i["key"]),
                cbe_number=i["cbeNumber"],
                username=i.get("username", "E" + i["cbeNumber"]),
                password=i.get("password", ""),
                certificate=file(i.get("certificate")),
                private_key=file(i.get("privateKey")),
                legal_contexts={k: list(v) for k, v in i.get("legalContexts", {}).items()},
            )
            for i in raw.get("institutions", [])
        ]
        ssins = [
            DemoSsin(s["ssin"], s.get("illustrates", ""), s.get("expectedStatus", ""))
            for s in raw.get("ssins", [])
        ]
        ca = file(raw["caCertificate"])
        if ca is None:
            raise KeyError("caCertificate")
        return Manifest(
            endpoint=raw["endpoints"][SERVICE_KEY],
            wsdl=raw.get("wsdl", {}).get(SERVICE_KEY) or raw["endpoints"][SERVICE_KEY] + "?wsdl",
            ca_certificate=ca,
            server_certificate=file(raw.get("serverCertificate")),
            default_institution=raw.get("defaultInstitution")
            or (institutions[0].key if institutions else ""),
            institutions=institutions,
            ssins=ssins,
        )
    except (KeyError, TypeError) as err:
        raise UsageError(f"manifest {path} lacks an expected field: {err}") from None


# --------------------------------------------------------------------------- client


class Timestamp:
    """A zeep WS-Security plugin adding a wsu:Timestamp (valid five minutes) to the
    Security header: zeep's signature covers it when it is there."""

    def apply(self, envelope: Any, headers: dict[str, str]) -> tuple[Any, dict[str, str]]:
        from zeep.wsse import utils

        security = utils.get_security_header(envelope)
        created = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        timestamp = utils.WSU("Timestamp")
        timestamp.append(utils.WSU("Created", created.isoformat().replace("+00:00", "Z")))
        expires = created + dt.timedelta(minutes=5)
        timestamp.append(utils.WSU("Expires", expires.isoformat().replace("+00:00", "Z")))
        security.append(timestamp)
        return envelope, headers

    def verify(self, envelope: Any) -> None:
        pass


def signature_plugins(inst: Institution, server_certificate: Path | None) -> Any:
    """What an institution's client adds to sign its requests as the network expects:
    a timestamp, then an X.509 signature over the Body and the timestamp with the
    certificate sent as a BinarySecurityToken. The method follows the key (the demo's
    client keys are RSA, as the network's application certificates; ECDSA works too).
    With ``server_certificate``, the answers' signatures are verified with it (the
    server signs them with ``--sign-answers``); without, they are not checked."""
    import xmlsec
    from zeep.wsse import Compose
    from zeep.wsse.signature import BinarySignature, _verify_envelope_with_key

    class SignedRequests(BinarySignature):
        """zeep verifies an answer with the client's own certificate; the gateway signs
        with its own, so this checks with that one, when given."""

        def verify(self, envelope: Any) -> Any:
            if server_certificate is None:
                return envelope
            key = xmlsec.Key.from_file(str(server_certificate), xmlsec.constants.KeyDataFormatCertPem)
            _verify_envelope_with_key(envelope, key)
            return envelope

    if not inst.certificate or not inst.private_key:
        raise UsageError(f"institution {inst.key!r} has no client certificate in the manifest")
    # The EC public key OID (1.2.840.10045.2.1) in the certificate says ECDSA.
    pem = inst.certificate.read_text()
    der = base64.b64decode("".join(line for line in pem.splitlines() if not line.startswith("-----")))
    ec = bytes.fromhex("06072a8648ce3d0201") in der
    method = xmlsec.Transform.ECDSA_SHA256 if ec else xmlsec.Transform.RSA_SHA256
    signature = SignedRequests(
        str(inst.private_key), str(inst.certificate), signature_method=method, digest_method=xmlsec.Transform.SHA256
    )
    return Compose([Timestamp(), signature])


def make_session(manifest: Manifest, inst: Institution, auth: str) -> requests.Session:
    session = requests.Session()
    # requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override session.verify; the demo
    # server's CA from the manifest must win, so ignore the environment (proxies included).
    session.trust_env = False
    session.verify = str(manifest.ca_certificate)
    if auth == "basic":
        session.auth = HTTPBasicAuth(inst.username, inst.password)
    elif auth == "signature":
        pass  # the signature in each message identifies the institution
    else:
        if not inst.certificate or not inst.private_key:
            raise UsageError(f"institution {inst.key!r} has no client certificate in the manifest")
        session.cert = (str(inst.certificate), str(inst.private_key))
    return session


def make_client(
    wsdl: str, endpoint: str, session: requests.Session, soap12: bool, wsse: Any = None
) -> tuple[zeep.Client, Any]:
    """Build the zeep client and a service proxy whose calls go to ``endpoint``, whatever
    address the WSDL holds (it matters for --wsdl with the project's own file)."""
    client = zeep.Client(wsdl, transport=zeep.Transport(session=session, timeout=30), wsse=wsse)
    return client, client.create_service(SOAP12_BINDING if soap12 else SOAP11_BINDING, endpoint)


def build_request(inst: Institution, ssin: str, begin: dt.date, end: dt.date | None) -> dict[str, Any]:
    contexts = inst.legal_contexts.get(LEGAL_CONTEXT_KEY) or []
    if not contexts:
        raise UsageError(f"institution {inst.key!r} has no {LEGAL_CONTEXT_KEY} legal context in the manifest")
    period: dict[str, Any] = {"beginDate": begin}
    if end is not None:
        period["endDate"] = end
    return {
        "informationCustomer": {
            "ticket": f"zeep-{secrets.token_hex(6)}",  # a client reference (at most 32 chars)
            "timestampSent": dt.datetime.now(dt.timezone.utc).astimezone(),
            "customerIdentification": {"cbeNumber": inst.cbe_number},
        },
        "legalContext": contexts[0],
        "criteria": {"ssin": ssin, "period": period},
    }


@dataclass(frozen=True)
class Outcome:
    """What one call produced: a status code, or a fault/transport error."""

    code: str | None  # status code (MSG00000...), or the fault's first reasonCode
    answered: bool  # True when the response carried a status
    lines: list[str]


def _fmt_period(p: Any) -> str:
    end = getattr(p, "endDate", None)
    return f"{p.beginDate} .. {end if end is not None else '(open)'}"


def _status_lines(status: Any) -> list[str]:
    lines = [
        f"status  {status.value}  {status.code}" + (f"  {status.description}" if status.description else "")
    ]
    for info in status.information or []:
        value = info.fieldValue if info.fieldValue is not None else ""
        lines.append(f"        {info.fieldName} = {value}")
    return lines


def _data_lines(operation: str, response: Any) -> list[str]:
    """The periods of the answer, laid out by operation."""
    lines: list[str] = []
    if operation in ("getLivingWagePeriods", "getLivingWagePeriodsFlanders"):
        periods = response.livingWagePeriod or []
        lines += [f"period  {_fmt_period(p)}" for p in periods]
    elif operation in ("getLivingWagePeriodsPerPCSA", "getLivingWagePeriodsPerPCSAFlanders"):
        for group in response.livingWagePeriodsPerPCSA or []:
            lines.append(f"PCSA    {group.pcsaCbeNumber}")
            lines += [f"          {_fmt_period(p)}" for p in group.livingWagePeriod]
    else:
        for right in response.livingWages or []:
            lines.append(f"PCSA    {right.pcsaCbeNumber}  {right.category}")
            lines += [f"          {_fmt_period(p)}" for p in right.livingWagePeriod]
    if not lines and response.status.value == "DATA_FOUND":
        lines.append("(no periods)")
    return lines


def _fault_lines(fault: zeep.exceptions.Fault) -> tuple[str | None, list[str]]:
    lines = [f"SOAP fault  {fault.code or ''}  {fault.message}".rstrip()]
    first_code: str | None = None
    detail = fault.detail
    if detail is not None:
        for lw_fault in detail.iter(f"{{{INTF_NS}}}livingWagesFault"):
            for msg in lw_fault.findall("detail"):
                reason = (msg.findtext("reasonCode") or "").strip()
                first_code = first_code or reason
                severity, diagnostic = msg.findtext("severity", ""), msg.findtext("diagnostic", "")
                lines.append(f"        {severity}  {reason}  {diagnostic}".rstrip())
                for info in msg.findall("information"):
                    lines.append(
                        f"          {info.findtext('fieldName', '')} = {info.findtext('fieldValue', '')}"
                    )
    return first_code, lines


def call(service: Any, operation: str, request: dict[str, Any]) -> Outcome:
    """Call one operation; faults and transport errors become an Outcome, never an exception."""
    try:
        response = getattr(service, operation)(**request)
    except zeep.exceptions.Fault as fault:
        code, lines = _fault_lines(fault)
        return Outcome(code, False, lines)
    except zeep.exceptions.TransportError as err:
        hint = " (check --auth and the credentials)" if err.status_code in (401, 403) else ""
        return Outcome(None, False, [f"HTTP error {err.status_code}: {err.message}{hint}"])
    except requests.exceptions.RequestException as err:
        return Outcome(None, False, [f"transport error: {err}"])
    except zeep.exceptions.SignatureVerificationFailed:
        return Outcome(None, False, ["the answer's signature does not verify with the server's certificate"])
    except zeep.exceptions.Error as err:
        return Outcome(None, False, [f"unexpected answer: {err}"])
    status = getattr(response, "status", None)
    if status is None:
        return Outcome(None, False, ["response without a status"])
    return Outcome(status.code, True, _status_lines(status) + _data_lines(operation, response))


# --------------------------------------------------------------------------- commands


def run_all_operations(
    service: Any, ssin: str, make_request: Callable[[str], dict[str, Any]], out: Callable[[str], None]
) -> int:
    answered = 0
    for operation in OPERATIONS:
        outcome = call(service, operation, make_request(ssin))  # a fresh ticket per call
        answered += outcome.answered
        out("")
        out(operation)
        for line in outcome.lines:
            out("    " + line)
    out("")
    out(f"{answered}/{len(OPERATIONS)} calls answered with a status")
    return 0 if answered == len(OPERATIONS) else 1


def run_all_ssins(
    service: Any,
    manifest: Manifest,
    make_request: Callable[[str], dict[str, Any]],
    out: Callable[[str], None],
) -> int:
    if not manifest.ssins:
        raise UsageError("the manifest lists no SSINs")
    mismatches = 0
    out(f"{'SSIN':<12} {'expected':<9} {'actual':<15} {'':<8} illustrates")
    for case in manifest.ssins:
        outcome = call(service, "getLivingWages", make_request(case.ssin))
        actual = outcome.code or "-"
        if not outcome.answered:
            actual = f"fault:{actual}" if outcome.code else "error"
        # a fault matches only when the manifest expects exactly its reason code
        ok = outcome.code is not None and outcome.code == case.expected_status
        mismatches += not ok
        verdict = "ok" if ok else "MISMATCH"
        out(f"{case.ssin:<12} {case.expected_status:<9} {actual:<15} {verdict:<8} {case.illustrates}")
        if not ok:
            for line in outcome.lines:
                out("             " + line)
    out("")
    out(f"{len(manifest.ssins) - mismatches}/{len(manifest.ssins)} SSINs answered as expected")
    return 0 if mismatches == 0 else 1


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Call the LivingWages V2 operations of a bcss-gateway demo server with zeep.",
    )
    parser.add_argument(
        "--manifest",
        type=Path,
        default=Path("data/demo.json"),
        help="demo manifest written by `serve --demo` (default: data/demo.json)",
    )
    parser.add_argument(
        "--institution", metavar="KEY", help="institution key (default: the manifest's defaultInstitution)"
    )
    parser.add_argument(
        "--auth",
        choices=("basic", "cert", "signature"),
        default="basic",
        help="HTTP Basic (default), TLS client certificate, or a WS-Security X.509 signature",
    )
    parser.add_argument("--ssin", help="SSIN to look up (default: the first demo SSIN expecting MSG00000)")
    parser.add_argument(
        "--all-ssins",
        action="store_true",
        help="call getLivingWages for every demo SSIN and compare with the expected status",
    )
    parser.add_argument(
        "--begin-date",
        type=dt.date.fromisoformat,
        default=dt.date(2020, 1, 1),
        help="criteria period beginDate (default: 2020-01-01)",
    )
    parser.add_argument(
        "--end-date",
        type=dt.date.fromisoformat,
        default=None,
        help="criteria period endDate (default: none, an open period)",
    )
    parser.add_argument("--soap12", action="store_true", help="use the SOAP 1.2 port instead of SOAP 1.1")
    parser.add_argument(
        "--verify-answers",
        action="store_true",
        help="with --auth signature, verify each answer's signature with the server's certificate "
        "(the server must run with --sign-answers)",
    )
    parser.add_argument(
        "--wsdl",
        metavar="PATH_OR_URL",
        help="load the WSDL from here instead of the server (e.g. wsdl/LivingWagesV2.wsdl)",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="build the client and print the getLivingWages request envelope without sending it",
    )
    args = parser.parse_args(argv)
    if args.all_ssins and args.ssin:
        parser.error("--all-ssins and --ssin are exclusive")
    if args.verify_answers and args.auth != "signature":
        parser.error("--verify-answers needs --auth signature")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    out: Callable[[str], None] = print
    try:
        manifest = load_manifest(args.manifest)
        inst = manifest.institution(args.institution)
        ssin = args.ssin
        if ssin is None and not args.all_ssins:
            ssin = next((s.ssin for s in manifest.ssins if s.expected_status == "MSG00000"), None)
            if ssin is None:
                raise UsageError("no SSIN given and the manifest has none expecting MSG00000; use --ssin")

        def make_request(s: str) -> dict[str, Any]:
            return build_request(inst, s, args.begin_date, args.end_date)

        make_request(ssin or "")  # checks the legal context before anything is printed

        session = make_session(manifest, inst, args.auth)
        wsdl = args.wsdl or manifest.wsdl
        if args.soap12 and wsdl.endswith("?wsdl"):
            wsdl += "12"  # the server describes its SOAP 1.2 binding in a WSDL of its own
        try:
            answers = manifest.server_certificate if args.verify_answers else None
            wsse = signature_plugins(inst, answers) if args.auth == "signature" else None
            client, service = make_client(wsdl, manifest.endpoint, session, args.soap12, wsse)
        except (
            requests.exceptions.RequestException,
            zeep.exceptions.Error,
            OSError,
            etree.XMLSyntaxError,
        ) as err:
            print(f"cannot load the WSDL from {wsdl}: {err}", file=sys.stderr)
            return 1

        out(f"endpoint     {manifest.endpoint} (SOAP {'1.2' if args.soap12 else '1.1'})")
        out(f"WSDL         {wsdl}")
        out(f"institution  {inst.key} ({inst.name}), CBE {inst.cbe_number}, auth {args.auth}")
        period = f"{args.begin_date} .. {args.end_date or '(open)'}"
        if args.dry_run:
            request = make_request(ssin or manifest.ssins[0].ssin)
            envelope = client.create_message(service, "getLivingWages", **request)
            out(etree.tostring(envelope, pretty_print=True, encoding="unicode"))
            return 0
        if args.all_ssins:
            out(f"period       {period}")
            out("")
            return run_all_ssins(service, manifest, make_request, out)
        out(f"SSIN         {ssin}, period {period}")
        return run_all_operations(service, ssin, make_request, out)
    except UsageError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
