#!/usr/bin/env bash
# The main job on one machine: installs what is needed, starts a throwaway MariaDB and Azurite on free loopback
# ports, creates a sample database, backs it up into an encrypted restic repository in Azurite (through the
# runner's Blob store), restores it into a second database, and compares the two.
#
# By default the whole system runs: the control plane's standalone server (src/Standalone: the Functions app's
# routes and timers without the Functions host, in folder mode: resources are YAML files, runner Jobs are local
# processes) with TriggerBackup, the Reconcile timer, the runner's signed webhook, GetSession, CreateRestore,
# ListSnapshots, metrics.
#
#   bash scripts/demo.sh              # through the control plane, Azurite (Azure Blob emulator)
#   bash scripts/demo.sh --local      # a local repository folder instead of Azurite
#   bash scripts/demo.sh --runner     # the runner alone, without the control plane
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
backend=azure
mode=app
for arg in "$@"; do
  case "$arg" in
    --local) backend=local ;;
    --runner) mode=runner ;;
    *) echo "unknown option $arg (see the header of $0)" >&2; exit 2 ;;
  esac
done

bash scripts/install.sh
echo "demo: building the runner and the control plane's server"
dotnet build src/Runner -c Release --verbosity quiet -o "$root/.demo/runner" -p:UseSharedCompilation=false -nodeReuse:false >/dev/null
[ "$mode" = app ] && dotnet build src/Standalone -c Release --verbosity quiet -o "$root/.demo/server" -p:UseSharedCompilation=false -nodeReuse:false >/dev/null

work="$(mktemp -d)"
cleanup() {
  # Throwaway servers: no need for a clean shutdown.
  for pid in ${app_pid:-} ${db_pid:-} ${azurite_pid:-}; do kill -KILL "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

echo "demo: starting MariaDB and Azurite in $work"
db_port="$(free_port)"
mariadb-install-db --no-defaults --datadir="$work/db" --auth-root-authentication-method=socket --skip-test-db --user=root >/dev/null 2>&1
mariadbd --no-defaults --datadir="$work/db" --socket="$work/db.sock" --port="$db_port" --bind-address=127.0.0.1 \
  --user=root --skip-log-bin --pid-file="$work/db.pid" --log-error="$work/db.err" 2>/dev/null &
db_pid=$!
for _ in $(seq 1 60); do mariadb --no-defaults -S "$work/db.sock" -uroot -e 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.5; done
sql() { env -u MYSQL_HOST -u MYSQL_PWD mariadb --no-defaults --default-character-set=utf8mb4 -S "$work/db.sock" -uroot "$@"; }
sql -e "CREATE USER 'backup'@'%' IDENTIFIED BY 'demo-db-password'; GRANT ALL ON *.* TO 'backup'@'%';"

azurite_port="$(free_port)"
node_modules/.bin/azurite-blob --blobHost 127.0.0.1 --blobPort "$azurite_port" --location "$work/azurite" --silent \
  --skipApiVersionCheck --loose --disableProductStyleUrl >/dev/null 2>&1 &
azurite_pid=$!
for _ in $(seq 1 60); do (exec 3<>"/dev/tcp/127.0.0.1/$azurite_port") 2>/dev/null && break; sleep 0.5; done

echo "demo: creating database 'shop' (utf8mb4 text, binary, JSON, a view, a trigger, a procedure)"
sql -e "CREATE DATABASE shop CHARACTER SET utf8mb4"
sql shop <<'SQL'
CREATE TABLE customers (id INT PRIMARY KEY AUTO_INCREMENT, name VARCHAR(100), avatar VARBINARY(16), profile JSON, balance DECIMAL(10,2));
CREATE TABLE orders (id INT PRIMARY KEY AUTO_INCREMENT, customer_id INT, total DECIMAL(10,2), created DATETIME DEFAULT '2026-01-01');
INSERT INTO customers (name, avatar, profile, balance) VALUES ('Zoë 🚀', UNHEX('00FF'), '{"tier":"gold"}', 12.50), ('O''Brien', NULL, NULL, 0);
INSERT INTO orders (customer_id, total) SELECT 1 + seq % 2, seq / 10 FROM seq_1_to_5000;
CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 100;
CREATE TRIGGER orders_check BEFORE INSERT ON orders FOR EACH ROW SET NEW.total = GREATEST(NEW.total, 0);
CREATE PROCEDURE order_count(OUT n INT) SELECT COUNT(*) INTO n FROM orders;
SQL

azure_key="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
runner="$root/.demo/runner/backup-runner"

if [ "$mode" = runner ]; then
  export BACKUP_NAMESPACE=demo BACKUP_CONFIGURATION=shop BACKUP_REPOSITORY_NAME=demo
  export MYSQL_HOST=127.0.0.1 MYSQL_PORT="$db_port" MYSQL_USER=backup MYSQL_PASSWORD=demo-db-password
  export RESTIC_PASSWORD=demo-repository-password RUNNER_PROGRESS_INTERVAL_SECONDS=1
  if [ "$backend" = azure ]; then
    export REPOSITORY_BACKEND=azure AZURE_ENDPOINT="http://127.0.0.1:$azurite_port/devstoreaccount1" AZURE_ACCOUNT_NAME=devstoreaccount1
    export AZURE_ACCOUNT_KEY="$azure_key" AZURE_CONTAINER=backups REPOSITORY_PREFIX=mysql/demo
  else
    export REPOSITORY_BACKEND=local REPOSITORY_PATH="$work/repository"
  fi

  echo
  echo "demo: backup (events from the runner's stdout)"
  BACKUP_SESSION=shop-demo-1 MYSQL_DATABASES=shop "$runner" backup

  echo
  echo "demo: restore into database 'shop_restored'"
  BACKUP_SESSION=shop-restore-1 RESTORE_FROM_SESSION=shop-demo-1 RESTORE_RENAME=shop=shop_restored "$runner" restore
else
  # The resources a platform team would kubectl apply, as files (folder mode).
  resources="$work/resources/demo"
  mkdir -p "$resources/repositories" "$resources/secrets" "$resources/appbindings" "$resources/backupconfigurations"
  if [ "$backend" = azure ]; then
    backend_yaml="azure: { container: backups, prefix: mysql/demo, storageAccount: devstoreaccount1, endpoint: \"http://127.0.0.1:$azurite_port/devstoreaccount1\" }"
    storage_keys=", AZURE_ACCOUNT_KEY: \"$azure_key\""
  else
    backend_yaml="local: { mountPath: \"$work/repository\" }"
    storage_keys=""
  fi
  cat >"$resources/repositories/demo.yaml" <<YAML
apiVersion: backup.serverless.dev/v1alpha1
kind: Repository
metadata: { name: demo, namespace: demo }
spec:
  backend:
    storageSecretName: demo-storage
    $backend_yaml
YAML
  cat >"$resources/secrets/demo-storage.yaml" <<YAML
apiVersion: v1
kind: Secret
metadata: { name: demo-storage, namespace: demo }
stringData: { RESTIC_PASSWORD: demo-repository-password$storage_keys }
YAML
  cat >"$resources/appbindings/shop-db.yaml" <<YAML
apiVersion: appcatalog.appscode.com/v1alpha1
kind: AppBinding
metadata: { name: shop-db, namespace: demo }
spec:
  clientConfig: { url: "tcp(127.0.0.1:$db_port)/" }
  secret: { name: shop-db-auth }
YAML
  cat >"$resources/secrets/shop-db-auth.yaml" <<YAML
apiVersion: v1
kind: Secret
metadata: { name: shop-db-auth, namespace: demo }
stringData: { username: backup, password: demo-db-password }
YAML
  cat >"$resources/backupconfigurations/shop.yaml" <<YAML
apiVersion: backup.serverless.dev/v1alpha1
kind: BackupConfiguration
metadata: { name: shop, namespace: demo }
spec:
  schedule: "0 2 * * *"
  repository: { name: demo }
  target:
    ref: { apiVersion: appcatalog.appscode.com/v1alpha1, kind: AppBinding, name: shop-db }
    databases: [shop]
  retentionPolicy: { name: keep-a-week, keepLast: 3, keepDaily: 7, prune: true }
YAML

  # The standalone server on a loopback port, behind an API key; the script fires Reconcile itself (every second)
  # instead of waiting for its schedule.
  app_port="$(free_port)"
  app="http://127.0.0.1:$app_port"
  api_key="demo-api-key-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
  BACKUP_LISTEN_URL="$app" BACKUP_API_KEY="$api_key" BACKUP_CLUSTER=folder BACKUP_RESOURCES_FOLDER="$work/resources" \
    BACKUP_RUNNER_COMMAND="$runner" BACKUP_WEBHOOK_BASE_URL="$app/" BACKUP_WEBHOOK_MASTER_KEY="demo-master-key-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" \
    "$root/.demo/server/backup-server" >"$work/app.log" 2>&1 &
  app_pid=$!
  for _ in $(seq 1 60); do curl -fs "$app/" >/dev/null 2>&1 && break; sleep 0.5; done

  curl() { command curl -H "x-functions-key: $api_key" "$@"; }
  timer() { curl -fsS -X POST "$app/admin/functions/$1" >/dev/null; }
  field() { python3 -c "import json,sys; d=json.load(sys.stdin); print(d.get('$1') or '')"; }
  # Reconcile as the host's timer would (every minute there; every second here) until the session is final.
  wait_session() { # kind name
    local phase=""
    for _ in $(seq 1 300); do
      timer Reconcile
      phase="$(curl -fsS "$app/api/sessions/demo/$1/$2" | field phase)"
      case "$phase" in Succeeded|Failed|Skipped) break ;; esac
      sleep 1
    done
    curl -fsS "$app/api/sessions/demo/$1/$2" | python3 -m json.tool
    [ "$phase" = Succeeded ]
  }

  echo
  echo "demo: TriggerBackup (POST /api/backups/demo/shop)"
  backup="$(curl -fsS -X POST "$app/api/backups/demo/shop" | field session)"
  echo "demo: session $backup: Reconcile starts its Job (the runner), the runner reports through the signed webhook"
  wait_session backupsessions "$backup"

  echo
  echo "demo: CreateRestore (POST /api/restores/demo) into database 'shop_restored'"
  restore="$(curl -fsS -X POST "$app/api/restores/demo" -H 'Content-Type: application/json' \
    -d "{\"repository\":\"demo\",\"target\":\"shop-db\",\"fromSession\":\"$backup\",\"rename\":{\"shop\":\"shop_restored\"}}" | field session)"
  wait_session restoresessions "$restore"

  echo
  echo "demo: ListSnapshots (GET /api/repositories/demo/demo/snapshots), from Repository.status"
  curl -fsS "$app/api/repositories/demo/demo/snapshots" | python3 -m json.tool
  echo
  echo "demo: GET /api/metrics (freshness of the configuration)"
  curl -fsS "$app/api/metrics" | grep -E '^mysql_backup_(configuration_last_success|sessions)' || true
fi

echo
echo "demo: comparing the two databases"
status=0
for table in customers orders; do
  a="$(sql -N -e "CHECKSUM TABLE shop.$table EXTENDED" | awk '{print $2}')"
  b="$(sql -N -e "CHECKSUM TABLE shop_restored.$table EXTENDED" | awk '{print $2}')"
  printf '  %-10s original %-12s restored %-12s %s\n' "$table" "$a" "$b" "$([ "$a" = "$b" ] && echo equal || echo DIFFERENT)"
  [ "$a" = "$b" ] || status=1
done
for kind in "ROUTINES:ROUTINE_SCHEMA:ROUTINE_NAME" "TRIGGERS:TRIGGER_SCHEMA:TRIGGER_NAME" "VIEWS:TABLE_SCHEMA:TABLE_NAME"; do
  IFS=: read -r t s n <<<"$kind"
  a="$(sql -N -e "SELECT GROUP_CONCAT($n) FROM information_schema.$t WHERE $s='shop'")"
  b="$(sql -N -e "SELECT GROUP_CONCAT($n) FROM information_schema.$t WHERE $s='shop_restored'")"
  printf '  %-10s original %-12s restored %-12s %s\n' "${t,,}" "$a" "$b" "$([ "$a" = "$b" ] && echo equal || echo DIFFERENT)"
  [ "$a" = "$b" ] || status=1
done
[ $status -eq 0 ] && echo "demo: the restored database equals the original" || echo "demo: the databases differ"
exit $status
