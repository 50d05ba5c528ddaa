"""The local AWS's Node.js runtime: the executor that ships in the package (`node/`), and the
AWS SDK for JavaScript v3 clients a Lambda Node.js runtime provides, installed from the
package's lock file into a per-user cache on the first start on a machine and checked against
that lock file on every later one.

Where: `$RECONCILE_RUNTIME_CACHE`, else `$XDG_CACHE_HOME/lambda-reconciler`, else
`~/.cache/lambda-reconciler`; one folder per lock file, so a new release installs beside an
old one and never mixes the two.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

PACKAGED = Path(__file__).resolve().parent / "node"
BOOTSTRAP = PACKAGED / "bootstrap.mjs"
LOCK_FILE = PACKAGED / "package-lock.json"
VARIABLE = "RECONCILE_RUNTIME_CACHE"
# The Node.js majors the executor runs on (Lambda's managed runtimes are 18 to 24).
NODE_MAJORS = range(18, 25)
STAMP = ".lambda-reconciler-lock"
NPM_CI = ("ci", "--omit=dev", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error")


class RuntimeMissing(RuntimeError):
    """Node.js, npm or the runtime's SDK packages are not there: what is missing, and how to
    get it, in one line."""


@dataclass(frozen=True)
class Installed:
    """A runtime ready to run handlers: its SDK's node_modules, and how it came to be."""

    modules: Path
    installed_now: bool
    seconds: float


def cache_root(environ: Mapping[str, str]) -> Path:
    if environ.get(VARIABLE):
        return Path(environ[VARIABLE])
    base = environ.get("XDG_CACHE_HOME") or str(Path(environ.get("HOME", "~")) / ".cache")
    return Path(base).expanduser() / "lambda-reconciler"


def lock_digest(lock: Path = LOCK_FILE) -> str:
    return hashlib.sha256(lock.read_bytes()).hexdigest()[:16]


def folder_for(environ: Mapping[str, str], lock: Path = LOCK_FILE) -> Path:
    return cache_root(environ) / f"node-runtime-{lock_digest(lock)}"


def node_problem(which: Callable[[str], str | None] = shutil.which) -> str | None:
    """Why handlers cannot run here (no Node.js, or one outside the range), else None."""
    node = which("node")
    if node is None:
        return (
            "Node.js is not on PATH: the local AWS runs Lambda functions with it (install "
            f"Node.js {NODE_MAJORS[0]} to {NODE_MAJORS[-1]}, e.g. from nodejs.org or your "
            "package manager); everything but Invoke is served"
        )
    version = subprocess.run(
        [node, "--version"], capture_output=True, text=True, check=False, timeout=30
    ).stdout.strip()
    found = re.match(r"^v(\d+)\.", version)
    if found is None or int(found.group(1)) not in NODE_MAJORS:
        return (
            f"Node.js {version or '(unknown version)'} is on PATH; the local AWS runs Lambda "
            f"functions with Node.js {NODE_MAJORS[0]} to {NODE_MAJORS[-1]}; everything but "
            "Invoke is served"
        )
    return None


def sound(folder: Path, lock: Path = LOCK_FILE) -> bool:
    """The folder holds exactly what the lock file pins: its stamp names this lock, and every
    package the lock lists is there at the locked version."""
    stamp = folder / STAMP
    if not stamp.is_file() or stamp.read_text().strip() != lock_digest(lock):
        return False
    packages = json.loads(lock.read_text()).get("packages", {})
    for path, entry in packages.items():
        if not path.startswith("node_modules/"):
            continue
        manifest = folder / path / "package.json"
        try:
            version = json.loads(manifest.read_text()).get("version")
        except (OSError, ValueError):
            return False
        if version != entry.get("version"):
            return False
    return True


def say(line: str) -> None:
    """A line for the person who started the local AWS (stderr: stdout is its URL)."""
    print(line, file=sys.stderr, flush=True)


def ensure(
    environ: Mapping[str, str] = os.environ,
    say: Callable[[str], None] = say,
    lock: Path = LOCK_FILE,
) -> Installed:
    """The runtime's SDK, installed once per machine and lock file; a folder that does not
    match its lock file (a crash mid-install, files removed) is installed again."""
    folder = folder_for(environ, lock)
    if sound(folder, lock):
        return Installed(folder / "node_modules", False, 0.0)
    folder.parent.mkdir(parents=True, exist_ok=True)
    # Two local AWSs starting at once (test workers) install once: the second waits, then
    # finds it sound.
    with (folder.parent / f"{folder.name}.lock").open("w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)
        if sound(folder, lock):
            return Installed(folder / "node_modules", False, 0.0)
        started = time.monotonic()
        say(f"local AWS: installing the Node.js runtime's AWS SDK into {folder} (once) ...")
        _install(folder, lock)
        seconds = round(time.monotonic() - started, 1)
        say(f"local AWS: Node.js runtime's AWS SDK installed in {seconds:.1f} s")
    return Installed(folder / "node_modules", True, seconds)


def _install(folder: Path, lock: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeMissing(
            "npm is not on PATH: the local AWS installs its Node.js runtime's AWS SDK with it "
            "once per machine (it comes with Node.js)"
        )
    work = Path(tempfile.mkdtemp(prefix=f"{folder.name}.", dir=folder.parent))
    try:
        shutil.copy(lock.with_name("package.json"), work / "package.json")
        shutil.copy(lock, work / "package-lock.json")
        done = subprocess.run(
            [npm, *NPM_CI], cwd=work, capture_output=True, text=True, check=False, timeout=900
        )
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
            raise RuntimeMissing(f"npm ci of the Node.js runtime's AWS SDK failed: {last}")
        (work / STAMP).write_text(lock_digest(lock) + "\n")
        if folder.exists():
            shutil.rmtree(folder)
        work.rename(folder)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str]) -> int:
    """`python -m reconciler.sandbox.lambda_.node_sdk [--exports]`: install now (make, the
    image, LocalStack's start); `--exports` prints the executor's and the SDK's paths as shell
    variables for LocalStack's executor."""
    problem = node_problem()
    if problem is not None:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    try:
        found = ensure()
    except RuntimeMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if argv == ["--exports"]:
        print(f"export LAMBDA_NODE_BOOTSTRAP={shlex.quote(str(BOOTSTRAP))}")
        print(f"export LAMBDA_NODE_MODULES={shlex.quote(str(found.modules))}")
    elif not found.installed_now:
        say(f"local AWS: Node.js runtime's AWS SDK already installed in {found.modules.parent}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
