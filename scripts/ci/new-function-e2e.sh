#!/usr/bin/env bash
# What a new user does to add a function, in a throwaway git worktree of a commit (HEAD by default), with
# nothing else: npm install, `npm run new:function -- word-count --subscribes text.submitted` (the scaffold's
# handler writes a row to its own table), then checks that the result
#   1. passes `npm test` (pretest staleness check + typecheck + a subset of the suite: see TESTS below),
#   2. renders with the chart's default values (helm template) with word-count's Deployment and ScaledObject,
#   3. builds its image (docker/Dockerfile; stand-in base images when no registry is reachable) and the image
#      starts its bundle (a bad DATABASE_URL stops it with exit 78 naming the variable),
#   4. runs under `npm start`: events of type text.submitted are processed and land as rows in its table, the
#      console shows word-count and text.submitted in its catalog, and `npm run dlq -- list word-count` finds the
#      running npm start with no settings.
# Usage: bash scripts/ci/new-function-e2e.sh [--ref <commit>] [--full-test] [--keep] [--help]
#   --ref <commit>   what to check out (default HEAD; uncommitted work is never included)
#   --full-test      run the whole `npm test` in the copy instead of the subset (~25+ min on 2 cores)
#   --keep           leave the worktree (and the image) for inspection
# Needs what `npm test` needs: Postgres and RabbitMQ on loopback, a Docker Engine; Helm comes from
# scripts/helm/install.sh.
set -euo pipefail

usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; }
ref=HEAD full_test="" keep=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --ref) [[ $# -ge 2 ]] || { echo "--ref needs a commit" >&2; usage >&2; exit 2; }; ref="$2"; shift ;;
    --full-test) full_test=1 ;;
    --keep) keep=1 ;;
    *) echo "unknown option: $1" >&2; echo >&2; usage >&2; exit 2 ;;
  esac
  shift
done

# The scaffold's own test, the function's generated test, the command lines, the drift/manifest/chart
# suites (test/k8s: renders the chart with the new function on Helm 3 and 4, guards incl. the connection
# budget, KEDA schemas, deploy plan) and npm start with every function discovered. The rest of the suite
# does not read the function list (brokers, faults, telemetry, images of the built-in functions, console).
TESTS=(functions/word-count scripts/new-function.test.ts scripts/cli.test.ts test/k8s test/local/start.test.ts)

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="$(mktemp -d /tmp/qfn-new-function-e2e.XXXXXX)"
image="qfn-word-count:e2e-$$"
# Debian's CLI has BuildKit built in; a newer one elsewhere on PATH may lack the buildx plugin (as standins.sh picks).
docker="${DOCKER:-$( [[ -x /usr/bin/docker ]] && echo /usr/bin/docker || command -v docker )}"
started=$SECONDS
stage_started=$SECONDS
timings=()
stage() {
  if [[ ${#timings[@]} -gt 0 || -n "${current:-}" ]]; then timings+=("$current: $((SECONDS - stage_started)) s"); fi
  current="$1"
  stage_started=$SECONDS
  echo "== $1 (at $((SECONDS - started)) s)"
}
runner_pid=""
cleanup() {
  local code=$?
  if [[ -n "$runner_pid" ]] && kill -0 "$runner_pid" 2>/dev/null; then kill -TERM "$runner_pid"; wait "$runner_pid" 2>/dev/null || true; fi
  if [[ -z "$keep" ]]; then
    git -C "$repo" worktree remove --force "$work" 2>/dev/null || rm -rf "$work"
    "$docker" image rm -f "$image" >/dev/null 2>&1 || true
  else
    echo "kept: worktree $work, image $image"
  fi
  exit "$code"
}
trap cleanup EXIT

stage "worktree of $ref"
git -C "$repo" worktree add --detach "$work" "$ref" >/dev/null
cd "$work"
echo "$(git rev-parse --short HEAD) in $work"

stage "npm install (as the README's fresh machine does)"
npm install --prefer-offline --no-audit --no-fund --loglevel=error
stage "helm (scripts/helm/install.sh)"
bash scripts/helm/install.sh >/dev/null

stage "npm run new:function -- word-count --subscribes text.submitted"
npm run new:function -- word-count --subscribes text.submitted
test -f functions/word-count/src/schema.ts
ls migrations/sql/*_create_word_count.sql

stage "npm test"
if [[ -n "$full_test" ]]; then npm test; else npm test -- "${TESTS[@]}"; fi

stage "helm template with the default values"
helm="$work/.tools/helm4/helm"
"$helm" template qfn ./helm --set existingSecret=qfn-credentials --api-versions keda.sh/v1alpha1 >"$work/rendered.yaml"
node --input-type=module -e '
  import { readFileSync } from "node:fs";
  import { parseAllDocuments } from "yaml";
  const docs = parseAllDocuments(readFileSync(process.argv[1], "utf8")).map((d) => d.toJS()).filter(Boolean);
  const kinds = docs.filter((d) => d.metadata?.labels?.["qfn.dev/function"] === "word-count").map((d) => d.kind).sort();
  for (const kind of ["Deployment", "ScaledObject"]) if (!kinds.includes(kind)) { console.error(`no ${kind} for word-count; rendered: ${kinds.join(", ")}`); process.exit(1); }
  console.log(`word-count renders: ${kinds.join(", ")}`);
' "$work/rendered.yaml"

stage "image"
DOCKER="$docker" bash scripts/images/standins.sh
DOCKER_BUILDKIT=1 "$docker" build --network host -q -f docker/Dockerfile --build-arg FUNCTION=word-count -t "$image" .
set +e
out="$("$docker" run --rm --network host -e DATABASE_URL=not-a-url "$image" 2>&1)"
code=$?
set -e
echo "$out" | tail -2
if [[ $code -ne 78 ]] || ! grep -q DATABASE_URL <<<"$out"; then echo "the image did not start word-count's bundle as expected (exit $code)" >&2; exit 1; fi

stage "npm start: word-count processes text.submitted events into its table; npm run dlq finds the runner"
port="$(node -e 'const s=require("net").createServer().listen(0,()=>{console.log(s.address().port);s.close()})')"
status_port="$(node -e 'const s=require("net").createServer().listen(0,()=>{console.log(s.address().port);s.close()})')"
env -u AMQP_URL -u DATABASE_URL -u BROKER -u SQS_ENDPOINT \
  LOCAL_SCALING='{"*":{"pollingInterval":1}}' node --import tsx scripts/start.ts --plain --port "$port" --status-port "$status_port" >"$work/start.log" 2>&1 &
runner_pid=$!
for _ in $(seq 120); do grep -q '^\[local\] ready' "$work/start.log" && break; kill -0 "$runner_pid" || break; sleep 1; done
grep -q '^\[local\] ready' "$work/start.log" || { cat "$work/start.log"; echo "npm start did not become ready" >&2; exit 1; }
export PORT="$port"
npx tsx scripts/publish-load.ts --type text.submitted --data '{"text":"hello world"}' --count 20 --rate 0 --concurrency 5
processed=0
for _ in $(seq 60); do
  processed="$(curl -s "http://127.0.0.1:$status_port/_local/status" | node -e 'let t="";process.stdin.on("data",(c)=>t+=c).on("end",()=>console.log(JSON.parse(t).functions.find((f)=>f.name==="word-count")?.processed??0))')"
  [[ "$processed" == 20 ]] && break
  sleep 1
done
[[ "$processed" == 20 ]] || { tail -40 "$work/start.log"; echo "word-count processed $processed of 20" >&2; exit 1; }
rows="$(node --input-type=module -e '
  import { readFileSync } from "node:fs";
  import postgres from "postgres";
  const { env } = JSON.parse(readFileSync(process.argv[1], "utf8"));
  const sql = postgres(env.DATABASE_URL, { max: 1, onnotice: () => {} });
  const [{ count }] = await sql`select count(*)::int as count from word_count`;
  await sql.end();
  console.log(count);
' "node_modules/.cache/qfn-local/endpoints-$port.json")"
echo "word_count rows: $rows"
[[ "$rows" == 20 ]] || { echo "expected 20 rows in word_count" >&2; exit 1; }
# The console (served by npm start, behind the admin token it wrote to its endpoints file) shows word-count,
# its 20 processed events and its event type in the catalog.
node --input-type=module -e '
  import { readFileSync } from "node:fs";
  const { adminToken, statusUrl, publishUrl } = JSON.parse(readFileSync(process.argv[1], "utf8"));
  const origin = new URL(statusUrl).origin;
  const refused = await fetch(`${origin}/console/api/snapshot`);
  if (refused.status !== 401) { console.error(`console data without the token: HTTP ${refused.status}`); process.exit(1); }
  const snapshot = await (await fetch(`${origin}/console/api/snapshot`, { headers: { authorization: `Bearer ${adminToken}` } })).json();
  if (!snapshot.functions.some((fn) => fn.name === "word-count")) { console.error(`console functions: ${snapshot.functions.map((fn) => fn.name).join(", ")}`); process.exit(1); }
  const page = await fetch(`${origin}/console/`);
  if (!page.ok || !(await page.text()).includes("qfn console")) { console.error(`console page: HTTP ${page.status}`); process.exit(1); }
  const catalog = await (await fetch(`${origin}/events`)).json();
  const entry = catalog.events["text.submitted"];
  if (!entry?.subscribers.includes("word-count")) { console.error(`console catalog: text.submitted ${JSON.stringify(entry)}`); process.exit(1); }
  console.log(`console: word-count listed among ${snapshot.functions.length} functions; text.submitted in the catalog → ${entry.subscribers.join(", ")}`);
' "node_modules/.cache/qfn-local/endpoints-$port.json"
dlq="$(env -u AMQP_URL -u BROKER -u SQS_ENDPOINT npm run --silent dlq -- list word-count 2>&1)"
echo "$dlq"
grep -q '^word-count: 0 dead letters' <<<"$dlq" || { echo "npm run dlq did not list word-count" >&2; exit 1; }
# SIGTERM (a background job of a non-interactive shell ignores SIGINT): the runner drains and exits 0.
kill -TERM "$runner_pid"
wait "$runner_pid" || { tail -20 "$work/start.log"; echo "npm start did not stop cleanly" >&2; exit 1; }
runner_pid=""

stage "done"
printf '  %s\n' "${timings[@]}"
echo "new-function e2e: passed in $((SECONDS - started)) s"
