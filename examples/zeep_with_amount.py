#!/usr/bin/env python3
"""Calls LivingWagesWithAmountService v1 of a running demo gateway with a zeep client
generated from the WSDL the server publishes: each demo person's payments by month
and by year, as ONEM (granted the service) sees them.

    python3 examples/zeep_with_amount.py --manifest data/demo.json [--institution onem]

Exits 0 when every answer has the status the demo manifest expects (a person the
demo's PCSAs paid answers MSG00000, one they did not MSG00100), 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import zeep
from requests import Session
from requests.auth import HTTPBasicAuth

BINDING = "{urn:bcss-gateway:intf:LivingWagesWithAmountService:v1}LivingWagesWithAmountServiceHTTPBinding"
SERVICE = "LivingWagesWithAmount"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifest", type=Path, default=Path("data/demo.json"))
    parser.add_argument("--institution", default="onem")
    parser.add_argument("--begin", default="2024-01-01", help="first day of the period asked")
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
    endpoint = manifest["endpoints"]["withAmountV1"]

    session = Session()
    session.trust_env = False
    session.verify = manifest["caCertificate"]
    session.auth = HTTPBasicAuth(inst["username"], inst["password"])
    client = zeep.Client(endpoint + "?wsdl", transport=zeep.Transport(session=session, timeout=30))
    service = client.create_service(BINDING, endpoint)

    # Persons the demo's PCSAs paid, and one they did not.
    expected = {"MSG00000": [], "MSG00100": []}
    for s in manifest["ssins"]:
        if s["expectedStatus"] == "MSG00100":
            expected["MSG00100"].append(s["ssin"])
    expected["MSG00000"] = [
        s["ssin"] for s in manifest["ssins"]
        if "from CPAS de Bruxelles" in s["illustrates"] or "from CPAS de Charleroi" in s["illustrates"]
    ]
    failures = 0
    for code, ssins in expected.items():
        for ssin in ssins:
            for aggregation in ("MONTH", "YEAR"):
                response = service.getLivingWagesWithAmount(
                    informationCustomer={"customerIdentification": {"cbeNumber": inst["cbeNumber"]}},
                    legalContext=contexts[0],
                    criteria={
                        "ssin": ssin,
                        "period": {"beginDate": args.begin},
                        "aggregation": aggregation,
                    },
                )
                status = response.status.code
                mark = "ok" if status == code else "UNEXPECTED"
                failures += status != code
                print(f"{ssin} {aggregation:<5} {status} ({mark})")
                if response.result is None:
                    continue
                for pcsa in response.result.pcsa:
                    for p in pcsa.payment:
                        # zeep reads xs:gYearMonth as (year, month, zone), xs:gYear as (year, zone).
                        unit = f"{p.month[0]:04}-{p.month[1]:02}" if p.month else f"{p.year[0]:04}"
                        print(
                            f"    {pcsa.cbeNumber} {unit} {p.allowanceType} {p.category or '-'} "
                            f"{p.amount:>10} EUR  whole={p.coversWholePeriod} definitive={p.definitive}"
                        )
                if response.result.lastMonthIsLastPaid is not None:
                    print(f"    last month returned is the last paid: {response.result.lastMonthIsLastPaid}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
