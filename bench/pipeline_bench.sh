#!/usr/bin/env bash
# bench/pipeline_bench.sh BINARY PATIENTS [WORKDIR]: full and incremental `medlake run` times.
# Generates PATIENTS residents' histories (HL7 v2 and FHIR) and splits them into a first load and
# a later batch of about 1% (the last HL7 file of each source, the last 1% of each NDJSON file:
# one simulation, so identifiers stay consistent). Ingests the first load, runs every model
# (full), ingests the batch, runs again (incremental), runs once more with nothing new (idle),
# then rebuilds everything from all rows (--full-refresh) and checks that the incremental tables
# equal the rebuilt ones. Figures go to bench/README.md ("Pipelines").
# SYNTH_ARGS (environment) adds generator options, e.g. SYNTH_ARGS="--start 2025-01-01" for one
# year of history instead of 2015-2025. COMPARE=0 skips the rebuild and the comparison.
set -euo pipefail
bin="$(readlink -f "$1")"
patients="$2"
work="${3:-/tmp/medlake-pipeline-bench}"
rm -rf "$work"
mkdir -p "$work"
cd "$work"
t() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); echo "$(echo "$e - $s" | bc)"; }

echo "== generate $patients patients (hl7, fhir)"
per_file=$(( patients / 50 > 0 ? patients / 50 : 1 ))
"$bin" synth --patients "$patients" --seed 7 --out history --formats hl7,fhir --patients-per-file "$per_file" ${SYNTH_ARGS:-} >/dev/null
mkdir -p batch/hl7 batch/fhir
for dir in history/hl7/*/; do
  src="$(basename "$dir")"
  last="$(ls "$dir" | sort | tail -n 1)"
  if [ "$(ls "$dir" | wc -l)" -gt 1 ]; then mkdir -p "batch/hl7/$src"; mv "$dir$last" "batch/hl7/$src/"; fi
done
for f in history/fhir/*.ndjson; do
  n=$(wc -l < "$f"); k=$(( n / 100 ))
  if [ "$k" -gt 0 ]; then
    tail -n "$k" "$f" > "batch/fhir/$(basename "$f")"
    head -n $(( n - k )) "$f" > "$f.tmp" && mv "$f.tmp" "$f"
  fi
done
du -sh history batch
"$bin" --lake lake init >/dev/null
echo "== ingest the first load: $(t "$bin" --lake lake ingest hl7 history/hl7) s hl7, $(t "$bin" --lake lake ingest fhir history/fhir) s fhir"
s=$(date +%s.%N); "$bin" --lake lake run > run-full.txt; e=$(date +%s.%N)
echo "== first run (full): $(echo "$e - $s" | bc) s"; cat run-full.txt
echo "== ingest the batch: $(t "$bin" --lake lake ingest hl7 batch/hl7) s hl7, $(t "$bin" --lake lake ingest fhir batch/fhir) s fhir"
s=$(date +%s.%N); "$bin" --lake lake run > run-incr.txt; e=$(date +%s.%N)
echo "== second run (incremental): $(echo "$e - $s" | bc) s"; cat run-incr.txt
s=$(date +%s.%N); "$bin" --lake lake run > run-idle.txt; e=$(date +%s.%N)
echo "== third run (nothing new): $(echo "$e - $s" | bc) s"; tail -n 1 run-idle.txt
# COMPARE=0 stops here (the rebuild and the row comparison take as long as everything before).
[ "${COMPARE:-1}" = 0 ] && exit 0
# Snapshot ids of the incremental result, then a rebuild from all rows, then compare.
"$bin" --lake lake sql --format csv -c "SELECT 1" >/dev/null
tables="normalized.patient normalized.encounter normalized.condition normalized.observation normalized.medication_request normalized.immunization fhir_views.observation normalized.person_link curated.person curated.visit_occurrence curated.clinical_event curated.measurement curated.patient_timeline curated.death"
declare -A before
for tb in $tables; do
  ns="${tb%%.*}"; name="${tb#*.}"
  before[$tb]=$("$bin" --lake lake sql --format csv -c "SELECT snapshot_id FROM $ns.\"$name\$snapshots\" ORDER BY sequence_number DESC LIMIT 1" | tail -n 1)
done
s=$(date +%s.%N); "$bin" --lake lake run --full-refresh > run-refresh.txt; e=$(date +%s.%N)
echo "== rebuild from all rows (--full-refresh): $(echo "$e - $s" | bc) s"; tail -n 1 run-refresh.txt
for tb in $tables; do
  diff=$("$bin" --lake lake sql --format csv -c "SELECT count(*) FROM ((SELECT * FROM $tb AT (VERSION => ${before[$tb]}) EXCEPT ALL SELECT * FROM $tb) UNION ALL (SELECT * FROM $tb EXCEPT ALL SELECT * FROM $tb AT (VERSION => ${before[$tb]})))" | tail -n 1)
  echo "   $tb: rows differing between incremental and rebuilt: $diff"
done
