#!/usr/bin/env python3
"""How long a reset of the register takes through the admin API.

Start a gateway first (e.g. `target/release/bcss-gateway serve --demo --data-dir D`),
then: `python3 benches/reset.py D [N] [ADMIN_ADDR]`. Prints the median and the worst
round trip of N resets on one HTTPS connection, and the median the server reports.
"""

import http.client
import json
import ssl
import statistics
import sys
import time
from pathlib import Path


def main() -> None:
    data = Path(sys.argv[1])
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    host, _, port = (sys.argv[3] if len(sys.argv) > 3 else "127.0.0.1:9444").rpartition(":")
    token = (data / "admin.token").read_text().strip()
    # The demo's CA; REQUESTS_CA_BUNDLE and the like are not consulted.
    context = ssl.create_default_context(cafile=str(data / "certs" / "ca.pem"))
    connection = http.client.HTTPSConnection(host, int(port), context=context)
    round_trips, server = [], []
    for _ in range(runs):
        started = time.perf_counter()
        connection.request("POST", "/v1/reset", headers={"Authorization": f"Bearer {token}"})
        answer = connection.getresponse()
        body = answer.read()
        round_trips.append((time.perf_counter() - started) * 1000)
        if answer.status != 200:
            sys.exit(f"reset answered {answer.status}: {body.decode(errors='replace')}")
        server.append(json.loads(body)["tookMs"])
    print(
        f"{runs} resets: round trip median {statistics.median(round_trips):.1f} ms, "
        f"worst {max(round_trips):.1f} ms; server median {statistics.median(server):.1f} ms"
    )


if __name__ == "__main__":
    main()
