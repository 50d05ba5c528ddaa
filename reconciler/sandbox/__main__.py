"""`python -m reconciler.sandbox`: run the sandbox in the foreground until SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from reconciler.sandbox.control.knobs import Knobs, knob_help, knob_types
from reconciler.sandbox.server import Sandbox


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m reconciler.sandbox",
        description="The local AWS: moto in server mode with the fidelity layer; runs until "
        "SIGTERM or SIGINT. Each knob below can also be changed while it runs "
        "(POST /_sandbox/config; docs/local-aws.md).",
    )
    parser.add_argument(
        "--port", type=int, default=4566, help="port to listen on (default 4566; 0: a free one)"
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    defaults, says = Knobs(), knob_help()
    for name, kind in knob_types().items():
        parser.add_argument(
            f"--{name.replace('_', '-')}",
            dest=name,
            type=kind,
            default=None,
            metavar=kind.__name__.upper(),
            help=f"{says[name]} (default {getattr(defaults, name)!r})",
        )
    return parser.parse_args(argv)


def knobs_from(args: argparse.Namespace) -> Knobs:
    given = {name: getattr(args, name) for name in knob_types() if getattr(args, name) is not None}
    return Knobs().replaced(given)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    with Sandbox(port=args.port, host=args.host, knobs=knobs_from(args)) as sandbox:
        print(f"sandbox listening on {sandbox.url}", flush=True)
        # A bounded wait keeps the main thread returning to the interpreter, where the
        # signal handlers run.
        while not stop.wait(0.2):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
