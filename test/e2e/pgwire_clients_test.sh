#!/usr/bin/env bash
# Real PostgreSQL clients against `medlake serve --pg`: psql (queries; \dn, \dt, \d answered by the
# catalog shim), pgbench with a custom script in simple, extended and prepared modes, the npm
# `pg` client (test/e2e/npm/pg_client.mjs), Npgsql's type-loading batch (sent by psql) and
# SQLAlchemy over psycopg2 (test/e2e/sqlalchemy_client.py) and psqlODBC through pyodbc
# (test/e2e/odbc_client.py), all Debian packages.
#
#   pgwire_clients_test.sh MEDLAKE_BINARY
# Exits 1 on any failure, 2 on a usage or setup error.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
medlake="${1:?usage: $0 MEDLAKE_BINARY}"
for tool in psql pgbench node; do
  command -v "$tool" >/dev/null || { echo "pgwire_clients_test: $tool not found (scripts/bootstrap installs it)" >&2; exit 2; }
done
work="$(mktemp -d)"
server_pid=""
cleanup() {
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
failures=0
check() {  # check NAME EXPECTED ACTUAL
  if [[ "$2" == "$3" ]]; then echo "ok $1"; else echo "FAIL $1: expected [$2] got [$3]"; failures=$((failures + 1)); fi
}

lake="$work/lake"
"$medlake" --lake "$lake" init --owner admin >/dev/null || exit 2
"$medlake" --lake "$lake" sql \
  -c "CREATE USER alice PASSWORD 'alice-secret-1'" \
  -c "CREATE SCHEMA s" \
  -c "CREATE TABLE s.t AS SELECT range AS id, 'name' || range AS name, DATE '2020-01-01' + range::INTEGER AS d, range % 2 = 0 AS even FROM range(3000)" \
  -c "COMMENT ON TABLE s.t IS 'a test table'" \
  -c "GRANT USAGE ON SCHEMA s TO alice" -c "GRANT SELECT ON TABLE s.t TO alice" >/dev/null || exit 2

"$medlake" --lake "$lake" serve --pg 0 >"$work/serve.log" 2>&1 &
server_pid=$!
port=""
for _ in $(seq 1 100); do
  port="$(grep -o 'pgwire listening on [0-9.]*:[0-9]*' "$work/serve.log" | grep -o '[0-9]*$')"
  [[ -n "$port" ]] && break
  sleep 0.1
done
[[ -n "$port" ]] || { echo "pgwire_clients_test: server did not start"; cat "$work/serve.log"; exit 2; }
export PGPASSWORD=alice-secret-1
conn="host=127.0.0.1 port=$port user=alice dbname=medlake sslmode=disable"

# psql: plain queries, unaligned output.
check "psql count" "3000" "$(psql "$conn" -XAtc "SELECT count(*) FROM s.t" 2>&1)"
check "psql row" "7|name7|2020-01-08|f" "$(psql "$conn" -XAtc "SELECT id, name, d, even FROM s.t WHERE id = 7" 2>&1)"
check "psql error sqlstate" "42601" "$(psql "$conn" -XAt -v VERBOSITY=verbose -c "SELEC 1" 2>&1 | grep -o '42601' | head -1)"
check "psql variables (\\gset and :var)" "name9" "$(printf 'SELECT 9 AS k \\gset\nSELECT name FROM s.t WHERE id = :k;\n' | psql "$conn" -XAt 2>&1)"

# psql catalog commands, answered by the catalog shim from what alice may see.
psql "$conn" -XAc '\dt s.*' >"$work/dt.out" 2>&1
check "psql \\dt lists the table" "1" "$(grep -c '^s|t|table|' "$work/dt.out")"
psql "$conn" -XAc '\d s.t' >"$work/d.out" 2>&1
check "psql \\d shows the columns" "id|bigint name|text d|date even|boolean" "$(grep -E '^(id|name|d|even)\|' "$work/d.out" | cut -d'|' -f1,2 | tr '\n' ' ' | sed 's/ $//')"
psql "$conn" -XAc '\dt+ s.t' >"$work/dtp.out" 2>&1
check "psql \\dt+ shows the comment" "1" "$(grep -c 'a test table' "$work/dtp.out")"
check "psql \\dn lists the schema" "1" "$(psql "$conn" -XAc '\dn' 2>&1 | grep -c '^s|')"
# Privilege probes answer from alice's grants (SELECT on s.t only): Metabase decides from them
# which tables to sync and whether to offer writes.
check "has_table_privilege follows the grants" "t|f|f" "$(psql "$conn" -XAtc "SELECT has_table_privilege('s.t', 'SELECT'), has_table_privilege(current_user, 's.t', 'INSERT'), has_schema_privilege('s', 'CREATE')" 2>&1)"
check "psql \\dp shows alice's privileges" "1" "$(psql "$conn" -XAc '\dp s.*' 2>&1 | grep -c '^s|t|table|alice=r/alice|')"
check "Metabase's table privileges query" "|s|t|f|t|f|f" "$(psql "$conn" -XAt -f "$here/../../src/server/pgcatalog/testdata/metabase_table_privileges.sql" 2>&1)"
# Npgsql's type loading (.NET clients, Power BI): four statements in one Query message, on every
# connection; all must succeed (psql -c sends the text as one message and stops at an error).
npgsql_batch="$(grep -v '^-- query ' "$here/../../src/server/pgcatalog/testdata/npgsql_load_types.sql")"
psql "$conn" -XAt -v ON_ERROR_STOP=1 -c "$npgsql_batch" >"$work/npgsql.out" 2>&1
check "npgsql type loading batch runs" "0" "$(grep -c 'ERROR' "$work/npgsql.out")"
check "npgsql type loading finds int4" "1" "$(grep -c '^pg_catalog|23|int4|b|' "$work/npgsql.out")"
# SQLAlchemy over psycopg2 (Superset, pandas, notebooks): reflection and a bound query.
if /usr/bin/python3 "$here/sqlalchemy_client.py" "$port" alice alice-secret-1 s t >"$work/sqlalchemy.out" 2>&1; then
  cat "$work/sqlalchemy.out"
else
  cat "$work/sqlalchemy.out"; echo "FAIL sqlalchemy client"; failures=$((failures + 1))
fi
# psqlODBC through pyodbc (Excel, Tableau): catalog functions and a bound query, in autocommit
# mode and in a transaction (savepoints around each statement).
if /usr/bin/python3 "$here/odbc_client.py" "$port" alice alice-secret-1 s t >"$work/odbc.out" 2>&1; then
  cat "$work/odbc.out"
else
  cat "$work/odbc.out"; echo "FAIL odbc client"; failures=$((failures + 1))
fi
# Unaliased columns carry PostgreSQL's names.
check "psql column names" "count|max" "$(psql "$conn" -XA -c "SELECT count(*), max(id) FROM s.t" 2>&1 | head -1)"

# pgbench: a custom point-query script in each protocol mode; every transaction must succeed.
printf '\\set id random(0, 2999)\nSELECT name FROM s.t WHERE id = :id;\n' >"$work/point.sql"
for mode in simple extended prepared; do
  out="$(pgbench -n -f "$work/point.sql" -M "$mode" -c 4 -t 25 "$conn" 2>&1)"
  processed="$(grep -o 'number of transactions actually processed: [0-9]*' <<<"$out" | grep -o '[0-9]*$')"
  check "pgbench -M $mode" "100" "$processed"
  [[ "$processed" == "100" ]] || echo "$out" | tail -5
done

# The npm pg client.
"$here/../../scripts/npm-test-packages" || exit 2
if node "$here/npm/pg_client.mjs" "$port" alice alice-secret-1; then echo "ok npm pg"; else echo "FAIL npm pg"; failures=$((failures + 1)); fi

# The server is still healthy and stops cleanly on SIGTERM.
check "server alive after all clients" "1" "$(psql "$conn" -XAtc "SELECT 1" 2>&1)"
kill -TERM "$server_pid"
wait "$server_pid"
rc=$?
server_pid=""
check "clean stop" "0" "$rc"
grep -q "pgwire stopped:" "$work/serve.log" || { echo "FAIL no stop summary"; failures=$((failures + 1)); }

# The audit: by default (--audit-sync interval) the statements' records are synced in the
# background and HEAD names only synced ones; the stop syncs the rest, so HEAD then names the
# last record written, and the chain verifies.
records="$(cat "$lake"/audit/audit-*.jsonl | wc -l)"
check "the audit holds the clients' statements" "1" "$([[ "$records" -gt 300 ]] && echo 1 || echo "$records")"
check "HEAD names every record after the stop" "$records" "$(awk '{print $3}' "$lake/audit/HEAD")"
check "audit verify" "0" "$("$medlake" --lake "$lake" audit verify >/dev/null 2>&1; echo $?)"
check "unknown --audit-sync refused" "2" "$("$medlake" --lake "$lake" serve --pg 0 --audit-sync sometimes >/dev/null 2>&1; echo $?)"
check "--audit-sync-ms out of range refused" "2" "$("$medlake" --lake "$lake" serve --pg 0 --audit-sync-ms 0 >/dev/null 2>&1; echo $?)"
check "--audit-sync-ms above 1000 refused" "2" "$("$medlake" --lake "$lake" serve --pg 0 --audit-sync-ms 1001 >/dev/null 2>&1; echo $?)"
# The same settings from the config file: bad ones are refused with the key named, before
# anything listens.
config_refused() {  # config_refused NAME JSON EXPECTED-TEXT
  printf '%s' "$2" > "$work/bad.json"
  local out rc
  out="$("$medlake" --lake "$lake" serve --pg 0 --config "$work/bad.json" 2>&1)"; rc=$?
  check "$1 refused" "2" "$rc"
  grep -q -- "$3" <<<"$out" || { echo "FAIL $1: no '$3' in: $out"; failures=$((failures + 1)); }
}
config_refused "config audit.unknown key" '{"audit": {"sync": "interval", "flush": 1}}' "audit.flush"
config_refused "config audit.sync value" '{"audit": {"sync": "sometimes"}}' "must be 'interval' or 'statement'"
config_refused "config audit.sync_ms range" '{"audit": {"sync_ms": 5000}}' "between 1 and 1000"
config_refused "config audit.sync_ms type" '{"audit": {"sync_ms": "10"}}' "'sync_ms' must be an integer"
config_refused "config audit not an object" '{"audit": "statement"}' "'audit' must be an object"

echo "pgwire clients: $failures failed"
[[ $failures -eq 0 ]]
