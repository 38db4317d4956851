#!/usr/bin/env python3
"""An integration test as a partner institution writes it for its pipeline.

It starts bcss-gateway on a world file (its own institution, CPAS and test persons),
resets the register before every test through the admin API, adds what a test needs
through that API, and consults with a zeep client generated from the WSDL the
gateway serves, as the application does against the real network. The last tests
inject faults (a forced status, a Server fault, a reset, no answer) to check how the
application copes, and tell them apart in the journal.

    BCSS_GATEWAY=target/release/bcss-gateway python3 -m unittest examples/ci/test_living_wages.py

Requires: pip install zeep (which brings requests and lxml). BCSS_GATEWAY is the
gateway's binary (default: target/release/bcss-gateway); BCSS_WORLD the world file
(default: examples/worlds/example.toml).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import tempfile
import threading
import unittest
from pathlib import Path

import requests
import zeep
from requests.auth import HTTPBasicAuth

ROOT = Path(__file__).resolve().parents[2]
BINARY = os.environ.get("BCSS_GATEWAY", str(ROOT / "target" / "release" / "bcss-gateway"))
WORLD = os.environ.get("BCSS_WORLD", str(ROOT / "examples" / "worlds" / "example.toml"))
# The example world's institution, and a CPAS it declares.
INSTITUTION = "0212345668"
PASSWORD = "change-me-test-partner"
LEGAL_CONTEXT = "UNEMPLOYMENT:LIVING_WAGE_CHECK"
PCSA = "0207654333"
# A test person of this suite (valid check digits), not in the world file.
NEW_PERSON = "87020312376"
V2 = "/SOA4520/LivingWagesService/v2/consult"


class Gateway:
    """The gateway on a temporary data directory, with development certificates."""

    def __init__(self) -> None:
        self.dir = tempfile.TemporaryDirectory()
        data = Path(self.dir.name) / "data"
        subprocess.run(
            [BINARY, "certs", "--out", str(data / "certs")],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        self.ca = str(data / "certs" / "ca.pem")
        self.process = subprocess.Popen(
            [BINARY, "serve", "--data-dir", str(data), "--world", WORLD,
             "--addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self.url = self.admin_url = ""
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if m := re.match(r"bcss-gateway listening on (https://\S+)", line):
                self.url = m.group(1)
            if m := re.match(r"\s*admin API\s+(https://[^/\s]+)", line):
                self.admin_url = m.group(1)
                break
        if not (self.url and self.admin_url):
            raise RuntimeError("the gateway stopped before it listened")
        # Keep reading its output so that it never blocks on a full pipe.
        threading.Thread(target=self.process.stdout.read, daemon=True).start()
        self.admin = self.session()
        token = (data / "admin.token").read_text().strip()
        self.admin.headers["Authorization"] = f"Bearer {token}"

    def session(self) -> requests.Session:
        session = requests.Session()
        # REQUESTS_CA_BUNDLE would override `verify`: trust this gateway's CA only.
        session.trust_env = False
        session.verify = self.ca
        return session

    def call(self, method: str, path: str, **kwargs) -> dict:
        answer = self.admin.request(method, self.admin_url + path, timeout=30, **kwargs)
        if answer.status_code not in (200, 201):
            raise AssertionError(f"{method} {path}: {answer.status_code} {answer.text}")
        return answer.json()

    def apply(self, fragment: str) -> dict:
        return self.call("POST", "/v1/world", data=fragment.encode(),
                         headers={"Content-Type": "application/toml"})

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.dir.cleanup()


class LivingWagesTest(unittest.TestCase):
    gateway: Gateway
    service: object

    @classmethod
    def setUpClass(cls) -> None:
        cls.gateway = Gateway()
        session = cls.gateway.session()
        session.auth = HTTPBasicAuth(f"E{INSTITUTION}", PASSWORD)
        client = zeep.Client(cls.gateway.url + V2 + "?wsdl",
                             transport=zeep.Transport(session=session, timeout=30))
        cls.service = client.service

    @classmethod
    def tearDownClass(cls) -> None:
        cls.gateway.stop()

    def setUp(self) -> None:
        # Every test starts from the world file, whatever the one before added, and
        # with no fault rule.
        self.gateway.call("POST", "/v1/reset")
        self.gateway.call("DELETE", "/v1/faults")

    def fault(self, rule: dict) -> int:
        return self.gateway.call("POST", "/v1/faults", json=rule)["rules"][0]["id"]

    def consult(self, ssin: str):
        return self.service.getLivingWages(
            informationCustomer={
                "ticket": "ci-example",
                "timestampSent": dt.datetime.now(dt.timezone.utc),
                "customerIdentification": {"cbeNumber": INSTITUTION},
            },
            legalContext=LEGAL_CONTEXT,
            criteria={"ssin": ssin, "period": {"beginDate": dt.date(2020, 1, 1)}},
        )

    def add_person_with_a_right(self) -> None:
        self.gateway.apply(f"""
[[person]]
ssin = "{NEW_PERSON}"
lastName = "Maes"
firstName = "Eva"

[[inscription]]
institution = "{INSTITUTION}"
ssin = "{NEW_PERSON}"
quality = 1
begin = "2020-01-01"

[[right]]
ssin = "{NEW_PERSON}"
pcsa = "{PCSA}"
kind = "LIVING_WAGE"
category = "B"
[[right.period]]
begin = "2024-01-01"
end = "2024-06-30"
""")

    def test_a_person_of_the_world_file_has_their_right(self) -> None:
        answer = self.consult("90011512363")
        self.assertEqual(answer.status.code, "MSG00000")

    def test_a_person_added_through_the_api_is_consulted(self) -> None:
        self.add_person_with_a_right()
        answer = self.consult(NEW_PERSON)
        self.assertEqual(answer.status.code, "MSG00000")
        periods = [(p.beginDate, p.endDate)
                   for right in answer.livingWages for p in right.livingWagePeriod]
        self.assertEqual(periods, [(dt.date(2024, 1, 1), dt.date(2024, 6, 30))])

    def test_reset_forgets_what_a_test_added(self) -> None:
        self.add_person_with_a_right()
        self.gateway.call("POST", "/v1/reset")
        self.assertEqual(self.consult(NEW_PERSON).status.code, "MSG00005")

    def test_a_forced_status_is_answered_once(self) -> None:
        self.fault({"match": {"ssin": "90011512363"}, "effect": {"status": "MSG00012"},
                    "count": 1})
        self.assertEqual(self.consult("90011512363").status.code, "MSG00012")
        self.assertEqual(self.consult("90011512363").status.code, "MSG00000")

    def test_the_networks_internal_error_is_a_server_fault(self) -> None:
        self.fault({"effect": {"fault": {}}, "count": 1})
        with self.assertRaises(zeep.exceptions.Fault) as raised:
            self.consult("90011512363")
        self.assertIn("unexpected internal error", raised.exception.message)

    def test_a_reset_and_a_silent_network_fail_as_on_the_wire(self) -> None:
        self.fault({"effect": "reset", "count": 1})
        with self.assertRaises(requests.exceptions.ConnectionError):
            self.consult("90011512363")
        # No answer: the application's own timeout ends the wait.
        session = self.gateway.session()
        session.auth = HTTPBasicAuth(f"E{INSTITUTION}", PASSWORD)
        impatient = zeep.Client(self.gateway.url + V2 + "?wsdl",
                                transport=zeep.Transport(session=session,
                                                         operation_timeout=1))
        self.fault({"effect": {"hold": {"ms": 5000}}, "count": 1})
        with self.assertRaises(requests.exceptions.Timeout):
            impatient.service.getLivingWages(
                informationCustomer={"customerIdentification": {"cbeNumber": INSTITUTION}},
                legalContext=LEGAL_CONTEXT,
                criteria={"ssin": "90011512363", "period": {"beginDate": dt.date(2020, 1, 1)}},
            )
        self.assertEqual(self.consult("90011512363").status.code, "MSG00000")
        # The journal tells the injected failures from real ones (the last two, newest
        # first: the journal outlives resets).
        injected = self.gateway.call("GET", "/v1/journal?injected=true&limit=2")
        notes = [r["injected"] for r in injected["records"]]
        self.assertEqual(len(notes), 2, notes)
        self.assertTrue(notes[0].endswith("hold") and notes[1].endswith("reset"), notes)


if __name__ == "__main__":
    unittest.main()
