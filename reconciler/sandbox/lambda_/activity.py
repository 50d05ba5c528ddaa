"""What a function is doing now, as the control API reports it (no moto needed to read it)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Activity:
    """What one function is doing now: invocations running, and Event invocations accepted
    but not yet finished (running, waiting for a retry, or throttled and waiting to re-run)."""

    account: str
    region: str
    function: str
    running: int
    queued: int

    def to_json(self) -> dict[str, object]:
        return {
            "account": self.account,
            "region": self.region,
            "function": self.function,
            "running": self.running,
            "queued": self.queued,
        }

    @classmethod
    def from_json(cls, raw: dict[str, object]) -> Activity:
        return cls(
            account=str(raw["account"]),
            region=str(raw["region"]),
            function=str(raw["function"]),
            running=int(str(raw["running"])),
            queued=int(str(raw["queued"])),
        )

    @property
    def idle(self) -> bool:
        return self.running == 0 and self.queued == 0
