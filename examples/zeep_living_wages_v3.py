#!/usr/bin/env python3
"""Calls LivingWagesService v3 of a running demo gateway with a zeep client generated
from the WSDL the server publishes: each demo person's rights with the decision behind
each one (attestation, decision date, last modification, suspension, withdrawal).

    python3 examples/zeep_living_wages_v3.py --manifest data/demo.json [--region FLANDERS]

Exits 0 when every answer has the status the demo manifest expects, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import zeep
from requests import Session
from requests.auth import HTTPBasicAuth

BINDING = "{urn:bcss-gateway:intf:LivingWagesService:v3}LivingWagesServiceHTTPBinding"
SERVICE = "LivingWages"


def show_period(p) -> str:
    return f"{p.beginDate}..{p.endDate}" if p is not None else "(none in force)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifest", type=Path, default=Path("data/demo.json"))
    parser.add_argument("--institution", default="onem")
    parser.add_argument("--begin", default="2015-01-01", help="first day of the period asked")
    parser.add_argument("--region", choices=["BELGIUM", "FLANDERS", "WALLONIA", "BRUSSELS"])
    args = parser.parse_args()

    manifest = json.loads(args.manifest.read_text(encoding="utf-8"))
    inst = next((i for i in manifest["institutions"] if i["key"] == args.institution), None)
    if inst is None:
        print(f"institution {args.institution!r} is not in the manifest", file=sys.stderr)
        return 2
    contexts = inst.get("legalContexts", {}).get(SERVICE)
    if not contexts:
        print(f"{args.institution} has no grant for {SERVICE} in the demo", file=sys.stderr)
        return 2
    endpoint = manifest["endpoints"]["livingWagesV3"]

    session = Session()
    session.trust_env = False
    session.verify = manifest["caCertificate"]
    session.auth = HTTPBasicAuth(inst["username"], inst["password"])
    client = zeep.Client(endpoint + "?wsdl", transport=zeep.Transport(session=session, timeout=30))
    service = client.create_service(BINDING, endpoint)

    criteria = {"period": {"beginDate": args.begin}}
    if args.region:
        criteria["region"] = args.region
    failures = 0
    for person in manifest["ssins"]:
        response = service.getLivingWages(
            informationCustomer={"customerIdentification": {"cbeNumber": inst["cbeNumber"]}},
            legalContext=contexts[0],
            criteria={"ssin": person["ssin"], **criteria},
        )
        status = response.status.code
        # A region filter may leave a person with rights elsewhere without data.
        expected = {person["expectedStatus"]}
        if args.region and person["expectedStatus"] == "MSG00000":
            expected.add("MSG00100")
        mark = "ok" if status in expected else f"UNEXPECTED, expected {person['expectedStatus']}"
        failures += status not in expected
        print(f"{person['ssin']} {status} ({mark}): {person['illustrates']}")
        for r in response.right or []:
            decision = (
                f"decided {r.decisionDate} attestation {r.attestation} "
                f"changed {r.lastModification.isoformat()} suspension {r.suspensionCode}"
                if r.attestation
                else "no decision on record"
            )
            print(
                f"    {r.pcsa.cbeNumber} (INS {r.pcsa.insCode}) {r.kind:<22} "
                f"{show_period(r.period)} {r.state}; {decision}"
            )
            if r.withdrawal is not None:
                w = r.withdrawal
                print(
                    f"        withdrawn {show_period(w.period)} by {w.attestation} "
                    f"(decided {w.decisionDate})"
                )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
