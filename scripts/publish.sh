#!/usr/bin/env bash
# Publishes the Functions app: a folder with host.json, one folder per function (function.json, generated from
# the code's function list) and the self-contained linux-x64 handler, and a zip of it for zip deploy
# (Flex Consumption, runtime "custom").
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
# repository's regular build, so it can run next to a build or a test run.
dotnet publish "$root/src/Functions/Functions.csproj" -c Release -r linux-x64 --self-contained \
  --artifacts-path "$out/build" -o "$app" -p:DebugType=none --verbosity quiet -nologo

# host.json and the function folders come from the handler itself (FunctionAppLayout), so they cannot drift
# from the code; the handler also writes the zip, keeping the executable bit of the handler.
"$app/handler" generate-app "$app"
"$app/handler" package-app "$app" "$zip"
rm -rf "$out/build"
echo "publish: $app"
echo "publish: $zip ($(du -h "$zip" | cut -f1))"
