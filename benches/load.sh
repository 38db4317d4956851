#!/usr/bin/env bash
# Load benchmark: the release gateway in demo mode on loopback, loaded over TLS with
# keep-alive by wrk (HTTP/1.1) and h2load (HTTP/2). getLivingWages is measured side by
# side with /health, the cheapest route of the same stack (its ceiling).
#
#   benches/load.sh [SECONDS] [CONNECTIONS] [ROUNDS]
#                                    (defaults: 10 s per run, 32 connections, 3 rounds)
#   GATEWAY=path/to/bcss-gateway benches/load.sh ...   loads that build instead (to
#                                    compare two builds one after the other)
#
# Needs wrk and h2load (Debian: wrk, nghttp2-client). Server and load generator share
# the machine's cores, so the figures are a lower bound for the server alone.
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-10}"
connections="${2:-32}"
rounds="${3:-3}"
for tool in wrk h2load python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install -y wrk nghttp2-client)" >&2; exit 2; }
done

. benches/demo_server.sh
start_demo_server --no-reset
auth="Basic $(printf '%s:%s' "$user" "$password" | base64 -w0)"
path=/SOA4520/LivingWagesService/v2/consult
cat >"$work/body.xml" <<XML
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><lw:getLivingWagesRequest xmlns:lw="http://kszbcss.fgov.be/intf/LivingWagesService/v2"><informationCustomer><ticket>bench</ticket><customerIdentification><cbeNumber>$cbe</cbeNumber></customerIdentification></informationCustomer><legalContext>$lc</legalContext><criteria><ssin>$ssin</ssin><period><beginDate>2015-01-01</beginDate></period></criteria></lw:getLivingWagesRequest></soapenv:Body></soapenv:Envelope>
XML
# LivingWages V3's getLivingWages: the same person, with each right's decision.
path3=/SOA4520/LivingWagesService/v3/consult
sed 's#http://kszbcss.fgov.be/intf/LivingWagesService/v2#urn:bcss-gateway:intf:LivingWagesService:v3#' "$work/body.xml" >"$work/body3.xml"
# One request first: the answer must be a success, or the figures would measure errors.
for route in "$path body.xml" "$path3 body3.xml"; do
  set -- $route
  curl -sk -u "$user:$password" -H 'content-type: text/xml' --data-binary @"$work/$2" "$base$1" | grep -q '<code>MSG00000</code>' \
    || { echo "the benchmark request to $1 is not answered with MSG00000" >&2; exit 1; }
done

cat >"$work/soap.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "text/xml; charset=utf-8"
wrk.headers["Authorization"] = "$auth"
local f = io.open("$work/body.xml", "rb"); wrk.body = f:read("*a"); f:close()
LUA
sed "s#body.xml#body3.xml#" "$work/soap.lua" >"$work/soap3.lua"
# Every request a new TLS connection: the handshake's cost, which a WS-Security check
# sits beside.
sed 's#^wrk.method = "POST"#wrk.method = "POST"\nwrk.headers["Connection"] = "close"#' "$work/soap.lua" >"$work/close.lua"

# The same request signed as the network's clients sign (WS-Security X.509: a
# timestamp and the Body, exclusive canonicalization, RSA-SHA256 with the demo
# institution's client certificate sent as a BinarySecurityToken), by xmlsec1. It
# stays valid for the benchmark's hour; no credential but the signature is sent.
signed=""
if command -v xmlsec1 >/dev/null; then
  certificate="$work/data/certs/$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["defaultInstitution"])' "$work/data/demo.json")"
  python3 - "$work/body.xml" "$certificate.pem" >"$work/template.xml" <<'PY'
import base64, datetime, sys
body = open(sys.argv[1]).read().strip()
token = "".join(l for l in open(sys.argv[2]).read().splitlines() if not l.startswith("-----"))
# The method follows the key: the EC public key OID in the certificate says ECDSA.
ec = bytes.fromhex("06072a8648ce3d0201") in base64.b64decode(token)
method = "http://www.w3.org/2001/04/xmldsig-more#" + ("ecdsa-sha256" if ec else "rsa-sha256")
now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
at = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")
wsu = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
x509 = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3"
ref = lambda uri: (f'<ds:Reference URI="#{uri}"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
                   '</ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/></ds:Reference>')
header = (f'<soapenv:Header><wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd" soapenv:mustUnderstand="1">'
          f'<wsu:Timestamp wsu:Id="TS-1"><wsu:Created>{at(now)}</wsu:Created><wsu:Expires>{at(now + datetime.timedelta(hours=1))}</wsu:Expires></wsu:Timestamp>'
          f'<wsse:BinarySecurityToken wsu:Id="X509-1" ValueType="{x509}" EncodingType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary">{token}</wsse:BinarySecurityToken>'
          '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
          f'<ds:SignatureMethod Algorithm="{method}"/>{ref("Body-1")}{ref("TS-1")}</ds:SignedInfo><ds:SignatureValue/>'
          f'<ds:KeyInfo><wsse:SecurityTokenReference><wsse:Reference URI="#X509-1" ValueType="{x509}"/></wsse:SecurityTokenReference></ds:KeyInfo></ds:Signature></wsse:Security></soapenv:Header>')
body = body.replace('<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">',
                    f'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:wsu="{wsu}">' + header, 1)
print(body.replace("<soapenv:Body>", '<soapenv:Body wsu:Id="Body-1">', 1), end="")
PY
  wsu=http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd
  xmlsec1 --sign --privkey-pem "$certificate.key" \
    --id-attr:Id "http://schemas.xmlsoap.org/soap/envelope/:Body" --id-attr:Id "$wsu:Timestamp" \
    --output "$work/signed.xml" "$work/template.xml"
  curl -sk -H 'content-type: text/xml' --data-binary @"$work/signed.xml" "$base$path" | grep -q '<code>MSG00000</code>' \
    || { echo "the signed benchmark request is not answered with MSG00000" >&2; exit 1; }
  grep -v Authorization "$work/soap.lua" | sed "s#body.xml#signed.xml#" >"$work/signed.lua"
  signed=yes
else
  echo "no xmlsec1 (apt-get install -y xmlsec1): the signed request is not measured" >&2
fi

# CPU time (user + system, in clock ticks) the server has used so far.
server_ticks() { awk '{print $14 + $15}' "/proc/$server/stat"; }
# Server CPU microseconds per request over a run: steadier than requests/s on a
# shared machine, since it does not depend on how much CPU the load generator took.
cpu_per_request() { # ticks before, ticks after, requests
  awk -v a="$1" -v b="$2" -v n="$3" -v hz="$(getconf CLK_TCK)" 'BEGIN { if (n > 0) printf "%.1f", (b - a) * 1e6 / hz / n; else print "-" }'
}

wrk_run() { # name, path, extra args
  local name="$1" target="$2"; shift 2
  local before; before="$(server_ticks)"
  local out; out="$(wrk -t2 -c"$connections" -d"${duration}s" --latency "$@" "$base$target")"
  local after; after="$(server_ticks)"
  local rps p50 p99 non2xx requests
  rps="$(awk '/^Requests\/sec/ {print $2}' <<<"$out")"
  p50="$(awk '$1=="50%" {print $2}' <<<"$out")"
  p99="$(awk '$1=="99%" {print $2}' <<<"$out")"
  requests="$(awk '/requests in/ {print $1}' <<<"$out")"
  non2xx="$(awk '/Non-2xx/ {print $NF}' <<<"$out")"
  printf '%-34s %12s %10s %10s %12s %s\n' "$name" "$rps" "$p50" "$p99" "$(cpu_per_request "$before" "$after" "$requests")" "${non2xx:+(non-2xx: $non2xx)}"
  last_rps="$rps"
}

h2_run() { # name, path, extra args
  local name="$1" target="$2"; shift 2
  local before; before="$(server_ticks)"
  local out; out="$(h2load -c"$connections" -m1 -D"$duration" "$@" "$base$target" 2>&1)"
  local after; after="$(server_ticks)"
  local rps; rps="$(awk '/^finished in/ {print $4}' <<<"$out")"
  local done_; done_="$(awk '/^requests:/ {print $6}' <<<"$out")"
  local failed; failed="$(awk '/^requests:/ {print $10}' <<<"$out")"
  local mean; mean="$(awk '/^time for request:/ {print $6}' <<<"$out")"
  printf '%-34s %12s %10s %10s %12s %s\n' "$name" "$rps" "mean $mean" "" "$(cpu_per_request "$before" "$after" "$done_")" "(failed: $failed)"
}

echo "bcss-gateway load benchmark: $(nproc) cores, ${connections} connections, ${duration}s per run, TLS keep-alive"
printf '%-34s %12s %10s %10s %12s\n' "route" "requests/s" "p50" "p99" "CPU µs/req"
# The machine's speed drifts, by up to 1.4x between runs a minute apart: the ceiling
# and the operation alternate, beginning and ending with the ceiling, and each run of
# the operation is compared with the mean of the ceiling runs on either side of it.
wrk_run "HTTP/1.1 GET /health (ceiling)" /health
ceilings="$last_rps"
operations=""
for _ in $(seq 1 "$rounds"); do
  wrk_run "HTTP/1.1 getLivingWages" "$path" -s "$work/soap.lua"
  operations="$operations $last_rps"
  wrk_run "HTTP/1.1 GET /health (ceiling)" /health
  ceilings="$ceilings $last_rps"
done
wrk_run "HTTP/1.1 getLivingWages V3" "$path3" -s "$work/soap3.lua"
# What a signature costs beside a TLS handshake: unsigned, signed, and unsigned with a
# new connection each time, twice in turn.
for _ in 1 2; do
  wrk_run "HTTP/1.1 getLivingWages (Basic)" "$path" -s "$work/soap.lua"
  [ -z "$signed" ] || wrk_run "HTTP/1.1 getLivingWages signed" "$path" -s "$work/signed.lua"
  wrk_run "HTTP/1.1 getLivingWages, a handshake each" "$path" -s "$work/close.lua"
done
h2_run "HTTP/2 GET /health (ceiling)" /health
h2_run "HTTP/2 getLivingWages" "$path" -d "$work/body.xml" -H "authorization: $auth" -H 'content-type: text/xml; charset=utf-8'
awk -v o="$operations" -v c="$ceilings" 'BEGIN {
  n = split(o, op, " "); split(c, ce, " ")
  printf "HTTP/1.1 getLivingWages against the mean of the ceiling runs around it:"
  for (i = 1; i <= n; i++) { r = 200 * op[i] / (ce[i] + ce[i + 1]); sum += r; printf " %.0f %%", r }
  printf " (mean %.0f %%)\n", sum / n }'
