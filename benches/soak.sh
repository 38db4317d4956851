#!/usr/bin/env bash
# Soak: the release gateway in demo mode with its default settings, loaded with
# LivingWages V2 getLivingWages over TLS with keep-alive (wrk) for a while, sampling
# the server's resident memory and the store file's size every 30 s, and the
# requests/s and errors of each 30 s.
#
#   benches/soak.sh [MINUTES] [CONNECTIONS] [GATEWAY ARGS...]   (defaults: 10, 32)
#
# Needs wrk (Debian: wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
minutes="${1:-10}"
connections="${2:-32}"
shift $(( $# >= 2 ? 2 : $# ))
command -v wrk >/dev/null || { echo "missing wrk (apt-get install -y wrk)" >&2; exit 2; }
. benches/demo_server.sh
start_demo_server "$@"
cat >"$work/soap.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "text/xml; charset=utf-8"
wrk.headers["Authorization"] = "Basic $(printf '%s:%s' "$user" "$password" | base64 -w0)"
wrk.body = [[<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><lw:getLivingWagesRequest xmlns:lw="http://kszbcss.fgov.be/intf/LivingWagesService/v2"><informationCustomer><ticket>soak</ticket><customerIdentification><cbeNumber>$cbe</cbeNumber></customerIdentification></informationCustomer><legalContext>$lc</legalContext><criteria><ssin>$ssin</ssin><period><beginDate>2015-01-01</beginDate></period></criteria></lw:getLivingWagesRequest></soapenv:Body></soapenv:Envelope>]]
LUA
store="$work/data/bcss-gateway.redb"
printf '%6s %10s %10s %12s %8s\n' elapsed rss_mb store_mb requests/s errors
printf '%6s %10s %10s %12s %8s\n' 0 "$(awk '/VmRSS/ {printf "%.0f", $2/1024}' /proc/$server/status)" "$(du -m "$store" | cut -f1)" - -
for i in $(seq 1 $(( minutes * 2 ))); do
  out="$(wrk -t2 -c"$connections" -d30s -s "$work/soap.lua" "$base/SOA4520/LivingWagesService/v2/consult")"
  rps="$(awk '/^Requests\/sec/ {print $2}' <<<"$out")"
  errors="$(awk '/Non-2xx/ {n=$NF} /Socket errors/ {n+=0} END {print n+0}' <<<"$out")"
  printf '%6s %10s %10s %12s %8s\n' "$(( i * 30 ))s" "$(awk '/VmRSS/ {printf "%.0f", $2/1024}' /proc/$server/status)" "$(du -m "$store" | cut -f1)" "$rps" "$errors"
done
