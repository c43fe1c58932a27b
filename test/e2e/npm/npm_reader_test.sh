#!/usr/bin/env bash
# Independent npm readers check tables written by medlake (see README.md).
#
#   npm_reader_test.sh MEDLAKE_BINARY [FIXTURES_DIR]
#
# Writes two partitioned tables (inserts, position deletes, updates, ADD COLUMN
# and int->bigint widening, then more inserts and deletes) into a temporary
# lake, then for each table:
#   rows       icebird reads the same rows and values as `medlake sql`
#   parquet    hyparquet finds the right Parquet field ids in every live file
#   avro       avsc decodes every .avro file; all fields carry spec field ids
# With FIXTURES_DIR (the shared fixtures folder), icebird also reads the
# Spark-written spark_v2_lineitem table the same as medlake does.
# Prints one line per check and ends with "npm readers: N passed, M failed";
# exits 1 on any failure, 2 on a usage or setup error. Set MEDLAKE_NPM_KEEP=1
# to keep the temporary lake for inspection, MEDLAKE_NPM_STRICT=1 to make the
# reader's WARN lines (tolerated spec deviations) fail the test.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: $0 MEDLAKE_BINARY [FIXTURES_DIR]" >&2
  exit 2
fi
medlake="$1"
fixtures="${2:-}"
if [[ ! -x "$medlake" ]]; then
  echo "npm_reader_test: medlake binary not found or not executable: $medlake" >&2
  exit 2
fi
# The pinned readers (installed once; again only when the lock file changed).
"$here/../../../scripts/npm-test-packages" || exit 2

work="$(mktemp -d "${TMPDIR:-/tmp}/medlake-npm-readers.XXXXXX")"
if [[ -n "${MEDLAKE_NPM_KEEP:-}" ]]; then
  echo "npm_reader_test: keeping the test lake in $work"
else
  trap 'rm -rf "$work"' EXIT
fi
lake="$work/lake"
passed=0
failed=0

# run_sql DESCRIPTION SQL... : runs statements on the test lake; aborts the test on error.
run_sql() {
  local what="$1"
  shift
  local args=()
  for stmt in "$@"; do args+=(-c "$stmt"); done
  if ! "$medlake" --lake "$lake" sql "${args[@]}" >"$work/sql.out" 2>&1; then
    echo "FAIL: medlake could not $what:"
    sed 's/^/    /' "$work/sql.out"
    echo "npm readers: $passed passed, $((failed + 1)) failed"
    exit 1
  fi
}

# query OUT SQL : writes medlake's JSON result of SQL to OUT.
query() {
  if ! "$medlake" --lake "$lake" sql --format json -c "$2" >"$1" 2>"$work/query.err"; then
    echo "FAIL: medlake query failed: $2"
    sed 's/^/    /' "$work/query.err"
    return 1
  fi
}

# check NAME COMMAND... : runs one reader check and counts it.
check() {
  local name="$1"
  shift
  if "$@" >"$work/check.out" 2>&1; then
    passed=$((passed + 1))
    echo "PASS: $name ($(grep -c '^ok:' "$work/check.out") ok, $(grep -c '^WARN:' "$work/check.out") warnings)"
    # Warnings repeat per file: show each kind once, with its count.
    grep '^WARN:' "$work/check.out" | sed -E 's/ file [^:]+: / file <f>: /' | sort | uniq -c | sed 's/^ */    /'
  else
    failed=$((failed + 1))
    echo "FAIL: $name"
    grep -v '^ok:' "$work/check.out" | sed 's/^/    /'
  fi
}

strict=()
[[ -n "${MEDLAKE_NPM_STRICT:-}" ]] && strict=(--strict)
reader() { node "$here/read_table.mjs" "$@"; }

# check_table NS TABLE KEY ROWS : the three reader checks on one medlake table.
check_table() {
  local ns="$1" table="$2" key="$3" rows="$4"
  local dir="$lake/warehouse/$ns/$table"
  local out="$work/$ns.$table"
  if ! query "$out.rows.json" "SELECT * FROM $ns.$table ORDER BY $key" ||
     ! query "$out.files.json" "SELECT * FROM $ns.\"$table\$files\""; then
    failed=$((failed + 3))
    return
  fi
  # The table must still exercise what this test is about.
  if ! grep -q '"content":1' "$out.files.json"; then
    echo "FAIL: $ns.$table has no live position-delete file; the test no longer covers merge-on-read deletes"
    failed=$((failed + 1))
  fi
  check "icebird rows $ns.$table" reader compare --key "$key" --rows "$rows" "$dir" "$out.rows.json"
  check "hyparquet field ids $ns.$table" reader parquet-field-ids "${strict[@]}" "$dir" "$out.files.json"
  check "avro field ids $ns.$table" reader avro-field-ids "$dir"
}

# Synthetic data only (no PHI): visits partitioned by identity(site).
run_sql "write clinic.visits" \
  "CREATE SCHEMA clinic" \
  "CREATE TABLE clinic.visits (id BIGINT NOT NULL, site VARCHAR, visit_date DATE, score INTEGER,
     cost DECIMAL(10,2), seen_at TIMESTAMP, flag BOOLEAN) PARTITIONED BY (site)" \
  "ALTER TABLE clinic.visits SET TBLPROPERTIES ('commit.manifest.min-count-to-merge' = '2')" \
  "INSERT INTO clinic.visits VALUES
     (1, 'north', DATE '2024-01-05', 10, 12.50, TIMESTAMP '2024-01-05 08:30:00', true),
     (2, 'north', DATE '2024-01-06', 20, 99.99, TIMESTAMP '2024-01-06 09:15:30.250', false),
     (3, 'south', DATE '2024-02-10', 30, 0.01, NULL, true),
     (4, 'east', NULL, -4, NULL, TIMESTAMP '2023-12-31 23:59:59.999', NULL),
     (5, 'south', DATE '2024-03-01', NULL, 1000.00, TIMESTAMP '2024-03-01 00:00:00', false),
     (6, NULL, DATE '2024-03-02', 60, 6.60, NULL, true)" \
  "INSERT INTO clinic.visits VALUES
     (7, 'east', DATE '2024-04-01', 70, 7.70, TIMESTAMP '2024-04-01 12:00:00', true),
     (8, 'north', DATE '2024-04-02', 80, 8.80, TIMESTAMP '2024-04-02 12:00:00', false),
     (9, 'west', DATE '1999-12-31', 90, -9.90, TIMESTAMP '1999-12-31 23:00:00', true)" \
  "DELETE FROM clinic.visits WHERE id IN (2, 7)" \
  "UPDATE clinic.visits SET score = score + 100 WHERE site = 'north'" \
  "ALTER TABLE clinic.visits ADD COLUMN note VARCHAR" \
  "ALTER TABLE clinic.visits ALTER COLUMN score TYPE BIGINT" \
  "INSERT INTO clinic.visits VALUES
     (10, 'east', DATE '2024-05-01', 5000000000, 1.00, TIMESTAMP '2024-05-01 07:00:00', true, 'follow-up'),
     (11, 'west', DATE '2024-05-02', -5000000000, 2.00, NULL, false, NULL),
     (12, 'north', DATE '2024-05-03', 12, 3.00, TIMESTAMP '2024-05-03 07:00:00', NULL, 'new site visit')" \
  "DELETE FROM clinic.visits WHERE id = 10" \
  "UPDATE clinic.visits SET note = 'rechecked' WHERE id IN (3, 9)"

# labs partitioned by day(taken_at), with more column types.
run_sql "write clinic.labs" \
  "CREATE TABLE clinic.labs (id BIGINT NOT NULL, taken_at TIMESTAMP, taken_tz TIMESTAMPTZ, value DOUBLE,
     ratio REAL, amount DECIMAL(18,4), at_time TIME, sample UUID, raw BLOB, code VARCHAR)
     PARTITIONED BY (day(taken_at))" \
  "INSERT INTO clinic.labs VALUES
     (1, TIMESTAMP '2024-06-01 08:00:00', TIMESTAMPTZ '2024-06-01 08:00:00+00', 5.5, 0.25, 12345.6789,
        TIME '08:00:00', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'abc'::BLOB, 'GLU'),
     (2, TIMESTAMP '2024-06-01 17:45:00', TIMESTAMPTZ '2024-06-01 17:45:00+00', -1.25, 1.5, -0.0001,
        TIME '17:45:00.5', NULL, NULL, 'HB'),
     (3, TIMESTAMP '2024-06-02 00:00:00.123', NULL, 0.0, NULL, 0.0000, NULL,
        'b1ffcd00-0d1c-4f09-8c7e-7cc0ce491b22', 'x'::BLOB, NULL),
     (4, NULL, TIMESTAMPTZ '2024-06-03 10:00:00+00', 1e10, -2.0, 99999999999999.9999, TIME '23:59:59',
        NULL, ''::BLOB, 'NA'),
     (5, TIMESTAMP '2024-06-03 23:59:59', NULL, NULL, 3.75, NULL, TIME '00:00:00', NULL, NULL, 'K')" \
  "DELETE FROM clinic.labs WHERE id = 2" \
  "ALTER TABLE clinic.labs ADD COLUMN unit VARCHAR" \
  "INSERT INTO clinic.labs VALUES
     (6, TIMESTAMP '2024-06-02 12:00:00', NULL, 7.0, 0.5, 1.0000, NULL, NULL, NULL, 'GLU', 'mmol/L'),
     (7, TIMESTAMP '2024-06-04 12:00:00', NULL, 8.0, 0.5, 2.0000, NULL, NULL, NULL, 'HB', 'g/dL')" \
  "UPDATE clinic.labs SET value = value * 2 WHERE id IN (4, 6)"

check_table clinic visits id 9
# visits merges its manifests on every commit (min-count 2): the readers above read merged
# manifests (existing entries with their own sequence numbers, merged delete manifests).
if query "$work/visits.manifests.json" "SELECT sum(existing_files_count) AS existing FROM clinic.\"visits\$manifests\"" &&
   grep -Eq '"existing":[1-9]' "$work/visits.manifests.json"; then
  passed=$((passed + 1))
  echo "PASS: clinic.visits lists merged manifests"
else
  failed=$((failed + 1))
  echo "FAIL: clinic.visits has no merged manifest; the test no longer covers manifest merging"
  sed 's/^/    /' "$work/visits.manifests.json" 2>/dev/null
fi
check_table clinic labs id 6

# A table written by Spark (paths stored relative to elsewhere, so --reroot).
if [[ -n "$fixtures" && -d "$fixtures/iceberg/spark_v2_lineitem" ]]; then
  run_sql "register the lineitem fixture" "CREATE SCHEMA ext" \
    "CALL medlake.register_table('ext.lineitem', '$fixtures/iceberg/spark_v2_lineitem')"
  if query "$work/lineitem.json" "SELECT * FROM ext.lineitem ORDER BY l_orderkey, l_linenumber"; then
    check "icebird rows fixture spark_v2_lineitem" reader compare --reroot --key l_orderkey --rows 51793 \
      "$fixtures/iceberg/spark_v2_lineitem" "$work/lineitem.json"
  else
    failed=$((failed + 1))
  fi
else
  echo "SKIP: icebird rows fixture spark_v2_lineitem (no FIXTURES_DIR with iceberg/spark_v2_lineitem given)"
fi

echo "npm readers: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
