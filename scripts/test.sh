#!/usr/bin/env bash
# `npm test`: runs the whole vitest suite against real MariaDB and S3 (radosgw).
#
# If CALLWARDEN_TEST_MYSQL_URL and CALLWARDEN_TEST_S3_ENDPOINT are both set,
# those servers are used as they are (with the other CALLWARDEN_TEST_S3_*
# variables from the environment). Otherwise throwaway services are started
# with scripts/test-services.sh and stopped again when this script exits,
# whether the tests pass, fail or are interrupted.
#
# Arguments are passed to `vitest run`, e.g. `npm test -- test/masking`.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ ! -d node_modules ]]; then
  if [[ -f package-lock.json ]]; then npm ci; else npm install; fi
fi

services_started=0
vitest_pid=""
# shellcheck disable=SC2317 # called from traps
cleanup() {
  # Runs once, from whichever of EXIT/INT/TERM fires first.
  trap - EXIT INT TERM
  # On a signal, end the test run (its whole process group: npx does not
  # pass signals on to vitest, nor vitest to its workers) before pulling the
  # servers from under it.
  if [[ -n "$vitest_pid" ]] && kill -0 -- "-$vitest_pid" 2>/dev/null; then
    kill -TERM -- "-$vitest_pid" 2>/dev/null || true
    local i
    for ((i = 0; i < 100; i++)); do
      kill -0 -- "-$vitest_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL -- "-$vitest_pid" 2>/dev/null || true
    wait "$vitest_pid" 2>/dev/null || true
  fi
  if ((services_started)); then
    bash scripts/test-services.sh stop || echo "test.sh: stopping test services failed" >&2
  fi
}

trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM

if [[ -n "${CALLWARDEN_TEST_MYSQL_URL:-}" && -n "${CALLWARDEN_TEST_S3_ENDPOINT:-}" ]]; then
  echo "Using test services from the environment"
else
  # Set before starting: an interrupt during start must still stop what was
  # already started.
  services_started=1
  bash scripts/test-services.sh start
  services_env="$(bash scripts/test-services.sh env)"
  eval "$services_env"
fi

# Never print the password: show only host:port/database of the MySQL URL.
mysql_where="${CALLWARDEN_TEST_MYSQL_URL#*://}"
mysql_where="${mysql_where#*@}"
echo "MariaDB ${CALLWARDEN_TEST_MYSQL_VERSION:-(version not given)} at ${mysql_where}"
echo "S3 (radosgw) at ${CALLWARDEN_TEST_S3_ENDPOINT}, buckets:" \
  "${CALLWARDEN_TEST_S3_BUCKET:-?} ${CALLWARDEN_TEST_S3_BUCKET_VERSIONED:-?} ${CALLWARDEN_TEST_S3_BUCKET_LOCKED:-?}"

# In the background plus `wait` because bash defers traps until a foreground
# child exits: a SIGTERM (e.g. a CI timeout) must stop a hung run too. setsid
# gives the run its own process group, so cleanup can end all of it.
rc=0
setsid npx vitest run "$@" &
vitest_pid=$!
wait "$vitest_pid" || rc=$?
vitest_pid=""
exit "$rc"
