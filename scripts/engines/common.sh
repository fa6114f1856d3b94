# shellcheck shell=bash disable=SC2034
# (SC2034 off: the variables set here are used by the scripts sourcing this.)
#
# Shared helpers for scripts/engines/{opensearch,elasticsearch}.sh.
#
# Sourced, never executed. The sourcing script owns `set -euo pipefail`; these
# functions are written to behave under it (no bare pipelines that may fail,
# every optional lookup guarded with `if`/`||`).
#
# Conventions:
#   * Only the final `URL=http://127.0.0.1:PORT` line goes to stdout, so callers
#     (the test suite) can take `tail -n1` of stdout. Everything else goes to
#     stderr.
#   * Exit codes: 0 ok, 1 engine failed/unhealthy/timed out, 2 missing
#     prerequisite or bad configuration, 3 (status only) not running.
#   * Each engine instance is started with `setsid`, so its launcher pid is
#     also the session id of every process it spawns (wrappers, CLI launcher,
#     server JVM). "Our" processes are the members of that session; that is what
#     stop signals and what the port-ownership check compares against.

ENGINE_HOME="${PANTAU_ENGINE_HOME:-$HOME/.cache/pantau/engines}"
ENGINE_HEAP="${ENGINE_HEAP:-1g}"
ENGINE_START_TIMEOUT="${ENGINE_START_TIMEOUT:-180}"
ENGINE_STOP_TIMEOUT="${ENGINE_STOP_TIMEOUT:-60}"
ENGINE_KEEP_DATA="${ENGINE_KEEP_DATA:-0}"

# Package hint used in every "missing prerequisite" message.
ENGINE_APT_HINT="apt-get install openjdk-17-jdk-headless maven curl"

# elapsed_since START: seconds since START (an $EPOCHREALTIME value), 1 decimal.
elapsed_since() {
    local now="${EPOCHREALTIME/,/.}" start="${1/,/.}"
    awk -v a="$start" -v b="$now" 'BEGIN { printf "%.1f\n", b - a }'
}

log() {
    printf '[%s] %s\n' "${ENGINE_NAME:-engine}" "$*" >&2
}

# die CODE MESSAGE...
die() {
    local code="$1"
    shift
    log "ERROR: $*"
    exit "$code"
}

# validate_common_env: fail early and clearly on malformed knobs instead of a
# JVM or arithmetic error later.
validate_common_env() {
    if ! [[ "$ENGINE_HEAP" =~ ^[0-9]+[kKmMgG]?$ ]]; then
        die 2 "ENGINE_HEAP must look like 1g or 512m, got '$ENGINE_HEAP'"
    fi
    local var
    for var in ENGINE_START_TIMEOUT ENGINE_STOP_TIMEOUT; do
        if ! [[ "${!var}" =~ ^[0-9]+$ ]]; then
            die 2 "$var must be a number of seconds, got '${!var}'"
        fi
    done
}

# require_cmd NAME HINT: exit 2 with an install hint when a tool is missing.
require_cmd() {
    if ! command -v "$1" >/dev/null 2>&1; then
        die 2 "'$1' not found on PATH. Install it, e.g.: $2"
    fi
}

# The tools every subcommand needs (health checks, process inspection).
require_base_tools() {
    require_cmd curl "apt-get install curl"
    require_cmd ps "apt-get install procps"
    require_cmd setsid "apt-get install util-linux"
    require_cmd flock "apt-get install util-linux"
}

# java_bin: the java used for the engine. JAVA_HOME wins over PATH so a
# developer can point at another JDK without touching PATH.
java_bin() {
    if [[ -n "${JAVA_HOME:-}" && -x "${JAVA_HOME}/bin/java" ]]; then
        printf '%s\n' "${JAVA_HOME}/bin/java"
    elif command -v java >/dev/null 2>&1; then
        command -v java
    else
        die 2 "'java' not found (JAVA_HOME unset and no java on PATH). Install a JDK, e.g.: ${ENGINE_APT_HINT}"
    fi
}

require_mvn() {
    require_cmd mvn "$ENGINE_APT_HINT"
}

# validate_port NAME VALUE
validate_port() {
    if ! [[ "$2" =~ ^[0-9]+$ ]] || ((10#$2 < 1 || 10#$2 > 65535)); then
        die 2 "$1 must be a TCP port number, got '$2'"
    fi
}

heap_opts() {
    # Same min and max: no heap resizing pauses, and the footprint is known up
    # front (two engines must fit next to the test suite on small machines).
    printf '%s\n' "-Xms${ENGINE_HEAP} -Xmx${ENGINE_HEAP}"
}

engine_url() {
    printf 'http://127.0.0.1:%s\n' "$1"
}

# is_healthy URL: cluster health reaches at least yellow within 1 s.
# /_cluster/health is used rather than `/` because the Elasticsearch
# integ-test distribution has no root endpoint.
is_healthy() {
    local code
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
        "$1/_cluster/health?wait_for_status=yellow&timeout=1s" 2>/dev/null)" || code=000
    [[ "$code" == 200 ]]
}

# port_open PORT: something accepts TCP connections on 127.0.0.1:PORT.
# Uses bash's /dev/tcp so it works without ss/netstat.
port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# port_listener_pids PORT: pids listening on PORT (needs `ss`; empty without it
# or when the listener belongs to another user and we are not root).
port_listener_pids() {
    local out
    command -v ss >/dev/null 2>&1 || return 0
    out="$(ss -Hltnp "sport = :$1" 2>/dev/null)" || return 0
    grep -o 'pid=[0-9]*' <<<"$out" | cut -d= -f2 | sort -u || true
}

# session_of PID: the session id of PID (empty when PID is gone).
session_of() {
    local sid
    sid="$(ps -o sid= -p "$1" 2>/dev/null)" || return 0
    printf '%s\n' "${sid//[[:space:]]/}"
}

# session_pids SID: all live processes of session SID.
session_pids() {
    local out
    out="$(ps -o pid= --sid "$1" 2>/dev/null)" || return 0
    # Word-split on purpose: one pid per line, no padding.
    # shellcheck disable=SC2086
    printf '%s\n' $out
}

# session_alive SID MARKER: some process of session SID is alive and its
# command line contains MARKER (guards against a recycled pid in a stale pid
# file pointing at an unrelated process).
session_alive() {
    local sid="$1" marker="$2" args
    [[ -n "$sid" ]] || return 1
    args="$(ps -o args= --sid "$sid" 2>/dev/null)" || return 1
    [[ "$args" == *"$marker"* ]]
}

# read_pidfile FILE: print the pid stored in FILE, or nothing.
read_pidfile() {
    local pid=""
    if [[ -f "$1" ]]; then
        read -r pid <"$1" || true
    fi
    if [[ "$pid" =~ ^[0-9]+$ ]]; then
        printf '%s\n' "$pid"
    fi
}

# port_owned_by_session PORT SID: true when a process of session SID listens on
# PORT. Without `ss` ownership cannot be proven; then "something answers on
# PORT" has to do (start checked beforehand that the port was free).
port_owned_by_session() {
    local port="$1" sid="$2" pid owners
    owners="$(port_listener_pids "$port")"
    if [[ -z "$owners" ]]; then
        if command -v ss >/dev/null 2>&1; then
            return 1
        fi
        port_open "$port"
        return
    fi
    for pid in $owners; do
        if [[ "$(session_of "$pid")" == "$sid" ]]; then
            return 0
        fi
    done
    return 1
}

# describe_port_owner PORT: "pid 123 (java ...)" for error messages.
describe_port_owner() {
    local pid owners desc=""
    owners="$(port_listener_pids "$1")"
    for pid in $owners; do
        desc+="pid $pid ($(ps -o args= -p "$pid" 2>/dev/null | cut -c1-120 || true)) "
    done
    desc="${desc% }"
    printf '%s\n' "${desc:-an unknown process (install iproute2 for 'ss' to see which)}"
}

# ensure_port_free NAME PORT: refuse to start when PORT is already taken, so
# the engine never silently ends up elsewhere or fails with a bind error
# buried in its log.
ensure_port_free() {
    if port_open "$2"; then
        die 1 "$1 port $2 is already in use by $(describe_port_owner "$2"); stop it or choose another port"
    fi
}

# tail_log FILE: last 50 lines of the engine log to stderr.
tail_log() {
    if [[ -f "$1" ]]; then
        log "---- last 50 lines of $1 ----"
        tail -n 50 "$1" >&2 || true
        log "---- end of $1 ----"
    else
        log "(no log file at $1)"
    fi
}

# rotate_log FILE: keep one previous log for post-mortems of the last run.
rotate_log() {
    if [[ -f "$1" ]]; then
        mv -f "$1" "$1.1"
    fi
}

# launch_detached LOG CMD...: start CMD in a new session, detached from our
# stdin/stdout/stderr (a caller capturing our stdout through a pipe must not
# block on the engine holding it open) and from the instance lock on fd 9.
# Sets LAUNCHED_PID, which is also the session id: `setsid` does not fork here
# because a background job of a non-interactive shell is never a process group
# leader (checked below anyway).
LAUNCHED_PID=""
launch_detached() {
    local logfile="$1"
    shift
    setsid nohup "$@" </dev/null >>"$logfile" 2>&1 9>&- &
    LAUNCHED_PID="$!"
    sleep 0.2
    local sid
    sid="$(session_of "$LAUNCHED_PID")"
    if [[ -n "$sid" && "$sid" != "$LAUNCHED_PID" ]]; then
        die 1 "internal error: launched pid $LAUNCHED_PID is not a session leader (sid $sid)"
    fi
}

# wait_healthy URL SID MARKER LOG TIMEOUT: poll until healthy. Fails fast when
# the process dies; on timeout prints the log tail. SID may be empty (then
# only the URL is polled, e.g. `wait` without a pid file).
wait_healthy() {
    local url="$1" sid="$2" marker="$3" logfile="$4" timeout="$5"
    local deadline=$((SECONDS + timeout))
    while ((SECONDS < deadline)); do
        if is_healthy "$url"; then
            return 0
        fi
        if [[ -n "$sid" ]] && ! session_alive "$sid" "$marker"; then
            log "engine process (session $sid) exited before becoming healthy"
            tail_log "$logfile"
            return 1
        fi
        sleep 1
    done
    log "engine at $url not healthy after ${timeout}s"
    tail_log "$logfile"
    return 1
}

# stop_session SID MARKER NAME: SIGTERM the session's processes (the engines
# shut down cleanly on TERM), wait, then SIGKILL what is left. When the leader
# is only a wrapper with children (runuser for Elasticsearch), the children are
# signalled and the wrapper left to exit with them: runuser answers TERM by
# SIGKILLing its child after 2 s, which could cut a slow shutdown short.
stop_session() {
    local sid="$1" marker="$2" name="$3" pids targets pid deadline
    if ! session_alive "$sid" "$marker"; then
        log "$name is not running"
        return 0
    fi
    pids="$(session_pids "$sid")"
    targets=""
    for pid in $pids; do
        if [[ "$pid" != "$sid" ]]; then
            targets+="$pid "
        fi
    done
    targets="${targets:-$sid}"
    log "stopping $name (session $sid, pids: ${pids//$'\n'/ })"
    # shellcheck disable=SC2086 # one pid per word
    kill -TERM $targets 2>/dev/null || true
    deadline=$((SECONDS + ENGINE_STOP_TIMEOUT))
    while ((SECONDS < deadline)); do
        pids="$(session_pids "$sid")"
        [[ -n "$pids" ]] || break
        sleep 0.5
    done
    pids="$(session_pids "$sid")"
    if [[ -n "$pids" ]]; then
        log "$name did not stop within ${ENGINE_STOP_TIMEOUT}s; sending SIGKILL"
        # shellcheck disable=SC2086
        kill -KILL $pids 2>/dev/null || true
        sleep 1
    fi
    log "$name stopped"
}

# take_lock FILE: serialise start/stop of one instance across concurrent
# invocations (e.g. parallel test workers). fd 9 is closed again for the
# engine itself in launch_detached, so the lock dies with this script.
take_lock() {
    exec 9>"$1"
    if ! flock -w 300 9; then
        die 1 "could not take lock $1 within 300s"
    fi
}

# usage NAME
usage() {
    cat >&2 <<EOF
usage: $1 {start|stop|status|wait}

  start   download if needed, start in the background, wait until healthy,
          print URL=http://127.0.0.1:PORT as the last stdout line
          (no-op that prints the URL when already running and healthy)
  stop    stop the instance started by 'start' (idempotent)
  status  exit 0 and print the URL when running and healthy;
          exit 1 when running but unhealthy, 3 when not running
  wait    wait until healthy (ENGINE_START_TIMEOUT, default 180s)

environment: PANTAU_ENGINE_HOME (default ~/.cache/pantau/engines), ENGINE_HEAP
(default 1g), ENGINE_KEEP_DATA=1 (keep the data directory across starts),
ENGINE_START_TIMEOUT, ENGINE_STOP_TIMEOUT; see the script header for more.
EOF
}
