#!/usr/bin/env bash
# Benchmark: point-in-time recovery under a write load.
#   1. a sysbench database on MariaDB with binary logging (ROW), one runner backup with BINLOG_RECORD_POSITION;
#   2. sysbench oltp_write_only for --minutes, with a runner archive run every --interval seconds: each run's
#      duration, files and bytes archived, and the RPO it achieved (how far the latest recoverable second lags behind
#      the run's end, and behind the last write committed before the run's FLUSH);
#   3. replay: the runner's point-in-time restore to latest into a new name against the same by hand
#      (restic dump | mariadb for the dump, then restic dump | mariadb-binlog --start-position | mariadb for each log),
#      with the log bytes replayed per second on each side.
#
#   bash bench/pitr.sh [--size-mb 200] [--minutes 3] [--interval 60] [--threads 2]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

size_mb=200
minutes=3
interval=60
threads=2
while [ $# -gt 0 ]; do
  case "$1" in
    --size-mb) size_mb="$2"; shift 2 ;;
    --minutes) minutes="$2"; shift 2 ;;
    --interval) interval="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    *) echo "unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done

bash scripts/install.sh >/dev/null
work="$root/bench/.work-pitr"
rm -rf "$work"; mkdir -p "$work"
dotnet publish src/Runner -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o "$work/runner" --verbosity quiet >/dev/null
runner="$work/runner/backup-runner"

cleanup() {
  [ -n "${load_pid:-}" ] && kill "$load_pid" 2>/dev/null || true
  [ -n "${db_pid:-}" ] && kill "$db_pid" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT

free_port() { python3 - <<'PY' 2>/dev/null || shuf -i 20000-60000 -n 1
import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()
PY
}
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

db_port="$(free_port)"
mariadb-install-db --no-defaults --datadir="$work/db" --auth-root-authentication-method=socket --skip-test-db --user=root >/dev/null 2>&1
mariadbd --no-defaults --datadir="$work/db" --socket="$work/db.sock" --port="$db_port" --bind-address=127.0.0.1 \
  --user=root --log-bin=mysql-bin --binlog-format=ROW --server-id=1 --skip-name-resolve \
  --innodb-buffer-pool-size=1G --innodb-flush-log-at-trx-commit=0 --max-allowed-packet=256M >"$work/db.log" 2>&1 &
db_pid=$!
root_sql() { env -u MYSQL_PWD mariadb --no-defaults -S "$work/db.sock" -uroot -N -e "$1"; }
for _ in $(seq 1 60); do root_sql 'SELECT 1' >/dev/null 2>&1 && break; sleep 1; done
root_sql "DELETE FROM mysql.global_priv WHERE User=''; FLUSH PRIVILEGES; CREATE USER 'bench'@'%' IDENTIFIED BY 'bench-pw'; GRANT ALL ON *.* TO 'bench'@'%';"

rows=$(( size_mb * 1000000 / 190 / 8 ))
echo "preparing a sysbench database of about ${size_mb} MB of dump (binary logging on)"
root_sql "CREATE DATABASE sb"
sysbench oltp_read_write --db-driver=mysql --mysql-socket="$work/db.sock" --mysql-user=root --mysql-db=sb \
  --tables=8 --table-size="$rows" --threads=2 prepare >/dev/null

export RESTIC_PASSWORD=bench-restic-pw RESTIC_REPOSITORY="$work/repo"
restic init >/dev/null

runner_env() { # file session [extra…]
  local file="$1" session="$2"; shift 2
  {
    echo "DOTNET_GCgen0size=0x100000"
    echo "BACKUP_SESSION=$session BACKUP_NAMESPACE=bench BACKUP_CONFIGURATION=bench BINLOG_RECORD_POSITION=true"
    echo "MYSQL_HOST=127.0.0.1 MYSQL_PORT=$db_port MYSQL_USER=bench MYSQL_PASSWORD=bench-pw MYSQL_DATABASES=sb"
    echo "RESTIC_PASSWORD=bench-restic-pw REPOSITORY_BACKEND=local REPOSITORY_PATH=$work/repo"
    for extra in "$@"; do echo "$extra"; done
  } | tr ' ' '\n' >"$file"
}
run_runner() { # verb envfile tag → prints seconds
  local start end
  start="$(now)"
  env -i PATH="$PATH" HOME="$HOME" TMPDIR="${TMPDIR:-/tmp}" $(cat "$2") "$runner" "$1" >"$work/$3.out" 2>"$work/$3.err" \
    || { echo "runner $1 failed:" >&2; tail -5 "$work/$3.err" >&2; tail -3 "$work/$3.out" >&2; exit 1; }
  end="$(now)"
  secs "$start" "$end"
}
final_event() { grep '"type":"succeeded"' "$1" | tail -1; }
json_field() { python3 -c "import json,sys; e=json.loads(sys.stdin.read()); v=e$1; print('' if v is None else v)"; }
epoch() { python3 -c "import sys,datetime; print(int(datetime.datetime.fromisoformat(sys.argv[1].replace('Z','+00:00')).timestamp()))" "$1"; }

runner_env "$work/env-backup" bench-backup
backup_s="$(run_runner backup "$work/env-backup" backup)"
echo "full backup with position: ${backup_s} s"

echo "write load: sysbench oltp_write_only, ${threads} threads, ${minutes} min; an archive run every ${interval} s"
sysbench oltp_write_only --db-driver=mysql --mysql-socket="$work/db.sock" --mysql-user=root --mysql-db=sb \
  --tables=8 --table-size="$rows" --threads="$threads" --time=$(( minutes * 60 )) --report-interval=0 run >"$work/load.out" 2>&1 &
load_pid=$!
printf '%-4s %9s %6s %12s %14s %14s\n' run seconds files bytes "lag-at-end s" "lag-at-start s"
run=0
end_at=$(( $(date +%s) + minutes * 60 ))
total_bytes=0
while :; do
  sleep "$interval"
  run=$(( run + 1 ))
  runner_env "$work/env-archive-$run" "bench-archive-$run"
  start_epoch="$(date +%s)"
  seconds="$(run_runner archive "$work/env-archive-$run" "archive-$run")"
  end_epoch="$(date +%s)"
  event="$(final_event "$work/archive-$run.out")"
  files="$(echo "$event" | json_field "['pointInTime']['archivedFiles']")"
  bytes="$(echo "$event" | json_field "['pointInTime']['archivedBytes']")"
  latest="$(echo "$event" | json_field "['pointInTime']['latest']")"
  total_bytes=$(( total_bytes + bytes ))
  latest_epoch="$(epoch "$latest")"
  printf '%-4s %9s %6s %12s %14s %14s\n' "$run" "$seconds" "$files" "$bytes" $(( end_epoch - latest_epoch )) $(( start_epoch - latest_epoch ))
  kill -0 "$load_pid" 2>/dev/null || break
  [ "$(date +%s)" -ge "$end_at" ] && { wait "$load_pid" || true; }
done
wait "$load_pid" 2>/dev/null || true
load_pid=""
tps="$(grep -o 'transactions: *[0-9]* *([0-9.]* per sec' "$work/load.out" | grep -o '[0-9.]* per sec' | cut -d' ' -f1)"
echo "load: ${tps:-?} transactions/s; binary log archived during the load: ${total_bytes} bytes"
runner_env "$work/env-archive-last" bench-archive-last
run_runner archive "$work/env-archive-last" archive-last >/dev/null
event="$(final_event "$work/archive-last.out")"
latest="$(echo "$event" | json_field "['pointInTime']['latest']")"
echo "recoverable up to $latest"

# --- replay: the runner's point-in-time restore against the same by hand ---------------------------------------
snapshots="$work/snapshots.json"
restic snapshots --json >"$snapshots"
read -r dump_id dump_file dump_pos < <(python3 - "$snapshots" <<'PY'
import json, sys
tags = lambda s: dict(t.split("=", 1) for t in (s.get("tags") or []) if "=" in t)
dumps = [s for s in json.load(open(sys.argv[1])) if "binlog-file" in tags(s)]
d = dumps[-1]; t = tags(d)
print(d["id"], t["binlog-file"], t["binlog-pos"])
PY
)
mapfile -t logs < <(python3 - "$snapshots" "$dump_file" <<'PY'
import json, sys
tags = lambda s: dict(t.split("=", 1) for t in (s.get("tags") or []) if "=" in t)
start = int(sys.argv[2].rsplit(".", 1)[1])
logs = sorted(((int(tags(s)["binlog"].rsplit(".", 1)[1]), s["id"], tags(s)["binlog"]) for s in json.load(open(sys.argv[1])) if tags(s).get("kind") == "binlog"))
for seq, sid, name in logs:
    if seq >= start:
        print(sid, name)
PY
)
log_bytes=0
for entry in "${logs[@]}"; do
  name="${entry#* }"; log_bytes=$(( log_bytes + $(stat -c %s "$work/db/$name" 2>/dev/null || echo 0) ))
done
echo "replay: dump ${dump_id:0:8} from ${dump_file}:${dump_pos}, ${#logs[@]} log file(s), ${log_bytes} bytes of log"

root_sql "DROP DATABASE IF EXISTS sb_shell; CREATE DATABASE sb_shell"
start="$(now)"
restic dump "$dump_id" /sb.sql | mariadb --no-defaults -h 127.0.0.1 -P "$db_port" -u bench -pbench-pw sb_shell
dump_done="$(now)"
first=1
for entry in "${logs[@]}"; do
  sid="${entry%% *}"; name="${entry#* }"
  restic dump "$sid" "/binlog/$name" >"$work/replay.bin"
  position=(); [ "$first" = 1 ] && position=(--start-position="$dump_pos"); first=0
  TZ=UTC mariadb-binlog "${position[@]}" --database=sb --rewrite-db='sb->sb_shell' "$work/replay.bin" \
    | mariadb --no-defaults -h 127.0.0.1 -P "$db_port" -u bench -pbench-pw
  rm -f "$work/replay.bin"
done
end="$(now)"
shell_total="$(secs "$start" "$end")"; shell_replay="$(secs "$dump_done" "$end")"
echo "by hand: ${shell_total} s (dump ${dump_done:+$(secs "$start" "$dump_done")} s, replay ${shell_replay} s: $(awk -v b="$log_bytes" -v s="$shell_replay" 'BEGIN { printf "%.1f", b / 1048576 / s }') MB/s of log)"

runner_env "$work/env-restore" bench-restore RESTORE_POINT_IN_TIME=latest RESTORE_RENAME=sb=sb_runner
root_sql "DROP DATABASE IF EXISTS sb_runner"
runner_total="$(run_runner restore "$work/env-restore" restore)"
runner_sum="$(root_sql "CHECKSUM TABLE sb_runner.sbtest1" | awk '{ print $2 }')"
shell_sum="$(root_sql "CHECKSUM TABLE sb_shell.sbtest1" | awk '{ print $2 }')"
source_sum="$(root_sql "CHECKSUM TABLE sb.sbtest1" | awk '{ print $2 }')"
echo "runner:  ${runner_total} s (ratio runner / by hand $(ratio "$runner_total" "$shell_total"))"
echo "checksum of sbtest1: source ${source_sum}, runner ${runner_sum}, by hand ${shell_sum}"
[ "$runner_sum" = "$source_sum" ] || { echo "the runner's restore to latest differs from the source" >&2; exit 1; }
