#!/usr/bin/env bash
# Publishes the Functions app (src/Functions, .NET isolated worker) for Flex Consumption, runtime dotnet-isolated
# 10.0: a framework-dependent linux-x64 folder (the platform provides .NET 10 and starts `dotnet
# Serverless.Backup.Functions.dll` as worker.config.json says) and a zip of it for zip deploy.
#   bash scripts/publish.sh [out-dir]     default: artifacts/functions
# Leaves <out-dir>/app/ and <out-dir>/functions-app.zip.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/artifacts/functions}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
app="$out/app"
zip="$out/functions-app.zip"
rm -rf "$app" "$zip"

# Own intermediate folders (--artifacts-path): a publish never touches the obj/ and bin/ folders of the
# repository's regular build, so it can run next to a build or a test run. The worker SDK writes
# functions.metadata, worker.config.json, extensions.json and host.json into the output; no apphost is
# needed, since the platform starts the worker through `dotnet`.
dotnet publish "$root/src/Functions/Functions.csproj" -c Release -r linux-x64 --self-contained false \
  --artifacts-path "$out/build" -o "$app" -p:UseAppHost=false -p:DebugType=none --verbosity quiet -nologo

for required in host.json worker.config.json functions.metadata extensions.json Serverless.Backup.Functions.dll; do
  [ -f "$app/$required" ] || { echo "publish: $required is missing from $app" >&2; exit 1; }
done

# The zip's root is the app folder's content, as zip deploy expects (host.json at the top), hidden entries
# included: the host loads the extensions that extensions.json names from .azurefunctions/.
(cd "$app" && python3 - "$zip" <<'PY'
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as archive:
    for folder, subfolders, files in os.walk("."):
        subfolders.sort()
        for name in sorted(files):
            path = os.path.join(folder, name)
            archive.write(path, os.path.relpath(path, "."))
PY
)
rm -rf "$out/build"
echo "publish: $app"
echo "publish: $zip ($(du -h "$zip" | cut -f1))"
