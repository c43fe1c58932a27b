// The npm `pg` client (node-postgres, pure JavaScript protocol implementation) against
// `medlake serve --pg`: SCRAM-SHA-256 login, simple and extended queries, types, errors with
// SQLSTATE, and a cursor that reads a result in pages (Execute with a row limit, PortalSuspended).
//
//   node pg_client.mjs PORT USER PASSWORD
// Prints one "ok ..." or "FAIL ..." line per check; exits 1 on any failure.
import pg from 'pg';
import Cursor from 'pg-cursor';

const [port, user, password] = process.argv.slice(2);
let failures = 0;
function check(name, cond, detail = '') {
  console.log(`${cond ? 'ok' : 'FAIL'} ${name}${cond ? '' : ' ' + detail}`);
  if (!cond) failures++;
}

const client = new pg.Client({ host: '127.0.0.1', port: Number(port), user, password, database: 'medlake' });
await client.connect();

let r = await client.query('SELECT count(*) AS n, min(id) AS lo FROM s.t');
check('simple query', r.rows[0].n === '3000' && r.rows[0].lo === '0', JSON.stringify(r.rows));
check('int8 column type', r.fields[0].dataTypeID === 20, String(r.fields[0].dataTypeID));

r = await client.query('SELECT id, name, d, even FROM s.t WHERE id = $1', [42]);
check('parameterized query', r.rows.length === 1 && r.rows[0].name === 'name42', JSON.stringify(r.rows));
check('boolean parsed', r.rows[0].even === true, JSON.stringify(r.rows[0]));
check('date parsed', r.rows[0].d instanceof Date, typeof r.rows[0].d);

r = await client.query({ name: 'by-name', text: 'SELECT id FROM s.t WHERE name = $1', values: ['name7'] });
const again = await client.query({ name: 'by-name', text: 'SELECT id FROM s.t WHERE name = $1', values: ['name8'] });
check('named prepared statement reused', r.rows[0].id === '7' && again.rows[0].id === '8',
      JSON.stringify([r.rows, again.rows]));

try {
  await client.query('SELECT * FROM s.nope');
  check('error for an unreadable table', false, 'no error');
} catch (e) {
  check('error for an unreadable table', e.code === '42501', e.code + ' ' + e.message);
}
r = await client.query('SELECT 1 AS still_alive');
check('session survives an error', r.rows[0].still_alive === 1);

// A cursor pages through 3000 rows 1000 at a time.
const cursor = client.query(new Cursor('SELECT id FROM s.t ORDER BY id'));
let total = 0;
let pages = 0;
for (;;) {
  const rows = await cursor.read(1000);
  if (rows.length === 0) break;
  total += rows.length;
  pages++;
}
await cursor.close();
check('cursor reads every row in pages', total === 3000 && pages >= 2, `total=${total} pages=${pages}`);
r = await client.query('SELECT 2 AS after_cursor');
check('session usable after the cursor', r.rows[0].after_cursor === 2);

// The text of float infinities and intervals, read by pg-types' parsers (parseFloat reads
// DuckDB's "inf" as NaN). Binary results are checked through libpq in pgwire_test.cc: this client's
// protocol layer decodes every cell as UTF-8 ("Binary mode not supported yet").
r = await client.query("SELECT 'inf'::REAL AS inf, '-inf'::DOUBLE AS ninf, 'nan'::REAL AS nan, " +
  "INTERVAL '1 year 2 months 3 days 04:05:06' AS iv, INTERVAL '-1 day' AS neg");
check('float infinities parsed', r.rows[0].inf === Infinity && r.rows[0].ninf === -Infinity &&
  Number.isNaN(r.rows[0].nan), JSON.stringify(r.rows));
const iv = r.rows[0].iv;
check('interval parsed', iv.years === 1 && iv.months === 2 && iv.days === 3 && iv.hours === 4 && iv.seconds === 6 &&
  r.rows[0].neg.days === -1, JSON.stringify(r.rows[0]));

await client.end();

const bad = new pg.Client({ host: '127.0.0.1', port: Number(port), user, password: 'wrong-password', database: 'medlake' });
try {
  await bad.connect();
  check('wrong password refused', false, 'connected');
} catch (e) {
  check('wrong password refused', e.code === '28P01', e.code + ' ' + e.message);
}

process.exit(failures ? 1 : 0);
