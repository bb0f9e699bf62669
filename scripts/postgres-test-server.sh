#!/usr/bin/env bash
# Start (or stop) a throwaway PostgreSQL server on 127.0.0.1 for the cluster store's tests (issue 19).
#   scripts/postgres-test-server.sh start   # prints the connection string to use as TANDEM_TEST_POSTGRES
#   scripts/postgres-test-server.sh stop
# Installs Debian's postgresql package when no server binary is found. The data lives in $PGTEST_DIR
# (default /tmp/tandem-pgtest) and is deleted by stop. Trust authentication on loopback only: a test server, not a
# deployment.
set -euo pipefail
DIR="${PGTEST_DIR:-/tmp/tandem-pgtest}"
PORT="${PGTEST_PORT:-55432}"
find_bin() {
  for d in /usr/local/bin /usr/lib/postgresql/*/bin; do
    [ -x "$d/pg_ctl" ] && [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  return 1
}
case "${1:-}" in
  start)
    BIN="$(find_bin || true)"
    if [ -z "$BIN" ]; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
      BIN="$(find_bin)"
    fi
    RUNAS=()
    [ "$(id -u)" = 0 ] && RUNAS=(runuser -u postgres --)  # PostgreSQL refuses to run as root
    if [ ! -f "$DIR/PG_VERSION" ]; then
      mkdir -p "$DIR"; [ "$(id -u)" = 0 ] && chown postgres "$DIR"
      "${RUNAS[@]}" "$BIN/initdb" -D "$DIR" -U tandem --auth=trust -E UTF8 >/dev/null
    fi
    # A server already running on this folder (an earlier start without a stop) is used as it is.
    if ! "${RUNAS[@]}" "$BIN/pg_ctl" -D "$DIR" status >/dev/null 2>&1; then
      "${RUNAS[@]}" "$BIN/pg_ctl" -D "$DIR" -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1" -l "$DIR/server.log" -w start >/dev/null
    fi
    echo "Host=127.0.0.1;Port=$PORT;Username=tandem;Database=postgres"
    ;;
  stop)
    BIN="$(find_bin)"
    RUNAS=()
    [ "$(id -u)" = 0 ] && RUNAS=(runuser -u postgres --)
    [ -f "$DIR/postmaster.pid" ] && "${RUNAS[@]}" "$BIN/pg_ctl" -D "$DIR" -m fast -w stop >/dev/null
    rm -rf "$DIR"
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
