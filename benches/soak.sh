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
# Besides throughput: the server's CPU time per request (its own cost, which a slower
# machine does not change much) and the share of the machine's time the hypervisor
# gave to others ("steal"), to tell a gateway that slows down from a machine that does.
server_ticks() { awk '{print $14 + $15}' "/proc/$server/stat"; }
machine_ticks() { awk '/^cpu / {t = 0; for (i = 2; i <= NF; i++) t += $i; print t, $9}' /proc/stat; }
tick_us=$(( 1000000 / $(getconf CLK_TCK) ))
printf '%6s %10s %10s %12s %8s %12s %7s\n' elapsed rss_mb store_mb requests/s errors cpu_us/req steal%
printf '%6s %10s %10s %12s %8s %12s %7s\n' 0 "$(awk '/VmRSS/ {printf "%.0f", $2/1024}' /proc/$server/status)" "$(du -m "$store" | cut -f1)" - - - -
for i in $(seq 1 $(( minutes * 2 ))); do
  before_server=$(server_ticks); read -r before_total before_steal <<<"$(machine_ticks)"
  out="$(wrk -t2 -c"$connections" -d30s -s "$work/soap.lua" "$base/SOA4520/LivingWagesService/v2/consult")"
  after_server=$(server_ticks); read -r after_total after_steal <<<"$(machine_ticks)"
  rps="$(awk '/^Requests\/sec/ {print $2}' <<<"$out")"
  requests="$(awk '/requests in/ {print $1}' <<<"$out")"
  errors="$(awk '/Non-2xx/ {n=$NF} /Socket errors/ {n+=0} END {print n+0}' <<<"$out")"
  cpu_per_request="$(awk -v t=$(( (after_server - before_server) * tick_us )) -v n="$requests" 'BEGIN {printf "%.1f", (n > 0 ? t / n : 0)}')"
  steal="$(awk -v s=$(( after_steal - before_steal )) -v t=$(( after_total - before_total )) 'BEGIN {printf "%.1f", (t > 0 ? 100 * s / t : 0)}')"
  printf '%6s %10s %10s %12s %8s %12s %7s\n' "$(( i * 30 ))s" "$(awk '/VmRSS/ {printf "%.0f", $2/1024}' /proc/$server/status)" "$(du -m "$store" | cut -f1)" "$rps" "$errors" "$cpu_per_request" "$steal"
done
