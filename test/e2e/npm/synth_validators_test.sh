#!/usr/bin/env bash
# Generated data checked by independent npm parsers/validators (see synth_validators.mjs).
# Usage: synth_validators_test.sh MEDLAKE_BINARY
set -u
bin="$1"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$here/../../../scripts/npm-test-packages" || exit 1
passed=0; failed=0
for rate in 0 0.05; do
  "$bin" synth --patients 60 --seed 9 --out "$tmp/s$rate" --formats hl7,fhir --error-rate "$rate" >/dev/null || { echo "synth failed"; exit 1; }
  if node "$here/synth_validators.mjs" "$tmp/s$rate"; then
    echo "PASS: error rate $rate"; passed=$((passed + 1))
  else
    echo "FAIL: error rate $rate"; failed=$((failed + 1))
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
