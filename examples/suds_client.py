#!/usr/bin/env python3
"""LivingWages V2 with suds (suds-community), generated from the served WSDL.

suds builds its client from ``?wsdl`` at run time, as zeep does, but writes requests
its own way; this script shows what a suds user sets up against the gateway (or the
network): the CA to trust, Basic credentials sent with the first request (suds'
``HttpAuthenticated`` waits for a challenge, which costs a round trip on every call),
and one ``getLivingWages`` per SSIN. It prints ``SSIN CODE PCSA,...`` per call.

    python3 examples/suds_client.py --manifest data/demo.json 85073100130 78041204597

Needs ``python3 -m pip install suds-community``.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import ssl
import sys
import urllib.request
from pathlib import Path

from suds import WebFault
from suds.client import Client
from suds.transport.http import HttpTransport

SERVICE_KEY = "livingWagesV2"
LEGAL_CONTEXT_KEY = "LivingWages"


class TrustingTransport(HttpTransport):
    """suds' HTTP transport, trusting the gateway's CA only."""

    def __init__(self, ca: Path) -> None:
        super().__init__()
        self.context = ssl.create_default_context(cafile=str(ca))

    def u2handlers(self) -> list:
        return [*super().u2handlers(), urllib.request.HTTPSHandler(context=self.context)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifest", type=Path, default=Path("data/demo.json"))
    parser.add_argument("--institution", help="institution key (default: the manifest's default)")
    parser.add_argument("ssins", nargs="+", metavar="SSIN")
    args = parser.parse_args(argv)
    try:
        manifest = json.loads(args.manifest.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        print(f"cannot read the manifest {args.manifest}: {err}", file=sys.stderr)
        return 2
    key = args.institution or manifest["defaultInstitution"]
    inst = next((i for i in manifest["institutions"] if i["key"] == key), None)
    if inst is None:
        print(f"no institution {key!r} in {args.manifest}", file=sys.stderr)
        return 2
    contexts = inst.get("legalContexts", {}).get(LEGAL_CONTEXT_KEY) or []
    if not contexts:
        print(f"institution {key!r} has no {LEGAL_CONTEXT_KEY} legal context", file=sys.stderr)
        return 2
    ca = Path(manifest["caCertificate"])
    if not ca.is_absolute():
        ca = args.manifest.resolve().parent / ca
    endpoint = manifest["endpoints"][SERVICE_KEY]
    credentials = f"{inst['username']}:{inst['password']}".encode()
    client = Client(
        endpoint + "?wsdl",
        transport=TrustingTransport(ca),
        headers={"Authorization": "Basic " + base64.b64encode(credentials).decode()},
    )
    for ssin in args.ssins:
        try:
            answer = client.service.getLivingWages(
                informationCustomer={
                    "ticket": f"suds-{ssin}",
                    "timestampSent": dt.datetime.now(dt.timezone.utc).astimezone().isoformat(),
                    "customerIdentification": {"cbeNumber": inst["cbeNumber"]},
                },
                legalContext=contexts[0],
                criteria={"ssin": ssin, "period": {"beginDate": "2000-01-01"}},
            )
        except WebFault as fault:
            detail = getattr(fault.fault, "detail", None)
            found = getattr(getattr(detail, "livingWagesFault", None), "detail", None) or []
            reason = found[0].reasonCode if found else fault.fault.faultstring
            print(f"{ssin} fault:{reason}")
            continue
        pcsas = [right.pcsaCbeNumber for right in getattr(answer, "livingWages", [])]
        print(f"{ssin} {answer.status.code} {','.join(pcsas) or '-'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
