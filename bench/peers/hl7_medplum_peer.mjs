// The npm peer of medlake's HL7 v2 parser benchmark: @medplum/core's Hl7Message.parse on the same
// corpus (all *.hl7 files under a folder, split into messages at "MSH|" segment starts).
// Usage: node hl7_medplum_peer.mjs CORPUS_DIR [REPEATS]
// Prints: messages, bytes, best seconds, messages/s, MB/s.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

function walk(dir, out) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.hl7')) out.push(p);
  }
  return out;
}

// @medplum/core 5 expects a global WebSocket (Node 22); Node 20 has none. Parsing HL7 never
// opens a socket, so a stub is enough to load the package.
if (typeof globalThis.WebSocket === 'undefined') globalThis.WebSocket = class {};
const { Hl7Message } = await import('@medplum/core');

const dir = process.argv[2];
const repeats = Number(process.argv[3] ?? 3);
const messages = [];
let bytes = 0;
for (const file of walk(dir, [])) {
  const text = readFileSync(file, 'latin1');
  bytes += text.length;
  // Messages start at "MSH" at the beginning of a segment.
  const parts = text.split(/[\r\n]+(?=MSH\|)/);
  for (const m of parts) if (m.startsWith('MSH')) messages.push(m);
}
let best = Infinity;
let fields = 0;
for (let r = 0; r < repeats; ++r) {
  const t0 = process.hrtime.bigint();
  for (const m of messages) {
    const msg = Hl7Message.parse(m);
    fields += msg.segments.length;  // touch the result
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  best = Math.min(best, s);
}
console.log(JSON.stringify({
  parser: '@medplum/core ' + JSON.parse(readFileSync(new URL('./node_modules/@medplum/core/package.json', import.meta.url))).version,
  messages: messages.length, bytes, best_seconds: best,
  messages_per_second: Math.round(messages.length / best),
  mb_per_second: +(bytes / best / 1e6).toFixed(1), segments_seen: fields,
}));
