#!/usr/bin/env python3
"""The other candidate for checking signatures: libxmlsec1 (through python-xmlsec, with
lxml parsing the message), timed on the same message as `benches/signatures.rs`,
which runs this script and prints its figure beside its own.

    python3 benches/libxmlsec1.py MESSAGE.xml CERTIFICATE.pem
"""

import sys
import time

import xmlsec
from lxml import etree

WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
DS = "http://www.w3.org/2000/09/xmldsig#"


def main() -> int:
    data = open(sys.argv[1], "rb").read()
    key = xmlsec.Key.from_file(sys.argv[2], xmlsec.KeyFormat.CERT_PEM)

    def verify() -> None:
        doc = etree.fromstring(data)
        # wsu:Id is not an ID for libxml2 until it is declared one.
        for element in doc.iter():
            if element.get(f"{{{WSU}}}Id"):
                xmlsec.tree.add_ids(element, ["Id"])
        ctx = xmlsec.SignatureContext()
        ctx.key = key
        ctx.verify(doc.find(f".//{{{DS}}}Signature"))

    verify()
    rounds = 2000
    start = time.perf_counter()
    for _ in range(rounds):
        verify()
    per = (time.perf_counter() - start) / rounds * 1e6
    print(f"{'signature checked, RSA-2048 SHA-256 (libxmlsec1)':<52} {per:>8.2f} µs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
