# The machine's Postgres and RabbitMQ, and an SQS emulator, made reachable from pods at the gateway address, with
# credentials of the cluster's own (sourced by up.sh and down.sh). Idempotent; down.sh undoes what would linger.
#   Postgres  listen_addresses gains the gateway (ALTER SYSTEM; one restart the first time, kept afterwards: the address
#             goes away with the bridge and Postgres keeps serving loopback), pg_hba admits the cluster's role from the
#             pod network only, role + database qfn_cluster (dropped by down.sh)
#   RabbitMQ  already listens on every interface; guest is loopback-only, so a user and vhost qfn-cluster (management
#             and policymaker tags: KEDA reads the management API, provisioning sets queue policies) — deleted by
#             down.sh, queues included
#   fauxqs    the npm package's emulator, started here (it binds every interface)

credentials_file() { echo "$state/credentials.env"; }

make_credentials() {
  local file
  file="$(credentials_file)"
  [[ -s "$file" ]] && return 0
  umask 077
  {
    echo "POSTGRES_PASSWORD=$(openssl rand -hex 16)"
    echo "RABBITMQ_PASSWORD=$(openssl rand -hex 16)"
  } >"$file"
}

psql_admin() { PGOPTIONS='--client-min-messages=warning' psql -h 127.0.0.1 -U postgres -d postgres -v ON_ERROR_STOP=1 -Atq "$@"; }

postgres_version() { ls /etc/postgresql | sort -V | tail -n1; }

setup_postgres() {
  # shellcheck disable=SC1090
  source "$(credentials_file)"
  psql_admin -c 'select 1' >/dev/null || die "Postgres does not answer on 127.0.0.1:5432 (bash scripts/machine/services.sh postgres)"
  local version hba listen
  version="$(postgres_version)"
  hba="$(psql_admin -c 'show hba_file')"
  if ! grep -q "qfn-cluster" "$hba"; then
    echo "host all $postgres_user $pod_cidr scram-sha-256 # qfn-cluster: pods of the local test cluster" >>"$hba"
    psql_admin -c 'select pg_reload_conf()' >/dev/null
  fi
  listen="$(psql_admin -c 'show listen_addresses')"
  if [[ ",$listen," != *",$gateway,"* && "$listen" != "*" ]]; then
    log "Postgres: listen_addresses '$listen' + $gateway (restart, once)"
    psql_admin -c "alter system set listen_addresses = '$listen,$gateway'" >/dev/null
    pg_ctlcluster --skip-systemctl-redirect "$version" main restart -m fast
    wait_for "Postgres on $gateway" 30 pg_isready -h "$gateway" -p 5432 -q
  fi
  psql_admin <<EOF
do \$\$ begin
  if not exists (select from pg_roles where rolname = '$postgres_user') then
    create role $postgres_user login password '$POSTGRES_PASSWORD';
  else
    alter role $postgres_user login password '$POSTGRES_PASSWORD';
  end if;
end \$\$;
EOF
  psql_admin -c "select 1 from pg_database where datname = '$postgres_db'" | grep 1 >/dev/null ||
    psql_admin -c "create database $postgres_db owner $postgres_user"
}

teardown_postgres() {
  psql_admin -c 'select 1' >/dev/null 2>&1 || return 0
  psql_admin -c "drop database if exists $postgres_db with (force)" >/dev/null || true
  psql_admin -c "drop role if exists $postgres_user" >/dev/null || true
  local hba
  hba="$(psql_admin -c 'show hba_file')"
  if grep -q "qfn-cluster" "$hba"; then
    sed -i '/# qfn-cluster/d' "$hba"
    psql_admin -c 'select pg_reload_conf()' >/dev/null
  fi
}

rabbitmq_api() { # METHOD PATH [BODY]
  curl -fsS -u guest:guest -X "$1" -H 'content-type: application/json' ${3:+-d "$3"} "http://127.0.0.1:15672/api$2"
}

setup_rabbitmq() {
  # shellcheck disable=SC1090
  source "$(credentials_file)"
  rabbitmq_api GET /overview >/dev/null || die "RabbitMQ's management API does not answer on 127.0.0.1:15672 (bash scripts/machine/services.sh rabbitmq)"
  rabbitmq_api PUT "/vhosts/$rabbitmq_vhost" '{}' >/dev/null
  rabbitmq_api PUT "/users/$rabbitmq_user" "{\"password\":\"$RABBITMQ_PASSWORD\",\"tags\":\"management,policymaker\"}" >/dev/null
  rabbitmq_api PUT "/permissions/$rabbitmq_vhost/$rabbitmq_user" '{"configure":".*","write":".*","read":".*"}' >/dev/null
}

teardown_rabbitmq() {
  rabbitmq_api GET /overview >/dev/null 2>&1 || return 0
  rabbitmq_api DELETE "/vhosts/$rabbitmq_vhost" >/dev/null 2>&1 || true
  rabbitmq_api DELETE "/users/$rabbitmq_user" >/dev/null 2>&1 || true
}

start_fauxqs() {
  # FAUXQS_HOST names its queue URLs (http://sqs.<region>.localhost:<port>/<account>/<name>): identifiers only, the
  # clients send every request to SQS_ENDPOINT / awsEndpoint.
  start_process fauxqs env FAUXQS_PORT="$fauxqs_port" FAUXQS_HOST=localhost FAUXQS_LOGGER=false node "$repo_dir/node_modules/fauxqs/dist/cli.js"
  wait_for "fauxqs on $gateway:$fauxqs_port" 30 curl -s -o /dev/null "http://$gateway:$fauxqs_port/"
}

# The Secret values a release in the cluster uses (one line each: KEY=VALUE), for the test and the README's commands.
print_cluster_credentials() {
  # shellcheck disable=SC1090
  source "$(credentials_file)"
  echo "DATABASE_URL=postgres://$postgres_user:$POSTGRES_PASSWORD@$gateway:5432/$postgres_db"
  echo "AMQP_URL=amqp://$rabbitmq_user:$RABBITMQ_PASSWORD@$gateway:5672/$rabbitmq_vhost"
  echo "RABBITMQ_MANAGEMENT_URL=http://$rabbitmq_user:$RABBITMQ_PASSWORD@$gateway:15672"
  echo "SQS_ENDPOINT=http://$gateway:$fauxqs_port"
  echo "SQS_QUEUE_URL_BASE=http://sqs.us-east-1.localhost:$fauxqs_port/000000000000"
  echo "AWS_ACCESS_KEY_ID=qfn-cluster"
  echo "AWS_SECRET_ACCESS_KEY=qfn-cluster"
  echo "AWS_REGION=us-east-1"
}
