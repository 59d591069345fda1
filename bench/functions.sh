#!/usr/bin/env bash
# Benchmark of the control plane, in one run:
#   - ScheduleTick over BENCH_CONFIGURATIONS (default 10,000) BackupConfigurations: CPU, wall time and list calls
#   - the SessionEvents webhook on BENCH_EVENTS (default 3,000) signed events, one after another: events/s
# Both go through the real KubernetesClient to the in-process test API server, whose CPU is counted too.
#   bash bench/functions.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
dotnet test tests/Functions.Tests -c Release \
  --filter "FullyQualifiedName~ControlPlaneBenchmark" --logger "console;verbosity=detailed" 2>&1 | grep -E "BENCH|Passed!|Failed"
