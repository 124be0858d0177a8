#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the test suite (used by `make test`).
#
#   scripts/pg_test_cluster.sh start DIR   initdb + start a cluster in DIR; print its SQLAlchemy URL
#   scripts/pg_test_cluster.sh stop DIR    stop the cluster and remove DIR
#
# `start` prints exactly one line on stdout:
#   postgresql+psycopg://claimflow@127.0.0.1:PORT/claimflow_test
# Everything else (progress, errors) goes to stderr.
#
# Server binaries are taken from the newest /usr/lib/postgresql/*/bin; when there are none, Debian's
# `postgresql` package is installed (root only; apt output in DIR/install.log). initdb and postgres
# refuse to run as root, so as root they run as the `postgres` system user (created when missing).
# The cluster is for tests only: trust authentication, TCP on 127.0.0.1 only, a free port, its
# unix socket in DIR, and no fsync. Logs: DIR/initdb.log, DIR/postgres.log.
set -euo pipefail

PROG=${0##*/}
PG_LIBDIR=/usr/lib/postgresql
PG_SYSTEM_USER=postgres
DB_USER=claimflow
DB_NAME=claimflow_test
MARKER=.pg_test_cluster   # marks a DIR made by this script: only such a DIR is ever removed
START_TIMEOUT=60          # seconds pg_ctl waits for the server to accept connections

log() { printf '%s: %s\n' "$PROG" "$*" >&2; }

# Print the last lines of a log file to stderr, if it has any.
show_tail() {
    local file=$1 lines=${2:-30}
    if [[ -s $file ]]; then
        printf '%s: ---- last %s lines of %s ----\n' "$PROG" "$lines" "$file" >&2
        tail -n "$lines" -- "$file" >&2 || true
        printf '%s: ----\n' "$PROG" >&2
    fi
}

die() {
    printf '%s: error: %s\n' "$PROG" "$*" >&2
    exit 1
}

usage() {
    printf 'usage: %s start DIR | stop DIR\n' "$PROG" >&2
    exit 2
}

is_root() { [[ $EUID -eq 0 ]]; }

# Run a command as the user the server runs as, from inside DIR (the caller's working directory
# may be closed to that user).
as_pg() {
    if is_root; then
        (cd -- "$DIR" && runuser -u "$PG_SYSTEM_USER" -- "$@")
    else
        (cd -- "$DIR" && "$@")
    fi
}

# A value quoted for postgresql.conf.
conf_quote() { printf "'%s'" "${1//\'/\'\'}"; }

# The newest /usr/lib/postgresql/VERSION/bin holding initdb and pg_ctl, or nothing.
find_bindir() {
    local dir found=()
    for dir in "$PG_LIBDIR"/*/bin; do
        if [[ -x $dir/initdb && -x $dir/pg_ctl && -x $dir/postgres ]]; then
            found+=("$dir")
        fi
    done
    ((${#found[@]})) || return 0
    printf '%s\n' "${found[@]}" | sort -V | tail -n 1
}

# Install Debian's postgresql quietly. The package's own cluster is not started: services may not
# start during the install (policy-rc.d), as in Debian's container images.
install_postgresql() {
    local install_log=$DIR/install.log policy=/usr/sbin/policy-rc.d made_policy=0 rc=0
    is_root || die "no PostgreSQL server binaries in $PG_LIBDIR/*/bin and not running as root:" \
        "install Debian's postgresql package (apt-get install postgresql) and try again"
    command -v apt-get >/dev/null || die "no PostgreSQL server binaries in $PG_LIBDIR/*/bin and no apt-get to install them"
    log "no PostgreSQL server found in $PG_LIBDIR/*/bin: installing Debian's postgresql (log: $install_log)"
    if [[ ! -e $policy ]]; then
        printf '#!/bin/sh\n# written by %s while it installs postgresql\nexit 101\n' "$PROG" >"$policy"
        chmod 755 "$policy"
        made_policy=1
        trap 'rm -f -- /usr/sbin/policy-rc.d' EXIT
    fi
    local apt=(apt-get -y -q -o DPkg::Lock::Timeout=300)
    local install=("${apt[@]}" install --no-install-recommends postgresql)
    export DEBIAN_FRONTEND=noninteractive
    if ! "${install[@]}" >>"$install_log" 2>&1; then
        log "apt-get install failed; running apt-get update and trying again"
        { "${apt[@]}" update >>"$install_log" 2>&1 && "${install[@]}" >>"$install_log" 2>&1; } || rc=$?
    fi
    if ((made_policy)); then
        rm -f -- "$policy"
        trap - EXIT
    fi
    if ((rc)); then
        show_tail "$install_log"
        die "could not install postgresql (apt-get exit status $rc); see $install_log"
    fi
}

ensure_system_user() {
    id -u "$PG_SYSTEM_USER" >/dev/null 2>&1 && return 0
    log "creating system user '$PG_SYSTEM_USER'"
    useradd --system --user-group --no-create-home --home-dir /var/lib/postgresql \
        --shell /bin/bash --comment "PostgreSQL administrator" "$PG_SYSTEM_USER" >&2 \
        || die "could not create the system user '$PG_SYSTEM_USER'"
}

free_port() {
    local py
    py=$(command -v python3 || command -v python || true)
    [[ -n $py ]] || die "python3 is needed to pick a free port"
    "$py" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# Stop the server of DIR (if it runs) and remove DIR. Only a DIR marked by `start` is removed.
stop_cluster() {
    local bindir="" pidfile=$DIR/data/postmaster.pid pid
    if [[ ! -e $DIR ]]; then
        log "$DIR does not exist: nothing to stop"
        return 0
    fi
    [[ -f $DIR/$MARKER ]] || die "$DIR was not made by $PROG start (no $MARKER in it): not touching it"
    [[ -f $DIR/bindir ]] && bindir=$(<"$DIR/bindir")
    if [[ -f $pidfile ]]; then
        [[ -n $bindir && -x $bindir/pg_ctl ]] || bindir=$(find_bindir)
        if [[ -n $bindir ]] && as_pg "$bindir/pg_ctl" -D "$DIR/data" -m fast -w -t 60 stop >&2; then
            :
        elif [[ -n $bindir ]] && as_pg "$bindir/pg_ctl" -D "$DIR/data" -m immediate -w -t 30 stop >&2; then
            log "fast shutdown failed; stopped with immediate shutdown"
        elif [[ -f $pidfile ]]; then
            pid=$(head -n 1 -- "$pidfile")
            if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
                log "pg_ctl could not stop the server; killing postmaster $pid"
                kill -KILL "$pid" 2>/dev/null || true
            fi
        fi
    fi
    rm -rf -- "$DIR"
    log "stopped and removed $DIR"
}

# Called on exit while `start` runs: a failed start leaves no server behind.
abort_start() {
    local rc=$?
    ((rc == 0)) && return 0
    if [[ -n ${BINDIR:-} && -f $DIR/data/postmaster.pid ]]; then
        as_pg "$BINDIR/pg_ctl" -D "$DIR/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
    fi
    show_tail "$DIR/postgres.log"
    log "start failed; logs are in $DIR (remove it with: $0 stop $DIR)"
    exit "$rc"
}

start_cluster() {
    local data=$DIR/data port="" attempt started=0
    if [[ -e $DIR ]]; then
        [[ -d $DIR ]] || die "$DIR exists and is not a directory"
        if [[ -f $DIR/$MARKER ]]; then
            log "$DIR holds an earlier test cluster: stopping and removing it first"
            stop_cluster
        elif [[ -n $(ls -A -- "$DIR") ]]; then
            die "$DIR exists, is not empty and was not made by $PROG: choose another directory"
        fi
    fi
    mkdir -p -- "$DIR"
    : >"$DIR/$MARKER"

    BINDIR=$(find_bindir)
    if [[ -z $BINDIR ]]; then
        install_postgresql
        BINDIR=$(find_bindir)
        [[ -n $BINDIR ]] || die "postgresql was installed but no initdb/pg_ctl found in $PG_LIBDIR/*/bin"
    fi
    printf '%s\n' "$BINDIR" >"$DIR/bindir"
    trap abort_start EXIT

    if is_root; then
        ensure_system_user
        chown -R "$PG_SYSTEM_USER": "$DIR"
        as_pg test -w "$DIR" -a -x "$DIR" \
            || die "user '$PG_SYSTEM_USER' cannot write to $DIR (is a parent directory closed to" \
                "other users?): use a directory under /tmp, e.g. \$(mktemp -d)"
    fi
    log "using $("$BINDIR/postgres" --version) from $BINDIR"

    if ! as_pg "$BINDIR/initdb" -D "$data" -A trust -U "$DB_USER" --encoding=UTF8 --locale=C --no-sync \
        >"$DIR/initdb.log" 2>&1; then
        show_tail "$DIR/initdb.log"
        die "initdb failed; see $DIR/initdb.log"
    fi

    # A unix socket path is limited to 107 bytes; a longer DIR gets TCP only.
    local sockdir=$DIR
    if ((${#DIR} + 15 > 107)); then  # 15 = ${#/.s.PGSQL.65535}
        log "$DIR is too long for a unix socket path: TCP only"
        sockdir=""
    fi
    cat >>"$data/postgresql.conf" <<EOF

# ---- throwaway test cluster ($PROG) ----
listen_addresses = '127.0.0.1'
unix_socket_directories = $(conf_quote "$sockdir")
max_connections = 100
fsync = off
synchronous_commit = off
full_page_writes = off
EOF

    # The port is free when picked but may be taken before the server binds it: then pick again.
    for attempt in 1 2 3; do
        port=$(free_port)
        printf '%s\n' "$port" >"$DIR/port"
        log "starting PostgreSQL on 127.0.0.1:$port (log: $DIR/postgres.log)"
        if as_pg "$BINDIR/pg_ctl" -D "$data" -l "$DIR/postgres.log" -w -t "$START_TIMEOUT" \
            -o "-p $port" start >&2; then
            started=1
            break
        fi
        if ((attempt < 3)) && grep -qE 'could not bind|Address already in use' "$DIR/postgres.log" 2>/dev/null; then
            log "port $port was taken; trying another"
            continue
        fi
        break
    done
    ((started)) || die "PostgreSQL did not start (pg_ctl failed); see $DIR/postgres.log"

    if ! "$BINDIR/createdb" -h 127.0.0.1 -p "$port" -U "$DB_USER" "$DB_NAME" >&2; then
        die "could not create database $DB_NAME on 127.0.0.1:$port"
    fi
    trap - EXIT
    log "ready: database $DB_NAME on 127.0.0.1:$port (stop with: $0 stop $DIR)"
    printf 'postgresql+psycopg://%s@127.0.0.1:%s/%s\n' "$DB_USER" "$port" "$DB_NAME"
}

main() {
    [[ $# -eq 2 && -n $2 ]] || usage
    local cmd=$1
    DIR=$(realpath -m -- "$2")
    [[ $DIR != / ]] || die "refusing to use / as the cluster directory"
    case $cmd in
        start) start_cluster ;;
        stop) stop_cluster ;;
        *) usage ;;
    esac
}

main "$@"
