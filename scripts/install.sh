#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian machine that has the .NET SDK and Node/npm.
# Idempotent: a second run only checks. Used by the README's commands and by .ci/run.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

# prometheus brings promtool, which tests the alert rules; sysbench makes the benchmark database; curl drives the demo.
debian_packages=(mariadb-server mariadb-client restic prometheus-pushgateway prometheus sysbench curl)
missing=()
for p in "${debian_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install: Debian packages ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -q
  # The server packages try to start their services; tests start their own on loopback instead.
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Azurite and s3rver, pinned by package-lock.json.
if [ ! -x node_modules/.bin/azurite-blob ] || [ ! -x node_modules/.bin/s3rver ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "install: npm packages (azurite, s3rver)"
  npm ci --no-audit --no-fund --loglevel=error
fi

echo "install: dotnet restore"
dotnet restore Serverless.sln --verbosity quiet
