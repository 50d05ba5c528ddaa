#!/usr/bin/env bash
# The package as a user gets it: builds the sdist and the wheel, checks them as a registry
# would (twine's check, and what the wheel holds), installs the wheel into a fresh venv outside
# the checkout, and there, with HOME and the runtime cache in an empty folder so that nothing
# of the clone is reused: the local AWS, `reconcile init`, apply of both stacks (the smoke
# invoke passes), a converged plan with zero writes, destroy.
#
#   ci/package.sh            (after `make test`; bootstraps .venv otherwise)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PYTHON=${PYTHON:-python3}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/reconcile-package.XXXXXX")
SANDBOX_PID=
SUFFIX=pkg1

log() { printf '\n== %s\n' "$*"; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}
cleanup() {
  [ -n "$SANDBOX_PID" ] && kill "$SANDBOX_PID" 2>/dev/null && wait "$SANDBOX_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

[ -x .venv/bin/python ] || make .venv/.installed
.venv/bin/python -m pip install -q --disable-pip-version-check build twine

log "build the sdist and the wheel"
.venv/bin/python -m build --outdir "$WORK/dist" . >"$WORK/build.log" 2>&1 ||
  { tail -20 "$WORK/build.log"; die "the build failed"; }
.venv/bin/python -m twine check --strict "$WORK"/dist/*
.venv/bin/python ci/wheel_contents.py "$WORK"/dist/*.whl
WHEEL=$(ls "$WORK"/dist/*.whl)

log "install the wheel into a fresh venv in $WORK, outside the checkout"
"$PYTHON" -m venv "$WORK/venv"
"$WORK/venv/bin/python" -m pip install -q --disable-pip-version-check "$WHEEL[sandbox]"
BIN=$WORK/venv/bin

mkdir -p "$WORK/home" "$WORK/run"
cd "$WORK/run"
export HOME=$WORK/home
unset RECONCILE_RUNTIME_CACHE XDG_CACHE_HOME RECONCILE_DESIRED_DIR RECONCILE_SUFFIX
# Nothing of the checkout is importable from here.
"$BIN/python" -c "import reconciler, sys; sys.exit(reconciler.__file__.startswith('$ROOT'))" ||
  die "the installed package imports from the checkout"

log "reconcile --version matches the package's metadata"
said=$("$BIN/reconcile" --version)
want="reconcile $("$BIN/python" -c 'import importlib.metadata as m; print(m.version("lambda-reconciler"))')"
[ "$said" = "$want" ] || die "--version says '$said', the metadata '$want'"
echo "$said"

log "the local AWS, from the installed package (its Node.js SDK installed into the empty cache)"
"$BIN/python" -m reconciler.sandbox --port 0 --iam-propagation-seconds 0.2 \
  >"$WORK/sandbox.out" 2>"$WORK/sandbox.err" &
SANDBOX_PID=$!
for _ in $(seq 1 600); do
  grep -q "sandbox listening on" "$WORK/sandbox.out" 2>/dev/null && break
  kill -0 "$SANDBOX_PID" 2>/dev/null || { cat "$WORK/sandbox.err"; die "the local AWS did not start"; }
  sleep 0.1
done
URL=$(sed -n 's/^sandbox listening on //p' "$WORK/sandbox.out")
[ -n "$URL" ] || die "the local AWS never said where it listens"
cat "$WORK/sandbox.err"
grep -q "installing the Node.js runtime's AWS SDK" "$WORK/sandbox.err" ||
  die "the first start on an empty HOME did not install the runtime's SDK"

export AWS_ENDPOINT_URL=$URL AWS_ACCESS_KEY_ID=package AWS_SECRET_ACCESS_KEY=testing
export AWS_DEFAULT_REGION=us-east-1
export TRANSACTIONS_DATABASE_URL="postgres://ledger:pkg-secret@db.internal:5432/ledger"
export TRANSACTIONS_API_KEY="ak_test_package_0001"

log "reconcile init, then apply both stacks"
"$BIN/reconcile" init stacks
"$BIN/reconcile" apply --desired-dir stacks --suffix "$SUFFIX" --log-level warning ||
  die "apply of both stacks from the installed package failed"

log "a converged plan makes no write"
code=0
"$BIN/reconcile" plan --desired-dir stacks --suffix "$SUFFIX" --output json >plan.json || code=$?
[ "$code" = 0 ] || die "the plan after apply exits $code, not 0"
"$BIN/python" - <<'PY'
import json, sys
report = json.load(open("plan.json"))
calls = report["api_calls"]
print(f"converged plan: {calls['reads']} reads, {calls['writes']} writes")
sys.exit(calls["writes"] != 0 or report["plan"]["resources"] != [])
PY

log "destroy"
"$BIN/reconcile" destroy --desired-dir stacks --suffix "$SUFFIX" --yes --log-level warning
left=$("$BIN/python" - <<'PY'
import boto3
lam = boto3.client("lambda")
print(sum(1 for f in lam.list_functions()["Functions"] if f["FunctionName"].endswith("-pkg1")))
PY
)
[ "$left" = 0 ] || die "$left functions of suffix $SUFFIX left after destroy"

for secret in "$TRANSACTIONS_DATABASE_URL" "$TRANSACTIONS_API_KEY"; do
  ! grep -rqF "$secret" "$WORK/run" "$WORK/sandbox.out" || die "a secret reached a file"
done
log "the installed package works: build, check, install, local AWS, init, apply, plan, destroy"
