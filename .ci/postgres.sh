#!/usr/bin/env bash
# CI: PostgreSQL server binaries for tests/sql/test_postgres.py (the postgres
# dialect against a real server). Idempotent: installs Debian's `postgresql`
# only when no initdb is found. The tests start their own cluster in a temp
# dir on 127.0.0.1 (tests/sql/postgres_server.py); no system service is used.
set -euo pipefail
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  if ! (apt-get update -qq && apt-get install -y -qq --no-install-recommends postgresql) >/tmp/ci-postgres.log 2>&1; then
    echo "ci: postgresql could not be installed (see /tmp/ci-postgres.log); the postgres tests skip"
  fi
else
  echo "ci: no PostgreSQL binaries and no root apt-get; the postgres tests skip"
fi
