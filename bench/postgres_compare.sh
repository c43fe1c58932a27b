#!/usr/bin/env bash
# bench/postgres_compare.sh: runs the TPC-H-like queries of lake_query_bench on PostgreSQL 15,
# on the same generated data (exported from the lake as CSV), and prints median times.
#
#   bench/postgres_compare.sh [--install] LAKE_DIR [REPS]
#
# LAKE_DIR is a lake made by lake_query_bench (tpch.lineitem, tpch.orders, tpch.part).
# Needs PostgreSQL 15's server binaries in $PGBIN (default /usr/lib/postgresql/15/bin); with
# --install (as root) it runs `apt-get install -y postgresql-15` first, otherwise it installs
# nothing. A throwaway cluster is created in a temp dir, listens only on a Unix socket in that
# dir (no TCP), is run by $PGUSER_OS (default: postgres when run as root, else yourself), and is
# stopped and deleted at the end. Tables have no indexes (like the Parquet files); ANALYZE runs
# after the load. Settings: shared_buffers=2GB, work_mem=256MB, 2 parallel workers per gather
# (the machine's cores), everything else default (JIT on, as shipped).
#
# Environment: MEDLAKE (medlake CLI), BENCH (lake_query_bench binary), default build/bench.
set -euo pipefail

INSTALL=0
if [[ "${1:-}" == "--install" ]]; then INSTALL=1; shift; fi
LAKE=${1:?usage: postgres_compare.sh [--install] LAKE_DIR [REPS]}
REPS=${2:-5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MEDLAKE=${MEDLAKE:-$ROOT/build/bench/src/cli/medlake}
BENCH=${BENCH:-$ROOT/build/bench/bench/lake_query_bench}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}

if [[ ! -x "$PGBIN/initdb" ]]; then
  if [[ $INSTALL == 1 ]]; then
    apt-get install -y postgresql-15
  else
    echo "PostgreSQL 15 server not found in $PGBIN; rerun with --install (as root) or set PGBIN" >&2
    exit 1
  fi
fi
if [[ $(id -u) == 0 ]]; then PGUSER_OS=${PGUSER_OS:-postgres}; else PGUSER_OS=${PGUSER_OS:-$(id -un)}; fi
as_pg() { if [[ $(id -un) == "$PGUSER_OS" ]]; then "$@"; else runuser -u "$PGUSER_OS" -- "$@"; fi; }

WORK=$(mktemp -d /tmp/medlake-pg.XXXXXX)
chmod 755 "$WORK"
[[ $(id -u) == 0 ]] && chown "$PGUSER_OS" "$WORK"
cleanup() {
  as_pg "$PGBIN/pg_ctl" -D "$WORK/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "== exporting CSV from $LAKE"
t0=$(date +%s.%N)
for t in lineitem orders part; do
  "$MEDLAKE" --lake "$LAKE" sql -c "SELECT * FROM tpch.$t" --format csv > "$WORK/$t.csv"
done
chmod 644 "$WORK"/*.csv
echo "export: $(echo "$(date +%s.%N) - $t0" | bc) s, $(du -sh "$WORK" | cut -f1)"

PORT=54329
as_pg "$PGBIN/initdb" -D "$WORK/data" -A trust -U bench >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$WORK/data" -l "$WORK/pg.log" -w start -o \
  "-k $WORK -p $PORT -c listen_addresses='' -c shared_buffers=2GB -c work_mem=256MB \
   -c max_parallel_workers_per_gather=2 -c max_wal_size=4GB" >/dev/null
PSQL=(as_pg psql -X -q -v ON_ERROR_STOP=1 -h "$WORK" -p "$PORT" -U bench -d postgres)

echo "== loading"
t0=$(date +%s.%N)
"${PSQL[@]}" <<SQL
CREATE TABLE part (p_partkey BIGINT, p_brand TEXT, p_type TEXT, p_size INTEGER,
                   p_retailprice DECIMAL(15,2));
CREATE TABLE orders (o_orderkey BIGINT, o_custkey BIGINT, o_orderstatus TEXT,
                     o_totalprice DECIMAL(15,2), o_orderdate DATE, o_orderpriority TEXT,
                     o_mktsegment TEXT);
CREATE TABLE lineitem (l_orderkey BIGINT, l_partkey BIGINT, l_suppkey BIGINT,
  l_linenumber INTEGER, l_quantity DECIMAL(15,2), l_extendedprice DECIMAL(15,2),
  l_discount DECIMAL(15,2), l_tax DECIMAL(15,2), l_returnflag TEXT, l_linestatus TEXT,
  l_shipdate DATE, l_commitdate DATE, l_receiptdate DATE, l_shipinstruct TEXT,
  l_shipmode TEXT, l_comment TEXT);
COPY part FROM '$WORK/part.csv' (FORMAT csv, HEADER true);
COPY orders FROM '$WORK/orders.csv' (FORMAT csv, HEADER true);
COPY lineitem FROM '$WORK/lineitem.csv' (FORMAT csv, HEADER true);
VACUUM ANALYZE;
SQL
echo "load+analyze: $(echo "$(date +%s.%N) - $t0" | bc) s; lineitem rows: $("${PSQL[@]}" -At -c 'SELECT count(*) FROM lineitem')"

echo "== queries (median of $REPS after one warm-up run; psql \\timing)"
printf "%-6s %12s\n" query "postgres ms"
"$BENCH" --print-queries | while IFS=$'\t' read -r name sql; do
  script="\\timing on"$'\n'
  for _ in $(seq 0 "$REPS"); do script+="$sql;"$'\n'; done
  times=$("${PSQL[@]}" -o /dev/null <<<"$script" 2>&1 | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -n +2 | sort -n)
  median=$(echo "$times" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  printf "%-6s %12s\n" "$name" "$median"
done
