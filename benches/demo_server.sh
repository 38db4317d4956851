# Sourced by the load and soak benchmarks: starts the release gateway (or $GATEWAY) in
# demo mode on a loopback port in a temporary data directory, and reads the demo's
# default institution and a person it finds data for.
#   start_demo_server [SERVE ARGS...]   sets work, server, base
#   user password cbe lc ssin           set by start_demo_server from demo.json
start_demo_server() {
  local gateway="${GATEWAY:-}"
  if [ -z "$gateway" ]; then
    cargo build --release --quiet
    gateway=./target/release/bcss-gateway
  fi
  work="$(mktemp -d)"
  trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
  RUST_LOG=warn "$gateway" serve --demo --no-admin --data-dir "$work/data" --addr 127.0.0.1:0 "$@" >"$work/out" 2>"$work/err" &
  server=$!
  for _ in $(seq 1 100); do grep -q '^demo manifest' "$work/out" 2>/dev/null && break; sleep 0.1; done
  base="$(sed -n 's/^bcss-gateway listening on //p' "$work/out")"
  [ -n "$base" ] || { cat "$work/err" >&2; exit 1; }
  read -r user password cbe lc ssin < <(python3 - "$work/data/demo.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
i = next(i for i in m["institutions"] if i["key"] == m["defaultInstitution"])
s = next(s for s in m["ssins"] if s["expectedStatus"] == "MSG00000")
print(i["username"], i["password"], i["cbeNumber"], i["legalContexts"]["LivingWages"][0], s["ssin"])
PY
  )
}
