#!/usr/bin/env bash
# Real HTTP clients against `medlake serve --http`: curl (health, readiness, metrics, REST API with
# a token, HTTPS with the self-signed certificate), the FHIR API's responses checked by an
# independent FHIR validator from npm (test/e2e/npm/fhir_validate.mjs), and the Iceberg REST
# catalog driven by an independent client from npm (iceberg-js, test/e2e/npm/iceberg_rest_client.mjs).
# The lake holds a small synthetic region run through the real pipeline.
#
#   http_clients_test.sh MEDLAKE_BINARY
# Exits 1 on any failure, 2 on a usage or setup error.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
medlake="${1:?usage: $0 MEDLAKE_BINARY}"
for tool in curl node; do
  command -v "$tool" >/dev/null || { echo "http_clients_test: $tool not found" >&2; exit 2; }
done
work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
failures=0
check() {  # check NAME EXPECTED ACTUAL
  if [[ "$2" == "$3" ]]; then echo "ok $1"; else echo "FAIL $1: expected [$2] got [$3]"; failures=$((failures + 1)); fi
}
start() {  # start LOGFILE ARGS...: starts a server, sets $port
  local log="$1"; shift
  "$medlake" --lake "$lake" serve "$@" >"$log" 2>&1 &
  pids+=($!)
  port=""
  for _ in $(seq 1 200); do
    port="$(grep -o 'http listening on [0-9.]*:[0-9]*' "$log" | grep -o '[0-9]*$')"
    [[ -n "$port" ]] && return 0
    sleep 0.1
  done
  echo "http_clients_test: server did not start"; cat "$log"; exit 2
}

lake="$work/lake"
"$medlake" synth --patients 12 --seed 7 --out "$work/in" --formats hl7,fhir >/dev/null || exit 2
"$medlake" --lake "$lake" init --owner admin >/dev/null || exit 2
"$medlake" --lake "$lake" ingest hl7 "$work/in/hl7" >/dev/null || exit 2
"$medlake" --lake "$lake" ingest fhir "$work/in/fhir" >/dev/null || exit 2
"$medlake" --lake "$lake" run >/dev/null || exit 2
"$medlake" --lake "$lake" sql \
  -c "CREATE USER ana PASSWORD 'ana-secret-12'" \
  -c "GRANT USAGE ON SCHEMA normalized TO ana" -c "GRANT SELECT ON SCHEMA normalized TO ana" \
  -c "CREATE SCHEMA scratch" -c "GRANT OWNERSHIP ON SCHEMA scratch TO ana" \
  -c "CREATE TABLE scratch.notes AS SELECT 1 AS id, 'hello' AS note" >/dev/null || exit 2
token="$("$medlake" --lake "$lake" sql -c "CREATE TOKEN FOR ana" --format csv | tail -n 1 | cut -d, -f2)"
[[ "$token" == mlk_* ]] || { echo "http_clients_test: no token"; exit 2; }

start "$work/serve.log" --http 0 --pg 0
base="http://127.0.0.1:$port"
auth=(-H "Authorization: Bearer $token")

# Health, readiness, metrics.
check "health" "200" "$(curl -s -o /dev/null -w '%{http_code}' "$base/health")"
check "ready" "200" "$(curl -s -o /dev/null -w '%{http_code}' "$base/ready")"
# REST API.
check "rest sql csv" "n
12" "$(curl -s "${auth[@]}" "$base/api/v1/sql?format=csv" -d 'SELECT count(DISTINCT person_id) AS n FROM normalized.person_link' | tr -d '\r')"
check "rest 401 without token" "401" "$(curl -s -o /dev/null -w '%{http_code}' "$base/api/v1/namespaces")"
check "rest 401 with a bad token" "401" "$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer mlk_x_y' "$base/api/v1/namespaces")"
check "rest 403 on raw" "403" "$(curl -s -o /dev/null -w '%{http_code}' "${auth[@]}" "$base/api/v1/sql" -d 'SELECT * FROM raw.hl7_messages')"
check "openapi" "3.0.3" "$(curl -s "$base/api/v1/openapi.json" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).openapi))')"
metrics="$(curl -s "$base/metrics")"
check "metrics count requests" "1" "$(grep -c '^medlake_http_requests_total{method="GET",route="/health",status="200"} 1$' <<<"$metrics")"

# FHIR: capability statement, searches, one person's everything, a bulk export; all validated.
mkdir -p "$work/fhir"
curl -s "$base/fhir/metadata" >"$work/fhir/metadata.json"
curl -s "${auth[@]}" "$base/fhir/Patient?_count=5" >"$work/fhir/patients.json"
person="$(node -e 'const b=JSON.parse(require("fs").readFileSync(process.argv[1]));console.log(b.entry[0].resource.id)' "$work/fhir/patients.json")"
check "fhir search finds patients" "5" "$(node -e 'const b=JSON.parse(require("fs").readFileSync(process.argv[1]));console.log(b.entry.length)' "$work/fhir/patients.json")"
curl -s "${auth[@]}" "$base/fhir/Patient/$person" >"$work/fhir/patient.json"
curl -s "${auth[@]}" "$base/fhir/Patient/$person/\$everything" >"$work/fhir/everything.json"
curl -s "${auth[@]}" "$base/fhir/Observation?patient=$person&_count=3" >"$work/fhir/observations.json"
curl -s "${auth[@]}" "$base/fhir/Encounter?patient=Patient/$person" >"$work/fhir/encounters.json"
check "fhir 404 is an OperationOutcome" "OperationOutcome" "$(curl -s "${auth[@]}" "$base/fhir/Patient/999999999" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).resourceType))')"
status_url="$(curl -s -D - -o /dev/null "${auth[@]}" -H 'Prefer: respond-async' "$base/fhir/Patient/\$export?_type=Patient,Condition" | tr -d '\r' | sed -n 's/^[Cc]ontent-[Ll]ocation: //p')"
manifest=""
for _ in $(seq 1 100); do
  code="$(curl -s -o "$work/manifest.json" -w '%{http_code}' "${auth[@]}" "$status_url")"
  [[ "$code" == 200 ]] && { manifest=ok; break; }
  sleep 0.2
done
check "fhir bulk export completes" "ok" "$manifest"
if [[ -n "$manifest" ]]; then
  n=0
  for url in $(node -e 'for (const o of JSON.parse(require("fs").readFileSync(process.argv[1])).output) console.log(o.url)' "$work/manifest.json"); do
    n=$((n + 1))
    curl -s "${auth[@]}" "$url" >"$work/fhir/export-$n.ndjson"
  done
  check "fhir export files" "2" "$n"
fi
"$here/../../scripts/npm-test-packages" || exit 2
if node "$here/npm/fhir_validate.mjs" "$work/fhir" >"$work/validate.out" 2>&1; then
  echo "ok fhir responses validate"
else
  echo "FAIL fhir validation"; cat "$work/validate.out"; failures=$((failures + 1))
fi

# Iceberg REST catalog through iceberg-js.
if node "$here/npm/iceberg_rest_client.mjs" "$port" "$token" scratch notes >"$work/iceberg.out" 2>&1; then
  echo "ok iceberg-js client"
else
  echo "FAIL iceberg-js client"; cat "$work/iceberg.out"; failures=$((failures + 1))
fi

# HTTPS with the self-signed certificate the server generates.
start "$work/tls.log" --http 0 --tls-self-signed
check "https with the lake's certificate" "200" "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$lake/keys/server.crt" "https://localhost:$port/health")"
check "plain http refused on the TLS port" "000" "$(curl -s -o /dev/null -m 5 -w '%{http_code}' "http://127.0.0.1:$port/health")"

# Clean stop on SIGTERM.
for p in "${pids[@]}"; do kill -TERM "$p"; wait "$p"; check "clean stop" "0" "$?"; done
pids=()
grep -q "http stopped:" "$work/serve.log" || { echo "FAIL no stop summary"; failures=$((failures + 1)); }
echo "http clients: $failures failed"
[[ $failures -eq 0 ]]
