#!/usr/bin/env bash
# Benchmark: the runner's backup and restore against the plain shell pipelines
#   mariadb-dump … | restic backup --stdin        and        restic dump … | mariadb
# on the same backend, in one run. Prints wall-time ratios (runner / shell), the runner's peak RSS,
# and the bytes a second backup of unchanged data adds.
#
#   bash bench/runner.sh [--size-mb 1000] [--backends local,azure] [--rss-sizes 200,2000]
#   bash bench/runner.sh --verify [--size-mb 1000] [--rounds 2]
#   bash bench/runner.sh --cpus 1 [--size-mb 1000] [--backends azure,s3] [--rounds 2] [--steps backup,restore]
#
# --size-mb    approximate dump size of the sysbench database for the timed comparison
# --backends   local (restic's local backend) and/or azure (Azurite: restic 0.14's native azure backend
#              only reaches it at 127.0.0.1:10000 with account devstoreaccount1, so the shell side uses
#              that, and the runner reaches the same Azurite through its Blob store)
# --rss-sizes  dump sizes (MB) at which only the runner's backup is run, to compare peak RSS
# --rss-backend local or azure (default azure, the path with the most moving parts)
# --verify     instead of the above: one runner backup into a local repository, then, on that one snapshot, the
#              runner's restore into a fresh database, the runner's verify (scratch database on the same server) and
#              `restic dump … | mariadb` into a fresh database; prints verify / restore and verify / shell restore,
#              and the runner's peak RSS for each verb
# --rounds     with --verify: rounds, in the order shell, restore, verify, then verify, restore, shell (the
#              fastest of each counts); default 2. With --cpus: rounds of each step, alternating the order
# --cpus N     instead of the default comparison: both sides run pinned to the same N cores (`taskset`, the last N
#              of the machine), as in a pod with a CPU limit of N; MariaDB and the storage emulators run on the other
#              cores (the database and the storage are not in the runner's pod). Reports for every run the wall time
#              and the CPU seconds (user + system, children included: the runner with mariadb-dump, restic and
#              mariadb; the shell pipeline's processes; never the emulator or the server), and each step's ceiling
#              on the same cores: `mariadb-dump > /dev/null` for a backup, `mariadb < dump.sql` from a local file
#              for a restore. Backends: local, azure (Azurite; the shell side uses restic's native azure backend)
#              and s3 (s3rver; restic 0.14's native s3 backend sends aws-chunked bodies that s3rver stores
#              verbatim, so the shell side there is restic's local backend: the cheapest restic can do)
# --steps      with --cpus: backup and/or restore (default backup,restore)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

size_mb=1000
backends="local,azure"
rss_sizes="200,2000"
rss_backend="azure"
verify_mode=""
rounds=2
cpus=""
steps="backup,restore"
while [ $# -gt 0 ]; do
  case "$1" in
    --size-mb) size_mb="$2"; shift 2 ;;
    --backends) backends="$2"; shift 2 ;;
    --rss-sizes) rss_sizes="$2"; shift 2 ;;
    --rss-backend) rss_backend="$2"; shift 2 ;;
    --verify) verify_mode=1; backends="local"; rss_sizes=""; rss_backend="local"; shift ;;
    --rounds) rounds="$2"; shift 2 ;;
    --cpus) cpus="$2"; rss_sizes=""; shift 2 ;;
    --steps) steps="$2"; shift 2 ;;
    *) echo "unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done

bash scripts/install.sh >/dev/null
work="$root/bench/.work"
rm -rf "$work"; mkdir -p "$work"
# As the runner image publishes it: ReadyToRun, so that start-up does not pay for JIT compilation.
dotnet publish src/Runner -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o "$work/runner" --verbosity quiet >/dev/null
runner="$work/runner/backup-runner"

cleanup() {
  [ -n "${db_pid:-}" ] && kill "$db_pid" 2>/dev/null || true
  [ -n "${azurite_pid:-}" ] && kill "$azurite_pid" 2>/dev/null || true
  [ -n "${s3rver_pid:-}" ] && kill "$s3rver_pid" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT

free_port() { python3 - <<'PY' 2>/dev/null || shuf -i 20000-60000 -n 1
import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()
PY
}

# With --cpus: the sides run on the last N cores, the database server and the emulators on the others.
side_pin=(); server_pin=()
if [ -n "$cpus" ]; then
  ncpu="$(nproc)"
  [ "$cpus" -ge 1 ] && [ "$cpus" -le "$ncpu" ] || { echo "--cpus must be between 1 and $ncpu" >&2; exit 2; }
  side_pin=(taskset -c "$((ncpu - cpus))-$((ncpu - 1))")
  [ "$cpus" -lt "$ncpu" ] && server_pin=(taskset -c "0-$((ncpu - cpus - 1))")
fi

# --- a throwaway MariaDB ----------------------------------------------------------------------
db_port="$(free_port)"
mariadb-install-db --no-defaults --datadir="$work/db" --auth-root-authentication-method=socket --skip-test-db --user=root >/dev/null 2>&1
"${server_pin[@]}" mariadbd --no-defaults --datadir="$work/db" --socket="$work/db.sock" --port="$db_port" --bind-address=127.0.0.1 \
  --user=root --skip-log-bin --skip-name-resolve --innodb-buffer-pool-size=1G --innodb-flush-log-at-trx-commit=0 \
  --max-allowed-packet=256M >"$work/db.log" 2>&1 &
db_pid=$!
for _ in $(seq 1 60); do env -u MYSQL_PWD mariadb --no-defaults -S "$work/db.sock" -uroot -e 'SELECT 1' >/dev/null 2>&1 && break; sleep 1; done
env -u MYSQL_PWD mariadb --no-defaults -S "$work/db.sock" -uroot -e "DELETE FROM mysql.global_priv WHERE User=''; FLUSH PRIVILEGES; CREATE USER 'bench'@'%' IDENTIFIED BY 'bench-pw'; GRANT ALL ON *.* TO 'bench'@'%';"

if [[ ",$backends,$rss_backend," == *",azure,"* ]]; then
  if (exec 3<>/dev/tcp/127.0.0.1/10000) 2>/dev/null; then
    echo "port 10000 is taken: the azure comparison needs it for restic 0.14's native azure backend" >&2; exit 2
  fi
  "${server_pin[@]}" node_modules/.bin/azurite-blob --blobHost 127.0.0.1 --blobPort 10000 --location "$work/azurite" --silent \
    --skipApiVersionCheck --loose >"$work/azurite.log" 2>&1 &
  azurite_pid=$!
  for _ in $(seq 1 30); do (exec 3<>/dev/tcp/127.0.0.1/10000) 2>/dev/null && break; sleep 1; done
fi
if [[ ",$backends," == *",s3,"* ]]; then
  s3_port="$(free_port)"
  mkdir -p "$work/s3rver"
  "${server_pin[@]}" node_modules/.bin/s3rver --address 127.0.0.1 --port "$s3_port" --directory "$work/s3rver" --silent \
    >"$work/s3rver.log" 2>&1 &
  s3rver_pid=$!
  for _ in $(seq 1 30); do (exec 3<>/dev/tcp/127.0.0.1/"$s3_port") 2>/dev/null && break; sleep 1; done
fi
azurite_key="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

# sysbench rows dump to about 190 bytes each.
prepare_db() { # name size_mb
  local rows=$(( $2 * 1000000 / 190 / 8 ))
  env -u MYSQL_PWD mariadb --no-defaults -S "$work/db.sock" -uroot -e "DROP DATABASE IF EXISTS $1; CREATE DATABASE $1"
  sysbench oltp_read_write --db-driver=mysql --mysql-socket="$work/db.sock" --mysql-user=root \
    --mysql-db="$1" --tables=8 --table-size="$rows" --threads=2 prepare >/dev/null
}

now() { date +%s.%N; }
min() { if [ -z "$1" ]; then echo "$2"; else awk -v a="$1" -v b="$2" 'BEGIN { print (a < b) ? a : b }'; fi; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

export RESTIC_PASSWORD=bench-restic-pw
export MYSQL_PWD=bench-pw
dump_args=(--no-defaults -h 127.0.0.1 -P "$db_port" -u bench --single-transaction --routines --triggers --events --hex-blob --skip-dump-date)

# Runs the runner with its environment; prints "seconds peak_rss_kb".
# Runs the runner with its environment; prints "seconds peak_rss_kb". With --cpus it runs on the side's cores and
# its CPU seconds (user + system, its children included) go to $work/last-cpu.
run_runner() { # verb envfile
  local start end pid tpid hwm=0 vars
  # Read before the runner starts: a command substitution in its command line would be a child of its own.
  vars="$(cat "$2")"
  start="$(now)"
  if [ -n "$cpus" ]; then
    "${side_pin[@]}" /usr/bin/time -o "$work/last-time" -f '%U %S' \
      env -i PATH="$PATH" HOME="$HOME" TMPDIR="${TMPDIR:-/tmp}" $vars "$runner" "$1" >"$work/runner-$1.out" 2>"$work/runner-$1.err" &
    tpid=$!; pid=""
    # time forks env, which executes the runner: the runner is time's only child.
    while [ -z "$pid" ] && kill -0 "$tpid" 2>/dev/null; do pid="$(cat "/proc/$tpid/task/$tpid/children" 2>/dev/null | awk '{ print $1 }')"; done
  else
    env -i PATH="$PATH" HOME="$HOME" TMPDIR="${TMPDIR:-/tmp}" $vars "$runner" "$1" >"$work/runner-$1.out" 2>"$work/runner-$1.err" &
    tpid=$!; pid=$tpid
  fi
  while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; do
    h="$(awk '/VmHWM/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)"
    [ -n "$h" ] && [ "$h" -gt "$hwm" ] && hwm="$h"
    sleep 0.1
  done
  wait "$tpid" || { echo "runner $1 failed:" >&2; tail -5 "$work/runner-$1.err" >&2; tail -3 "$work/runner-$1.out" >&2; exit 1; }
  end="$(now)"
  [ -n "$cpus" ] && awk '{ printf "%.2f\n", $1 + $2 }' "$work/last-time" >"$work/last-cpu"
  echo "$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }') $hwm"
}

# With --cpus: runs a command on the side's cores; prints "seconds cpu_seconds" (its children included).
run_side() {
  local start t
  start="$(now)"
  "${side_pin[@]}" /usr/bin/time -o "$work/last-time" -f '%U %S' "$@" || { echo "failed: $*" >&2; exit 1; }
  t="$(awk -v a="$start" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')"
  echo "$t $(awk '{ printf "%.2f", $1 + $2 }' "$work/last-time")"
}

runner_env() { # file backend repo-dir-or-container session database [restore-into]
  {
    # The runtime settings the runner image and every Job set (src/Core/Environment/RunnerRuntime.cs).
    echo "DOTNET_GCgen0size=0x100000"
    echo "BACKUP_SESSION=$4 BACKUP_NAMESPACE=bench BACKUP_CONFIGURATION=bench"
    echo "MYSQL_HOST=127.0.0.1 MYSQL_PORT=$db_port MYSQL_USER=bench MYSQL_PASSWORD=bench-pw MYSQL_DATABASES=$5"
    echo "RESTIC_PASSWORD=bench-restic-pw"
    if [ "$2" = local ]; then
      echo "REPOSITORY_BACKEND=local REPOSITORY_PATH=$3"
    elif [ "$2" = azure ]; then
      echo "REPOSITORY_BACKEND=azure AZURE_ACCOUNT_NAME=devstoreaccount1 AZURE_ACCOUNT_KEY=$azurite_key"
      echo "AZURE_ENDPOINT=http://127.0.0.1:10000/devstoreaccount1 AZURE_CONTAINER=$3"
    fi
    if [ "$2" = s3 ]; then
      echo "REPOSITORY_BACKEND=s3 S3_ENDPOINT=http://127.0.0.1:$s3_port S3_REGION=us-east-1 S3_FORCE_PATH_STYLE=true"
      echo "S3_BUCKET=$3 AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER"
    fi
    if [ -n "${6:-}" ]; then echo "RESTORE_FROM_SESSION=$4 RESTORE_RENAME=$5=$6"; fi
  } | tr ' ' '\n' >"$1"
}

added_bytes() { grep -o '"dataAdded":[0-9]*' "$1" | head -1 | cut -d: -f2; }
dump_bytes() { grep -o '"bytes":[0-9]*' "$1" | head -1 | cut -d: -f2; }

echo "preparing a sysbench database of about ${size_mb} MB of dump"
prepare_db sb "$size_mb"
# Let the server settle after the load and warm its buffer pool the same way for both sides.
mariadb-dump "${dump_args[@]}" sb >/dev/null
sleep 10

# --- verify against restore, on one snapshot -------------------------------------------------------
if [ -n "$verify_mode" ]; then
  root_sql() { env -u MYSQL_PWD mariadb --no-defaults -S "$work/db.sock" -uroot -e "$1"; }
  secs_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
  repo="$work/repo-verify"
  export RESTIC_REPOSITORY="$repo"
  restic init >/dev/null
  runner_env "$work/env-backup" local "$repo" "bench-1" sb
  read -r backup_s _ <<<"$(run_runner backup "$work/env-backup")"
  bytes="$(dump_bytes "$work/runner-backup.out")"
  snapshot="$(restic snapshots --json latest | grep -o '"short_id":"[0-9a-f]*"' | head -1 | cut -d'"' -f4)"
  echo "runner backup: ${backup_s} s, dump ${bytes} bytes, snapshot ${snapshot}"
  runner_env "$work/env-restore" local "$repo" "bench-1" sb sb_runner
  runner_env "$work/env-verify" local "$repo" "bench-verify" sb
  shell_restore=""; runner_restore=""; verify=""; rss_restore=0; rss_verify=0
  for round in $(seq 1 "$rounds"); do
    order="shell restore verify"; [ $(( round % 2 )) = 0 ] && order="verify restore shell"
    for step in $order; do
      case "$step" in
        shell)
          root_sql "DROP DATABASE IF EXISTS sb_shell; CREATE DATABASE sb_shell"
          start="$(now)"
          restic dump "$snapshot" sb.sql | mariadb --no-defaults -h 127.0.0.1 -P "$db_port" -u bench sb_shell
          t="$(secs_since "$start")"; shell_restore="$(min "$shell_restore" "$t")"
          root_sql "DROP DATABASE sb_shell" ;;
        restore)
          # The runner's restore creates the renamed database itself.
          root_sql "DROP DATABASE IF EXISTS sb_runner"
          read -r t rss <<<"$(run_runner restore "$work/env-restore")"
          runner_restore="$(min "$runner_restore" "$t")"; [ "$rss" -gt "$rss_restore" ] && rss_restore="$rss"
          root_sql "DROP DATABASE sb_runner" ;;
        verify)
          read -r t rss <<<"$(run_runner verify "$work/env-verify")"
          verify="$(min "$verify" "$t")"; [ "$rss" -gt "$rss_verify" ] && rss_verify="$rss"
          grep -q '"backupSha256"' "$work/runner-verify.out" || { echo "verify reported no proof" >&2; exit 1; }
          left="$(root_sql "SHOW DATABASES LIKE 'verify\\_%'" | tail -n +2)"
          [ -z "$left" ] || { echo "verify left scratch databases: $left" >&2; exit 1; } ;;
      esac
      printf '  round %s %-8s %8s s\n' "$round" "$step" "$t"
    done
  done
  printf '\n%-28s %10s\n' step seconds
  printf '%-28s %10s\n' "shell restic dump | mariadb" "$shell_restore" "runner restore" "$runner_restore" "runner verify" "$verify"
  printf '\nverify / runner restore: %s   verify / shell restore: %s   runner restore / shell restore: %s\n' \
    "$(ratio "$verify" "$runner_restore")" "$(ratio "$verify" "$shell_restore")" "$(ratio "$runner_restore" "$shell_restore")"
  printf 'runner peak RSS: restore %s MB, verify %s MB; dump %s bytes\n' "$((rss_restore / 1024))" "$((rss_verify / 1024))" "$bytes"
  exit 0
fi

# --- both sides under one CPU limit, with CPU seconds and each step's ceiling ----------------------------
if [ -n "$cpus" ]; then
  [[ ",$steps," != *",restore,"* || ",$steps," == *",backup,"* ]] || { echo "--steps restore needs backup too (it restores those backups)" >&2; exit 2; }
  root_sql() { env -u MYSQL_PWD mariadb --no-defaults -S "$work/db.sock" -uroot -e "$1"; }
  dump_q="$(printf '%q ' "${dump_args[@]}")"
  load_q="mariadb --no-defaults -h 127.0.0.1 -P $db_port -u bench"
  # The restore ceiling's input, written once outside the timing.
  [[ ",$steps," == *",restore,"* ]] && mariadb-dump "${dump_args[@]}" sb >"$work/sb.sql"
  # A tiny database: a runner backup of it creates an S3 repository outside the timing (restic's native s3 backend
  # cannot write to s3rver).
  root_sql "DROP DATABASE IF EXISTS tiny; CREATE DATABASE tiny; CREATE TABLE tiny.t (id INT PRIMARY KEY); INSERT INTO tiny.t VALUES (1)"
  echo "both sides on cores ${side_pin[*]:2} (--cpus $cpus); MariaDB and the emulators on ${server_pin[*]:2}"
  printf '\n%-6s %-8s %-8s %5s %9s %9s %8s\n' backend step side round wall_s cpu_s rss_mb
  declare -A best_wall best_cpu all_wall all_cpu rss
  record() { # key wall cpu
    best_wall[$1]="$(min "${best_wall[$1]:-}" "$2")"; best_cpu[$1]="$(min "${best_cpu[$1]:-}" "$3")"
    all_wall[$1]="${all_wall[$1]:-}${all_wall[$1]:+ }$2"; all_cpu[$1]="${all_cpu[$1]:-}${all_cpu[$1]:+ }$3"
  }
  IFS=, read -ra backend_list <<<"$backends"
  IFS=, read -ra step_list <<<"$steps"
  for backend in "${backend_list[@]}"; do
    for step in "${step_list[@]}"; do
      for round in $(seq 1 "$rounds"); do
        order="ceiling shell runner"; [ $(( round % 2 )) = 0 ] && order="runner shell ceiling"
        if [ "$step" = backup ]; then
          case "$backend" in
            local) shell_repo="$work/repo-shell-$round"; runner_repo="$work/repo-runner-$round"
                   rm -rf "$shell_repo" "$runner_repo"; RESTIC_REPOSITORY="$runner_repo" restic init >/dev/null ;;
            azure) shell_repo="azure:cpushell$round:/"; runner_repo="cpurunner$round"
                   AZURE_ACCOUNT_NAME=devstoreaccount1 AZURE_ACCOUNT_KEY="$azurite_key" RESTIC_REPOSITORY="azure:$runner_repo:/" restic init >/dev/null ;;
            s3)    shell_repo="$work/repo-s3shell-$round"; runner_repo="cpurunner$round"; rm -rf "$shell_repo"
                   runner_env "$work/env-init" s3 "$runner_repo" init tiny; run_runner backup "$work/env-init" >/dev/null ;;
          esac
          AZURE_ACCOUNT_NAME=devstoreaccount1 AZURE_ACCOUNT_KEY="$azurite_key" RESTIC_REPOSITORY="$shell_repo" restic init >/dev/null
        else
          root_sql "DROP DATABASE IF EXISTS sb_shell; CREATE DATABASE sb_shell; DROP DATABASE IF EXISTS sb_runner; DROP DATABASE IF EXISTS sb_ceiling; CREATE DATABASE sb_ceiling"
        fi
        for who in $order; do
          r=""
          case "$step/$who" in
            backup/ceiling) read -r t c <<<"$(run_side bash -c "set -o pipefail; mariadb-dump $dump_q sb >/dev/null")" ;;
            backup/shell) read -r t c <<<"$(AZURE_ACCOUNT_NAME=devstoreaccount1 AZURE_ACCOUNT_KEY="$azurite_key" RESTIC_REPOSITORY="$shell_repo" \
                run_side bash -c "set -o pipefail; mariadb-dump $dump_q sb | restic backup --stdin --stdin-filename sb.sql --host bench --tag shell -q >/dev/null")" ;;
            backup/runner) runner_env "$work/env-backup" "$backend" "$runner_repo" "bench-1" sb
                read -r t r <<<"$(run_runner backup "$work/env-backup")"; c="$(cat "$work/last-cpu")"
                bytes="$(dump_bytes "$work/runner-backup.out")" ;;
            restore/ceiling) read -r t c <<<"$(run_side bash -c "$load_q sb_ceiling <$(printf '%q' "$work/sb.sql")")" ;;
            restore/shell) read -r t c <<<"$(AZURE_ACCOUNT_NAME=devstoreaccount1 AZURE_ACCOUNT_KEY="$azurite_key" RESTIC_REPOSITORY="$shell_repo" \
                run_side bash -c "set -o pipefail; restic dump latest sb.sql --tag shell | $load_q sb_shell")" ;;
            restore/runner) runner_env "$work/env-restore" "$backend" "$runner_repo" "bench-1" sb sb_runner
                read -r t r <<<"$(run_runner restore "$work/env-restore")"; c="$(cat "$work/last-cpu")" ;;
          esac
          record "$backend/$step/$who" "$t" "$c"
          if [ -n "$r" ]; then r=$(( r / 1024 )); [ "$r" -gt "${rss[$backend/$step]:-0}" ] && rss[$backend/$step]="$r"; fi
          printf '%-6s %-8s %-8s %5s %9s %9s %8s\n' "$backend" "$step" "$who" "$round" "$t" "$c" "${r:--}"
        done
      done
    done
  done
  printf '\nfastest of %s rounds (all rounds in brackets); ratios are runner / shell, and each side / the ceiling\n' "$rounds"
  printf '%-6s %-8s %8s %8s %8s %10s %9s %9s %9s %8s %8s\n' backend step runner_s shell_s ceil_s wall_ratio runner_cpu shell_cpu cpu_ratio rss_mb
  for backend in "${backend_list[@]}"; do
    for step in "${step_list[@]}"; do
      k="$backend/$step"
      printf '%-6s %-8s %8s %8s %8s %10s %9s %9s %9s %8s\n' "$backend" "$step" "${best_wall[$k/runner]}" "${best_wall[$k/shell]}" \
        "${best_wall[$k/ceiling]}" "$(ratio "${best_wall[$k/runner]}" "${best_wall[$k/shell]}")" \
        "${best_cpu[$k/runner]}" "${best_cpu[$k/shell]}" "$(ratio "${best_cpu[$k/runner]}" "${best_cpu[$k/shell]}")" "${rss[$k]:-}"
      printf '       wall: runner [%s] shell [%s] ceiling [%s]; cpu: runner [%s] shell [%s] ceiling [%s]\n' \
        "${all_wall[$k/runner]}" "${all_wall[$k/shell]}" "${all_wall[$k/ceiling]}" "${all_cpu[$k/runner]}" "${all_cpu[$k/shell]}" "${all_cpu[$k/ceiling]}"
      printf '       runner / ceiling %s, shell / ceiling %s (wall)\n' \
        "$(ratio "${best_wall[$k/runner]}" "${best_wall[$k/ceiling]}")" "$(ratio "${best_wall[$k/shell]}" "${best_wall[$k/ceiling]}")"
    done
  done
  echo "dump: ${bytes:-?} bytes"
  exit 0
fi

printf '\n%-8s %-8s %10s %10s %8s\n' backend step runner_s shell_s ratio
results=()
IFS=, read -ra backend_list <<<"$backends"
for backend in "${backend_list[@]}"; do
  # Backup, twice each in the order shell, runner, runner, shell, each into a fresh repository (the minimum
  # counts): this box's timings drift with the database's background work, and alternating cancels the drift.
  shell_backup=""; runner_backup=""; rss_backup=0
  for round in 1 2; do
    if [ "$backend" = local ]; then
      shell_repo="$work/repo-shell-$round"; runner_repo="$work/repo-runner-$round"
      export RESTIC_REPOSITORY="$shell_repo"
      RESTIC_REPOSITORY="$runner_repo" restic init >/dev/null
    else
      shell_repo="azure:shell$round:/"; runner_repo="runner$round"
      export AZURE_ACCOUNT_NAME=devstoreaccount1 AZURE_ACCOUNT_KEY="$azurite_key" RESTIC_REPOSITORY="$shell_repo"
      # The runner's repository is initialised outside the timing too, as the shell's is.
      RESTIC_REPOSITORY="azure:$runner_repo:/" restic init >/dev/null
    fi
    restic init >/dev/null
    order="shell runner"; [ "$round" = 2 ] && order="runner shell"
    for who in $order; do
      if [ "$who" = shell ]; then
        start="$(now)"
        mariadb-dump "${dump_args[@]}" sb | restic backup --stdin --stdin-filename sb.sql --host bench --tag shell -q >/dev/null
        t="$(awk -v a="$start" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')"
        shell_backup="$(min "$shell_backup" "$t")"
      else
        runner_env "$work/env-backup" "$backend" "$runner_repo" "bench-1" sb
        read -r t rss <<<"$(run_runner backup "$work/env-backup")"
        runner_backup="$(min "$runner_backup" "$t")"
        [ "$rss" -gt "$rss_backup" ] && rss_backup="$rss"
        bytes="$(dump_bytes "$work/runner-backup.out")"
      fi
    done
  done
  printf '%-8s %-8s %10s %10s %8s\n' "$backend" backup "$runner_backup" "$shell_backup" "$(ratio "$runner_backup" "$shell_backup")"

  # A second backup of unchanged data.
  runner_env "$work/env-backup2" "$backend" "$runner_repo" "bench-2" sb
  read -r _ _ <<<"$(run_runner backup "$work/env-backup2")"
  added="$(added_bytes "$work/runner-backup.out")"

  # Restore: both into fresh databases.
  env -u MYSQL_PWD mariadb --no-defaults -S "$work/db.sock" -uroot -e "DROP DATABASE IF EXISTS sb_shell; CREATE DATABASE sb_shell; DROP DATABASE IF EXISTS sb_runner"
  start="$(now)"
  restic dump latest sb.sql --tag shell | mariadb --no-defaults -h 127.0.0.1 -P "$db_port" -u bench sb_shell
  shell_restore="$(awk -v a="$start" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')"
  runner_env "$work/env-restore" "$backend" "$runner_repo" "bench-1" sb sb_runner
  read -r runner_restore rss_restore <<<"$(run_runner restore "$work/env-restore")"
  printf '%-8s %-8s %10s %10s %8s\n' "$backend" restore "$runner_restore" "$shell_restore" "$(ratio "$runner_restore" "$shell_restore")"
  results+=("$backend: dump ${bytes} bytes; second unchanged backup added ${added} bytes ($(awk -v a="$added" -v b="$bytes" 'BEGIN { printf "%.3f%%", 100 * a / b }')); runner peak RSS backup $((rss_backup / 1024)) MB, restore $((rss_restore / 1024)) MB")
  unset AZURE_ACCOUNT_NAME AZURE_ACCOUNT_KEY
done
printf '\n'
printf '%s\n' "${results[@]}"

# Peak RSS against database size (backup only).
if [ -n "$rss_sizes" ]; then
  printf '\n%-10s %12s %14s  (%s backend)\n' dump_mb runner_rss_mb backup_seconds "$rss_backend"
  IFS=, read -ra sizes <<<"$rss_sizes"
  for s in "${sizes[@]}"; do
    prepare_db "sb$s" "$s"
    rm -rf "$work/repo-rss"
    if [ "$rss_backend" = local ]; then rss_repo="$work/repo-rss"; else rss_repo="rss$s"; fi
    runner_env "$work/env-rss" "$rss_backend" "$rss_repo" "rss-$s" "sb$s"
    read -r secs rss <<<"$(run_runner backup "$work/env-rss")"
    printf '%-10s %12s %14s\n' "$(( $(dump_bytes "$work/runner-backup.out") / 1000000 ))" "$((rss / 1024))" "$secs"
    env -u MYSQL_PWD mariadb --no-defaults -S "$work/db.sock" -uroot -e "DROP DATABASE sb$s"
  done
fi
