#!/usr/bin/env bash
# The generator streams its HL7 v2 output to the MLLP listener (`synth --send-mllp`): every message
# is acknowledged, lands in raw.hl7_messages exactly once, and sending the same stream again adds
# nothing (idempotency key: sending application/facility + MSH-10).
# Usage: synth_mllp_test.sh MEDLAKE_BINARY
set -u
bin="$1"
tmp="$(mktemp -d)"
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
passed=0; failed=0
pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }

"$bin" --lake "$tmp/lake" init >/dev/null || exit 1
start_server() {
  "$bin" --lake "$tmp/lake" serve --mllp 0 --batch-messages 200 --batch-millis 200 >"$tmp/server.out" 2>"$tmp/server.err" &
  server=$!
  for _ in $(seq 1 300); do  # up to 30 s for the listener to report its port
    port="$(sed -n 's/^mllp listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$tmp/server.out")"
    [ -n "$port" ] && return 0
    sleep 0.1
  done
  return 1
}
stop_server() { kill -TERM "$server"; wait "$server"; local rc=$?; server=""; return $rc; }

start_server || { echo "server did not start: $(cat "$tmp/server.err")"; exit 1; }
out="$("$bin" synth --patients 25 --seed 4 --out "$tmp/synth" --formats hl7 --send-mllp "127.0.0.1:$port")"
sent="$(sed -n 's/^sent \([0-9]*\) HL7 messages.*: \([0-9]*\) accepted.*/\1 \2/p' <<<"$out")"
expected="$(grep -o '"hl7/[^"]*": [0-9]*' "$tmp/synth/manifest.json" | awk '{s += $2} END {print s}')"
if [ "$sent" = "$expected $expected" ]; then pass "all $expected generated messages sent and acknowledged AA"
else fail "sent/accepted '$sent', expected $expected: $out"; fi
# The same stream again: acknowledged again, stored once.
again="$("$bin" synth --patients 25 --seed 4 --out "$tmp/synth2" --formats hl7 --send-mllp "127.0.0.1:$port")"
stop_server || fail "server did not stop cleanly"
rows="$("$bin" --lake "$tmp/lake" sql --format csv -c "SELECT count(*), count(DISTINCT idempotency_key) FROM raw.hl7_messages" | tail -n 1)"
if [ "$rows" = "$expected,$expected" ]; then pass "raw.hl7_messages holds each message once after sending twice"
else fail "raw.hl7_messages count/distinct '$rows', expected $expected: $again"; fi
# A malformed target is refused before anything is generated.
"$bin" synth --patients 1 --out "$tmp/never" --send-mllp "nohost" >/dev/null 2>&1
if [ $? = 2 ] && [ ! -e "$tmp/never" ]; then pass "bad --send-mllp target refused up front"
else fail "bad --send-mllp target not refused"; fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
