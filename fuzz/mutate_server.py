#!/usr/bin/env python3
"""Mutation fuzzing of a running gateway, over TLS, as a careless or hostile client.

Takes the committed corpus of each service's requests (fuzz/corpus/<target>/), mutates
them (bytes flipped, inserted, removed; digits changed, so dates and numbers reach the
edges of their ranges; elements repeated; the body cut short) and sends them with the
demo's credentials to the service's path. Every request must be answered within the
timeout, never with an unexpected internal error (MSG00003 or a 5xx other than 503),
and /health must stay answered. A finding is printed with the request that caused it.

    fuzz/mutate_server.py --data-dir data --minutes 10 [--threads 4] [--seed 1]

The gateway runs beside it (cargo run --release -- serve --demo --data-dir data).
"""

import argparse
import base64
import http.client
import json
import os
import random
import ssl
import sys
import threading
import time
from collections import Counter

PATHS = {
    "living_wages_v2": "/SOA4520/LivingWagesService/v2/consult",
    "living_wages_v3": "/SOA4520/LivingWagesService/v3/consult",
    "living_wages_with_amount": "/SOA4520/LivingWagesWithAmountService/v1/consult",
    "pcsa_decision": "/SOA4520/PcsaDecisionService/v1",
    "subscription": "/SOA4520/LivingWagesSubscriptionService/v1",
}
# Who sends what: a CPAS its decisions, a partner its consultations.
SENDER = {
    "pcsa_decision": "cpas-liege",
    "subscription": "cin",
}


def mutate(data: bytes, rnd: random.Random) -> bytes:
    b = bytearray(data)
    for _ in range(rnd.randint(1, 4)):
        op = rnd.randrange(7)
        if not b:
            break
        i = rnd.randrange(len(b))
        if op == 0:
            b[i] ^= 1 << rnd.randrange(8)
        elif op == 1:
            b[i:i] = bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 8)))
        elif op == 2:
            del b[i : i + rnd.randint(1, 16)]
        elif op == 3:
            # A digit changed: dates, months, amounts and numbers at their edges.
            digits = [j for j, c in enumerate(b) if 48 <= c <= 57]
            if digits:
                j = rnd.choice(digits)
                b[j] = rnd.choice(b"09")
        elif op == 4:
            # A year far away: 9999 or 0001.
            s = bytes(b)
            at = s.find(b"-", i)
            if at > 4 and s[at - 4 : at].isdigit():
                b[at - 4 : at] = rnd.choice([b"9999", b"0001", b"1969", b"2100"])
        elif op == 5:
            # An element repeated.
            s = bytes(b)
            start = s.rfind(b"<", 0, i)
            end = s.find(b">", i)
            if start >= 0 and end > start:
                b[end + 1 : end + 1] = s[start : end + 1]
        else:
            del b[rnd.randrange(len(b)) :]
    return bytes(b)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", default="data")
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=5)
    args = ap.parse_args()

    manifest = json.load(open(os.path.join(args.data_dir, "demo.json")))
    host, port = manifest["endpoints"]["livingWagesV2"].split("//")[1].split("/")[0].rsplit(":", 1)
    context = ssl.create_default_context(cafile=os.path.join(args.data_dir, "certs", "ca.pem"))
    auth = {
        i["key"]: "Basic "
        + base64.b64encode(f"{i['username']}:{i['password']}".encode()).decode()
        for i in manifest["institutions"]
    }
    default = manifest["defaultInstitution"]
    here = os.path.dirname(os.path.abspath(__file__))
    seeds = []
    for target, path in PATHS.items():
        d = os.path.join(here, "corpus", target)
        for name in sorted(os.listdir(d)):
            seeds.append((target, path, open(os.path.join(d, name), "rb").read()))

    deadline = time.time() + args.minutes * 60
    lock = threading.Lock()
    outcomes = Counter()
    findings = []
    sent = [0]

    def post(conn, path, key, body):
        conn.request(
            "POST",
            path,
            body=body,
            headers={
                "Content-Type": "text/xml; charset=utf-8",
                "Authorization": auth[key],
            },
        )
        r = conn.getresponse()
        return r.status, r.read()

    def worker(n):
        rnd = random.Random(args.seed * 1000 + n)
        conn = None
        while time.time() < deadline:
            target, path, seed = rnd.choice(seeds)
            body = mutate(seed, rnd)
            key = SENDER.get(target, default)
            if conn is None:
                conn = http.client.HTTPSConnection(host, int(port), context=context, timeout=args.timeout)
            started = time.time()
            try:
                status, answer = post(conn, path, key, body)
            except (TimeoutError, ssl.SSLError, OSError, http.client.HTTPException) as e:
                conn.close()
                conn = None
                timed_out = isinstance(e, TimeoutError) or "timed out" in str(e)
                with lock:
                    sent[0] += 1
                    outcomes["no answer" if timed_out else "connection closed"] += 1
                    if timed_out:
                        findings.append(("no answer within %.0f s" % args.timeout, target, body))
                continue
            took = time.time() - started
            code = "MSG00003" if b"MSG00003" in answer else ""
            with lock:
                sent[0] += 1
                outcomes[status] += 1
                unexpected = code == "MSG00003" and status != 503
                if unexpected or (status >= 500 and b"Fault" not in answer):
                    findings.append((f"HTTP {status} {code}", target, body))
                if took > args.timeout:
                    findings.append((f"answered after {took:.1f} s", target, body))

    def health():
        while time.time() < deadline:
            try:
                c = http.client.HTTPSConnection(host, int(port), context=context, timeout=args.timeout)
                c.request("GET", "/health")
                ok = c.getresponse().read().strip() == b"ok"
                c.close()
            except (TimeoutError, OSError, http.client.HTTPException):
                ok = False
            if not ok:
                with lock:
                    findings.append(("/health unanswered", "health", b""))
            time.sleep(1)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(args.threads)]
    threads.append(threading.Thread(target=health))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(f"{sent[0]} mutated requests in {args.minutes:g} min over {len(seeds)} seeds")
    for k, v in sorted(outcomes.items(), key=lambda kv: str(kv[0])):
        print(f"  {k}: {v}")
    for what, target, body in findings[:20]:
        print(f"FINDING {what} ({target}): {body[:300]!r}")
    print(f"{len(findings)} findings")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
