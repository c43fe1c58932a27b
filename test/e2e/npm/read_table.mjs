#!/usr/bin/env node
// Independent npm readers for Iceberg tables written by medlake.
//
//   node read_table.mjs rows    [--reroot] TABLE
//       icebird reads the current snapshot (deletes applied); prints one JSON
//       summary line {"table","rows","columns"} and then one JSON line per row,
//       rows normalised by the Iceberg type of their column and sorted.
//   node read_table.mjs compare [--reroot] [--key COL] [--rows N] TABLE EXPECTED.json
//       Like `rows`, then compares with EXPECTED.json (the output of
//       `medlake sql --format json`): same columns, same row count (N, when
//       given), same values per column; rows are sorted by COL, then whole.
//   node read_table.mjs parquet-field-ids [--reroot] [--strict] TABLE FILES.json
//       FILES.json is `SELECT * FROM ns."t$files"` as medlake's JSON. hyparquet
//       reads the footer of every file listed there and checks that every
//       schema element carries a field id that agrees with the table schema
//       (or with the reserved ids of position-delete files), that its row count
//       and size agree with the listing, that position deletes are sorted, and
//       that the listing names the same live files as the manifests icebird
//       reads. Tolerated deviations (a required column written as OPTIONAL,
//       deletes aimed at files that are no longer live) print WARN lines;
//       --strict makes them failures.
//   node read_table.mjs avro-field-ids TABLE
//       avsc decodes every .avro file under TABLE/metadata/ and checks that its
//       schema gives every record field a "field-id" (arrays an "element-id",
//       maps "key-id"/"value-id"), that the ids are the ones the Iceberg spec
//       assigns, and that manifests carry the spec's required metadata keys.
//
// TABLE is a table directory (the one holding metadata/) or a
// metadata/vN.metadata.json file. --reroot resolves paths stored in the
// metadata relative to the table directory (for tables written elsewhere, such
// as the shared fixtures); without it, stored paths must exist as written.
// Every check prints "ok: ..." or "FAIL: ..." lines; the exit code is 1 when
// any check failed and 2 on a usage error. Nothing here opens a network
// socket: file reads go through a fetch() replacement (see installLocalFetch).

import { promises as fs } from 'node:fs'
import path from 'node:path'
import avsc from 'avsc'
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet'
import { compressors } from 'hyparquet-compressors'
import { icebergManifests, icebergMetadata, icebergRead } from 'icebird'

// ---------------------------------------------------------------------------
// Local file access for icebird.
//
// icebird (and the hyparquet copy it bundles) read everything through the
// global fetch(): metadata JSON, Avro manifests, and Parquet byte ranges
// (HEAD for the size, GET with a Range header for slices). Node's fetch does
// not read local files, and medlake stores absolute local paths in its
// metadata, so we replace globalThis.fetch with a function that serves
// absolute paths and file: URLs from disk, honouring HEAD and Range. Anything
// else (http:, s3:, ...) is refused, so a test can never reach the network.

function localPathOf(url, resolve) {
  let p = String(url)
  if (p.startsWith('file://')) p = decodeURIComponent(new URL(p).pathname)
  else if (p.startsWith('file:')) p = p.slice('file:'.length)
  else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(p)) {
    if (!resolve) throw new Error(`refusing non-local URL ${p}`)
  }
  return resolve ? resolve(p) : p
}

function installLocalFetch(resolve) {
  globalThis.fetch = async (input, init = {}) => {
    const url = typeof input === 'string' ? input : input.url
    const file = localPathOf(url, resolve)
    if (!path.isAbsolute(file)) throw new Error(`not an absolute local path: ${url}`)
    let stat
    try {
      stat = await fs.stat(file)
    } catch {
      return new Response(null, { status: 404, statusText: `Not Found: ${file}` })
    }
    const size = stat.size
    const method = (init.method || 'GET').toUpperCase()
    if (method === 'HEAD') {
      return new Response(null, { status: 200, headers: { 'content-length': String(size) } })
    }
    const range = new Headers(init.headers).get('range')
    const handle = await fs.open(file, 'r')
    try {
      if (range) {
        const m = /^bytes=(\d+)-(\d*)$/.exec(range)
        if (!m) throw new Error(`unsupported Range header ${range}`)
        const start = Number(m[1])
        const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1)
        const length = Math.max(0, end - start + 1)
        const buf = Buffer.alloc(length)
        await handle.read(buf, 0, length, start)
        return new Response(buf, {
          status: 206,
          headers: { 'content-range': `bytes ${start}-${end}/${size}`, 'content-length': String(length) },
        })
      }
      const buf = await handle.readFile()
      return new Response(buf, { status: 200, headers: { 'content-length': String(size) } })
    } finally {
      await handle.close()
    }
  }
}

// Builds the path resolver used by --reroot: a stored path is made relative to
// the table's metadata `location` (or, failing that, to the last occurrence of
// the location's last path segment) and joined to the local table directory.
function makeRerooter(tableDir, location) {
  const strip = p => {
    let s = String(p).replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '').replace(/^file:/, '')
    while (s.startsWith('./')) s = s.slice(2)
    return s.replace(/\/+$/, '')
  }
  const loc = strip(location)
  const base = path.posix.basename(loc)
  return stored => {
    if (stored.startsWith(tableDir + '/')) return stored
    const s = strip(stored)
    if (s.startsWith(loc + '/')) return path.join(tableDir, s.slice(loc.length + 1))
    const marker = base + '/'
    const at = s.startsWith(marker) ? 0 : s.lastIndexOf('/' + marker) + 1
    if (at > 0 || s.startsWith(marker)) return path.join(tableDir, s.slice(at + marker.length))
    return s
  }
}

// ---------------------------------------------------------------------------
// Table location.

async function locateTable(arg) {
  const abs = path.resolve(arg)
  if (abs.endsWith('.metadata.json')) {
    return { tableDir: path.dirname(path.dirname(abs)), metadataFileName: path.basename(abs) }
  }
  return { tableDir: abs.replace(/\/+$/, ''), metadataFileName: undefined }
}

async function openTable(arg, reroot) {
  const { tableDir, metadataFileName } = await locateTable(arg)
  installLocalFetch(undefined)
  const metadata = await icebergMetadata({ tableUrl: tableDir, metadataFileName })
  if (reroot) installLocalFetch(makeRerooter(tableDir, metadata.location))
  return { tableDir, metadataFileName, metadata }
}

function currentSchema(metadata) {
  const schema = metadata.schemas.find(s => s['schema-id'] === metadata['current-schema-id'])
  if (!schema) throw new Error('current schema not found in metadata')
  return schema
}

// ---------------------------------------------------------------------------
// Value normalisation: both icebird's values and medlake's JSON become plain
// strings (or null) chosen by the column's Iceberg type, so that equal values
// compare equal whatever their JS representation.

const pad = (n, w = 2) => String(n).padStart(w, '0')

function bytesToHex(bytes) {
  return Buffer.from(bytes).toString('hex')
}

// DuckDB prints BLOBs as text with non-printable bytes escaped as \xHH.
function duckBlobToHex(text) {
  const out = []
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\' && text[i + 1] === 'x') {
      out.push(parseInt(text.slice(i + 2, i + 4), 16))
      i += 3
    } else {
      out.push(...Buffer.from(text[i], 'utf8'))
    }
  }
  return bytesToHex(out)
}

// Timestamps become "YYYY-MM-DD HH:MM:SS.mmm" in UTC: hyparquet returns JS
// Dates, which hold milliseconds, so the comparison is at millisecond precision.
function timestampText(v, withZone) {
  let ms
  if (v instanceof Date) ms = v.getTime()
  else if (typeof v === 'bigint') ms = Number(v / 1000n)
  else if (typeof v === 'number') ms = Math.floor(v / 1000)
  else {
    let s = String(v).trim().replace(' ', 'T')
    if (withZone) s = s.replace(/([+-]\d\d)$/, '$1:00')
    else s += 'Z'
    ms = Date.parse(s)
    if (Number.isNaN(ms)) return `unparsable:${v}`
  }
  const d = new Date(ms)
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`
}

function timeText(v) {
  if (typeof v === 'bigint' || typeof v === 'number') {
    const us = BigInt(v)
    const s = us / 1000000n
    const frac = us % 1000000n
    return `${pad(s / 3600n)}:${pad((s / 60n) % 60n)}:${pad(s % 60n)}.${pad(frac, 6)}`
  }
  const m = /^(\d\d):(\d\d):(\d\d)(?:\.(\d+))?$/.exec(String(v))
  if (!m) return `unparsable:${v}`
  return `${m[1]}:${m[2]}:${m[3]}.${(m[4] || '').padEnd(6, '0')}`
}

function normalise(value, type, side) {
  if (value === null || value === undefined) return null
  if (typeof type === 'object') {
    return JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? v.toString() : v))
  }
  // Decimals reach us as doubles on both sides (hyparquet scales the unscaled
  // integer by a power of ten; JSON.parse reads medlake's digits), so they are
  // compared to the 15 significant digits a double always holds.
  if (/^decimal\(/.test(type)) return String(Number(Number(value).toPrecision(15)))
  switch (type) {
    case 'boolean': return String(value)
    case 'int':
    case 'long': return BigInt(value).toString()
    case 'float': return String(Math.fround(Number(value)))
    case 'double': return String(Number(value))
    case 'date': {
      if (value instanceof Date) return value.toISOString().slice(0, 10)
      if (typeof value === 'number') return new Date(value * 86400000).toISOString().slice(0, 10)
      return String(value)
    }
    case 'timestamp':
    case 'timestamp_ns': return timestampText(value, false)
    case 'timestamptz':
    case 'timestamptz_ns': return timestampText(value, true)
    case 'time': return timeText(value)
    case 'uuid': {
      const hex = value instanceof Uint8Array ? bytesToHex(value) : String(value)
      return hex.replace(/-/g, '').toLowerCase()
    }
    case 'binary':
    default:
      if (type === 'binary' || type.startsWith('fixed')) {
        // icebird's bundled hyparquet decodes un-annotated BYTE_ARRAY as UTF-8
        // text (bytes that are not UTF-8 become U+FFFD), so binary values are
        // compared after the same lossy UTF-8 round trip on both sides.
        let bytes
        if (value instanceof Uint8Array) bytes = Buffer.from(value)
        else if (side === 'medlake') bytes = Buffer.from(duckBlobToHex(String(value)), 'hex')
        else bytes = Buffer.from(String(value), 'utf8')
        return bytesToHex(Buffer.from(bytes.toString('utf8'), 'utf8'))
      }
      return String(value)
  }
}

function normaliseRows(rows, fields, side) {
  return rows.map(row => {
    const out = {}
    for (const f of fields) out[f.name] = normalise(row[f.name], f.type, side)
    return out
  })
}

function sortRows(rows, key) {
  const cmp = (a, b) => {
    if (a === b) return 0
    if (a === null) return -1
    if (b === null) return 1
    if (/^-?\d+$/.test(a) && /^-?\d+$/.test(b)) return BigInt(a) < BigInt(b) ? -1 : 1
    return a < b ? -1 : 1
  }
  return [...rows].sort((x, y) => {
    if (key) {
      const c = cmp(x[key], y[key])
      if (c !== 0) return c
    }
    const sx = JSON.stringify(x)
    const sy = JSON.stringify(y)
    return sx < sy ? -1 : sx > sy ? 1 : 0
  })
}

async function readWithIcebird(arg, reroot) {
  const { tableDir, metadata } = await openTable(arg, reroot)
  const schema = currentSchema(metadata)
  const raw = await icebergRead({ tableUrl: tableDir, metadata })
  return { tableDir, metadata, schema, raw }
}

// ---------------------------------------------------------------------------
// Modes.

let failures = 0
let strict = false
const ok = msg => console.log(`ok: ${msg}`)
const fail = msg => {
  failures++
  console.log(`FAIL: ${msg}`)
}
// Deviations from the spec that readers tolerate: reported, and failures only with --strict.
const warn = msg => {
  if (strict) fail(msg)
  else console.log(`WARN: ${msg}`)
}

async function modeRows(args) {
  const { tableDir, schema, raw } = await readWithIcebird(args.table, args.reroot)
  const rows = sortRows(normaliseRows(raw, schema.fields, 'icebird'), args.key)
  console.log(JSON.stringify({ table: tableDir, rows: rows.length, columns: schema.fields.map(f => f.name) }))
  for (const r of rows) console.log(JSON.stringify(r))
}

async function modeCompare(args) {
  const { tableDir, schema, raw } = await readWithIcebird(args.table, args.reroot)
  const expectedRaw = JSON.parse(await fs.readFile(args.extra[0], 'utf8'))
  if (!Array.isArray(expectedRaw)) throw new Error(`${args.extra[0]}: expected a JSON array of rows`)
  const fields = schema.fields
  const expectedCols = expectedRaw.length ? Object.keys(expectedRaw[0]) : fields.map(f => f.name)
  const icebergCols = fields.map(f => f.name)
  if (JSON.stringify(expectedCols) !== JSON.stringify(icebergCols)) {
    fail(`columns differ: medlake ${JSON.stringify(expectedCols)} vs icebird schema ${JSON.stringify(icebergCols)}`)
  }
  const got = sortRows(normaliseRows(raw, fields, 'icebird'), args.key)
  const want = sortRows(normaliseRows(expectedRaw, fields, 'medlake'), args.key)
  if (args.rows !== undefined && want.length !== args.rows) {
    fail(`medlake returned ${want.length} rows, the test expects ${args.rows}`)
  }
  if (got.length !== want.length) {
    fail(`row count: medlake ${want.length}, icebird ${got.length} (${tableDir})`)
  }
  let shown = 0
  for (let i = 0; i < Math.max(got.length, want.length); i++) {
    const a = JSON.stringify(want[i] ?? null)
    const b = JSON.stringify(got[i] ?? null)
    if (a !== b) {
      if (shown < 10) fail(`row ${i}:\n    medlake: ${a}\n    icebird: ${b}`)
      else failures++
      shown++
    }
  }
  if (shown > 10) console.log(`... ${shown - 10} more differing rows`)
  if (failures === 0) ok(`icebird reads the same ${got.length} rows x ${fields.length} columns as medlake (${tableDir})`)
}

// Iceberg reserved field ids for position-delete files (spec, "Position Delete Files").
const POS_DELETE_IDS = { file_path: 2147483546, pos: 2147483545, row: 2147483544 }

function parquetTree(schemaElements) {
  // Rebuilds the nested tree from hyparquet's flat, depth-first schema list.
  let i = 0
  const build = () => {
    const el = schemaElements[i++]
    const children = []
    for (let c = 0; c < (el.num_children || 0); c++) children.push(build())
    return { el, children }
  }
  return build()
}

// Every (name -> id) pair the table has ever had, from all schemas in the metadata.
function knownFieldIds(metadata) {
  const byId = new Map()
  const visit = type => {
    if (!type || typeof type !== 'object') return
    if (type.type === 'struct') {
      for (const f of type.fields) {
        if (!byId.has(f.id)) byId.set(f.id, new Set())
        byId.get(f.id).add(f.name)
        visit(f.type)
      }
    } else if (type.type === 'list') {
      byId.set(type['element-id'], new Set(['element']))
      visit(type.element)
    } else if (type.type === 'map') {
      byId.set(type['key-id'], new Set(['key']))
      byId.set(type['value-id'], new Set(['value']))
      visit(type.key)
      visit(type.value)
    }
  }
  for (const s of metadata.schemas) visit(s)
  return byId
}

async function modeParquetFieldIds(args) {
  const { tableDir, metadata } = await openTable(args.table, args.reroot)
  const resolve = args.reroot ? makeRerooter(tableDir, metadata.location) : p => p
  const listing = JSON.parse(await fs.readFile(args.extra[0], 'utf8'))
  const known = knownFieldIds(metadata)
  const required = new Set(currentSchema(metadata).fields.filter(f => f.required).map(f => f.id))

  // The listing must name exactly the live files of the current snapshot's manifests.
  const manifests = await icebergManifests(metadata)
  const live = new Set()
  for (const { entries } of manifests) {
    for (const e of entries) if (e.status !== 2) live.add(e.data_file.file_path)
  }
  const listed = new Set(listing.map(f => f.file_path))
  const onlyListed = [...listed].filter(p => !live.has(p))
  const onlyLive = [...live].filter(p => !listed.has(p))
  if (onlyListed.length || onlyLive.length) {
    fail(`$files and icebird's manifests disagree: only in $files ${JSON.stringify(onlyListed)}, only in manifests ${JSON.stringify(onlyLive)}`)
  } else {
    ok(`$files lists the same ${listed.size} live files as the manifests icebird reads`)
  }

  let columns = 0
  for (const entry of listing) {
    const file = resolve(entry.file_path)
    const name = path.relative(tableDir, file)
    const buffer = await asyncBufferFromFile(file)
    const meta = await parquetMetadataAsync(buffer)
    const problems = []
    if (BigInt(meta.num_rows) !== BigInt(entry.record_count)) {
      problems.push(`num_rows ${meta.num_rows} but record_count ${entry.record_count}`)
    }
    if (buffer.byteLength !== Number(entry.file_size_in_bytes)) {
      problems.push(`size ${buffer.byteLength} bytes but file_size_in_bytes ${entry.file_size_in_bytes}`)
    }
    const ids = []
    const notes = []
    const walk = (node, prefix) => {
      for (const child of node.children) {
        const { el } = child
        const colPath = prefix ? `${prefix}.${el.name}` : el.name
        columns++
        if (el.field_id === undefined || el.field_id === null) {
          problems.push(`column ${colPath} has no field_id`)
        } else {
          ids.push(`${colPath}=${el.field_id}`)
          if (entry.content === 1 && !prefix) {
            const want = POS_DELETE_IDS[el.name]
            if (want !== el.field_id) problems.push(`position-delete column ${el.name} has field_id ${el.field_id}, spec reserves ${want}`)
            // Spec, "Position Delete Files": file_path is a required string, pos a required long.
            if (el.name !== 'row' && el.repetition_type !== 'REQUIRED') {
              notes.push(`position-delete column ${el.name} is ${el.repetition_type}, the spec makes it required`)
            }
          } else if (entry.content === 0) {
            if (!prefix && required.has(el.field_id) && el.repetition_type !== 'REQUIRED') {
              notes.push(`column ${el.name} (field ${el.field_id}) is required in the table schema but ${el.repetition_type} in the file`)
            }
            const names = known.get(el.field_id)
            // Parquet names of list/map levels (list, element, key_value, ...) vary by writer; check ids only.
            if (!names) problems.push(`column ${colPath} has field_id ${el.field_id}, which no table schema defines`)
            else if (!prefix && !names.has(el.name)) {
              problems.push(`column ${colPath} has field_id ${el.field_id}, which the table schemas name ${JSON.stringify([...names])}`)
            }
          }
        }
        walk(child, colPath)
      }
    }
    walk(parquetTree(meta.schema), '')
    if (entry.content === 1) {
      // Spec: position deletes are sorted by file_path, then pos, and name data files by their exact file_path.
      const rows = await parquetReadObjects({ file: buffer, metadata: meta, columns: ['file_path', 'pos'], compressors })
      for (let i = 1; i < rows.length; i++) {
        const a = rows[i - 1]
        const b = rows[i]
        if (a.file_path > b.file_path || (a.file_path === b.file_path && a.pos >= b.pos)) {
          problems.push(`rows ${i - 1} and ${i} are not sorted by (file_path, pos)`)
          break
        }
      }
      const dataFiles = new Set(listing.filter(f => f.content === 0).map(f => f.file_path))
      const strangers = [...new Set(rows.map(r => r.file_path))].filter(p => !dataFiles.has(p))
      if (strangers.length) notes.push(`deletes rows of files that are not live data files: ${JSON.stringify(strangers)}`)
    }
    const kind = ['data', 'position-delete', 'equality-delete'][entry.content] ?? `content ${entry.content}`
    if (problems.length) fail(`${kind} file ${name}: ${problems.join('; ')}`)
    else ok(`${kind} file ${name}: ${ids.join(', ')}`)
    if (notes.length) warn(`${kind} file ${name}: ${notes.join('; ')}`)
  }
  if (failures === 0) ok(`hyparquet found field ids on all ${columns} columns of ${listing.length} files`)
}

// Field ids the Iceberg spec assigns to manifest-list and manifest fields
// (spec, "Manifests" and "Manifest Lists"); maps give [field, key, value],
// lists [field, element].
const SPEC_IDS = {
  manifest_file: {
    manifest_path: 500, manifest_length: 501, partition_spec_id: 502, content: 517,
    sequence_number: 515, min_sequence_number: 516, added_snapshot_id: 503,
    added_files_count: 504, existing_files_count: 505, deleted_files_count: 506,
    added_data_files_count: 504, existing_data_files_count: 505, deleted_data_files_count: 506,
    added_rows_count: 512, existing_rows_count: 513, deleted_rows_count: 514,
    partitions: [507, 508], key_metadata: 519, first_row_id: 520,
  },
  field_summary: { contains_null: 509, contains_nan: 518, lower_bound: 510, upper_bound: 511 },
  manifest_entry: { status: 0, snapshot_id: 1, sequence_number: 3, file_sequence_number: 4, data_file: 2 },
  data_file: {
    content: 134, file_path: 100, file_format: 101, partition: 102, record_count: 103,
    file_size_in_bytes: 104, block_size_in_bytes: 105,
    column_sizes: [108, 117, 118], value_counts: [109, 119, 120], null_value_counts: [110, 121, 122],
    nan_value_counts: [137, 138, 139], distinct_counts: [111, 123, 124],
    lower_bounds: [125, 126, 127], upper_bounds: [128, 129, 130], key_metadata: 131,
    split_offsets: [132, 133], equality_ids: [135, 136], sort_order_id: 140, first_row_id: 142,
    referenced_data_file: 143, content_offset: 144, content_size_in_bytes: 145,
  },
}

// Walks an Avro schema and reports fields without ids; `expected` maps field
// names to spec ids for the record being walked (null: no expectation).
function checkAvroSchema(schema, where, expected, partitionIds, problems) {
  const unwrap = t => (Array.isArray(t) ? t.find(b => b !== 'null') : t)
  const walkType = (t, at, ids) => {
    if (Array.isArray(t)) {
      for (const b of t) walkType(b, at, ids)
      return
    }
    if (!t || typeof t !== 'object') return
    if (t.type === 'record') walkRecord(t, at, null)
    else if (t.type === 'array') {
      if (t.logicalType === 'map') {
        // Iceberg's map with non-string keys: array of {key, value} records.
        const rec = unwrap(t.items)
        const byName = ids ? { key: ids[1], value: ids[2] } : null
        if (rec && rec.type === 'record') walkRecord(rec, `${at}<map>`, byName)
        else problems.push(`${at}: logicalType map array without a key/value record`)
      } else {
        if (!Number.isInteger(t['element-id'])) problems.push(`${at}: array has no element-id`)
        else if (ids && ids[1] !== undefined && t['element-id'] !== ids[1]) {
          problems.push(`${at}: element-id ${t['element-id']}, spec says ${ids[1]}`)
        }
        const item = unwrap(t.items)
        if (item && item.type === 'record') {
          const ctx = at.endsWith('partitions') ? SPEC_IDS.field_summary : null
          walkRecord(item, `${at}[]`, ctx)
        } else walkType(t.items, `${at}[]`, null)
      }
    } else if (t.type === 'map') {
      if (!Number.isInteger(t['key-id'])) problems.push(`${at}: map has no key-id`)
      if (!Number.isInteger(t['value-id'])) problems.push(`${at}: map has no value-id`)
      walkType(t.values, `${at}{}`, null)
    }
  }
  const walkRecord = (rec, at, ids) => {
    for (const f of rec.fields || []) {
      const fat = at ? `${at}.${f.name}` : f.name
      const id = f['field-id']
      const want = ids ? ids[f.name] : undefined
      const wantId = Array.isArray(want) ? want[0] : want
      if (!Number.isInteger(id)) problems.push(`${fat}: field has no field-id`)
      else if (wantId !== undefined && id !== wantId) problems.push(`${fat}: field-id ${id}, spec says ${wantId}`)
      else if (ids === null && at.endsWith('.partition') && partitionIds && !partitionIds.has(id)) {
        problems.push(`${fat}: field-id ${id} is not a field-id of the partition spec`)
      }
      const inner = unwrap(f.type)
      if (inner && inner.type === 'record') {
        const ctx = f.name === 'data_file' ? SPEC_IDS.data_file : null
        walkRecord(inner, fat, ctx)
      } else {
        walkType(f.type, fat, Array.isArray(want) ? want : null)
      }
    }
  }
  walkRecord(schema, where, expected)
}

// avsc refuses longs beyond 2^53 (snapshot ids); decode them as BigInt.
const bigintLong = avsc.types.LongType.__with({
  fromBuffer: buf => buf.readBigInt64LE(),
  toBuffer: n => {
    const buf = Buffer.alloc(8)
    buf.writeBigInt64LE(BigInt(n))
    return buf
  },
  fromJSON: BigInt,
  toJSON: Number,
  isValid: n => typeof n === 'bigint',
  compare: (a, b) => (a < b ? -1 : a > b ? 1 : 0),
})

function decodeAvroFile(file) {
  return new Promise((resolve, reject) => {
    let header = null
    let records = 0
    avsc.createFileDecoder(file, {
      parseHook: schema => avsc.Type.forSchema(schema, { registry: { long: bigintLong }, wrapUnions: false }),
    })
      .on('metadata', (type, codec, hdr) => { header = { codec, meta: hdr.meta } })
      .on('data', () => { records++ })
      .on('error', reject)
      .on('end', () => resolve({ header, records }))
  })
}

async function modeAvroFieldIds(args) {
  const { tableDir, metadata } = await openTable(args.table, args.reroot)
  const dir = path.join(tableDir, 'metadata')
  const files = (await fs.readdir(dir)).filter(f => f.endsWith('.avro')).sort()
  if (files.length === 0) fail(`no .avro files under ${dir}`)
  const specIds = new Map(metadata['partition-specs'].map(s => [s['spec-id'], new Set(s.fields.map(f => f['field-id']))]))
  for (const name of files) {
    const problems = []
    let decoded
    try {
      decoded = await decodeAvroFile(path.join(dir, name))
    } catch (err) {
      fail(`${name}: avsc cannot decode it: ${err.message}`)
      continue
    }
    const meta = {}
    for (const [k, v] of Object.entries(decoded.header.meta)) meta[k] = v.toString('utf8')
    const schema = JSON.parse(meta['avro.schema'])
    const isManifest = schema.name === 'manifest_entry'
    const isList = schema.name === 'manifest_file'
    if (!isManifest && !isList) problems.push(`top-level record is "${schema.name}", expected manifest_entry or manifest_file`)
    let partitionIds = null
    if (isManifest) {
      // Spec, "Manifests": required key/value metadata of a v2 manifest file.
      for (const key of ['schema', 'partition-spec', 'partition-spec-id', 'format-version', 'content']) {
        if (meta[key] === undefined) problems.push(`manifest metadata lacks required key "${key}"`)
      }
      if (meta['partition-spec'] !== undefined) {
        try {
          partitionIds = new Set(JSON.parse(meta['partition-spec']).map(f => f['field-id']))
        } catch {
          problems.push('manifest metadata "partition-spec" is not a JSON array')
        }
      }
      if (!partitionIds && meta['partition-spec-id'] !== undefined) partitionIds = specIds.get(Number(meta['partition-spec-id'])) ?? null
      if (meta.content !== undefined && !['data', 'deletes'].includes(meta.content)) {
        problems.push(`manifest metadata "content" is "${meta.content}", expected data or deletes`)
      }
    }
    checkAvroSchema(schema, '', isManifest ? SPEC_IDS.manifest_entry : isList ? SPEC_IDS.manifest_file : null, partitionIds, problems)
    const label = `${name} (${isManifest ? `manifest, ${meta.content}` : 'manifest list'}, ${decoded.records} records, codec ${decoded.header.codec})`
    if (problems.length) fail(`${label}: ${problems.join('; ')}`)
    else ok(label)
  }
  if (failures === 0) ok(`avsc decoded ${files.length} Avro files; every field carries the spec's field id`)
}

// ---------------------------------------------------------------------------

function parseArgs(argv) {
  const args = { mode: argv[0], reroot: false, strict: false, key: undefined, rows: undefined, extra: [] }
  const rest = []
  for (let i = 1; i < argv.length; i++) {
    if (argv[i] === '--reroot') args.reroot = true
    else if (argv[i] === '--strict') args.strict = true
    else if (argv[i] === '--key') args.key = argv[++i]
    else if (argv[i] === '--rows') args.rows = Number(argv[++i])
    else rest.push(argv[i])
  }
  args.table = rest[0]
  args.extra = rest.slice(1)
  return args
}

const MODES = {
  rows: [modeRows, 0],
  compare: [modeCompare, 1],
  'parquet-field-ids': [modeParquetFieldIds, 1],
  'avro-field-ids': [modeAvroFieldIds, 0],
}

async function main() {
  const args = parseArgs(process.argv.slice(2))
  const mode = MODES[args.mode]
  if (!mode || !args.table || args.extra.length !== mode[1]) {
    console.error('usage: read_table.mjs rows|compare|parquet-field-ids|avro-field-ids [--reroot] [--strict] [--key COL] [--rows N] TABLE [FILE]')
    process.exit(2)
  }
  strict = args.strict
  await mode[0](args)
  process.exit(failures ? 1 : 0)
}

main().catch(err => {
  console.log(`FAIL: ${err && err.stack ? err.stack : err}`)
  process.exit(1)
})
