#!/usr/bin/env bash
# Throwaway MariaDB and one-node Ceph (radosgw, S3 API) for the test suite and
# benchmarks. Everything lives under one state directory and is thrown away by
# `stop`; nothing is registered with an init system (there is none on the CI
# machines) and no Docker is needed.
#
# Usage: scripts/test-services.sh start|stop|status|env
#
#   start   install missing Debian packages (root only), start both services,
#           create the test database/user, the rgw user and the S3 buckets,
#           write $STATE_DIR/services.env. Services left over from a previous
#           run in the same state dir are stopped first and started fresh, so
#           every run begins from an empty database and empty buckets.
#   stop    stop everything recorded in the state dir and delete it.
#   status  show what is running.
#   env     print services.env, for: eval "$(bash scripts/test-services.sh env)"
#
# State dir: $CALLWARDEN_TEST_SERVICES_DIR, default <repo>/.test-services.
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE_DIR="${CALLWARDEN_TEST_SERVICES_DIR:-$REPO_DIR/.test-services}"
ENV_FILE="$STATE_DIR/services.env"
MDB_DIR="$STATE_DIR/mariadb"
CEPH_DIR="$STATE_DIR/ceph"
CEPH_CONF="$CEPH_DIR/ceph.conf"

MYSQL_DB=callwarden_test
MYSQL_USER=callwarden
S3_UID=callwarden
S3_REGION=us-east-1
S3_BUCKET=cw-test
S3_BUCKET_VERSIONED=cw-test-versioned
S3_BUCKET_LOCKED=cw-test-locked
RGW_NAME=client.rgw.cw

# Daemons and admin tools live in sbin, which a non-login or non-root PATH may lack.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

MDB_PACKAGES=(mariadb-server mariadb-client)
MDB_BINARIES=(mariadbd mariadb mariadb-admin mariadb-install-db)
CEPH_PACKAGES=(radosgw ceph-mon ceph-osd ceph-common)
CEPH_BINARIES=(radosgw radosgw-admin ceph-mon ceph-osd ceph monmaptool)

log() { printf '%s\n' "$*" >&2; }
die() { log "test-services: $*"; exit 1; }

# ---------------------------------------------------------------------------
# helpers

missing_binaries() {
  local b
  for b in "$@"; do command -v "$b" >/dev/null 2>&1 || printf '%s ' "$b"; done
}

ensure_packages() {
  local to_install=()
  [[ -z "$(missing_binaries "${MDB_BINARIES[@]}")" ]] || to_install+=("${MDB_PACKAGES[@]}")
  [[ -z "$(missing_binaries "${CEPH_BINARIES[@]}")" ]] || to_install+=("${CEPH_PACKAGES[@]}")
  ((${#to_install[@]})) || return 0

  if [[ "$(id -u)" != 0 ]]; then
    die "missing programs: $(missing_binaries "${MDB_BINARIES[@]}" "${CEPH_BINARIES[@]}")
  install them as root with:
    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${to_install[*]}"
  fi
  command -v apt-get >/dev/null || die "apt-get not found; install ${to_install[*]} by hand"

  # Logged to a file because apt output would drown the summary; shown on failure.
  local apt_log="$STATE_DIR/apt.log"
  log "installing ${to_install[*]} (log: $apt_log)"
  if ! { apt-get update &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${to_install[@]}"; } \
    >"$apt_log" 2>&1; then
    tail -n 30 "$apt_log" >&2
    die "apt-get install ${to_install[*]} failed"
  fi
  local still_missing
  still_missing="$(missing_binaries "${MDB_BINARIES[@]}" "${CEPH_BINARIES[@]}")"
  [[ -z "$still_missing" ]] || die "still missing after install: $still_missing"
}

# N distinct free TCP ports on 127.0.0.1. Drawn below the kernel's ephemeral
# range, so an outgoing connection cannot take one between this check and the
# daemon's bind; each candidate is bound to prove it is free, and all are held
# at once so the same port is not returned twice. node: the one runtime the
# project is guaranteed to have.
free_ports() {
  node -e '
    const net = require("net");
    const fs = require("fs");
    const n = Number(process.argv[1]);
    let ephemeralLow = 32768;
    try {
      ephemeralLow = Number(fs.readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
    } catch {}
    const low = 20000, high = Math.min(ephemeralLow - 1, 32767);
    const servers = [];
    let tries = 0;
    const next = () => {
      if (servers.length === n) {
        console.log(servers.map((s) => s.address().port).join(" "));
        servers.forEach((s) => s.close());
        return;
      }
      // Fall back to a kernel-chosen port if the range is unusable or crowded.
      const port = high > low && tries++ < 200 ? low + Math.floor(Math.random() * (high - low)) : 0;
      const s = net.createServer();
      s.once("error", next);
      s.listen(port, "127.0.0.1", () => { servers.push(s); next(); });
    };
    next();
  ' "$1"
}

random_hex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }

# HTTP status of GET / without depending on curl being installed. (The
# inner scripts are single-quoted on purpose: they expand their own $1.)
# shellcheck disable=SC2016
http_status() {
  timeout 3 bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf "GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" >&3
    read -r _ code _ <&3 && printf "%s" "$code"
  ' _ "$1" 2>/dev/null || true
}

# shellcheck disable=SC2016
port_listening() { timeout 1 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$1" 2>/dev/null; }

# Alive = exists and is not a zombie (an exited daemon stays a zombie until
# its parent, often a lazy init, reaps it).
pid_alive() {
  local pid="$1" stat
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  stat="$(cat "/proc/$pid/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }"
  [[ -n "$stat" && "${stat:0:1}" != Z ]]
}

# Only signal a pid if it still is one of ours: a pid file that survived a
# reboot or a crash may name an unrelated process by now. (Not for use right
# after a launch: while a process execs, its cmdline can read as empty.)
pid_is_ours() {
  local pid="$1" marker="$2" cmdline
  pid_alive "$pid" || return 1
  cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  [[ "$cmdline" == *"$marker"* ]]
}

# Run a command up to $1 times, 0.5 s apart, until it succeeds.
retry() {
  local attempts="$1" i
  shift
  for ((i = 1; ; i++)); do
    "$@" && return 0
    ((i < attempts)) || return 1
    echo "retrying ($i/$attempts failed): $*" >&2
    sleep 0.5
  done
}

# SIGTERM, wait up to $3 seconds, then SIGKILL (reported unless $4 = quiet).
kill_pid() {
  local pid="$1" marker="$2" grace="${3:-15}" quiet="${4:-}" i
  pid_is_ours "$pid" "$marker" || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < grace * 10; i++)); do
    pid_is_ours "$pid" "$marker" || return 0
    sleep 0.1
  done
  [[ "$quiet" == quiet ]] || log "pid $pid did not exit after ${grace}s, sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    pid_is_ours "$pid" "$marker" || return 0
    sleep 0.1
  done
}

pid_from_file() {
  if [[ -s "$1" ]]; then tr -d ' \n' <"$1" 2>/dev/null || true; fi
}

# A Unix socket path is limited to 107 bytes; a deep state dir would make
# mariadbd/ceph fail with an obscure error much later.
check_socket_path_len() {
  local longest="$CEPH_DIR/run/$RGW_NAME.asok"
  ((${#longest} < 100)) ||
    die "state dir path too long for Unix sockets ($longest); set CALLWARDEN_TEST_SERVICES_DIR to a shorter path"
}

# Each service starter runs in a background subshell; on failure it records
# the reason and the log to show, and the parent prints them.
fail() {
  local dir="$1" logfile="$2"
  shift 2
  printf '%s\n' "$*" >"$dir/failure"
  printf '%s\n' "$logfile" >"$dir/failure.log"
  exit 1
}

# ---------------------------------------------------------------------------
# MariaDB

mdb_admin() { mariadb-admin --no-defaults --socket="$MDB_DIR/mysqld.sock" -u"$(id -un)" "$@"; }
mdb_sql() { mariadb --no-defaults --socket="$MDB_DIR/mysqld.sock" -u"$(id -un)" --batch --skip-column-names "$@"; }

start_mariadb() {
  local port="$1" d="$MDB_DIR" i
  mkdir -p "$d"
  # Socket auth for the OS user: no root password to generate or leak, and
  # mariadb-install-db grants it to the user running it.
  mariadb-install-db --no-defaults --datadir="$d/data" --user="$(id -un)" \
    --auth-root-authentication-method=socket --skip-test-db >"$d/install.log" 2>&1 ||
    fail "$d" "$d/install.log" "mariadb-install-db failed"

  local user_arg=()
  # mariadbd refuses to run as root unless told to explicitly.
  [[ "$(id -u)" != 0 ]] || user_arg=(--user=root)
  # setsid + nohup: the server must outlive this script and not get the
  # terminal's SIGINT/SIGHUP (stop is handled explicitly by `stop`).
  setsid nohup mariadbd --no-defaults --datadir="$d/data" "${user_arg[@]}" \
    --bind-address=127.0.0.1 --port="$port" --socket="$d/mysqld.sock" \
    --pid-file="$d/mysqld.pid" --log-error="$d/error.log" --skip-name-resolve \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
    </dev/null >"$d/stdout.log" 2>&1 &
  local server_pid=$!
  echo "$server_pid" >"$d/launcher.pid"

  for ((i = 0; i < 300; i++)); do
    mdb_admin ping >/dev/null 2>&1 && break
    pid_alive "$server_pid" || fail "$d" "$d/error.log" "mariadbd exited during startup"
    sleep 0.1
  done
  mdb_admin ping >/dev/null 2>&1 || fail "$d" "$d/error.log" "mariadbd not ready after 30s"

  local password
  password="$(random_hex 16)"
  # '%' host so both 127.0.0.1 and ::1/localhost connections work. The
  # escaped patterns grant callwarden_test itself plus callwarden_test_<x>
  # databases, which test files may create and drop for isolation.
  mdb_sql >"$d/setup.log" 2>&1 <<SQL || fail "$d" "$d/setup.log" "creating database/user failed"
CREATE DATABASE IF NOT EXISTS \`$MYSQL_DB\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER '$MYSQL_USER'@'%' IDENTIFIED BY '$password';
GRANT ALL PRIVILEGES ON \`callwarden\_test\`.* TO '$MYSQL_USER'@'%';
GRANT ALL PRIVILEGES ON \`callwarden\_test\_%\`.* TO '$MYSQL_USER'@'%';
FLUSH PRIVILEGES;
SQL

  local version
  version="$(mdb_sql -e 'SELECT VERSION()')" || fail "$d" "$d/error.log" "SELECT VERSION() failed"
  {
    printf 'export CALLWARDEN_TEST_MYSQL_URL=%q\n' "mysql://$MYSQL_USER:$password@127.0.0.1:$port/$MYSQL_DB"
    printf 'export CALLWARDEN_TEST_MYSQL_VERSION=%q\n' "$version"
  } >"$d/service.env"
  printf 'mariadb %s at 127.0.0.1:%s\n' "${version%%-*}" "$port" >"$d/summary"
}

stop_mariadb() {
  local d="$MDB_DIR" pid
  [[ -d "$d" ]] || return 0
  pid="$(pid_from_file "$d/mysqld.pid")"
  [[ -n "$pid" ]] || pid="$(pid_from_file "$d/launcher.pid")"
  if [[ -S "$d/mysqld.sock" ]]; then
    timeout 30 mariadb-admin --no-defaults --socket="$d/mysqld.sock" -u"$(id -un)" \
      --shutdown-timeout=20 shutdown >/dev/null 2>&1 || true
  fi
  [[ -z "$pid" ]] || kill_pid "$pid" "$d/data" 15
}

# ---------------------------------------------------------------------------
# Ceph: mon + memstore osd + radosgw

ceph_cli() { timeout 30 ceph -c "$CEPH_CONF" --connect-timeout 10 "$@"; }

# With auth=none, a fresh Ceph client (CLI, OSD, radosgw) considers itself
# connected before the monitor has sent it the monmap, and a command sent in
# that window carries an all-zero fsid and is refused: "wrong fsid" / "Error
# EPERM: problem getting command descriptions from mon" (a few starts in a
# hundred). A new client connection succeeds, so commands that talk to the
# monitor are retried; they are all idempotent.
ceph_cmd() { retry 5 ceph_cli "$@"; }

write_ceph_conf() {
  local fsid="$1" mon_port="$2" rgw_port="$3" c="$CEPH_DIR"
  # \$name / \$cluster are Ceph's own metavariables, expanded per daemon.
  cat >"$CEPH_CONF" <<EOF
[global]
fsid = $fsid
mon_initial_members = a
mon_host = v1:127.0.0.1:$mon_port
public_addr = 127.0.0.1
ms_bind_msgr2 = false
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
osd_pool_default_size = 1
osd_pool_default_min_size = 1
mon_allow_pool_size_one = true
osd_crush_chooseleaf_type = 0
osd_pool_default_pg_autoscale_mode = off
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
mon_max_pg_per_osd = 1000
run_dir = $c/run
crash_dir = $c/crash
pid_file = $c/run/\$name.pid
admin_socket = $c/run/\$name.asok
log_file = $c/log/\$name.log
mon_cluster_log_file = $c/log/\$cluster.log
mon_data = $c/mon/\$cluster-\$id
osd_data = $c/osd/\$cluster-\$id

[mon]
# Every pool radosgw creates costs two osdmap epochs, and the monitor batches
# changes for paxos_propose_interval (1 s by default) before committing each
# one; on a single-node cluster there is nothing to batch, so commit quickly.
# Cuts radosgw's first start from ~9 s to ~2 s.
paxos_propose_interval = 0.05

[client]
# ceph/radosgw-admin run as many short-lived clients, sometimes side by side;
# a per-process admin socket keeps them from colliding on one socket path.
admin_socket = $c/run/\$name.\$pid.asok
log_file = $c/log/client.log

[osd.0]
osd_objectstore = memstore
memstore_device_bytes = 2147483648
# The OSD is placed in the CRUSH map explicitly before it starts. Letting it
# do that itself at boot races with its monitor session: the command can go
# out before the monmap arrives, is refused with "wrong fsid" and the OSD
# exits (see ceph_cmd below).
osd_crush_update_on_start = false
osd_class_update_on_start = false

[$RGW_NAME]
rgw_frontends = beast endpoint=127.0.0.1:$rgw_port
rgw_data = $c/rgw
admin_socket = $c/run/\$name.asok
log_file = $c/log/\$name.log
EOF
}

start_ceph() {
  local mon_port="$1" rgw_port="$2" c="$CEPH_DIR" i fsid
  mkdir -p "$c"/{run,log,mon,osd/ceph-0,rgw,crash}
  fsid="$(cat /proc/sys/kernel/random/uuid)"
  write_ceph_conf "$fsid" "$mon_port" "$rgw_port"
  local setup_log="$c/log/setup.log"
  : >"$setup_log"

  # -- monitor
  monmaptool -c "$CEPH_CONF" --create --fsid "$fsid" --addv a "[v1:127.0.0.1:$mon_port]" \
    "$c/monmap" >>"$setup_log" 2>&1 || fail "$c" "$setup_log" "monmaptool failed"
  ceph-mon -c "$CEPH_CONF" --mkfs -i a --monmap "$c/monmap" >>"$setup_log" 2>&1 ||
    fail "$c" "$c/log/mon.a.log" "ceph-mon --mkfs failed"
  # The daemons fork into the background themselves and write pid files.
  setsid ceph-mon -c "$CEPH_CONF" -i a </dev/null >>"$setup_log" 2>&1 ||
    fail "$c" "$c/log/mon.a.log" "ceph-mon failed to start"
  for ((i = 0; i < 100; i++)); do
    port_listening "$mon_port" && break
    sleep 0.2
  done
  port_listening "$mon_port" || fail "$c" "$c/log/mon.a.log" "ceph-mon not listening on $mon_port after 20s"

  # -- OSD (memstore: objects live in RAM)
  # Creating the OSD by uuid makes a retried `osd create` return the same id.
  local osd_id osd_uuid
  osd_uuid="$(cat /proc/sys/kernel/random/uuid)"
  osd_id="$(ceph_cmd osd create "$osd_uuid" 2>>"$setup_log")" || fail "$c" "$setup_log" "ceph osd create failed"
  [[ "$osd_id" == 0 ]] || fail "$c" "$setup_log" "expected osd id 0, got '$osd_id'"
  ceph-osd -c "$CEPH_CONF" -i 0 --mkfs --osd-uuid "$osd_uuid" >>"$setup_log" 2>&1 ||
    fail "$c" "$c/log/osd.0.log" "ceph-osd --mkfs failed"
  ceph_cmd osd crush add osd.0 1.0 host=localhost root=default >>"$setup_log" 2>&1 ||
    fail "$c" "$setup_log" "ceph osd crush add failed"
  # Retried for the same fsid race (see ceph_cmd): an OSD that hits it exits.
  retry 3 setsid ceph-osd -c "$CEPH_CONF" -i 0 </dev/null >>"$setup_log" 2>&1 ||
    fail "$c" "$c/log/osd.0.log" "ceph-osd failed to start (3 attempts)"
  local stat=""
  for ((i = 0; i < 120; i++)); do
    stat="$(ceph_cli osd stat 2>/dev/null || true)"
    [[ "$stat" == *" 1 up"* ]] && break
    sleep 0.5
  done
  [[ "$stat" == *" 1 up"* ]] || fail "$c" "$c/log/osd.0.log" "osd.0 not up after 60s (osd stat: ${stat:-no answer})"

  # -- radosgw. Its first start creates the rgw pools (~2 s with the fast
  # paxos setting above). It is retried for the fsid race (see ceph_cmd):
  # losing it makes radosgw exit during initialisation.
  local attempt started=0
  for attempt in 1 2 3; do
    if start_radosgw_once "$rgw_port" "$setup_log"; then
      started=1
      break
    fi
    [[ "$RGW_START_ERROR" == exited ]] || break
    echo "radosgw exited during startup (attempt $attempt), retrying" >>"$setup_log"
  done
  ((started)) || fail "$c" "$c/log/$RGW_NAME.log" "radosgw: $RGW_START_DETAIL"

  # -- S3 credentials (AWS-shaped: 20-char key id, 40-char secret)
  local access_key secret_key
  access_key="CW$(random_hex 9 | tr 'a-f' 'A-F')"
  secret_key="$(random_hex 20)"
  retry 3 create_rgw_user "$access_key" "$secret_key" >>"$setup_log" 2>&1 ||
    fail "$c" "$setup_log" "radosgw-admin user create failed"

  local endpoint="http://127.0.0.1:$rgw_port"
  CALLWARDEN_TEST_S3_ENDPOINT="$endpoint" CALLWARDEN_TEST_S3_ACCESS_KEY="$access_key" \
    CALLWARDEN_TEST_S3_SECRET_KEY="$secret_key" CALLWARDEN_TEST_S3_REGION="$S3_REGION" \
    CALLWARDEN_TEST_S3_BUCKET="$S3_BUCKET" CALLWARDEN_TEST_S3_BUCKET_VERSIONED="$S3_BUCKET_VERSIONED" \
    CALLWARDEN_TEST_S3_BUCKET_LOCKED="$S3_BUCKET_LOCKED" \
    timeout 120 node "$REPO_DIR/scripts/create-buckets.mjs" >"$c/log/buckets.log" 2>&1 ||
    fail "$c" "$c/log/buckets.log" "creating S3 buckets failed"

  local ceph_version
  ceph_version="$(ceph -c "$CEPH_CONF" --version 2>/dev/null | awk '{print $3}')"
  {
    printf 'export CALLWARDEN_TEST_S3_ENDPOINT=%q\n' "$endpoint"
    printf 'export CALLWARDEN_TEST_S3_ACCESS_KEY=%q\n' "$access_key"
    printf 'export CALLWARDEN_TEST_S3_SECRET_KEY=%q\n' "$secret_key"
    printf 'export CALLWARDEN_TEST_S3_REGION=%q\n' "$S3_REGION"
    printf 'export CALLWARDEN_TEST_S3_BUCKET=%q\n' "$S3_BUCKET"
    printf 'export CALLWARDEN_TEST_S3_BUCKET_VERSIONED=%q\n' "$S3_BUCKET_VERSIONED"
    printf 'export CALLWARDEN_TEST_S3_BUCKET_LOCKED=%q\n' "$S3_BUCKET_LOCKED"
  } >"$c/service.env"
  printf 'radosgw (ceph %s) at %s\n' "$ceph_version" "$endpoint" >"$c/summary"
}

# Idempotent, so it can be retried: an attempt that failed after creating
# the user counts as success once the user is there with our key.
create_rgw_user() {
  local access_key="$1" secret_key="$2" info
  timeout 60 radosgw-admin -c "$CEPH_CONF" user create --uid="$S3_UID" \
    --display-name="callwarden tests" --access-key="$access_key" --secret="$secret_key" && return 0
  info="$(timeout 60 radosgw-admin -c "$CEPH_CONF" user info --uid="$S3_UID" 2>/dev/null)" || return 1
  [[ "$info" == *"\"$access_key\""* ]]
}

# Launch radosgw and wait for HTTP 200. On failure sets RGW_START_ERROR
# (exited|timeout) and RGW_START_DETAIL.
start_radosgw_once() {
  local rgw_port="$1" setup_log="$2" pidfile="$CEPH_DIR/run/$RGW_NAME.pid" i pid code=""
  rm -f "$pidfile"
  if ! setsid radosgw -c "$CEPH_CONF" -n "$RGW_NAME" </dev/null >>"$setup_log" 2>&1; then
    RGW_START_ERROR=exited RGW_START_DETAIL="radosgw failed to start"
    return 1
  fi
  for ((i = 0; i < 300; i++)); do
    code="$(http_status "$rgw_port")"
    [[ "$code" == 200 ]] && return 0
    # The daemon writes its pid file right after forking; no file after a few
    # seconds, or a dead pid, means it gave up.
    pid="$(pid_from_file "$pidfile")"
    if { [[ -n "$pid" ]] && ! pid_alive "$pid"; } || { [[ -z "$pid" ]] && ((i > 25)); }; then
      RGW_START_ERROR=exited RGW_START_DETAIL="radosgw exited during startup"
      return 1
    fi
    sleep 0.2
  done
  RGW_START_ERROR=timeout
  RGW_START_DETAIL="no HTTP 200 on port $rgw_port after 60s (last: ${code:-no answer})"
  [[ -z "$pid" ]] || kill_pid "$pid" "$CEPH_CONF" 1 quiet
  return 1
}

stop_ceph() {
  local c="$CEPH_DIR" name pid
  [[ -d "$c" ]] || return 0
  # radosgw's orderly shutdown just waits ~4 s for idle background threads,
  # and all its state is about to be deleted, so it gets a short grace.
  pid="$(pid_from_file "$c/run/$RGW_NAME.pid")"
  [[ -z "$pid" ]] || kill_pid "$pid" "$CEPH_CONF" 1 quiet
  # Then the OSD before the monitor, so it does not sit retrying against a
  # monitor that is already gone.
  for name in osd.0 mon.a; do
    pid="$(pid_from_file "$c/run/$name.pid")"
    [[ -z "$pid" ]] || kill_pid "$pid" "$CEPH_CONF" 15
  done
  # A daemon that died before writing its pid file (failed start) would be
  # missed above; match on our own conf path, which no other process uses.
  local leftover
  for pid in $(pgrep -f -- "-c $CEPH_CONF" 2>/dev/null || true); do
    [[ "$pid" != "$$" ]] || continue
    leftover="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
    [[ "$leftover" =~ ^(/usr/bin/)?(ceph-mon|ceph-osd|radosgw) ]] || continue
    kill_pid "$pid" "$CEPH_CONF" 10
  done
}

# ---------------------------------------------------------------------------
# commands

stop_daemons() {
  # Independent services, stopped in parallel to halve the wait.
  stop_mariadb &
  local m=$!
  stop_ceph
  wait "$m" || true
}

# Deletes only what this script creates, so a state dir pointed at an
# existing directory by mistake does not lose anything else.
remove_state() {
  rm -rf -- "$MDB_DIR" "$CEPH_DIR" "$ENV_FILE" "$ENV_FILE.tmp" "$STATE_DIR/apt.log"
  rmdir -- "$STATE_DIR" 2>/dev/null || true
}

have_state() { [[ -e "$MDB_DIR" || -e "$CEPH_DIR" || -e "$ENV_FILE" ]]; }

cmd_stop() {
  if ! have_state; then
    log "test-services: nothing to stop (no services recorded in $STATE_DIR)"
    remove_state
    return 0
  fi
  stop_daemons
  remove_state
  log "test-services: stopped; state removed from $STATE_DIR"
}

report_failure() {
  local name="$1" dir="$2" reason logfile
  reason="$(cat "$dir/failure" 2>/dev/null || echo "unexpected error")"
  logfile="$(cat "$dir/failure.log" 2>/dev/null || true)"
  log ""
  log "test-services: $name failed to start: $reason"
  if [[ -s "$dir/start.out" ]]; then
    log "--- $name start output:"
    tail -n 20 "$dir/start.out" >&2
  fi
  # The daemon's own log says why it died; the setup log / stdout log have
  # the output of the commands run (and the only clue if the daemon never
  # got as far as opening its log).
  local f
  for f in "$dir/log/setup.log" "$dir/stdout.log" "$logfile"; do
    [[ -n "$f" ]] || continue
    if [[ -s "$f" ]]; then
      log "--- tail of $f:"
      tail -n 40 "$f" >&2
    elif [[ "$f" == "$logfile" ]]; then
      log "--- $f is empty or missing"
    fi
  done
}

START_JOBS=()
on_start_interrupted() {
  trap - INT TERM
  log "test-services: interrupted, stopping what was started"
  kill -TERM "${START_JOBS[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
  stop_daemons
  exit "$1"
}

cmd_start() {
  local t0=$SECONDS
  if have_state; then
    log "test-services: stopping services left over in $STATE_DIR"
    stop_daemons
    remove_state
  fi
  mkdir -p "$STATE_DIR"
  check_socket_path_len
  ensure_packages
  local t_services=$SECONDS
  command -v node >/dev/null || die "node is required"
  [[ -d "$REPO_DIR/node_modules/@aws-sdk/client-s3" ]] ||
    die "@aws-sdk/client-s3 is not installed; run 'npm ci' (or 'npm install') in $REPO_DIR first"

  local ports mysql_port mon_port rgw_port
  ports="$(free_ports 3)" || die "could not pick free ports"
  read -r mysql_port mon_port rgw_port <<<"$ports"

  mkdir -p "$MDB_DIR" "$CEPH_DIR"
  # Interrupted half-way: the daemons already launched are detached (setsid)
  # and would outlive us, so stop them.
  trap 'on_start_interrupted 130' INT
  trap 'on_start_interrupted 143' TERM
  # The two services are independent; Ceph dominates, so MariaDB is free.
  (start_mariadb "$mysql_port") >"$MDB_DIR/start.out" 2>&1 &
  START_JOBS=($!)
  (start_ceph "$mon_port" "$rgw_port") >"$CEPH_DIR/start.out" 2>&1 &
  START_JOBS+=($!)
  local mdb_rc=0 ceph_rc=0
  wait "${START_JOBS[0]}" || mdb_rc=$?
  wait "${START_JOBS[1]}" || ceph_rc=$?
  trap - INT TERM

  if ((mdb_rc || ceph_rc)); then
    ((mdb_rc == 0)) || report_failure mariadb "$MDB_DIR"
    ((ceph_rc == 0)) || report_failure ceph "$CEPH_DIR"
    # Leave no half-started daemons behind, but keep the logs for a look;
    # the next start or stop removes them.
    stop_daemons
    rm -f "$ENV_FILE"
    die "start failed (logs kept in $STATE_DIR)"
  fi

  cat "$MDB_DIR/service.env" "$CEPH_DIR/service.env" >"$ENV_FILE.tmp"
  mv "$ENV_FILE.tmp" "$ENV_FILE"
  cat "$MDB_DIR/summary" "$CEPH_DIR/summary"
  log "test-services: ready in $((SECONDS - t0))s ($((SECONDS - t_services))s starting services); env: $ENV_FILE"
}

cmd_status() {
  local pid state rc=0
  if ! have_state; then
    echo "not started (no services recorded in $STATE_DIR)"
    return 3
  fi
  pid="$(pid_from_file "$MDB_DIR/mysqld.pid")"
  if [[ -S "$MDB_DIR/mysqld.sock" ]] && mdb_admin ping >/dev/null 2>&1; then
    state="running (pid $pid)"
  else
    state="not running"
    rc=1
  fi
  printf '%-9s %s\n' mariadbd "$state"
  local name label
  for name in mon.a osd.0 "$RGW_NAME"; do
    pid="$(pid_from_file "$CEPH_DIR/run/$name.pid")"
    if [[ -n "$pid" ]] && pid_is_ours "$pid" "$CEPH_CONF"; then
      state="running (pid $pid)"
    else
      state="not running"
      rc=1
    fi
    case "$name" in mon.*) label=ceph-mon ;; osd.*) label=ceph-osd ;; *) label=radosgw ;; esac
    printf '%-9s %s\n' "$label" "$state"
  done
  if [[ -s "$ENV_FILE" ]]; then
    local endpoint
    endpoint="$(sed -n 's/^export CALLWARDEN_TEST_S3_ENDPOINT=//p' "$ENV_FILE")"
    if [[ "$(http_status "${endpoint##*:}")" == 200 ]]; then
      echo "s3        $endpoint answers HTTP 200"
    else
      echo "s3        $endpoint not answering"
      rc=1
    fi
  else
    echo "env       $ENV_FILE missing"
    rc=1
  fi
  return "$rc"
}

cmd_env() {
  [[ -s "$ENV_FILE" ]] || die "no $ENV_FILE; run 'scripts/test-services.sh start' first"
  cat "$ENV_FILE"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *)
    log "usage: $0 start|stop|status|env"
    exit 2
    ;;
esac
