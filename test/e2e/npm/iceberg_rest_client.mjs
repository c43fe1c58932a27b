// iceberg_rest_client.mjs PORT TOKEN [NAMESPACE TABLE]
//
// Drives medlake's Iceberg REST catalog (http://127.0.0.1:PORT/iceberg) with an independent
// client from npm (iceberg-js): lists namespaces, loads a table, creates a table, commits a
// property to it, and drops it. Prints one "ok ..." or "FAIL ..." line per check and exits 1 if
// any check failed. NAMESPACE.TABLE (default: the first table of the first namespace that has
// one) must be readable by the token's user; the table is created in NAMESPACE too, so the user
// needs OWNERSHIP of it.
import { IcebergRestCatalog } from 'iceberg-js';

const [port, token, wantedNs, wantedTable] = process.argv.slice(2);
if (!port || !token) {
  console.error('usage: node iceberg_rest_client.mjs PORT TOKEN [NAMESPACE TABLE]');
  process.exit(2);
}

const catalog = new IcebergRestCatalog({
  baseUrl: `http://127.0.0.1:${port}/iceberg`,
  auth: { type: 'bearer', token },
});

let failures = 0;
async function check(name, fn) {
  try {
    const detail = await fn();
    console.log(`ok ${name}${detail ? ` (${detail})` : ''}`);
  } catch (e) {
    failures++;
    console.log(`FAIL ${name}: ${e && e.message ? e.message : e}`);
  }
}
function assert(cond, message) {
  if (!cond) throw new Error(message);
}

let ns = wantedNs;
let table = wantedTable;

await check('list namespaces', async () => {
  const { namespaces } = await catalog.listNamespaces();
  assert(Array.isArray(namespaces) && namespaces.length > 0, 'no namespaces');
  const names = namespaces.map((n) => n.namespace.join('.'));
  if (!ns) {
    for (const n of names) {
      const { identifiers } = await catalog.listTables({ namespace: [n] });
      if (identifiers.length > 0) {
        ns = n;
        table = identifiers[0].name;
        break;
      }
    }
  }
  assert(ns && names.includes(ns), `namespace ${ns} not listed`);
  return names.join(',');
});

await check('list tables', async () => {
  const { identifiers } = await catalog.listTables({ namespace: [ns] });
  assert(identifiers.some((i) => i.name === table), `table ${table} not listed`);
  return `${identifiers.length} in ${ns}`;
});

await check('load table', async () => {
  const metadata = await catalog.loadTable({ namespace: [ns], name: table });
  assert(metadata['format-version'] === 2, 'format-version is not 2');
  assert(typeof metadata['table-uuid'] === 'string', 'no table-uuid');
  assert(Array.isArray(metadata.schemas) && metadata.schemas.length > 0, 'no schemas');
  return `${metadata.schemas[0].fields.length} columns, ${(metadata.snapshots || []).length} snapshots`;
});

const created = `npm_client_${process.pid}`;
await check('create table', async () => {
  const metadata = await catalog.createTable(
    { namespace: [ns] },
    {
      name: created,
      schema: {
        type: 'struct',
        'schema-id': 0,
        fields: [
          { id: 1, name: 'id', type: 'long', required: true },
          { id: 2, name: 'note', type: 'string', required: false },
        ],
      },
      'partition-spec': { 'spec-id': 0, fields: [{ 'source-id': 1, 'field-id': 1000, name: 'id_bucket', transform: 'bucket[4]' }] },
      'write-order': { 'order-id': 1, fields: [{ 'source-id': 1, transform: 'identity', direction: 'asc', 'null-order': 'nulls-first' }] },
      properties: { owner: 'npm-client' },
    },
  );
  assert(metadata.properties.owner === 'npm-client', 'property not kept');
  assert(metadata['default-sort-order-id'] === 1, 'write order not kept');
  return metadata['table-uuid'];
});

await check('table exists', async () => {
  assert(await catalog.tableExists({ namespace: [ns], name: created }), 'created table does not exist');
});

await check('commit a property', async () => {
  const current = await catalog.loadTable({ namespace: [ns], name: created });
  const metadata = await catalog.updateTable(
    { namespace: [ns], name: created },
    {
      requirements: [{ type: 'assert-table-uuid', uuid: current['table-uuid'] }],
      updates: [{ action: 'set-properties', updates: { 'comment': 'from iceberg-js' } }],
    },
  );
  const m = metadata.metadata || metadata;
  assert(m.properties.comment === 'from iceberg-js', 'property not committed');
});

await check('stale requirement is refused', async () => {
  try {
    await catalog.updateTable(
      { namespace: [ns], name: created },
      { requirements: [{ type: 'assert-current-schema-id', 'current-schema-id': 99 }], updates: [] },
    );
  } catch (e) {
    assert(e.status === 409, `status ${e.status}, expected 409`);
    return '409';
  }
  throw new Error('the commit was accepted');
});

await check('drop table', async () => {
  await catalog.dropTable({ namespace: [ns], name: created }, { purge: true });
  assert(!(await catalog.tableExists({ namespace: [ns], name: created })), 'still exists');
});

console.log(`${failures === 0 ? 'all ok' : `${failures} failed`}`);
process.exit(failures === 0 ? 0 : 1);
