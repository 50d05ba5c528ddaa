#!/usr/bin/env bash
# Run LocalStack (installed by install.sh) in the foreground on 127.0.0.1:${LOCALSTACK_PORT:-4566},
# its state under $LOCALSTACK_HOME/state. Its account is 000000000000; any access key works.
# X-Ray is not in LocalStack's free tier: point AWS_ENDPOINT_URL_XRAY at the local AWS.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
home="${LOCALSTACK_HOME:-$(cd "$here/../.." && pwd)/.localstack}"
"$here/install.sh"
state="$home/state"
mkdir -p "$state/tmp" "$state/volume"
export GATEWAY_LISTEN="127.0.0.1:${LOCALSTACK_PORT:-4566}"
export SERVICES="lambda,iam,sqs,logs,cloudwatch,dynamodb,sts"
export DISABLE_EVENTS=1 LOCALSTACK_TELEMETRY_DISABLED=1
export FILESYSTEM_ROOT="$state" TMPDIR="$state/tmp" LOCALSTACK_VOLUME_DIR="$state/volume"
# This machine may look like a container (/.dockerenv): keep LocalStack's files in $state.
export OVERRIDE_IN_DOCKER=0
# Node.js functions run in a child process with the project's runtime (no container).
export LAMBDA_RUNTIME_EXECUTOR=node
# The local AWS's own executor and SDK, installed into the user's cache once (the same code
# path as `make sandbox`); it prints the two paths to export.
eval "$("${RECONCILE_PYTHON:-$here/../../.venv/bin/python}" -m reconciler.sandbox.lambda_.node_sdk --exports)"
export JAVA_TOOL_OPTIONS="-Djava.io.tmpdir=$state/tmp -XX:-UsePerfData"
exec "$home/venv/bin/python" -m localstack.runtime.main
