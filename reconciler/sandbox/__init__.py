"""Embedded local AWS: moto plus a fidelity layer that behaves like the real services.

The server itself lives in `reconciler.sandbox.server` (it imports moto); this package
root only exposes the light pieces an out-of-process test needs.
"""

from reconciler.sandbox.control.client import SandboxControl, SandboxControlError
from reconciler.sandbox.control.faults import FaultRule
from reconciler.sandbox.control.knobs import Knobs
from reconciler.sandbox.control.recorder import RecordedCall

__all__ = ["FaultRule", "Knobs", "RecordedCall", "SandboxControl", "SandboxControlError"]
