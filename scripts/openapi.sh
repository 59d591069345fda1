#!/usr/bin/env bash
# Writes docs/openapi.json: the HTTP API's OpenAPI document as the standalone server generates it from its endpoints
# (src/Standalone/ApiDocumentation.cs, described by src/Control/Endpoints/ApiOperations.cs). The Functions app
# serves this file, and tests/Functions.Tests/OpenApiTests.cs fails while it differs from what the server generates:
# run this after changing a route, a parameter, a body or an answer, and commit the file.
#
#   bash scripts/openapi.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
work="$(mktemp -d)"
cleanup() {
  if [ -n "${server_pid:-}" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

dotnet build src/Standalone -c Release --verbosity quiet -o "$work/server" -p:UseSharedCompilation=false -nodeReuse:false >/dev/null
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
mkdir "$work/resources"
# An empty folder-mode server with its timers off: the document does not depend on the settings' values.
env BACKUP_CLUSTER=folder BACKUP_RESOURCES_FOLDER="$work/resources" BACKUP_LISTEN_URL="http://127.0.0.1:$port" \
  BACKUP_API_KEY="openapi-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" BACKUP_WEBHOOK_MASTER_KEY="openapi-$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')" \
  AzureWebJobs.ScheduleTick.Disabled=true AzureWebJobs.Reconcile.Disabled=true AzureWebJobs.MaintenanceTick.Disabled=true \
  dotnet "$work/server/backup-server.dll" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  if curl -sf "http://127.0.0.1:$port/api/openapi.json" -o "$work/openapi.json"; then
    { cat "$work/openapi.json"; echo; } >docs/openapi.json
    echo "openapi: wrote docs/openapi.json"
    exit 0
  fi
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.3
done
echo "openapi: the server did not answer; its output:" >&2
cat "$work/server.log" >&2
exit 1
