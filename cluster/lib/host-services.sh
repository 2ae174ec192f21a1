# The machine's Postgres and RabbitMQ, and an SQS emulator, made reachable from pods at the gateway address, with
# credentials of the cluster's own (sourced by up.sh and down.sh). Idempotent; down.sh undoes what would linger.
#   Postgres  never restarted (it is the machine's, others use it): pods' connections to the gateway's 5432 are DNATed
#             to 127.0.0.1:5432 (route_localnet on the bridge; the pod's address stays the source, so pg_hba and
#             pg_stat_activity see it), pg_hba admits the cluster's role from the pod network only, role + database
#             qfn_cluster (dropped by down.sh)
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

setup_postgres() {
  # shellcheck disable=SC1090
  source "$(credentials_file)"
  psql_admin -c 'select 1' >/dev/null || die "Postgres does not answer on 127.0.0.1:5432 (bash scripts/machine/services.sh postgres)"
  local hba
  hba="$(psql_admin -c 'show hba_file')"
  if ! grep -q "qfn-cluster" "$hba"; then
    echo "host all $postgres_user $pod_cidr scram-sha-256 # qfn-cluster: pods of the local test cluster" >>"$hba"
    psql_admin -c 'select pg_reload_conf()' >/dev/null
  fi
  # A listen address on the gateway would need a restart, and would be lost by any restart while the bridge is down
  # (seen: ECONNREFUSED from the migrate hook). Loopback is always there: lead the pods' connections to it.
  sysctl -qw "net.ipv4.conf.$bridge.route_localnet=1"
  iptables -t nat -N "$postgres_chain" 2>/dev/null || iptables -t nat -F "$postgres_chain"
  iptables -t nat -A "$postgres_chain" -i "$bridge" -s "$pod_cidr" -d "$gateway" -p tcp --dport 5432 -j DNAT --to-destination 127.0.0.1:5432
  iptables -t nat -C PREROUTING -j "$postgres_chain" 2>/dev/null || iptables -t nat -I PREROUTING 1 -j "$postgres_chain"
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
  if iptables -t nat -L "$postgres_chain" -n >/dev/null 2>&1; then
    iptables -t nat -D PREROUTING -j "$postgres_chain" 2>/dev/null || true
    iptables -t nat -F "$postgres_chain" && iptables -t nat -X "$postgres_chain"
  fi
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
