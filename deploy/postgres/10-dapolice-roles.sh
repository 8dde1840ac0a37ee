#!/bin/sh
# Creates the two database roles of dapolice. The postgres image runs this once, when it
# initialises an empty data directory (docker-entrypoint-initdb.d), as POSTGRES_USER on
# POSTGRES_DB; tests/dapolice/test_deploy.py runs it against a scratch database.
#
#   DAPOLICE_DB_OWNER (dapolice_owner): owns the database, its schema and every table; used only
#       by compose's one-shot `migrate` service (migrate, then db_grant_runtime_role).
#   DAPOLICE_DB_APP (dapolice_app): what web, worker and beat connect as; may connect and nothing
#       else until `manage.py db_grant_runtime_role` grants it the tables (the audit trail
#       append-only). It owns nothing, so it cannot alter, truncate or disable a trigger.
set -eu
: "${POSTGRES_USER:?}" "${POSTGRES_DB:?}"
: "${DAPOLICE_DB_OWNER_PASSWORD:?set DAPOLICE_DB_OWNER_PASSWORD in .env}"
: "${DAPOLICE_DB_APP_PASSWORD:?set DAPOLICE_DB_APP_PASSWORD in .env}"

psql --no-psqlrc -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v db="$POSTGRES_DB" \
  -v owner="${DAPOLICE_DB_OWNER:-dapolice_owner}" \
  -v owner_password="$DAPOLICE_DB_OWNER_PASSWORD" \
  -v app="${DAPOLICE_DB_APP:-dapolice_app}" \
  -v app_password="$DAPOLICE_DB_APP_PASSWORD" <<'SQL'
CREATE ROLE :"owner" LOGIN PASSWORD :'owner_password';
CREATE ROLE :"app" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD :'app_password';
ALTER DATABASE :"db" OWNER TO :"owner";
ALTER SCHEMA public OWNER TO :"owner";
-- Nobody else connects or creates anything (PostgreSQL before 15 let every role create in public).
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT CONNECT ON DATABASE :"db" TO :"app";
GRANT USAGE ON SCHEMA public TO :"app";
SQL
