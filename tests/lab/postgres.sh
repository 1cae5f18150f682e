#!/usr/bin/env bash
# postgres.sh: a throw-away PostgreSQL 15 for the store's tests, from the Debian packages
# (postgresql-15 / postgresql-client-15), without systemd.
#
# Usage:
#   tests/lab/postgres.sh start DIR   initdb (first time) into a temporary folder owned by an
#                                     unprivileged user, start on 127.0.0.1 and a free port,
#                                     write DIR/state.env. A second start after a stop reuses the
#                                     same data and the same port (a server restart).
#   tests/lab/postgres.sh stop DIR    fast shutdown by PID (SIGINT, then SIGKILL after 10 s);
#                                     keeps the data so `start` restarts the same server.
#   tests/lab/postgres.sh purge DIR   stop, then remove the data folder and DIR/state.env.
#
# DIR/state.env (sourced by tests; CUTOVER_PG_STATE points at it under CTest):
#   PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE  the application role (scram-sha-256 password)
#   PG_PID PG_DATA PG_ROOT PG_LOG PG_OS_USER     the server process and its files
#
# As root the server runs as the `postgres` user the Debian package creates (initdb refuses to
# run as root), or as `cutover-pg`, created with `useradd --system` when neither exists. As any
# other user it runs as that user. Unix sockets are off: TCP on loopback only.
set -euo pipefail

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"

die() {
    echo "postgres.sh: $*" >&2
    exit 1
}

usage() { die "usage: postgres.sh start|stop|purge DIR"; }

[[ $# -eq 2 ]] || usage
command="$1"
dir="$2"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
state="$dir/state.env"

[[ -x $PG_BIN/initdb && -x $PG_BIN/pg_ctl ]] ||
    die "no PostgreSQL 15 in $PG_BIN: apt-get install postgresql-15 postgresql-client-15"

# run_as CMD...: runs CMD as the unprivileged server user.
os_user() {
    if [[ $(id -u) -ne 0 ]]; then
        id -un
    elif id postgres >/dev/null 2>&1; then
        echo postgres
    else
        id cutover-pg >/dev/null 2>&1 ||
            useradd --system --no-create-home --shell /usr/sbin/nologin cutover-pg
        echo cutover-pg
    fi
}

run_as() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u "$PG_OS_USER" -- "$@"
    else
        "$@"
    fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

random_secret() {
    python3 -c 'import secrets; print(secrets.token_urlsafe(24))'
}

alive() { [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null; }

load_state() {
    PG_PID=""
    if [[ -f $state ]]; then
        # shellcheck disable=SC1090
        source "$state"
    fi
}

write_state() {
    local tmp="$state.tmp"
    umask 077
    cat >"$tmp" <<EOF
PGHOST=127.0.0.1
PGPORT=$PGPORT
PGUSER=$PGUSER
PGPASSWORD=$PGPASSWORD
PGDATABASE=$PGDATABASE
PG_PID=$PG_PID
PG_DATA=$PG_DATA
PG_ROOT=$PG_ROOT
PG_LOG=$PG_LOG
PG_OS_USER=$PG_OS_USER
EOF
    mv "$tmp" "$state"
}

do_init() {
    PG_OS_USER="$(os_user)"
    PG_ROOT="$(mktemp -d /tmp/cutover-pg.XXXXXX)"
    chmod 700 "$PG_ROOT"
    chown "$PG_OS_USER" "$PG_ROOT"
    PG_DATA="$PG_ROOT/data"
    PG_LOG="$PG_ROOT/postgres.log"
    PGPORT="$(free_port)"
    PGUSER=cutover
    PGDATABASE=cutover
    PGPASSWORD="$(random_secret)"
    local admin_pw
    admin_pw="$(random_secret)"
    printf '%s\n' "$admin_pw" >"$PG_ROOT/admin.pw"
    chown "$PG_OS_USER" "$PG_ROOT/admin.pw"
    chmod 600 "$PG_ROOT/admin.pw"
    run_as "$PG_BIN/initdb" -D "$PG_DATA" -U pgadmin --pwfile="$PG_ROOT/admin.pw" \
        --auth-host=scram-sha-256 --auth-local=reject -E UTF8 --locale=C.UTF-8 \
        >"$PG_ROOT/initdb.log" 2>&1 || {
        cat "$PG_ROOT/initdb.log" >&2
        die "initdb failed"
    }
    # The application role and its database, in single-user mode (no server, no client needed).
    # The password is hashed with scram-sha-256 (password_encryption's default in 15).
    printf "CREATE ROLE %s LOGIN PASSWORD '%s';\nCREATE DATABASE %s OWNER %s;\n" \
        "$PGUSER" "$PGPASSWORD" "$PGDATABASE" "$PGUSER" |
        run_as "$PG_BIN/postgres" --single -D "$PG_DATA" postgres >"$PG_ROOT/single.log" 2>&1 || {
        cat "$PG_ROOT/single.log" >&2
        die "creating the role failed"
    }
    # Only loopback over TCP, password (scram) for everyone.
    cat >"$PG_DATA/pg_hba.conf" <<EOF
host all all 127.0.0.1/32 scram-sha-256
EOF
    chown "$PG_OS_USER" "$PG_DATA/pg_hba.conf"
}

do_start() {
    load_state
    if alive "$PG_PID"; then
        echo "postgres.sh: already running (pid $PG_PID, port $PGPORT)"
        return 0
    fi
    if [[ -z ${PG_DATA:-} || ! -f $PG_DATA/PG_VERSION ]]; then
        do_init
    fi
    [[ -n ${PG_OS_USER:-} ]] || PG_OS_USER="$(os_user)"
    rm -f "$PG_DATA/postmaster.pid"
    # Test server: fsync off (the tests never pull the power), loopback only, no unix socket.
    run_as "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 30 -s \
        -o "-p $PGPORT -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off -c max_connections=50" \
        start || {
        tail -n 30 "$PG_LOG" >&2 || true
        die "the server did not start (port $PGPORT)"
    }
    PG_PID="$(head -n 1 "$PG_DATA/postmaster.pid")"
    alive "$PG_PID" || die "no server process after start"
    write_state
    echo "postgres.sh: PostgreSQL 15 on 127.0.0.1:$PGPORT (pid $PG_PID), state in $state"
}

do_stop() {
    load_state
    if ! alive "$PG_PID"; then
        echo "postgres.sh: not running"
        return 0
    fi
    kill -INT "$PG_PID" # fast shutdown: clients are disconnected, then a clean stop
    local i
    for ((i = 0; i < 100; i++)); do
        alive "$PG_PID" || break
        sleep 0.1
    done
    if alive "$PG_PID"; then
        kill -KILL "$PG_PID" 2>/dev/null || true
        echo "postgres.sh: killed $PG_PID after 10 s" >&2
    fi
    echo "postgres.sh: stopped (pid $PG_PID)"
}

do_purge() {
    do_stop
    load_state
    if [[ -n ${PG_ROOT:-} && $PG_ROOT == /tmp/cutover-pg.* && -d $PG_ROOT ]]; then
        rm -rf "$PG_ROOT"
    fi
    rm -f "$state"
}

case "$command" in
start) do_start ;;
stop) do_stop ;;
purge) do_purge ;;
*) usage ;;
esac
