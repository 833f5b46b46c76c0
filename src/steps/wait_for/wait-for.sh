#!/bin/sh
# overhelm waitFor: exit 0 once the dependency is ready, so the app starts only then; exit 1
# at the timeout. POSIX sh. Reads only its env:
#   WAIT_CHECK    login: psql logs in (PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE), runs select 1
#                 ready: pg_isready, the server accepts connections (PGHOST PGPORT)
#                 tcp:   a TCP connection opens (WAIT_HOST WAIT_PORT), by nc -z, else bash
#   WAIT_TIMEOUT  seconds to wait in all
# Kubernetes expands a dollar sign followed by a variable name in parentheses, and a doubled
# dollar sign, in a command: this script has neither. It writes no file (no here-documents):
# the root filesystem is read-only.
set -u
me=$0
delay=2
check=${WAIT_CHECK:-}
timeout=${WAIT_TIMEOUT:-600}
PGCONNECT_TIMEOUT=${PGCONNECT_TIMEOUT:-5}
export PGCONNECT_TIMEOUT

has() { command -v "$1" >/dev/null 2>&1; }
fail() { echo "$me: $*" >&2; exit 2; }

case $check in
login)
  has psql || fail "psql is not in this image; set the waitFor image to a PostgreSQL image"
  what="a login as ${PGUSER:-} to database ${PGDATABASE:-${PGUSER:-}} at ${PGHOST:-}:${PGPORT:-5432}" ;;
ready)
  has pg_isready || fail "pg_isready is not in this image; set the waitFor image to a PostgreSQL image"
  # Any user name will do for a ping; without one libpq asks the passwd file, which may not
  # know the container's user id.
  PGUSER=${PGUSER:-postgres}
  export PGUSER
  what="PostgreSQL at ${PGHOST:-}:${PGPORT:-5432}" ;;
tcp)
  has nc || has bash || fail "this image has neither nc nor bash to open a TCP connection; set the waitFor image to one that has (busybox has nc)"
  what="a TCP connection to ${WAIT_HOST:-}:${WAIT_PORT:-}" ;;
*)
  fail "WAIT_CHECK is '$check'; it must be login, ready or tcp" ;;
esac

probe() {
  case $check in
  login) psql -X -w -q -A -t -c 'select 1' >/dev/null ;;
  ready) pg_isready ;;
  tcp)
    if has nc; then
      nc -z -w 5 "$WAIT_HOST" "$WAIT_PORT"
    elif has timeout; then
      timeout 5 bash -c ': <>"/dev/tcp/$1/$2"' "$me" "$WAIT_HOST" "$WAIT_PORT"
    else
      bash -c ': <>"/dev/tcp/$1/$2"' "$me" "$WAIT_HOST" "$WAIT_PORT"
    fi ;;
  esac
}

echo "$me: waiting up to ${timeout}s for $what"
start=$(date +%s)
attempt=0
while :; do
  attempt=$((attempt + 1))
  if out=$(probe 2>&1); then
    now=$(date +%s)
    echo "$me: $((now - start))s: ready after $attempt attempt(s) waiting for $what"
    exit 0
  fi
  out=$(printf '%s' "${out:-no answer}" | tr -s '\n\t' '  ')
  now=$(date +%s)
  elapsed=$((now - start))
  # Whole seconds: only past timeout+1 on this clock is the real time surely past the timeout.
  if [ "$elapsed" -gt "$timeout" ]; then
    echo "$me: ${elapsed}s: gave up after $attempt attempt(s) (timeout ${timeout}s) waiting for $what; last error: $out" >&2
    exit 1
  fi
  echo "$me: ${elapsed}s: attempt $attempt: not ready: $out"
  left=$((timeout + 1 - elapsed))
  if [ "$left" -lt "$delay" ]; then sleep "$left"; else sleep "$delay"; fi
done
