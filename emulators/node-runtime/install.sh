#!/usr/bin/env bash
# Installs the AWS SDK for JavaScript v3 clients the local AWS gives the Node.js functions it
# runs (Lambda's managed Node.js runtimes include SDK v3, not v2). Versions are pinned by
# package-lock.json; npm's cache makes a second install on the same machine offline-fast.
set -euo pipefail
cd "$(dirname "$0")"
stamp=node_modules/.installed
if [[ -f "$stamp" && "$stamp" -nt package-lock.json ]]; then
  exit 0
fi
npm ci --omit=dev --no-audit --no-fund --ignore-scripts --loglevel=error
touch "$stamp"
