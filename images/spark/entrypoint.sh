#!/usr/bin/env bash
# Entrypoint of the Spark image: one image, several roles.
#
#   entrypoint.sh master | worker | history      runs that Spark daemon in the foreground
#   entrypoint.sh submit [spark-submit args...]  runs bin/spark-submit
#   entrypoint.sh connect [spark-submit args...] runs Spark's Connect server (a driver) on the cluster
#   entrypoint.sh connect-tls                     runs the TLS terminator in front of a Connect server
#   entrypoint.sh ready master | worker | history | connect
#                                                 the readiness probe: exit 0 once the daemon serves
#   entrypoint.sh COMMAND [ARGS...]               any executable is run as is (bash, ls, ...)
#
# Daemons are exec'ed (`spark-class <MainClass>`, which execs the JVM), never started with
# sbin/start-*.sh: those fork into the background and the container would exit at once.
# With tini as PID 1 the JVM is tini's child, so SIGTERM reaches it directly.
#
# Everything is read from environment variables (`entrypoint.sh help` lists them). A
# configuration error exits with status 2 and one line on stderr that names the variable,
# its value and what is allowed. SPARK_HOME is overridable, so the same script runs
# against any Spark distribution outside a container too (tests/spark does that).
set -euo pipefail

readonly EXIT_USAGE=2

log() {
  printf 'entrypoint: %s\n' "$*"
}

fail() {
  printf 'entrypoint: error: %s\n' "$*" >&2
  exit "$EXIT_USAGE"
}

usage() {
  cat <<'EOF'
Usage: entrypoint.sh ROLE [ARGS...]
Roles:
  master    Spark standalone master (foreground)
  worker    Spark standalone worker (foreground); needs SPARK_MASTER_URL
  history   Spark history server (foreground)
  submit    bin/spark-submit with the remaining arguments
  connect   Spark Connect server (foreground, a driver on the cluster); needs SPARK_MASTER_URL
            and SPARK_CONNECT_TOKEN_FILE; extra arguments go to spark-submit
  connect-tls  TLS (1.2+, ALPN h2) on SPARK_CONNECT_TLS_PORT in front of a Connect server on
            127.0.0.1:SPARK_CONNECT_PORT (foreground); needs SPARK_CONNECT_TLS_DIR and python3
  ready ROLE  readiness probe of a running master, worker, history or connect server: exit 0
            when it serves the cluster (master ALIVE or recovering, worker registered with a
            master, history server answering its REST API, Connect server accepting
            connections), else 1 with the reason on stderr
  help      this text
Any other first argument that is an executable is run as is (e.g. bash).

Environment (defaults in brackets):
  SPARK_HOME [/opt/spark]  SPARK_CONF_DIR [$SPARK_HOME/conf]
  SPARK_MASTER_HOST [Spark's choice: the local address]  SPARK_MASTER_PORT [7077]
  SPARK_MASTER_WEBUI_PORT [8080]
  SPARK_MASTER_URL   spark://HOST:PORT[,HOST:PORT...] (worker: required; submit: default --master)
  SPARK_WORKER_CORES [all cores]  SPARK_WORKER_MEMORY [total RAM - 1g], e.g. 1g, 1024m
  SPARK_WORKER_PORT [random; 0 = random]  SPARK_WORKER_WEBUI_PORT [8081]
  SPARK_WORKER_DIR [$SPARK_HOME/work]  SPARK_LOCAL_IP  SPARK_PUBLIC_DNS
  SPARK_DAEMON_MEMORY [1g], e.g. 512m  SPARK_DAEMON_JAVA_OPTS  SPARK_MASTER_OPTS
  SPARK_WORKER_OPTS  SPARK_HISTORY_OPTS
  SPARK_AUTH_SECRET_FILE   file holding the RPC auth secret: turns on spark.authenticate
  SPARK_NETWORK_CRYPTO [false]  true: RPC and block transfers AES-encrypted, peers that do
                           not encrypt refused (needs SPARK_AUTH_SECRET_FILE)
  SPARK_WORKER_DECOMMISSION_TIMEOUT [0 = off]  seconds a worker spends decommissioning
                           (SIGPWR) after SIGTERM before it stops
  SPARK_RECOVERY_DIR       master: a writable directory (on a persistent volume; made if
                           missing) where it keeps workers, applications and drivers, so a
                           restarted master takes them back (spark.deploy.recoveryMode=FILESYSTEM)
  SPARK_EVENT_LOG_DIR      an existing directory of event logs: history reads it, submit
                           makes its driver write there (spark.eventLog.*)
  SPARK_HISTORY_UI_PORT [18080]
  SPARK_CONNECT_TOKEN_FILE  file holding the token Connect clients must send (required)
  SPARK_CONNECT_PORT [15002]  SPARK_CONNECT_MAX_CORES [no cap]  spark.cores.max of the server
  SPARK_CONNECT_BIND_ADDRESS [every address]  the address the Connect server listens on, e.g.
                127.0.0.1 behind connect-tls (spark.connect.grpc.binding.address)
  SPARK_CONNECT_DRIVER_MEMORY [1g]  heap of the Connect server (its driver); Spark needs 450m or more
  SPARK_CONNECT_EXECUTOR_MEMORY [Spark's 1g]  spark.executor.memory of the server's executors: at
                most what a worker offers, or the server's application waits forever
  SPARK_CONNECT_TLS_PORT [15002]  connect-tls: the port clients reach with TLS
  SPARK_CONNECT_TLS_DIR   connect-tls: a directory holding tls.crt and tls.key (a kubernetes.io/tls
                Secret mounted as files)
EOF
}

# --- validation --------------------------------------------------------------------------

# require_int NAME MIN MAX: when NAME is set, it must be a whole number in [MIN, MAX].
# Set but empty counts as unset (the default applies), as everywhere in this script.
require_int() {
  local name="$1" min="$2" max="$3" value
  [[ -n "${!name:-}" ]] || return 0
  value="${!name}"
  # Bounded length first, so a huge number cannot overflow bash arithmetic.
  if ! [[ "$value" =~ ^[0-9]{1,6}$ ]] || ((10#$value < min || 10#$value > max)); then
    fail "$name='$value' is not valid: expected a whole number from $min to $max"
  fi
}

require_port() {
  require_int "$1" "${2:-1}" 65535
}

# An address to listen on: an IPv4 address or a host name (when NAME is set).
require_address() {
  local name="$1" value
  [[ -n "${!name:-}" ]] || return 0
  value="${!name}"
  if ! [[ "$value" =~ ^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$ ]]; then
    fail "$name='$value' is not valid: expected an IPv4 address or a host name such as 127.0.0.1"
  fi
}

# A JVM/Spark memory size such as 512m, 1g, 2048M (a bare number means megabytes here).
require_memory() {
  local name="$1" value
  [[ -n "${!name:-}" ]] || return 0
  value="${!name}"
  if ! [[ "$value" =~ ^[1-9][0-9]{0,8}[kKmMgGtT]?$ ]]; then
    fail "$name='$value' is not valid: expected a size such as 512m or 1g (k, m, g or t)"
  fi
}

require_master_url() {
  local value="${SPARK_MASTER_URL:-}"
  [[ -n "$value" ]] || fail "SPARK_MASTER_URL is not set: a worker needs the master's" \
    "address, e.g. SPARK_MASTER_URL=spark://spark-master:7077"
  if ! [[ "$value" =~ ^spark://[^/,:]+:[0-9]{1,5}(,[^/,:]+:[0-9]{1,5})*$ ]]; then
    fail "SPARK_MASTER_URL='$value' is not valid: expected spark://HOST:PORT" \
      "(several masters: spark://HOST1:PORT1,HOST2:PORT2)"
  fi
}

# require_event_log_dir ACCESS: when SPARK_EVENT_LOG_DIR is set it must be an absolute path
# to an existing directory this user may read (r) or write to (w). Spark itself would only
# fail later: the history server lists nothing, the driver dies after the job started.
require_event_log_dir() {
  local dir="${SPARK_EVENT_LOG_DIR:-}"
  [[ -n "$dir" ]] || return 0
  [[ "$dir" == /* ]] || fail "SPARK_EVENT_LOG_DIR='$dir' is not valid: expected an absolute path"
  [[ -d "$dir" ]] || fail "SPARK_EVENT_LOG_DIR='$dir' is not an existing directory" \
    "(mount the event-log volume there)"
  if [[ "$1" == w && ! (-w "$dir" && -x "$dir") ]]; then
    fail "SPARK_EVENT_LOG_DIR='$dir' is not writable by user $(id -u)"
  fi
  if [[ ! (-r "$dir" && -x "$dir") ]]; then
    fail "SPARK_EVENT_LOG_DIR='$dir' is not readable by user $(id -u)"
  fi
}

# require_recovery_dir: SPARK_RECOVERY_DIR, when set, is an absolute path to an existing
# directory this user may write. Spark would otherwise fail only at the first registration.
require_recovery_dir() {
  local dir="${SPARK_RECOVERY_DIR:-}"
  [[ -n "$dir" ]] || return 0
  [[ "$dir" == /* && "$dir" != *[[:space:]]* ]] ||
    fail "SPARK_RECOVERY_DIR='$dir' is not valid: expected an absolute path without spaces"
  # A directory per Spark version under the volume (the program sets one) is made here.
  [[ -d "$dir" ]] || mkdir -p "$dir" 2>/dev/null || fail "SPARK_RECOVERY_DIR='$dir' is not a directory" \
    "and cannot be made (mount the master's recovery volume at it or above it)"
  [[ -w "$dir" && -x "$dir" ]] || fail "SPARK_RECOVERY_DIR='$dir' is not writable by user $(id -u)"
}

require_spark_home() {
  [[ -x "$SPARK_HOME/bin/spark-class" ]] ||
    fail "SPARK_HOME='$SPARK_HOME' is not a Spark distribution: $SPARK_HOME/bin/spark-class missing"
}

# --- RPC authentication --------------------------------------------------------------------

# When SPARK_AUTH_SECRET_FILE is set (a file mounted from a Kubernetes Secret), daemons
# run with spark.authenticate=true. The secret itself goes into _SPARK_AUTH_SECRET, the
# environment variable Spark's SecurityManager reads before spark.authenticate.secret:
# that keeps it off every command line (`ps` shows -D options to anyone on the node).
# spark.authenticate.secret.file is no alternative: Spark honours it in Kubernetes mode
# only. Workers hand the secret to their executors through the same variable.
# Trailing newlines of the file are ignored.
load_auth_secret() {
  local file="${SPARK_AUTH_SECRET_FILE:-}" secret
  [[ -n "$file" ]] || return 0
  [[ -f "$file" && -r "$file" ]] ||
    fail "SPARK_AUTH_SECRET_FILE='$file' is not a readable file"
  secret="$(<"$file")"
  [[ -n "$secret" ]] || fail "SPARK_AUTH_SECRET_FILE='$file' is empty"
  export _SPARK_AUTH_SECRET="$secret"
  AUTH_ENABLED=1
}

# SPARK_NETWORK_CRYPTO=true encrypts everything after the handshake: RPC and block
# transfers (shuffle, cached and broadcast blocks), AES with keys derived from the RPC
# secret (spark.network.crypto.enabled), so it needs SPARK_AUTH_SECRET_FILE. Daemons and
# drivers also turn off the SASL fallback: a peer that does not encrypt is refused rather
# than served in clear text. Drivers pass both settings on to their executors.
CRYPTO_OPTS=(spark.network.crypto.enabled=true spark.network.crypto.saslFallback=false)
load_network_crypto() {
  case "${SPARK_NETWORK_CRYPTO:-}" in
    "" | false) return 0 ;;
    true) ;;
    *) fail "SPARK_NETWORK_CRYPTO='$SPARK_NETWORK_CRYPTO' is not valid: expected true or false" ;;
  esac
  ((AUTH_ENABLED)) || fail "SPARK_NETWORK_CRYPTO=true needs SPARK_AUTH_SECRET_FILE: the encryption keys" \
    "are derived from the RPC secret"
  CRYPTO_ENABLED=1
}

# daemon_security_opts: the -D options of a daemon with auth (and encryption) on.
daemon_security_opts() {
  local opts="" o
  ((AUTH_ENABLED)) && opts="-Dspark.authenticate=true"
  if ((CRYPTO_ENABLED)); then
    for o in "${CRYPTO_OPTS[@]}"; do opts="$opts -D$o"; done
  fi
  printf '%s' "$opts"
}

security_summary() {
  if ((CRYPTO_ENABLED)); then
    echo "auth on, encrypted"
  elif ((AUTH_ENABLED)); then
    echo "auth on"
  else
    echo "auth off"
  fi
}

# --- roles -------------------------------------------------------------------------------

run_master() {
  require_spark_home
  require_port SPARK_MASTER_PORT
  require_port SPARK_MASTER_WEBUI_PORT
  require_memory SPARK_DAEMON_MEMORY
  require_recovery_dir
  load_auth_secret
  load_network_crypto
  if ((AUTH_ENABLED)); then
    SPARK_MASTER_OPTS="${SPARK_MASTER_OPTS:-} $(daemon_security_opts)"
  fi
  # FILESYSTEM recovery (Spark 3.5 and 4): the master writes each worker, application and
  # driver it registers there; a new master on the same directory starts RECOVERING, asks
  # them back and forgets those that do not answer within spark.deploy.recoveryTimeout.
  local recovery="off"
  if [[ -n "${SPARK_RECOVERY_DIR:-}" ]]; then
    SPARK_MASTER_OPTS="${SPARK_MASTER_OPTS:-} -Dspark.deploy.recoveryMode=FILESYSTEM -Dspark.deploy.recoveryDirectory=$SPARK_RECOVERY_DIR"
    recovery="recovery in $SPARK_RECOVERY_DIR"
  fi
  [[ -n "${SPARK_MASTER_OPTS:-}" ]] && export SPARK_MASTER_OPTS
  local args=(--port "${SPARK_MASTER_PORT:-7077}" --webui-port "${SPARK_MASTER_WEBUI_PORT:-8080}")
  if [[ -n "${SPARK_MASTER_HOST:-}" ]]; then
    args+=(--host "$SPARK_MASTER_HOST")
  fi
  log "starting Spark master (${SPARK_MASTER_HOST:-<local address>}:${SPARK_MASTER_PORT:-7077}, web UI ${SPARK_MASTER_WEBUI_PORT:-8080}, $(security_summary), $recovery)"
  exec "$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.master.Master "${args[@]}"
}

run_worker() {
  require_spark_home
  require_master_url
  require_int SPARK_WORKER_CORES 1 4096
  require_memory SPARK_WORKER_MEMORY
  require_port SPARK_WORKER_PORT 0
  require_port SPARK_WORKER_WEBUI_PORT 0
  require_memory SPARK_DAEMON_MEMORY
  require_int SPARK_WORKER_DECOMMISSION_TIMEOUT 0 86400
  load_auth_secret
  load_network_crypto
  if ((AUTH_ENABLED)); then
    SPARK_WORKER_OPTS="${SPARK_WORKER_OPTS:-} $(daemon_security_opts)"
    export SPARK_WORKER_OPTS
  fi
  # Explicit arguments rather than relying on Spark reading the same variables, so what
  # runs is visible in `ps` and in the log line below.
  local args=(--webui-port "${SPARK_WORKER_WEBUI_PORT:-8081}")
  [[ -z "${SPARK_WORKER_CORES:-}" ]] || args+=(--cores "$SPARK_WORKER_CORES")
  [[ -z "${SPARK_WORKER_MEMORY:-}" ]] || args+=(--memory "$SPARK_WORKER_MEMORY")
  [[ -z "${SPARK_WORKER_PORT:-}" ]] || args+=(--port "$SPARK_WORKER_PORT")
  [[ -z "${SPARK_WORKER_DIR:-}" ]] || args+=(--work-dir "$SPARK_WORKER_DIR")
  if [[ -n "${SPARK_WORKER_DIR:-}" ]]; then
    mkdir -p "$SPARK_WORKER_DIR" 2>/dev/null || true
    [[ -d "$SPARK_WORKER_DIR" && -w "$SPARK_WORKER_DIR" ]] ||
      fail "SPARK_WORKER_DIR='$SPARK_WORKER_DIR' is not a writable directory"
  fi
  local cmd=("$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.worker.Worker "${args[@]}" "$SPARK_MASTER_URL")
  log "starting Spark worker for $SPARK_MASTER_URL (cores ${SPARK_WORKER_CORES:-all}, memory ${SPARK_WORKER_MEMORY:-default}, $(security_summary))"
  if ((10#${SPARK_WORKER_DECOMMISSION_TIMEOUT:-0} > 0)); then
    supervise_worker "$((10#$SPARK_WORKER_DECOMMISSION_TIMEOUT))" "${cmd[@]}"
  fi
  exec "${cmd[@]}"
}

# Without SPARK_WORKER_DECOMMISSION_TIMEOUT the worker JVM gets SIGTERM straight from tini:
# it stops at once and kills its executors; the master sees the connection drop, marks the
# worker DEAD and the drivers rerun the lost tasks (shuffle files on it are recomputed).
#
# With it, this shell stays between tini and the JVM: SIGTERM becomes SIGPWR, the worker's
# decommission signal (spark.decommission.enabled). The master then stops placing executors
# there and drivers decommission its executors: they finish or hand off running tasks,
# migrate cached and shuffle blocks (spark.storage.decommission.*) and exit. Once the
# worker has no executor processes left, or the timeout has passed, the JVM gets SIGTERM.
# Keep the pod's terminationGracePeriodSeconds above the timeout plus ~10 s.
supervise_worker() {
  local timeout="$1"
  shift
  local term_requested=0 pid rc
  trap 'term_requested=1' TERM INT
  "$@" &
  pid=$!
  while :; do
    rc=0
    wait "$pid" || rc=$?
    if ! kill -0 "$pid" 2>/dev/null; then
      exit "$rc"
    fi
    # wait was interrupted by a trapped signal; the JVM is still running.
    if ((term_requested == 1)); then
      term_requested=2
      decommission_worker "$pid" "$timeout"
    fi
  done
}

# Executors are child processes of the worker JVM. Zombies do not count: spark-class
# leaves its finished launcher JVM as an unreaped child of the worker JVM it exec'ed.
has_live_children() {
  # shellcheck disable=SC2009 # pgrep's --runstates is missing from older procps releases
  ps -o stat= --ppid "$1" 2>/dev/null | grep -qv '^Z'
}

# The worker JVM acts on SIGPWR asynchronously: a signal thread queues the decommission, the
# worker then tells the master. A SIGTERM right behind it (an idle worker has no executors to
# wait for) can stop the JVM before that message leaves, and the master then sees a lost
# worker instead of a decommissioned one (seen 1 scale-down in 3 on a loaded 2-CPU node).
# So the worker gets this long (2-3 s, whole seconds) after SIGPWR, within the timeout.
readonly DECOMMISSION_NOTICE_SECONDS=3

decommission_worker() {
  local pid="$1" timeout="$2" deadline notice
  log "SIGTERM: decommissioning the worker (SIGPWR); stopping it once its executors are gone, at most ${timeout}s"
  kill -PWR "$pid" 2>/dev/null || return 0
  deadline=$((SECONDS + timeout))
  notice=$((SECONDS + (timeout < DECOMMISSION_NOTICE_SECONDS ? timeout : DECOMMISSION_NOTICE_SECONDS)))
  while ((SECONDS < deadline)) && { ((SECONDS < notice)) || has_live_children "$pid"; }; do
    sleep 1
  done
  log "decommissioning done or timed out; stopping the worker"
  kill -TERM "$pid" 2>/dev/null || true
}

run_history() {
  require_spark_home
  require_memory SPARK_DAEMON_MEMORY
  require_port SPARK_HISTORY_UI_PORT
  require_event_log_dir r
  # Ours first: a -D the user adds through SPARK_HISTORY_OPTS comes later and wins.
  local opts=""
  if [[ -n "${SPARK_EVENT_LOG_DIR:-}" ]]; then
    opts="-Dspark.history.fs.logDirectory=file:$SPARK_EVENT_LOG_DIR"
  fi
  if [[ -n "${SPARK_HISTORY_UI_PORT:-}" ]]; then
    opts="$opts -Dspark.history.ui.port=$SPARK_HISTORY_UI_PORT"
  fi
  export SPARK_HISTORY_OPTS="${opts# }${SPARK_HISTORY_OPTS:+ $SPARK_HISTORY_OPTS}"
  log "starting Spark history server${SPARK_EVENT_LOG_DIR:+ on $SPARK_EVENT_LOG_DIR}"
  exec "$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.history.HistoryServer
}

run_submit() {
  require_spark_home
  require_event_log_dir w
  if [[ -n "${SPARK_EVENT_LOG_DIR:-}" ]]; then
    # Before the caller's arguments, so a --conf of theirs for the same key wins.
    set -- --conf spark.eventLog.enabled=true --conf "spark.eventLog.dir=file:$SPARK_EVENT_LOG_DIR" "$@"
  fi
  if [[ -n "${SPARK_MASTER_URL:-}" ]]; then
    require_master_url
    # spark-submit falls back to $MASTER when neither --master nor spark.master is given.
    export MASTER="${MASTER:-$SPARK_MASTER_URL}"
  fi
  load_auth_secret
  load_network_crypto
  if ((AUTH_ENABLED)); then
    # A driver on a standalone cluster insists on spark.authenticate.secret in its conf.
    # Give it a private copy of the conf dir with the secret added (mode 600), rather than
    # --conf on the command line.
    local conf_src="${SPARK_CONF_DIR:-$SPARK_HOME/conf}" conf_dir
    conf_dir="$(mktemp -d)"
    chmod 700 "$conf_dir"
    if [[ -d "$conf_src" ]]; then
      cp -R "$conf_src/." "$conf_dir/"
    fi
    (
      umask 077
      {
        printf '\nspark.authenticate true\nspark.authenticate.secret %s\n' "$_SPARK_AUTH_SECRET"
        if ((CRYPTO_ENABLED)); then
          for o in "${CRYPTO_OPTS[@]}"; do printf '%s %s\n' "${o%%=*}" "${o#*=}"; done
        fi
      } >>"$conf_dir/spark-defaults.conf"
    )
    export SPARK_CONF_DIR="$conf_dir"
    # Not exec'ed, so the copy holding the secret is removed when the driver ends; this
    # shell passes SIGTERM/SIGINT on to it.
    local pid rc
    trap 'kill -TERM "$pid" 2>/dev/null || true' TERM INT
    "$SPARK_HOME/bin/spark-submit" "$@" <&0 &
    pid=$!
    while :; do
      rc=0
      wait "$pid" || rc=$?
      kill -0 "$pid" 2>/dev/null || break
    done
    rm -rf "$conf_dir"
    exit "$rc"
  fi
  exec "$SPARK_HOME/bin/spark-submit" "$@"
}

# Spark Connect: the server is a driver (spark-submit of SparkConnectServer, which
# spark-submit runs without an application jar) that thin clients reach over gRPC.
# The token is always on. It goes into SPARK_CONNECT_AUTHENTICATE_TOKEN, which the server
# reads when spark.connect.authenticate.token is not set: in this process's environment
# only, never in argv, the pod spec or a log line. Spark 3.5 has no server in its
# distribution and no token check in its Connect server, so it is refused here.
readonly CONNECT_SERVER_CLASS=org.apache.spark.sql.connect.service.SparkConnectServer

run_connect() {
  require_spark_home
  require_master_url
  require_port SPARK_CONNECT_PORT
  require_int SPARK_CONNECT_MAX_CORES 1 100000
  require_memory SPARK_CONNECT_DRIVER_MEMORY
  require_memory SPARK_CONNECT_EXECUTOR_MEMORY
  require_address SPARK_CONNECT_BIND_ADDRESS
  compgen -G "$SPARK_HOME/jars/spark-connect_*.jar" >/dev/null ||
    fail "this Spark ($SPARK_HOME) has no Connect server ($SPARK_HOME/jars/spark-connect_*.jar" \
      "missing): Spark Connect with a token needs Spark 4 or later"
  local file="${SPARK_CONNECT_TOKEN_FILE:-}" token
  [[ -n "$file" ]] || fail "SPARK_CONNECT_TOKEN_FILE is not set: the Connect server always" \
    "checks a token; mount one and point SPARK_CONNECT_TOKEN_FILE at it"
  [[ -f "$file" && -r "$file" ]] || fail "SPARK_CONNECT_TOKEN_FILE='$file' is not a readable file"
  token="$(<"$file")"
  [[ -n "$token" ]] || fail "SPARK_CONNECT_TOKEN_FILE='$file' is empty"
  [[ "$token" =~ ^[[:graph:]]+$ ]] ||
    fail "SPARK_CONNECT_TOKEN_FILE='$file' holds whitespace or control characters: expected one printable word"
  export SPARK_CONNECT_AUTHENTICATE_TOKEN="$token"
  local port="${SPARK_CONNECT_PORT:-15002}" memory="${SPARK_CONNECT_DRIVER_MEMORY:-1g}"
  # spark-submit sizes the Connect server's heap like a daemon's: SPARK_DAEMON_MEMORY wins
  # over --driver-memory and spark.driver.memory for this class. So the server's own size
  # goes there (a worker's or master's SPARK_DAEMON_MEMORY must not leak in), and into
  # spark.driver.memory too, so the UI shows what runs.
  export SPARK_DAEMON_MEMORY="$memory"
  local args=(--class "$CONNECT_SERVER_CLASS" --name "Spark Connect server"
    --master "$SPARK_MASTER_URL" --conf "spark.connect.grpc.binding.port=$port"
    --conf "spark.driver.memory=$memory")
  [[ -z "${SPARK_CONNECT_BIND_ADDRESS:-}" ]] || args+=(--conf "spark.connect.grpc.binding.address=$SPARK_CONNECT_BIND_ADDRESS")
  [[ -z "${SPARK_CONNECT_MAX_CORES:-}" ]] || args+=(--conf "spark.cores.max=$SPARK_CONNECT_MAX_CORES")
  [[ -z "${SPARK_CONNECT_EXECUTOR_MEMORY:-}" ]] || args+=(--conf "spark.executor.memory=$SPARK_CONNECT_EXECUTOR_MEMORY")
  log "starting Spark Connect server on ${SPARK_CONNECT_BIND_ADDRESS:-every address}, port $port, for $SPARK_MASTER_URL (cores max ${SPARK_CONNECT_MAX_CORES:-uncapped}, heap $memory, executors ${SPARK_CONNECT_EXECUTOR_MEMORY:-1g}, token from $file)"
  run_submit "${args[@]}" "$@"
}

# TLS in front of the Connect server (a second container of its pod): Spark's server speaks
# plain gRPC only, and pyspark-client insists on TLS once it sends a token to any host but
# localhost. The server listens on 127.0.0.1:SPARK_CONNECT_PORT, this on SPARK_CONNECT_TLS_PORT
# (tls-proxy.py beside this script: Python's ssl, TLS 1.2 or later, ALPN h2).
run_connect_tls() {
  require_port SPARK_CONNECT_PORT
  require_port SPARK_CONNECT_TLS_PORT
  local backend="${SPARK_CONNECT_PORT:-15002}" listen="${SPARK_CONNECT_TLS_PORT:-15002}"
  local dir="${SPARK_CONNECT_TLS_DIR:-}" proxy f
  proxy="$(dirname "${BASH_SOURCE[0]}")/tls-proxy.py"
  [[ "$listen" != "$backend" ]] ||
    fail "SPARK_CONNECT_TLS_PORT='$listen' equals SPARK_CONNECT_PORT: the TLS port and the server's plain port must differ"
  [[ -n "$dir" ]] || fail "SPARK_CONNECT_TLS_DIR is not set: connect-tls needs a directory holding tls.crt and tls.key"
  for f in tls.crt tls.key; do
    [[ -f "$dir/$f" && -r "$dir/$f" ]] || fail "SPARK_CONNECT_TLS_DIR='$dir' has no readable $f"
  done
  command -v python3 >/dev/null 2>&1 ||
    fail "connect-tls needs python3, which this image lacks (it was built with INSTALL_PYTHON=false)"
  [[ -r "$proxy" ]] || fail "connect-tls: $proxy is missing from the image"
  log "TLS on port $listen in front of the Connect server on 127.0.0.1:$backend (certificate $dir/tls.crt)"
  exec python3 "$proxy" "$listen" "$backend" "$dir/tls.crt" "$dir/tls.key"
}

# --- readiness ---------------------------------------------------------------------------

# http_get HOST PORT PATH: the body of a 200 answer, over bash's /dev/tcp (the image has no
# curl); fails on no answer or another status. A daemon's UI listens on SPARK_LOCAL_IP where
# it is set (the workers), on every address otherwise (the master), so loopback answers then.
http_get() {
  local response
  exec 3<>"/dev/tcp/$1/$2" || return 1
  printf 'GET %s HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n' "$3" "$1" >&3
  response="$(timeout 5 cat <&3)" || true
  exec 3<&-
  [[ "$response" =~ ^HTTP/1\.[01]\ 200 ]] || return 1
  printf '%s' "${response#*$'\r\n\r\n'}"
}

# Readiness is more than a UI that answers: a worker whose UI is up but that has no master
# cannot run anything, and a rolling update must not take the next worker down for it.
# Liveness stays a plain GET on the UI (the process is not wedged); the two never coincide.
run_ready() {
  local role="${1:-}" host="${SPARK_LOCAL_IP:-127.0.0.1}" port path pattern what body
  case "$role" in
    master)
      port="${SPARK_MASTER_WEBUI_PORT:-8080}" path=/json/ what="ALIVE or recovering"
      pattern='"status" *: *"(ALIVE|RECOVERING|COMPLETING_RECOVERY)"'
      ;;
    worker)
      port="${SPARK_WORKER_WEBUI_PORT:-8081}" path=/json/ what="registered with a master"
      pattern='"masterurl" *: *"spark://'
      ;;
    history)
      port="${SPARK_HISTORY_UI_PORT:-18080}" path=/api/v1/version what="answering its REST API"
      pattern='"spark" *: *"'
      ;;
    connect)
      # A Connect server is ready once it accepts connections: it listens only after its
      # driver registered with the master and its session manager started.
      host="${SPARK_CONNECT_BIND_ADDRESS:-127.0.0.1}" port="${SPARK_CONNECT_PORT:-15002}"
      # shellcheck disable=SC2016 # $1 and $2 expand in the inner bash
      if ! timeout 3 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$host" "$port" 2>/dev/null; then
        printf 'entrypoint: not ready: the Connect server does not accept connections on %s:%s\n' "$host" "$port" >&2
        exit 1
      fi
      return 0
      ;;
    *) fail "ready needs the role to check: master, worker, history or connect; got '$role'" ;;
  esac
  if ! body="$(http_get "$host" "$port" "$path")"; then
    printf 'entrypoint: not ready: no 200 from http://%s:%s%s\n' "$host" "$port" "$path" >&2
    exit 1
  fi
  if ! [[ "$body" =~ $pattern ]]; then
    printf 'entrypoint: not ready: the %s is not %s (http://%s:%s%s)\n' "$role" "$what" "$host" "$port" "$path" >&2
    exit 1
  fi
}

main() {
  export SPARK_HOME="${SPARK_HOME:-/opt/spark}"
  # So `docker run IMAGE spark-shell` works without touching PATH in the image (the base
  # image's PATH, e.g. its JDK's bin, stays as it is).
  export PATH="$SPARK_HOME/bin:$PATH"
  AUTH_ENABLED=0
  CRYPTO_ENABLED=0
  if (($# == 0)); then
    usage >&2
    fail "no role given: expected one of master, worker, history, submit, connect, connect-tls, ready, help, or a command"
  fi
  local role="$1"
  shift
  case "$role" in
    master) run_master ;;
    worker) run_worker ;;
    history) run_history ;;
    submit) run_submit "$@" ;;
    connect) run_connect "$@" ;;
    connect-tls) run_connect_tls ;;
    ready) run_ready "$@" ;;
    help | -h | --help) usage ;;
    *)
      if command -v -- "$role" >/dev/null 2>&1; then
        exec "$role" "$@"
      fi
      fail "unknown role '$role': expected one of master, worker, history, submit, connect, connect-tls, ready, help," \
        "or an executable to run"
      ;;
  esac
}

main "$@"
