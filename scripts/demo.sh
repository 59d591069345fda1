#!/usr/bin/env bash
# The main job on one machine: installs what is needed, starts a throwaway MariaDB and Azurite on free loopback
# ports, creates a sample database, backs it up with the runner into an encrypted restic repository in Azurite
# (through the runner's Blob store), restores it into a second database, and compares the two.
#
#   bash scripts/demo.sh            # Azurite (Azure Blob emulator)
#   bash scripts/demo.sh --local    # a local repository folder instead
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
backend=azure
[ "${1:-}" = "--local" ] && backend=local

bash scripts/install.sh
echo "demo: building the runner"
dotnet build src/Runner -c Release --verbosity quiet -o "$root/.demo/runner" -p:UseSharedCompilation=false -nodeReuse:false >/dev/null

work="$(mktemp -d)"
cleanup() {
  # Throwaway servers: no need for a clean shutdown.
  for pid in ${db_pid:-} ${azurite_pid:-}; do kill -KILL "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
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

export BACKUP_NAMESPACE=demo BACKUP_CONFIGURATION=shop BACKUP_REPOSITORY_NAME=demo
export MYSQL_HOST=127.0.0.1 MYSQL_PORT="$db_port" MYSQL_USER=backup MYSQL_PASSWORD=demo-db-password
export RESTIC_PASSWORD=demo-repository-password RUNNER_PROGRESS_INTERVAL_SECONDS=1
if [ "$backend" = azure ]; then
  export REPOSITORY_BACKEND=azure AZURE_ENDPOINT="http://127.0.0.1:$azurite_port/devstoreaccount1" AZURE_ACCOUNT_NAME=devstoreaccount1
  export AZURE_ACCOUNT_KEY="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
  export AZURE_CONTAINER=backups REPOSITORY_PREFIX=mysql/demo
else
  export REPOSITORY_BACKEND=local REPOSITORY_PATH="$work/repository"
fi
runner="$root/.demo/runner/backup-runner"

echo
echo "demo: backup (events from the runner's stdout)"
BACKUP_SESSION=shop-demo-1 MYSQL_DATABASES=shop "$runner" backup

echo
echo "demo: restore into database 'shop_restored'"
BACKUP_SESSION=shop-restore-1 RESTORE_FROM_SESSION=shop-demo-1 RESTORE_RENAME=shop=shop_restored "$runner" restore

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
