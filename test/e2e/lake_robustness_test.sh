#!/usr/bin/env bash
# Lake tables under stress, with the real binary (lake-tables issue, points 8 and 9):
#   1. concurrent writers: 4 processes x 8 INSERTs into one table; every INSERT lands exactly once
#      (losers of a compare-and-swap retry on the new snapshot);
#   2. crashes: writers killed with SIGKILL at random moments; the table (with gzip metadata files)
#      always reads, at the old or the new snapshot (row counts stay whole batches);
#   3. corruption: a truncated data file, manifest or metadata file gives an error naming the file
#      (DataLoss), never a crash.
# Usage: lake_robustness_test.sh MEDLAKE_BINARY
set -u
bin="$1"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
lake="$tmp/lake"
passed=0
failed=0
pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
sql() { "$bin" --lake "$lake" sql --format csv "$@"; }
count() { sql -c "SELECT count(*) FROM $1" 2>"$tmp/err" | tail -n 1; }

sql -c "CREATE SCHEMA r" -c "CREATE TABLE r.t (writer INTEGER, k INTEGER)" \
    -c "CREATE TABLE r.crash (batch INTEGER, i INTEGER)" \
    -c "ALTER TABLE r.crash SET TBLPROPERTIES ('write.metadata.compression-codec' = 'gzip')" >/dev/null 2>&1

# 1. Concurrent writers.
for w in 1 2 3 4; do
  (
    for k in 1 2 3 4 5 6 7 8; do
      if ! "$bin" --lake "$lake" sql -c "INSERT INTO r.t VALUES ($w, $k)" >/dev/null 2>>"$tmp/writer$w.err"; then
        echo "insert $w/$k failed" >>"$tmp/writer$w.err"
      fi
    done
  ) &
done
wait
errors="$(cat "$tmp"/writer*.err 2>/dev/null | grep -c failed || true)"
rows="$(count r.t)"
distinct="$(sql -c "SELECT count(DISTINCT (writer, k)) FROM r.t" | tail -n 1)"
snapshots="$(sql -c 'SELECT count(*) FROM r."t$snapshots"' | tail -n 1)"
if [ "$errors" = 0 ] && [ "$rows" = 32 ] && [ "$distinct" = 32 ] && [ "$snapshots" = 32 ]; then
  pass "4 concurrent writers x 8 inserts: 32 rows, 32 snapshots"
else
  fail "concurrent writers: errors=$errors rows=$rows distinct=$distinct snapshots=$snapshots"
  cat "$tmp"/writer*.err
fi

# 2. Writers killed at random moments of a commit.
ok=1
for round in $(seq 1 12); do
  "$bin" --lake "$lake" sql -c "INSERT INTO r.crash SELECT $round, i FROM range(500) t(i)" >/dev/null 2>&1 &
  pid=$!
  # 0 to ~190 ms: before, during and after the commit.
  sleep "0.$(( (RANDOM % 19) ))$(( RANDOM % 10 ))"
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  n="$(count r.crash)"
  if [ -z "$n" ] || [ $((n % 500)) != 0 ]; then
    ok=0
    echo "round $round: count '$n' is not whole batches: $(cat "$tmp/err")"
  fi
done
# After the crashes the table still takes writes, and orphan removal cleans leftovers.
if ! sql -c "INSERT INTO r.crash SELECT 99, i FROM range(500) t(i)" >/dev/null 2>"$tmp/final.err"; then
  ok=0
  echo "the insert after the crashes failed: $(cat "$tmp/final.err")"
fi
n="$(count r.crash)"
gz_versions="$(ls "$lake"/warehouse/r/crash/metadata/*.gz.metadata.json 2>/dev/null | wc -l)"
if [ "$ok" = 1 ] && [ $((n % 500)) = 0 ] && [ "$n" -ge 500 ] && [ "$gz_versions" -ge 2 ]; then
  pass "12 writers killed at random moments: table readable, $n rows in whole batches, $gz_versions gzip metadata files"
else
  fail "crash rounds left the table unreadable or partial (count '$n', $gz_versions gzip metadata files)"
fi
if sql -c "CALL medlake.remove_orphan_files('r.crash', '2999-01-01 00:00:00')" >/dev/null 2>&1 &&
   [ "$(count r.crash)" = "$n" ]; then
  pass "orphan removal after crashes keeps the data"
else
  fail "orphan removal after crashes"
fi

# 3. Corruption: each kind of file, truncated.
check_corrupt() {  # description, file to truncate, table, expected message fragment
  local what="$1" file="$2" table="$3" fragment="$4"
  head -c 40 "$file" >"$tmp/cut" && cp "$tmp/cut" "$file"
  out="$("$bin" --lake "$lake" sql -c "SELECT count(*) FROM $table" 2>&1)"
  status=$?
  if [ "$status" = 1 ] && grep -q "DataLoss" <<<"$out" && grep -qF "$fragment" <<<"$out"; then
    pass "truncated $what: DataLoss naming the file"
  else
    fail "truncated $what: exit $status, output: $out"
  fi
}
for t in d m j; do
  sql -c "CREATE TABLE r.c$t AS SELECT range AS id FROM range(100)" >/dev/null 2>&1
done
sql -c "CREATE TABLE r.cz (id BIGINT)" \
    -c "ALTER TABLE r.cz SET TBLPROPERTIES ('write.metadata.compression-codec' = 'gzip')" \
    -c "INSERT INTO r.cz SELECT range FROM range(100)" >/dev/null 2>&1
data_file="$(ls "$lake"/warehouse/r/cd/data/*.parquet | head -n 1)"
manifest="$(ls "$lake"/warehouse/r/cm/metadata/*-m0.avro | head -n 1)"
metadata="$lake/warehouse/r/cj/metadata/v2.metadata.json"
check_corrupt "data file" "$data_file" r.cd "$(basename "$data_file")"
check_corrupt "manifest" "$manifest" r.cm "$(basename "$manifest")"
check_corrupt "metadata file" "$metadata" r.cj "v2.metadata.json"
check_corrupt "gzip metadata file" "$lake/warehouse/r/cz/metadata/v3.gz.metadata.json" r.cz "v3.gz.metadata.json"
rm -f "$(ls "$lake"/warehouse/r/t/data/*.parquet | head -n 1)"
out="$("$bin" --lake "$lake" sql -c "SELECT count(*) FROM r.t" 2>&1)"
if grep -q "DataLoss" <<<"$out"; then pass "missing data file: DataLoss"; else fail "missing data file: $out"; fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
