#!/usr/bin/env bash
# Install what the tests need on a Debian machine (packages only where missing), start PostgreSQL,
# and run the whole suite: lint, then every test on SQLite and on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi

# -- Debian packages -------------------------------------------------------------------------
PACKAGES=(slapd ldap-utils postgresql chromium poppler-utils fonts-dejavu-core)
python3 -c "import ensurepip, venv" 2>/dev/null || PACKAGES+=(python3-venv)
MISSING=()
for package in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || MISSING+=("$package")
done
if [ "${#MISSING[@]}" -gt 0 ]; then
  echo "installing ${MISSING[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${MISSING[@]}" >/dev/null
fi

# -- Python environment ----------------------------------------------------------------------
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then "$PYTHON" -m venv .venv; fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'

# -- PostgreSQL ------------------------------------------------------------------------------
PG_VERSION="$(pg_lsclusters -h | awk 'NR==1 {print $1}')"
PG_CLUSTER="$(pg_lsclusters -h | awk 'NR==1 {print $2}')"
if [ -z "$PG_VERSION" ]; then
  $SUDO pg_createcluster 15 main >/dev/null
  PG_VERSION=15; PG_CLUSTER=main
fi
pg_lsclusters -h | awk 'NR==1 {print $4}' | grep -q online || $SUDO pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" start
as_postgres() { if [ "$(id -u)" = "0" ]; then su postgres -c "$1"; else sudo -u postgres sh -c "$1"; fi; }
as_postgres "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='screening'\"" | grep -q 1 \
  || as_postgres "psql -qc \"CREATE ROLE screening LOGIN PASSWORD 'screening' CREATEDB\""
as_postgres "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname='screening_test'\"" | grep -q 1 \
  || as_postgres "psql -qc \"CREATE DATABASE screening_test OWNER screening\""

# -- lint and tests --------------------------------------------------------------------------
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy                      # strict on workflows/ (pyproject [tool.mypy])
# The two backends' runs go side by side, one per core (each has its own database, ports and folders):
# the suite takes the time of the longer run, not of both. Each run's output is shown when it ends.
mkdir -p test-artifacts/sqlite test-artifacts/postgresql
run_suite() {  # backend, extra pytest arguments...
  local backend="$1"; shift
  # --durations: the slowest tests of each run at the end of its log, to keep the suite in its 20 minutes
  SCREENING_TEST_ARTIFACTS="test-artifacts/$backend" .venv/bin/python -m pytest --db "$backend" -q --durations=30 "$@" \
    > "test-artifacts/$backend.log" 2>&1
}
echo "== tests on SQLite and on PostgreSQL, side by side (logs in test-artifacts/)"
run_suite sqlite & SQLITE_RUN=$!
run_suite postgresql -m "not nodb" & POSTGRES_RUN=$!
SQLITE_RC=0; POSTGRES_RC=0
wait "$SQLITE_RUN" || SQLITE_RC=$?
echo "== tests on SQLite (exit $SQLITE_RC)"; cat test-artifacts/sqlite.log
wait "$POSTGRES_RUN" || POSTGRES_RC=$?
echo "== tests on PostgreSQL (exit $POSTGRES_RC)"; cat test-artifacts/postgresql.log
[ "$SQLITE_RC" = 0 ] && [ "$POSTGRES_RC" = 0 ]
