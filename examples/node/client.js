#!/usr/bin/env node
// node-soap clients of the gateway, built at run time from the served WSDLs as a
// Node.js institution builds them:
//
//   node examples/node/client.js --manifest data/demo.json [SSIN...]
//
// For each SSIN it calls LivingWages V2's getLivingWages signed with the
// institution's certificate (node-soap's WSSecurityCert: X.509 token, timestamp,
// RSA-SHA256), then LivingWages V3's getLivingWages with Basic credentials, and prints
//
//   v2-signed SSIN CODE PCSA,...
//   v3 SSIN CODE PCSA/KIND/BEGIN..END/DECISION,...
//
// with the dates as node-soap typed them (JavaScript Dates printed as ISO dates; a
// string would mean the schema lost its type). Needs `npm install` in this directory.
'use strict';

const fs = require('fs');
const https = require('https');
const path = require('path');
const soap = require('soap');

function usage(message) {
  console.error(`${message}\nusage: client.js --manifest DATA_DIR/demo.json [SSIN...]`);
  process.exit(2);
}

function readManifest(file) {
  let manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    usage(`cannot read the manifest ${file}: ${err.message}`);
  }
  const base = path.dirname(path.resolve(file));
  const resolve = (p) => (p && !path.isAbsolute(p) ? path.join(base, p) : p);
  const key = manifest.defaultInstitution;
  const inst = (manifest.institutions || []).find((i) => i.key === key);
  if (!inst) usage(`no default institution in ${file}`);
  return {
    endpoints: manifest.endpoints,
    ca: fs.readFileSync(resolve(manifest.caCertificate)),
    inst,
    certificate: fs.readFileSync(resolve(inst.certificate)),
    privateKey: fs.readFileSync(resolve(inst.privateKey)),
    ssins: (manifest.ssins || []).map((s) => s.ssin),
  };
}

function request(inst, ssin) {
  return {
    informationCustomer: {
      ticket: `node-${ssin}`,
      timestampSent: new Date().toISOString(),
      customerIdentification: { cbeNumber: inst.cbeNumber },
    },
    legalContext: inst.legalContexts.LivingWages[0],
    criteria: { ssin, period: { beginDate: '2000-01-01' } },
  };
}

const day = (d) => {
  if (d === undefined) return 'none';
  return d instanceof Date ? d.toISOString().slice(0, 10) : `string:${d}`;
};
const list = (items) => (items.length ? items.join(',') : '-');

/** The reason code of the contract's fault, or what the transport said. */
function refusal(err) {
  const text = (err.body || '') + '';
  const reason = /<reasonCode>([^<]+)<\/reasonCode>/.exec(text);
  const code = /<faultcode>([^<]+)<\/faultcode>/.exec(text);
  return `fault:${reason ? reason[1] : code ? code[1] : err.message}`;
}

async function main() {
  const args = process.argv.slice(2);
  const at = args.indexOf('--manifest');
  if (at < 0 || !args[at + 1]) usage('--manifest is required');
  const m = readManifest(args[at + 1]);
  const ssins = args.filter((_, i) => i !== at && i !== at + 1);
  const agent = new https.Agent({ ca: m.ca });
  const options = { wsdl_options: { httpsAgent: agent } };

  const v2 = await soap.createClientAsync(`${m.endpoints.livingWagesV2}?wsdl`, options);
  v2.setSecurity(new soap.WSSecurityCert(m.privateKey, m.certificate, ''));
  const v3 = await soap.createClientAsync(`${m.endpoints.livingWagesV3}?wsdl`, options);
  v3.setSecurity(new soap.BasicAuthSecurity(m.inst.username, m.inst.password));

  for (const ssin of ssins.length ? ssins : m.ssins) {
    try {
      const [r] = await v2.getLivingWagesAsync(request(m.inst, ssin), { httpsAgent: agent });
      const pcsas = (r.livingWages || []).map((w) => w.pcsaCbeNumber);
      console.log(`v2-signed ${ssin} ${r.status.code} ${list(pcsas)}`);
    } catch (err) {
      console.log(`v2-signed ${ssin} ${refusal(err)}`);
    }
    try {
      const [r] = await v3.getLivingWagesAsync(request(m.inst, ssin), { httpsAgent: agent });
      const rights = (r.right || []).map((right) => {
        const p = right.period;
        const days = p ? `${day(p.beginDate)}..${day(p.endDate)}` : '-';
        return `${right.pcsa.cbeNumber}/${right.kind}/${days}/${day(right.decisionDate)}`;
      });
      console.log(`v3 ${ssin} ${r.status.code} ${list(rights)}`);
    } catch (err) {
      console.log(`v3 ${ssin} ${refusal(err)}`);
    }
  }
}

main().catch((err) => {
  console.error(`node-soap: ${err.message}`);
  process.exit(1);
});
