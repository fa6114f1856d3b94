#!/usr/bin/env bash
# Start/stop a throwaway single-node Elasticsearch for the test suite.
#
#   scripts/engines/elasticsearch.sh {start|stop|status|wait}
#
# The distribution comes from Maven Central as
# org.elasticsearch.distribution.integ-test-zip:elasticsearch:VERSION:zip: the
# server with only the apm, transport-netty4, x-pack-core and x-pack-security
# modules. Consequences the test suite must live with: no analysis-common (so
# no "indonesian" analyzer), no painless, no ingest-geoip, no ML, and no root
# `/` endpoint (health is checked through /_cluster/health).
#
# Elasticsearch refuses to run as root. When this script runs as root it
# creates the system user $ELASTICSEARCH_USER (pantau-es) and runs the server
# as that user.
#
# Environment:
#   PANTAU_ENGINE_HOME             cache/log/pid root (~/.cache/pantau/engines)
#   ELASTICSEARCH_PORT             HTTP port (9270)
#   ELASTICSEARCH_TRANSPORT_PORT   transport port (ELASTICSEARCH_PORT + 100)
#   ELASTICSEARCH_VERSION          distribution version (8.19.7)
#   ES_JAVA_HOME                   JDK for the server; default: Temurin 25 for
#                                  9.x, else JAVA_HOME, else `java` on PATH
#   ELASTICSEARCH_USER             unprivileged user when run as root (pantau-es)
#   ELASTICSEARCH_RUN_DIR          where the unpacked distribution, data and
#                                  server logs live (see resolve_run_dir)
#   ELASTICSEARCH_JAVA_OPTS        extra JVM options for the server
#   ENGINE_HEAP (1g), ENGINE_KEEP_DATA (0), ENGINE_START_TIMEOUT (180),
#   ENGINE_STOP_TIMEOUT (60)
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ENGINE_NAME=elasticsearch
# shellcheck source=common.sh
source "$SCRIPT_DIR/common.sh"
validate_common_env

PORT="${ELASTICSEARCH_PORT:-9270}"
validate_port ELASTICSEARCH_PORT "$PORT"
TRANSPORT_PORT="${ELASTICSEARCH_TRANSPORT_PORT:-$((10#$PORT + 100))}"
validate_port ELASTICSEARCH_TRANSPORT_PORT "$TRANSPORT_PORT"
ES_VERSION="${ELASTICSEARCH_VERSION:-8.19.7}"
if ! [[ "$ES_VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
    die 2 "ELASTICSEARCH_VERSION must look like 8.19.7, got '$ES_VERSION'"
fi
ES_MAJOR="${ES_VERSION%%.*}"
SERVICE_USER="${ELASTICSEARCH_USER:-pantau-es}"
URL="$(engine_url "$PORT")"

ES_CACHE="$ENGINE_HOME/elasticsearch"
DOWNLOAD_DIR="$ENGINE_HOME/downloads"
ZIP="$DOWNLOAD_DIR/elasticsearch-$ES_VERSION.zip"
# Root-side files of one instance (one per port): pid file, console log, lock.
# Written by this script (as the invoking user), never by the server.
META_DIR="$ES_CACHE/instance-$PORT"
PID_FILE="$META_DIR/elasticsearch.pid"
CONSOLE_LOG="$META_DIR/console.log"
LOCK_FILE="$META_DIR/lock"
# Remembers where `start` put the instance, so stop/status/wait find it
# without re-deriving (and without creating users or directories).
INSTANCE_DIR_FILE="$META_DIR/instance_dir"

# Filled in by resolve_run_dir.
RUN_DIR=""
DIST_DIR=""
INSTANCE_DIR=""

running_as_root() {
    [[ "$(id -u)" == 0 ]]
}

# as_service_user CMD...: run CMD as the server's user.
as_service_user() {
    if running_as_root; then
        runuser -u "$SERVICE_USER" -- "$@"
    else
        "$@"
    fi
}

ensure_service_user() {
    running_as_root || return 0
    require_cmd runuser "apt-get install util-linux"
    if ! id -u "$SERVICE_USER" >/dev/null 2>&1; then
        require_cmd useradd "apt-get install passwd"
        log "creating system user $SERVICE_USER (Elasticsearch refuses to run as root)"
        useradd --system --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin "$SERVICE_USER"
    fi
}

# resolve_run_dir: the server must read its distribution and write its data
# and logs as $SERVICE_USER. Under root's default PANTAU_ENGINE_HOME
# (/root/.cache/...) that user cannot even traverse /root (mode 0700), and we
# will not loosen the permissions of someone's home directory. So as root the
# run directory falls back to /var/lib/$SERVICE_USER unless the engine home is
# reachable by the service user or ELASTICSEARCH_RUN_DIR says otherwise. The
# pid file, console log and download cache stay under PANTAU_ENGINE_HOME.
resolve_run_dir() {
    if [[ -n "${ELASTICSEARCH_RUN_DIR:-}" ]]; then
        RUN_DIR="$ELASTICSEARCH_RUN_DIR"
    elif ! running_as_root; then
        RUN_DIR="$ES_CACHE"
    elif as_service_user test -x "$ES_CACHE" 2>/dev/null; then
        RUN_DIR="$ES_CACHE"
    else
        RUN_DIR="/var/lib/$SERVICE_USER"
    fi
    mkdir -p "$RUN_DIR/dist"
    if running_as_root && ! as_service_user test -x "$RUN_DIR" 2>/dev/null; then
        die 2 "user $SERVICE_USER cannot access $RUN_DIR; set ELASTICSEARCH_RUN_DIR to a directory it can reach"
    fi
    DIST_DIR="$RUN_DIR/dist/elasticsearch-$ES_VERSION"
    INSTANCE_DIR="$RUN_DIR/instance-$PORT"
}

# load_instance_dir: for stop/status/wait, the instance directory recorded by
# the last start (empty when never started).
load_instance_dir() {
    INSTANCE_DIR=""
    if [[ -f "$INSTANCE_DIR_FILE" ]]; then
        read -r INSTANCE_DIR <"$INSTANCE_DIR_FILE" || true
    fi
}

# resolve_java_home: Elasticsearch 8.x runs on Java 17+, 9.x needs 21+ (we use
# the Temurin 25 install). The integ-test zip has no bundled JDK, so
# ES_JAVA_HOME is mandatory for bin/elasticsearch.
resolve_java_home() {
    local java
    if [[ -n "${ES_JAVA_HOME:-}" ]]; then
        :
    elif ((ES_MAJOR >= 9)); then
        ES_JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
    elif [[ -n "${JAVA_HOME:-}" ]]; then
        ES_JAVA_HOME="$JAVA_HOME"
    else
        java="$(java_bin)"
        java="$(readlink -f "$java")"
        ES_JAVA_HOME="${java%/bin/java}"
    fi
    if [[ ! -x "$ES_JAVA_HOME/bin/java" ]]; then
        if ((ES_MAJOR >= 9)); then
            die 2 "Elasticsearch $ES_VERSION needs Java 21+; no java at $ES_JAVA_HOME/bin/java (install Temurin 21+ or set ES_JAVA_HOME)"
        fi
        die 2 "no java at $ES_JAVA_HOME/bin/java; set ES_JAVA_HOME or install a JDK, e.g.: $ENGINE_APT_HINT"
    fi
}

# ensure_distribution: fetch the zip through Maven (cached in ~/.m2 and in
# $DOWNLOAD_DIR) and unpack it once per version.
ensure_distribution() {
    local marker="$DIST_DIR/.pantau-unpacked" tmp mvn_log="$DOWNLOAD_DIR/mvn.log"
    if [[ -f "$marker" ]]; then
        return 0
    fi
    require_cmd unzip "apt-get install unzip"
    mkdir -p "$DOWNLOAD_DIR"
    if [[ ! -s "$ZIP" ]]; then
        require_mvn
        log "fetching Elasticsearch $ES_VERSION (integ-test-zip) through Maven (downloads ~95 MB unless already in ~/.m2)"
        # Run from the download dir so no project pom.xml in the caller's
        # working directory changes what Maven does.
        if ! (cd "$DOWNLOAD_DIR" && mvn -q -B dependency:copy \
            -Dartifact="org.elasticsearch.distribution.integ-test-zip:elasticsearch:$ES_VERSION:zip" \
            -DoutputDirectory="$DOWNLOAD_DIR") >"$mvn_log" 2>&1; then
            tail_log "$mvn_log"
            die 1 "Maven could not fetch org.elasticsearch.distribution.integ-test-zip:elasticsearch:$ES_VERSION:zip (see $mvn_log)"
        fi
        [[ -s "$ZIP" ]] || die 1 "Maven succeeded but $ZIP is missing"
    fi
    log "unpacking $ZIP"
    # Unpack next to the target and rename, so an interrupted unpack never
    # leaves a half distribution that looks complete.
    tmp="$RUN_DIR/dist/.unpack.$$"
    rm -rf "$tmp" "$DIST_DIR"
    mkdir -p "$tmp"
    if ! unzip -q "$ZIP" -d "$tmp"; then
        rm -rf "$tmp"
        die 1 "could not unpack $ZIP (corrupt download? delete it and retry)"
    fi
    [[ -d "$tmp/elasticsearch-$ES_VERSION" ]] || die 1 "unexpected layout in $ZIP (no elasticsearch-$ES_VERSION/)"
    mv "$tmp/elasticsearch-$ES_VERSION" "$DIST_DIR"
    rm -rf "$tmp"
    # The service user only reads the distribution; it stays owned by us.
    chmod -R a+rX "$DIST_DIR"
    touch "$marker"
}

# prepare_instance: per-port config, data, logs and tmp owned by the service
# user. The config directory is a fresh copy of the distribution's because
# Elasticsearch writes into it (it creates elasticsearch.keystore on startup),
# and the shared distribution must stay read-only.
prepare_instance() {
    mkdir -p "$INSTANCE_DIR"
    rm -rf "$INSTANCE_DIR/config" "$INSTANCE_DIR/tmp"
    if [[ "$ENGINE_KEEP_DATA" != 1 ]]; then
        # Tests expect an empty cluster on every start.
        rm -rf "$INSTANCE_DIR/data"
    fi
    cp -R "$DIST_DIR/config" "$INSTANCE_DIR/config"
    mkdir -p "$INSTANCE_DIR/data" "$INSTANCE_DIR/logs" "$INSTANCE_DIR/tmp"
    if running_as_root; then
        chown -R "$SERVICE_USER:" "$INSTANCE_DIR"
    fi
    chmod 0750 "$INSTANCE_DIR"
}

# server_settings: -E flags. Settings that belong to modules this distribution
# may not contain are only passed when the module is there: Elasticsearch
# rejects unknown settings and would refuse to start.
server_settings() {
    SETTINGS=(
        -E "cluster.name=pantau-test"
        -E "node.name=pantau-es-$PORT"
        # Loopback only: not reachable from the network, and development mode
        # (no production bootstrap checks such as vm.max_map_count).
        -E "network.host=127.0.0.1"
        -E "http.port=$PORT"
        -E "transport.port=$TRANSPORT_PORT"
        -E "discovery.type=single-node"
        -E "path.data=$INSTANCE_DIR/data"
        -E "path.logs=$INSTANCE_DIR/logs"
        # Plain HTTP without authentication, like the tests expect. Setting
        # xpack.security.enabled explicitly also skips the security
        # auto-configuration that would otherwise write certificates.
        -E "xpack.security.enabled=false"
        -E "xpack.security.http.ssl.enabled=false"
        -E "xpack.security.transport.ssl.enabled=false"
        # Test machines often have nearly full disks.
        -E "cluster.routing.allocation.disk.threshold_enabled=false"
    )
    if [[ -d "$DIST_DIR/modules/x-pack-ml" ]]; then
        SETTINGS+=(-E "xpack.ml.enabled=false")
    fi
    if [[ -d "$DIST_DIR/modules/ingest-geoip" ]]; then
        # No internet access is assumed; do not try to download GeoIP data.
        SETTINGS+=(-E "ingest.geoip.downloader.enabled=false")
    fi
}

running_sid() {
    local pid
    pid="$(read_pidfile "$PID_FILE")"
    if [[ -n "$pid" && -n "$INSTANCE_DIR" ]] && session_alive "$pid" "$INSTANCE_DIR"; then
        printf '%s\n' "$pid"
    fi
}

check_port_is_ours() {
    local sid="$1"
    if ! port_owned_by_session "$PORT" "$sid"; then
        log "port $PORT is not served by our Elasticsearch (session $sid); it is held by $(describe_port_owner "$PORT")"
        return 1
    fi
}

cmd_start() {
    require_base_tools
    local sid started
    mkdir -p "$META_DIR"
    take_lock "$LOCK_FILE"

    load_instance_dir
    sid="$(running_sid)"
    if [[ -n "$sid" ]]; then
        if is_healthy "$URL" || wait_healthy "$URL" "$sid" "$INSTANCE_DIR" "$CONSOLE_LOG" "$ENGINE_START_TIMEOUT"; then
            check_port_is_ours "$sid" || die 1 "refusing to report $URL"
            log "already running (session $sid)"
            echo "URL=$URL"
            return 0
        fi
        die 1 "Elasticsearch (session $sid) is running but not healthy; run '$0 stop' first"
    fi
    rm -f "$PID_FILE"

    resolve_java_home
    ensure_service_user
    resolve_run_dir
    ensure_distribution
    ensure_port_free "HTTP" "$PORT"
    ensure_port_free "transport" "$TRANSPORT_PORT"
    prepare_instance
    server_settings
    rotate_log "$CONSOLE_LOG"

    local -a runner=()
    if running_as_root; then
        runner=(runuser -u "$SERVICE_USER" --)
    fi

    local user
    user="$(id -un)"
    if running_as_root; then
        user="$SERVICE_USER"
    fi
    log "starting Elasticsearch $ES_VERSION on $URL as $user, heap $ENGINE_HEAP, java $ES_JAVA_HOME, home $INSTANCE_DIR"
    started="$EPOCHREALTIME"
    # `env -i`: a clean environment, so JAVA_HOME/JAVA_TOOL_OPTIONS/... of the
    # caller cannot leak into the server (bin/elasticsearch warns about them).
    launch_detached "$CONSOLE_LOG" "${runner[@]}" env -i \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        HOME="$INSTANCE_DIR" \
        LANG=C.UTF-8 \
        ES_JAVA_HOME="$ES_JAVA_HOME" \
        ES_JAVA_OPTS="$(heap_opts) ${ELASTICSEARCH_JAVA_OPTS:-}" \
        ES_PATH_CONF="$INSTANCE_DIR/config" \
        ES_TMPDIR="$INSTANCE_DIR/tmp" \
        "$DIST_DIR/bin/elasticsearch" "${SETTINGS[@]}"
    sid="$LAUNCHED_PID"
    echo "$sid" >"$PID_FILE"
    echo "$INSTANCE_DIR" >"$INSTANCE_DIR_FILE"

    if ! wait_healthy "$URL" "$sid" "$INSTANCE_DIR" "$CONSOLE_LOG" "$ENGINE_START_TIMEOUT"; then
        stop_session "$sid" "$INSTANCE_DIR" Elasticsearch
        rm -f "$PID_FILE"
        die 1 "Elasticsearch did not become healthy (log: $CONSOLE_LOG, server logs: $INSTANCE_DIR/logs)"
    fi
    if ! check_port_is_ours "$sid"; then
        stop_session "$sid" "$INSTANCE_DIR" Elasticsearch
        rm -f "$PID_FILE"
        die 1 "Elasticsearch did not bind the requested port $PORT"
    fi
    log "healthy after $(elapsed_since "$started")s (session $sid)"
    echo "URL=$URL"
}

cmd_stop() {
    require_base_tools
    mkdir -p "$META_DIR"
    take_lock "$LOCK_FILE"
    local pid
    pid="$(read_pidfile "$PID_FILE")"
    load_instance_dir
    if [[ -z "$pid" ]]; then
        log "not running (no pid file)"
    elif [[ -z "$INSTANCE_DIR" ]]; then
        log "not running (no record of the instance directory)"
    else
        stop_session "$pid" "$INSTANCE_DIR" Elasticsearch
    fi
    rm -f "$PID_FILE"
}

cmd_status() {
    require_base_tools
    local sid
    load_instance_dir
    sid="$(running_sid)"
    if [[ -z "$sid" ]]; then
        log "not running"
        exit 3
    fi
    if is_healthy "$URL" && check_port_is_ours "$sid"; then
        echo "URL=$URL"
        return 0
    fi
    log "running (session $sid) but not healthy at $URL"
    exit 1
}

cmd_wait() {
    require_base_tools
    local sid
    load_instance_dir
    sid="$(running_sid)"
    if [[ -z "$sid" ]] && [[ -f "$PID_FILE" ]]; then
        tail_log "$CONSOLE_LOG"
        die 1 "Elasticsearch is not running (stale pid file $PID_FILE)"
    fi
    wait_healthy "$URL" "$sid" "$INSTANCE_DIR" "$CONSOLE_LOG" "$ENGINE_START_TIMEOUT" || exit 1
    echo "URL=$URL"
}

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
wait) cmd_wait ;;
*)
    usage "$0"
    exit 2
    ;;
esac
