"""The fleet scenario's targets and its section of BENCHMARKS.md."""

from __future__ import annotations

import os

from bench.fleet import LISTINGS, FleetBench
from bench.markdown import Verdict, table

READ_SHARE = 0.6
WALL_SLACK = 1.3
PREFIX = "Fleet:"


def fleet_verdicts(fb: FleetBench | None) -> list[Verdict]:
    targets = [
        f"{PREFIX} listings once per account-region per cycle",
        f"{PREFIX} reads per converged target <= {READ_SHARE:.0%} of a separate run's",
        f"{PREFIX} converged plan <= {WALL_SLACK}x quota-bound minimum of the busiest "
        "account-region",
        f"{PREFIX} no throttling error reaching the user",
    ]
    if fb is None:
        return [Verdict(t, "-", None) for t in targets]
    most = fb.listings_per_group()
    share = fb.reads_per_target() / fb.separate_reads()
    bound = fb.bound()
    ratio = fb.plan.wall_s / bound.seconds
    errors = fb.errors_reaching_user()
    return [
        Verdict(targets[0], f"at most {most} call per listing per account-region", most == 1),
        Verdict(
            targets[1],
            f"{fb.reads_per_target():.1f} vs {fb.separate_reads():.1f} reads = {share:.0%}",
            share <= READ_SHARE,
        ),
        Verdict(
            targets[2],
            f"{fb.plan.wall_s:.1f} s vs minimum {bound.seconds:.1f} s ({bound.bucket}) "
            f"= {ratio:.2f}x; {fb.plan_at_zero.wall_s:.1f} s with no added latency",
            ratio <= WALL_SLACK,
        ),
        Verdict(
            targets[3],
            f"{errors} error(s), exit {fb.quota_plan.code}; {fb.throttled} throttled answers",
            errors == 0 and fb.quota_plan.code == 0,
        ),
    ]


def fleet_section(fb: FleetBench | None) -> list[str]:
    if fb is None:
        return []
    count = len(fb.targets)
    lines = [
        "## Fleet",
        "",
        f"{fb.accounts} accounts (the caller's and two through AssumeRole) x {fb.regions} "
        f"regions x {fb.suffixes} suffixes of the ETL stack = {count} targets, from one fleet "
        "file; converged `plan --fleet` against a separate `plan --suffix` of one of its "
        "targets (the same account-region, holding the same resources). The quota-bound "
        "minimum is that of the busiest account-region: its targets' calls over the slowest "
        "bucket's rate. `under quotas` is the same fleet plan through the quota proxy, each "
        "account-region with buckets of its own, as AWS keeps them.",
        "",
    ]
    lines += table(
        ["target", "measured", ""], [[v.target, v.measured, v.mark] for v in fleet_verdicts(fb)]
    )
    lines += ["", *table(["run", "targets", "calls", "reads", "writes", "wall s"], _rows(fb)), ""]
    separate = sum(r.wall_s for r in fb.separate) / max(1, len(fb.separate))
    bound = fb.bound()
    floor = (fb.cpu_cli_s + fb.cpu_local_aws_s) / (os.cpu_count() or 1)
    lines += [
        f"{count} separate runs one after another would take about {count * separate:.0f} s "
        f"({separate:.1f} s each) and {count * fb.separate_reads():.0f} reads; the fleet took "
        f"{fb.plan.wall_s:.1f} s and {fb.reads_per_target() * count:.0f}. With no added "
        f"latency the fleet plan still takes {fb.plan_at_zero.wall_s:.1f} s, in which the CLI "
        f"used {fb.cpu_cli_s:.1f} s of CPU and the local AWS {fb.cpu_local_aws_s:.1f} s "
        f"answering its {fb.reads_per_target() * count:.0f} calls. Spread perfectly over this "
        f"machine's {os.cpu_count()} CPUs, that CPU time alone takes {floor:.1f} s "
        f"({floor / bound.seconds:.2f}x the quota-bound minimum): here local compute, not "
        "AWS's quotas, bounds the fleet's wall time.",
        "",
    ]
    groups = fb.groups()
    rows = []
    for op in LISTINGS:
        per_group = [calls.get(op, 0) for calls in groups.values()]
        rows.append([op, ", ".join(str(n) for n in per_group)])
    lines += [
        "Each listing's calls in each account-region during the converged fleet plan:",
        "",
        *table(["listing", "calls per account-region"], rows),
        "",
    ]
    return lines


def _rows(fb: FleetBench) -> list[list[str]]:
    def totals(report: dict[str, object] | None) -> tuple[int, int]:
        targets = (report or {}).get("targets", [])
        assert isinstance(targets, list)
        reads = sum(t["report"]["api_calls"]["reads"] for t in targets if t["report"])
        writes = sum(t["report"]["api_calls"]["writes"] for t in targets if t["report"])
        return reads, writes

    out = []
    for name, run in (
        ("first fleet apply (no added latency)", fb.first_apply),
        ("converged fleet plan", fb.plan),
        ("converged fleet plan, no added latency", fb.plan_at_zero),
        ("converged fleet plan, under quotas", fb.quota_plan),
    ):
        reads, writes = totals(run.report)
        out.append(
            [
                name,
                str(len(fb.targets)),
                str(reads + writes),
                str(reads),
                str(writes),
                f"{run.wall_s:.1f}",
            ]
        )
    for run in fb.separate:
        calls = run.calls
        out.append(
            [
                f"separate plan --suffix {run.args[2]}",
                "1",
                str(calls.total),
                str(calls.reads),
                str(calls.writes),
                f"{run.wall_s:.1f}",
            ]
        )
    return out


def spliced(document: str, fb: FleetBench | None) -> str:
    """BENCHMARKS.md with its fleet section and fleet target rows replaced by this run's."""
    rows = {v.target: f"| {v.target} | {v.measured} | {v.mark} |" for v in fleet_verdicts(fb)}
    lines = document.split("\n")
    present = {_target_of(line) for line in lines}
    lines = [rows.get(_target_of(line), line) for line in lines]
    if "## Targets" in lines:
        # Rows not there yet go at the end of the targets table.
        at = lines.index("## Targets")
        while at < len(lines) and not lines[at].startswith("|"):
            at += 1
        while at < len(lines) and lines[at].startswith("|"):
            at += 1
        lines[at:at] = [row for target, row in rows.items() if target not in present]
    text = "\n".join(lines)
    section = "\n".join(fleet_section(fb))
    start = text.find("## Fleet\n")
    if start < 0:
        return text.rstrip("\n") + "\n\n" + section + "\n"
    end = text.find("\n## ", start + 1)
    return text[:start] + section + ("\n" + text[end + 1 :] if end >= 0 else "\n")


def _target_of(line: str) -> str:
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    return cells[0] if cells and cells[0].startswith(PREFIX) else ""
