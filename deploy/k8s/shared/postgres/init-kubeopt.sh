#!/bin/sh
# Runs once, on an empty data directory (docker-entrypoint-initdb.d). One role and one database
# per service, because a service never reads another service's tables. The passwords come from
# the kubeopt-postgres Secret and must match the URLs in the kubeopt-<service>-db Secrets.
set -eu

create_service_database() {
    role="kubeopt_$1"
    psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" --dbname postgres \
        --set role="$role" --set password="$2" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"role" OWNER :"role";
REVOKE ALL ON DATABASE :"role" FROM PUBLIC;
SQL
}

create_service_database recommender "$RECOMMENDER_DB_PASSWORD"
create_service_database budgets "$BUDGETS_DB_PASSWORD"
create_service_database notifier "$NOTIFIER_DB_PASSWORD"
