#!/usr/bin/env bash
# Installs what is needed and runs every test. Ends with one line: "Tests: N passed, M failed".
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

bash scripts/install.sh || { echo "Tests: 0 passed, 1 failed"; exit 1; }

results="$(mktemp -d)"
trap 'rm -rf "$results"' EXIT

dotnet build Serverless.sln -c Release --no-restore -warnaserror --verbosity quiet
build=$?
if [ $build -ne 0 ]; then
  echo "build failed"
  echo "Tests: 0 passed, 1 failed"
  exit 1
fi

# Benchmarks are scripts under bench/, not tests: they are left out here.
dotnet test Serverless.sln -c Release --no-build --results-directory "$results" \
  --filter "Category!=Benchmark" --logger "trx" --logger "console;verbosity=normal" "$@"
status=$?

passed=0; failed=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters="$(grep -o '<Counters [^>]*>' "$trx" | head -1)"
  p="$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")"
  f="$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")"
  e="$(sed -n 's/.* error="\([0-9]*\)".*/\1/p' <<<"$counters")"
  t="$(sed -n 's/.* timeout="\([0-9]*\)".*/\1/p' <<<"$counters")"
  a="$(sed -n 's/.* aborted="\([0-9]*\)".*/\1/p' <<<"$counters")"
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0} + ${e:-0} + ${t:-0} + ${a:-0}))
done
# The names of the failed tests, with the first lines of their messages, just above the summary line,
# so that the tail of a long log says what failed.
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  command -v python3 >/dev/null && python3 - "$trx" <<'PY' || true
import sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
root = ET.parse(sys.argv[1]).getroot()
for result in root.iterfind(".//t:UnitTestResult", ns):
    if result.get("outcome") not in ("Failed", "Error", "Timeout", "Aborted"):
        continue
    print("FAILED " + result.get("testName", "?"))
    message = result.find("t:Output/t:ErrorInfo/t:Message", ns)
    lines = (message.text or "").strip().splitlines() if message is not None else []
    for line in lines[:12]:
        print("    " + line[:300])
PY
done
# A test host that crashed leaves no (or a partial) result file: count the run as failed.
if [ $status -ne 0 ] && [ $failed -eq 0 ]; then
  failed=1
fi
echo "Tests: $passed passed, $failed failed"
if [ $failed -ne 0 ] || [ $passed -eq 0 ]; then
  exit 1
fi
