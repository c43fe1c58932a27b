#!/usr/bin/env bash
# bench/serve_bench.sh: `medlake serve` side by side with a PostgreSQL 15 server on the same
# machine holding the same data (issue 8; figures in bench/README.md section 9):
#   1. pgbench -S-style point queries over pgwire (-M simple / -M prepared, -c 1 / -c 8),
#   2. a 1M-row result streamed (pgwire_stream_bench: single-row mode, text and binary),
#   3. one patient's complete record on an N-person normalized layer: FHIR Patient/$everything
#      over HTTP, the equivalent SQL over pgwire on medlake, and the same SQL on PostgreSQL
#      (with indexes on the patient keys), p50/p99 over random persons.
#
#   bench/serve_bench.sh [--patients N] [--accounts N] [--stream-rows N] [--duration S]
#                        [--persons K] [--fhir-persons K] [--only point,stream,record] [--perf] [--keep]
#                        [--codec lz4] [--no-key-index] [--cold] [--reuse DIR]
#
# Defaults: --patients 1000000 --accounts 1000000 --stream-rows 1000000 --duration 15
# --persons 200 (--fhir-persons K: only the first K of them for $everything, default all; at 1M
# persons one $everything takes ~4.5 s on the 2-core machine). Both servers listen on 127.0.0.1
# only, plain TCP (ssl=off / sslmode=disable), and clients log in as `reader` with a password
# over SCRAM-SHA-256 on both. On medlake `reader` is an ordinary user with USAGE+SELECT on the
# schemas (not the owner), so grants, the SQL rewrite and the audit log (one record per statement) are in every request's path.
# The lake is made with the CLI as its owner (`bench`): tables from range() with CREATE TABLE AS
# ... ORDER BY the key (bench/patient_record_gen.sql for the normalized layer); PostgreSQL gets
# the same rows exported with `medlake sql --format csv` piped into COPY, then primary key /
# indexes and VACUUM ANALYZE. PostgreSQL settings: shared_buffers=2GB, fsync=off,
# synchronous_commit=off, full_page_writes=off (only loading writes; every measurement reads).
# Everything (lake, cluster, servers) lives in a temp dir removed at exit unless --keep.
# --codec C: after generating the normalized layer, set the Iceberg table property
# write.parquet.compression-codec = C on its tables and rewrite them (CALL medlake.compact), to
# measure the record read with that codec instead of medlake's default zstd.
# Key indexes (engine/key_index_sql.h): the lake's tables get `medlake.key-index` = 'true' and
# their key indexes built (CALL medlake.build_key_index), so lookups by key read them instead of
# Parquet; --no-key-index measures the Parquet access path alone (sorted files, pruning).
#
# --cold: before the record measurements, stop both servers, drop the kernel's page cache (root
# only; medlake's key indexes are memory-mapped, so its server is restarted to unmap them) and
# start both again, so both sides read a person's pages from disk the first time.
#
# --reuse DIR: measure again on the lake and cluster a --keep run left in DIR (same --patients
# and --only as that run), without generating or loading anything; DIR is kept.
#
# --perf [--perf-mode simple]: after the point-query runs, an extra -M prepared (or simple) -c 1 run of medlake under
# `perf record --call-graph dwarf` (8 s); prints the inclusive CPU shares of the main stages
# (needs perf; the data is kept in $TMPDIR/serve_bench.perf.data).
#
# Environment: MEDLAKE (CLI, default build/bench/src/cli/medlake), STREAM_BENCH (default
# build/bench/bench/pgwire_stream_bench), PGBIN (default /usr/lib/postgresql/15/bin),
# PG_PORT / ML_PG_PORT / ML_HTTP_PORT (default 54341 / 54342 / 54343), TMPDIR, ML_SERVE_ARGS
# (extra `medlake serve` flags, e.g. "--audit-sync statement" to sync each audit record before
# its result instead of the default background sync).
set -euo pipefail

PATIENTS=1000000
ACCOUNTS=1000000
STREAM_ROWS=1000000
DURATION=15
PERSONS=200
FHIR_PERSONS=
ONLY=point,stream,record
PERF=0
PERF_MODE=prepared
KEEP=0
CODEC=
KEY_INDEX=1
COLD=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --patients) PATIENTS=$2; shift 2 ;;
    --accounts) ACCOUNTS=$2; shift 2 ;;
    --stream-rows) STREAM_ROWS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --persons) PERSONS=$2; shift 2 ;;
    --fhir-persons) FHIR_PERSONS=$2; shift 2 ;;
    --only) ONLY=$2; shift 2 ;;
    --perf) PERF=1; shift ;;
    --perf-mode) PERF_MODE=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --codec) CODEC=$2; shift 2 ;;
    --no-key-index) KEY_INDEX=0; shift ;;
    --cold) COLD=1; shift ;;
    --reuse) REUSE=$2; KEEP=1; shift 2 ;;
    *) echo "unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
want() { [[ ",$ONLY," == *",$1,"* ]]; }

ROOT=$(cd "$(dirname "$0")/.." && pwd)
MEDLAKE=${MEDLAKE:-$ROOT/build/bench/src/cli/medlake}
STREAM_BENCH=${STREAM_BENCH:-$ROOT/build/bench/bench/pgwire_stream_bench}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PG_PORT=${PG_PORT:-54341}
ML_PG_PORT=${ML_PG_PORT:-54342}
ML_HTTP_PORT=${ML_HTTP_PORT:-54343}
PASSWORD=bench-reader-pw
for x in "$MEDLAKE" "$STREAM_BENCH" "$PGBIN/initdb" "$(command -v pgbench)" "$(command -v curl)"; do
  [[ -x $x ]] || { echo "missing: $x" >&2; exit 1; }
done
if [[ $(id -u) == 0 ]]; then PGUSER_OS=${PGUSER_OS:-postgres}; else PGUSER_OS=${PGUSER_OS:-$(id -un)}; fi
as_pg() { if [[ $(id -un) == "$PGUSER_OS" ]]; then "$@"; else runuser -u "$PGUSER_OS" -- "$@"; fi; }
now() { date +%s.%N; }
since() { printf '%.1f' "$(echo "$(now) - $1" | bc)"; }

if [[ -n ${REUSE:-} ]]; then
  [[ -d $REUSE/lake && -d $REUSE/pgdata ]] || { echo "--reuse $REUSE: no kept lake and cluster there" >&2; exit 2; }
  WORK=$REUSE
else
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/medlake-serve-bench.XXXXXX")
  chmod 755 "$WORK"
fi
LAKE=$WORK/lake
ML_PID=
cleanup() {
  if [[ -n $ML_PID ]]; then kill "$ML_PID" 2>/dev/null || true; wait "$ML_PID" 2>/dev/null || true; fi
  as_pg "$PGBIN/pg_ctl" -D "$WORK/pgdata" -m fast stop >/dev/null 2>&1 || true
  if [[ $KEEP == 1 ]]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

echo "== serve_bench $(date -u '+%Y-%m-%d %H:%M UTC'), load $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
echo "   medlake $("$MEDLAKE" version 2>/dev/null | head -1), git $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)"
echo "   patients=$PATIENTS accounts=$ACCOUNTS stream_rows=$STREAM_ROWS duration=${DURATION}s persons=$PERSONS"

ml_sql() { "$MEDLAKE" --lake "$LAKE" sql "$@"; }

pg_start() {
  as_pg "$PGBIN/pg_ctl" -D "$WORK/pgdata" -l "$WORK/pgsock/pg.log" -w start -o \
    "-k $WORK/pgsock -p $PG_PORT -c listen_addresses=127.0.0.1 -c ssl=off -c password_encryption=scram-sha-256 \
     -c shared_buffers=2GB -c work_mem=64MB -c max_wal_size=8GB -c fsync=off -c synchronous_commit=off \
     -c full_page_writes=off -c max_connections=100" >/dev/null
}
PSQL=(as_pg psql -X -q -v ON_ERROR_STOP=1 -h "$WORK/pgsock" -p "$PG_PORT" -U postgres -d postgres)

if [[ -n ${REUSE:-} ]]; then
  echo "== reusing the lake and cluster in $WORK"
  TOKEN=$(ml_sql --format csv -c "CREATE TOKEN FOR reader COMMENT 'serve_bench --reuse'" | grep -o 'mlk_[A-Za-z0-9_]*' | head -1)
  [[ -n $TOKEN ]] || { echo "no token created" >&2; exit 1; }
  pg_start
else
# ---------------------------------------------------------------------------------------------
echo "== lake: generating data"
"$MEDLAKE" --lake "$LAKE" init --owner bench >/dev/null
t0=$(now)
ml_sql -c "CREATE SCHEMA bench" >/dev/null
if want point; then
  ml_sql -c "CREATE TABLE bench.accounts AS
    SELECT CAST(i AS BIGINT) AS aid, CAST((i - 1) // 100000 + 1 AS INTEGER) AS bid,
           CAST(hash(i) % 100000 AS INTEGER) - 50000 AS abalance, rpad('', 84, ' ') AS filler
    FROM range(1, $ACCOUNTS + 1) t(i) ORDER BY aid" >/dev/null
  # medlake's access path for lookups by aid (PostgreSQL gets its primary key): the table's sort
  # order, and the table rewritten in it with the layout sorted tables get (64 MiB files,
  # 16,384-row groups).
  ml_sql -c "ALTER TABLE bench.accounts WRITE ORDERED BY aid" -c "CALL medlake.compact('bench.accounts')" >/dev/null
  if [[ $KEY_INDEX == 1 ]]; then
    ml_sql -c "ALTER TABLE bench.accounts SET TBLPROPERTIES ('medlake.key-index' = 'true')" \
      -c "CALL medlake.build_key_index('bench.accounts')" >/dev/null
  fi
  echo "   bench.accounts ($ACCOUNTS rows): $(since "$t0") s"
fi
if want stream; then
  t1=$(now)
  ml_sql -c "CREATE TABLE bench.stream AS
    SELECT CAST(i AS BIGINT) AS id, 'label-' || CAST(hash(i, 'l') % 100000 AS VARCHAR) AS label,
           DATE '2000-01-01' + CAST(i % 9000 AS INTEGER) AS day, CAST(hash(i, 'v') % 1000000 AS DOUBLE) / 100 AS value,
           TIMESTAMP '2020-01-01 00:00:00' + to_seconds(CAST(hash(i, 't') % 100000000 AS BIGINT)) AS ts
    FROM range($STREAM_ROWS) t(i) ORDER BY id" >/dev/null
  echo "   bench.stream ($STREAM_ROWS rows): $(since "$t1") s"
fi
if want record; then
  t1=$(now)
  sed "s/@N@/$PATIENTS/g" "$ROOT/bench/patient_record_gen.sql" > "$WORK/gen.sql"
  ml_sql -f "$WORK/gen.sql" >/dev/null
  echo "   normalized layer ($PATIENTS persons): $(since "$t1") s"
  if [[ -n $CODEC ]]; then
    t1=$(now)
    for t in person_link patient encounter observation condition medication_request; do
      ml_sql -c "ALTER TABLE normalized.$t SET TBLPROPERTIES ('write.parquet.compression-codec' = '$CODEC')" \
        -c "CALL medlake.compact('normalized.$t')" >/dev/null
    done
    echo "   normalized layer rewritten with write.parquet.compression-codec = $CODEC: $(since "$t1") s"
  fi
  if [[ $KEY_INDEX == 1 ]]; then
    t1=$(now)
    for t in person_link patient encounter observation condition medication_request; do
      ml_sql -c "ALTER TABLE normalized.$t SET TBLPROPERTIES ('medlake.key-index' = 'true')" \
        -c "CALL medlake.build_key_index('normalized.$t')" >/dev/null
    done
    echo "   key indexes of the normalized layer: $(since "$t1") s, $(find "$LAKE/warehouse/normalized" -name '*.keyidx' -printf '%s\n' | awk '{s += $1} END {printf "%.0f MB", s / 1e6}')"
  fi
fi
TOKEN=$(ml_sql --format csv -c "CREATE USER reader WITH PASSWORD '$PASSWORD'" \
  -c "GRANT USAGE ON SCHEMA bench TO reader" -c "GRANT SELECT ON SCHEMA bench TO reader" \
  -c "CREATE SCHEMA IF NOT EXISTS normalized" \
  -c "GRANT USAGE ON SCHEMA normalized TO reader" -c "GRANT SELECT ON SCHEMA normalized TO reader" \
  -c "CREATE TOKEN FOR reader COMMENT 'serve_bench'" | grep -o 'mlk_[A-Za-z0-9_]*' | head -1)
[[ -n $TOKEN ]] || { echo "no token created" >&2; exit 1; }
echo "   lake: $(du -sh "$LAKE" | cut -f1) in $(since "$t0") s"

# ---------------------------------------------------------------------------------------------
echo "== PostgreSQL 15: cluster, load, indexes"
mkdir -p "$WORK/pgdata" "$WORK/pgsock"
[[ $(id -u) == 0 ]] && chown "$PGUSER_OS" "$WORK/pgdata" "$WORK/pgsock"
echo "$PASSWORD-admin" > "$WORK/pwfile"
chmod 644 "$WORK/pwfile"
as_pg "$PGBIN/initdb" -D "$WORK/pgdata" -U postgres --pwfile="$WORK/pwfile" --auth-local=trust \
  --auth-host=scram-sha-256 >/dev/null
pg_start
t0=$(now)
# The PostgreSQL type of each DESCRIBE type of the lake.
pg_columns() {
  ml_sql --format csv -c "SELECT column_name, column_type FROM (DESCRIBE $1)" | tail -n +2 |
    awk -F, -v fixed="$2" '{
      t = $2
      if (t == "VARCHAR") t = "text"; else if (t == "DOUBLE") t = "double precision";
      else if (t == "TIMESTAMP WITH TIME ZONE") t = "timestamptz"; else if (t == "TIMESTAMP") t = "timestamp";
      if (fixed != "" && index(fixed, $1 "=") == 1) t = substr(fixed, length($1) + 2)
      printf "%s%s %s", (NR > 1 ? ", " : ""), $1, t }'
}
copy_table() {  # lake table -> same-named PostgreSQL table, through a pipe
  local t=$1 fixed=${2:-}
  "${PSQL[@]}" -c "CREATE TABLE $t ($(pg_columns "$t" "$fixed"))"
  ml_sql --format csv -c "SELECT * FROM $t" | "${PSQL[@]}" -c "\\copy $t FROM STDIN (FORMAT csv, HEADER true)"
}
"${PSQL[@]}" -c "CREATE SCHEMA bench" -c "CREATE SCHEMA normalized" \
  -c "CREATE ROLE reader LOGIN PASSWORD '$PASSWORD'" \
  -c "GRANT USAGE ON SCHEMA bench, normalized TO reader" \
  -c "ALTER DEFAULT PRIVILEGES IN SCHEMA bench, normalized GRANT SELECT ON TABLES TO reader"
if want point; then
  copy_table bench.accounts "filler=char(84)"
  "${PSQL[@]}" -c "ALTER TABLE bench.accounts ADD PRIMARY KEY (aid)"
fi
want stream && copy_table bench.stream
if want record; then
  for t in person_link patient encounter observation condition medication_request procedure \
           allergy_intolerance immunization; do
    t1=$(now)
    copy_table normalized.$t
    echo "   normalized.$t: $(since "$t1") s"
  done
  "${PSQL[@]}" -c "CREATE INDEX ON normalized.person_link (person_id)" \
    -c "CREATE INDEX ON normalized.person_link (source_key)" \
    -c "CREATE INDEX ON normalized.patient (source_key)"
  for t in encounter observation condition medication_request procedure allergy_intolerance immunization; do
    "${PSQL[@]}" -c "CREATE INDEX ON normalized.$t (patient_source_key)"
  done
fi
"${PSQL[@]}" -c "VACUUM ANALYZE"
echo "   PostgreSQL: $("${PSQL[@]}" -At -c "SELECT pg_size_pretty(pg_database_size('postgres'))") in $(since "$t0") s"
fi  # not --reuse

# ---------------------------------------------------------------------------------------------
echo "== medlake serve --pg $ML_PG_PORT --http $ML_HTTP_PORT ${ML_SERVE_ARGS:-}"
ml_start() {
  # shellcheck disable=SC2086  # ML_SERVE_ARGS is a list of flags
  "$MEDLAKE" --lake "$LAKE" serve --pg "$ML_PG_PORT" --http "$ML_HTTP_PORT" ${ML_SERVE_ARGS:-} >> "$WORK/serve.log" 2>&1 &
  ML_PID=$!
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$ML_HTTP_PORT/health" >/dev/null 2>&1 && break
    sleep 0.2
  done
  curl -sf "http://127.0.0.1:$ML_HTTP_PORT/health" >/dev/null || { cat "$WORK/serve.log"; exit 1; }
}
ml_start
export PGPASSWORD=$PASSWORD PGSSLMODE=disable
PG_CONN="host=127.0.0.1 port=$PG_PORT user=reader dbname=postgres sslmode=disable password=$PASSWORD"
ML_CONN="host=127.0.0.1 port=$ML_PG_PORT user=reader dbname=medlake sslmode=disable password=$PASSWORD"
audit_records() { ml_sql --format csv -c "SELECT count(*) FROM audit.log" 2>/dev/null | tail -1; }

# ---------------------------------------------------------------------------------------------
if want point; then
  echo "== 1. point queries: pgbench -n -T $DURATION (after a 3 s warm-up), custom -S-like script"
  printf '\\set aid random(1, %d)\nSELECT abalance FROM bench.accounts WHERE aid = :aid;\n' "$ACCOUNTS" > "$WORK/point.sql"
  pgb() {  # side mode clients seconds -> "tps latency_ms"
    local port=$1 db=$2 mode=$3 c=$4 secs=$5
    pgbench -n -h 127.0.0.1 -p "$port" -U reader -M "$mode" -c "$c" -j "$c" -T "$secs" -f "$WORK/point.sql" "$db" \
      2> "$WORK/pgbench.err" | awk '/^tps = /{tps=$3} /^latency average/{lat=$4} END{print tps, lat}'
  }
  printf "%-9s %3s | %12s %10s | %12s %10s | %10s\n" mode c "PG tps" "PG ms" "medlake tps" "medlake ms" "PG/medlake"
  for mode in simple prepared; do
    for c in 1 8; do
      pgb "$PG_PORT" postgres "$mode" "$c" 3 >/dev/null
      read -r pg_tps pg_lat < <(pgb "$PG_PORT" postgres "$mode" "$c" "$DURATION")
      pgb "$ML_PG_PORT" medlake "$mode" "$c" 3 >/dev/null
      read -r ml_tps ml_lat < <(pgb "$ML_PG_PORT" medlake "$mode" "$c" "$DURATION")
      [[ -n $ml_tps ]] || { cat "$WORK/pgbench.err"; exit 1; }
      printf "%-9s %3s | %12.0f %10.3f | %12.1f %10.3f | %9.1fx\n" "$mode" "$c" "$pg_tps" "$pg_lat" "$ml_tps" "$ml_lat" \
        "$(echo "$pg_tps / $ml_tps" | bc -l)"
    done
  done
  echo "   audit records in the lake after the runs: $(audit_records)"
  if [[ $PERF == 1 ]]; then
    # An extra run, not one of the measured ones above: perf's DWARF unwinding slows the server.
    echo "== perf record of the medlake server during an extra -M $PERF_MODE -c 1 run (8 s of it)"
    (sleep 3; perf record -F 300 --call-graph dwarf,16384 -p "$ML_PID" -o "$WORK/perf.data" -- sleep 8 >/dev/null 2>&1) &
    perf_job=$!
    echo "   tps under perf: $(pgb "$ML_PG_PORT" medlake "$PERF_MODE" 1 12 | cut -d' ' -f1)"
    wait "$perf_job" || true
    echo "   inclusive CPU share of the server's samples (children), symbols above 2%:"
    perf report -i "$WORK/perf.data" --children --sort symbol -g none --stdio 2>/dev/null | grep -v '^#' |
      grep '%' | cut -c1-150 | awk '$1 + 0 >= 2' | grep -E 'medlake::|duckdb::(ClientContext::(Prepare|PendingQuery|Rebind)|ParquetReader::Scan|Planner|Optimizer|Parser)|zstd::ZSTD_decompress$|fdatasync|sendto|recvfrom|sqlite3_step' | head -70 || true
    cp "$WORK/perf.data" "${TMPDIR:-/tmp}/serve_bench.perf.data" && echo "   (perf data kept in ${TMPDIR:-/tmp}/serve_bench.perf.data)"
  fi
fi

# ---------------------------------------------------------------------------------------------
if want stream; then
  echo "== 2. $STREAM_ROWS-row result streamed (single-row mode, median of 5 after a warm-up)"
  "$STREAM_BENCH" --mode=stream --reps=5 --side="postgres=$PG_CONN" --side="medlake=$ML_CONN" \
    --sql="SELECT id, label, day, value, ts FROM bench.stream LIMIT 1000000" \
    --sql="SELECT id, label, day, value, ts FROM bench.stream"
fi

# ---------------------------------------------------------------------------------------------
if want record; then
  if [[ $COLD == 1 ]]; then
    kill "$ML_PID"; wait "$ML_PID" 2>/dev/null || true
    as_pg "$PGBIN/pg_ctl" -D "$WORK/pgdata" -m fast stop >/dev/null
    sync
    echo 3 > /proc/sys/vm/drop_caches || { echo "--cold needs root (drop_caches)" >&2; exit 1; }
    pg_start
    ml_start
    echo "   (--cold: both servers restarted on a dropped page cache)"
  fi
  echo "== 3. one patient's complete record, $PERSONS random persons of $PATIENTS"
  awk -v n="$PERSONS" -v max="$PATIENTS" 'BEGIN { srand(8); for (i = 0; i < n; i++) print int(rand() * max) + 1 }' > "$WORK/ids"
  # $everything gets persons of its own: on the same persons it would find the pages the SQL
  # pass just read in the page cache (at 1M persons the lake and PostgreSQL exceed the RAM).
  awk -v n="$PERSONS" -v max="$PATIENTS" 'BEGIN { srand(9); for (i = 0; i < n; i++) print int(rand() * max) + 1 }' > "$WORK/fhir_ids"
  # As $everything reads a record (src/server/fhir/fhir_store_internal.cc): the person's source
  # keys first, then the patient rows and each clinical table by a literal IN list of them.
  cat > "$WORK/record.sql" <<'SQL'
SELECT source_key AS _key FROM normalized.person_link WHERE person_id = :id ORDER BY source_key
;
SELECT :id AS _person_id, p.* FROM normalized.patient p WHERE p.source_key IN (:keys)
ORDER BY p.record_time DESC NULLS LAST, p.source_key
;
SQL
  for t in encounter observation condition medication_request procedure allergy_intolerance immunization; do
    printf 'SELECT t.*, :id AS _person_id FROM normalized.%s t WHERE t.patient_source_key IN (:keys) ORDER BY t.source_key\n;\n' "$t" >> "$WORK/record.sql"
  done
  echo "-- equivalent SQL (9 statements per person: keys, patient, 7 tables; simple query protocol, one connection per side):"
  "$STREAM_BENCH" --mode=record --side="postgres=$PG_CONN" --side="medlake=$ML_CONN" \
    --sql-file="$WORK/record.sql" --ids-file="$WORK/ids"
  echo "-- FHIR GET /fhir/Patient/{id}/\$everything?_count=1000 (one keep-alive curl, Bearer token; other random persons):"
  first=$(head -1 "$WORK/fhir_ids")
  curl -s -H "Authorization: Bearer $TOKEN" \
    "http://127.0.0.1:$ML_HTTP_PORT/fhir/Patient/$first/\$everything?_count=1000" > "$WORK/everything.json"
  echo "   person $first: $(grep -o '"resourceType":"[A-Za-z]*"' "$WORK/everything.json" | sort | uniq -c | tr -s ' ' | tr '\n' ',') $(wc -c < "$WORK/everything.json") bytes"
  : > "$WORK/curl.cfg"
  while read -r id; do
    printf 'url = "http://127.0.0.1:%s/fhir/Patient/%s/$everything?_count=1000"\noutput = "/dev/null"\n' "$ML_HTTP_PORT" "$id" >> "$WORK/curl.cfg"
  done < <(head -n "${FHIR_PERSONS:-$PERSONS}" "$WORK/fhir_ids")
  curl -s -H "Authorization: Bearer $TOKEN" -w '%{http_code} %{time_total}\n' -K "$WORK/curl.cfg" > "$WORK/fhir.times"
  awk '$1 != 200 { bad++ } { print $2 * 1000 } END { if (bad) print "non-200 responses: " bad > "/dev/stderr" }' \
    "$WORK/fhir.times" | sort -n | awk '{ a[NR] = $1; s += $1 }
      function q(p) { r = int(p * NR + 0.999999); if (r < 1) r = 1; return a[r] }
      END { printf "%-10s %6d %9.2f %9.2f %9.2f %9.2f %9.2f\n", "fhir", NR, q(0.5), q(0.9), q(0.99), a[NR], s / NR }'
  echo "   audit records in the lake after the runs: $(audit_records)"
fi
echo "== done $(date -u "+%H:%M UTC"), load $(cut -d" " -f1-3 /proc/loadavg)"
