#!/usr/bin/env bash
# Call getLivingWages (LivingWages V2) on a bcss-gateway demo server with curl, in SOAP 1.1.
#
#   examples/curl/getLivingWages.sh [DATA_DIR] [SSIN]
#
# DATA_DIR is the server's data directory (default ./data), where `serve --demo` writes
# demo.json; SSIN defaults to the first demo SSIN expected to answer MSG00000. The caller
# is the manifest's default institution (set INSTITUTION=key to pick another), which
# authenticates with HTTP Basic. Needs curl and python3 (or jq); the answer is
# pretty-printed with xmllint when it is installed.
set -euo pipefail

data_dir=${1:-./data}
ssin_arg=${2:-}
manifest=$data_dir/demo.json
[[ -r $manifest ]] || { echo "no manifest at $manifest: run \`cargo run --release -- serve --demo\` first" >&2; exit 2; }

# One value per line: endpoint, CA, user name, password, CBE number, legal context, SSIN.
read_manifest() {
  if command -v jq >/dev/null 2>&1; then
    jq -r --arg inst "${INSTITUTION:-}" --arg ssin "$ssin_arg" '
      . as $m
      | ($m.institutions[] | select(.key == (if $inst != "" then $inst else $m.defaultInstitution end))) as $i
      | $m.endpoints.livingWagesV2, $m.caCertificate, $i.username, $i.password, $i.cbeNumber,
        $i.legalContexts.LivingWages[0],
        (if $ssin != "" then $ssin else [$m.ssins[] | select(.expectedStatus == "MSG00000")][0].ssin end)
    ' "$manifest"
  else
    python3 -c '
import json, sys
try:
    m = json.load(open(sys.argv[1], encoding="utf-8"))
    key = sys.argv[2] or m["defaultInstitution"]
    i = next(i for i in m["institutions"] if i["key"] == key)
    ssin = sys.argv[3] or next(s["ssin"] for s in m["ssins"] if s["expectedStatus"] == "MSG00000")
    print(m["endpoints"]["livingWagesV2"], m["caCertificate"], i["username"], i["password"],
          i["cbeNumber"], i["legalContexts"]["LivingWages"][0], ssin, sep="\n")
except (KeyError, IndexError, StopIteration, ValueError) as err:
    sys.exit(f"manifest: missing or unexpected value ({type(err).__name__}: {err})")
' "$manifest" "${INSTITUTION:-}" "$ssin_arg"
  fi
}

{
  IFS= read -r endpoint; IFS= read -r ca; IFS= read -r user; IFS= read -r password
  IFS= read -r cbe; IFS= read -r legal_context; IFS= read -r ssin
} < <(read_manifest) || true
for value in "${endpoint:-}" "${ca:-}" "${user:-}" "${cbe:-}" "${legal_context:-}" "${ssin:-}"; do
  if [[ -z $value || $value == null ]]; then
    echo "could not read the endpoint, CA, institution${INSTITUTION:+ $INSTITUTION} (with a LivingWages legal context) or SSIN from $manifest" >&2
    exit 2
  fi
done
[[ $ca == /* ]] || ca=$(dirname "$manifest")/$ca

# (replacements quoted: in bash 5.2 an unquoted & in a replacement stands for the match)
xml_escape() { local s=${1//&/"&amp;"}; s=${s//</"&lt;"}; printf '%s' "${s//>/"&gt;"}"; }

# Children of the operation element are unqualified: only getLivingWagesRequest is namespaced.
envelope=$(cat <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
                  xmlns:lw="http://kszbcss.fgov.be/intf/LivingWagesService/v2">
  <soapenv:Header/>
  <soapenv:Body>
    <lw:getLivingWagesRequest>
      <informationCustomer>
        <ticket>curl-$(date +%s)</ticket>
        <timestampSent>$(date -u +%Y-%m-%dT%H:%M:%SZ)</timestampSent>
        <customerIdentification>
          <cbeNumber>$(xml_escape "$cbe")</cbeNumber>
        </customerIdentification>
      </informationCustomer>
      <legalContext>$(xml_escape "$legal_context")</legalContext>
      <criteria>
        <ssin>$(xml_escape "$ssin")</ssin>
        <period>
          <beginDate>2020-01-01</beginDate>
        </period>
      </criteria>
    </lw:getLivingWagesRequest>
  </soapenv:Body>
</soapenv:Envelope>
EOF
)

answer=$(mktemp)
trap 'rm -f "$answer"' EXIT

# The credentials go through a curl config on a file descriptor, not the command line
# (where `ps` would show them).
curl_escape() { local s=${1//\\/\\\\}; printf '%s' "${s//\"/\\\"}"; }
echo "POST $endpoint (getLivingWages, SSIN $ssin, as $user)" >&2
status=$(curl --silent --show-error \
  --config <(printf 'user = "%s:%s"\n' "$(curl_escape "$user")" "$(curl_escape "$password")") \
  --cacert "$ca" \
  --header 'Content-Type: text/xml; charset=utf-8' \
  --header 'SOAPAction: "http://kszbcss.fgov.be/LivingWagesService/getLivingWages"' \
  --data-binary "$envelope" \
  --output "$answer" --write-out '%{http_code}' \
  "$endpoint")
echo "HTTP $status" >&2

if [[ -s $answer ]]; then
  if command -v xmllint >/dev/null 2>&1; then
    xmllint --format - < "$answer" || cat "$answer"
  else
    cat "$answer"; echo
  fi
fi
[[ $status == 200 ]]
