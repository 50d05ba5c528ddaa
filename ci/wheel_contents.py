"""What the wheel holds: the package, its data on purpose (the local AWS's Node.js executor and
lock file, the example stacks and their code), and nothing else: no tests, no venv, no
installed node_modules but the example layer's own code, no caches."""

from __future__ import annotations

import sys
import zipfile

# node_modules inside the wheel only as the example layer's own code (what the layer deploys).
ON_PURPOSE = "reconciler/examples/layers/etl-shared/nodejs/node_modules/etl-shared/"
NEVER = ("tests/", "/test/", ".venv", "__pycache__", ".pyc", ".localstack", "emulators/")
NEEDED = (
    "reconciler/py.typed",
    "reconciler/sandbox/lambda_/node/bootstrap.mjs",
    "reconciler/sandbox/lambda_/node/package-lock.json",
    "reconciler/examples/desired_state/transactions.toml",
    "reconciler/examples/desired_state/etl.toml",
    "reconciler/examples/handlers/transactions/index.mjs",
)


def problems(names: list[str]) -> list[str]:
    found = [f"missing: {need}" for need in NEEDED if need not in names]
    for name in names:
        if any(part in name for part in NEVER):
            found.append(f"not for a wheel: {name}")
        elif "node_modules/" in name and not name.startswith(ON_PURPOSE):
            found.append(f"installed packages: {name}")
    return found


def main(wheel: str) -> int:
    names = zipfile.ZipFile(wheel).namelist()
    found = problems(names)
    for problem in found:
        print(f"error: {wheel}: {problem}", file=sys.stderr)
    if not found:
        print(f"{wheel}: {len(names)} files, none but the package and its data")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
