"""Releases in steps in the local AWS: an alias moved by canary and linear steps while its
alarms and the new version's errors are watched, rolled back on trouble, and a rolled-back
version held until the desired state changes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.helpers import ROOT, LocalAws, Run, reconcile

SUFFIX = "rol"
FN = f"pay-{SUFFIX}"
ALARM = f"pay-errors-{SUFFIX}"
STACK = """
[stack]
name = "payments"

[tags]
Team = "payments"

[functions.pay]
name = "pay-{{suffix}}"
source = "pay"
handler = "index.handler"
runtime = "nodejs24.x"
architecture = "arm64"
memory_mb = 256
timeout_s = 10
tracing = "PassThrough"
reserved_concurrency = 20
critical = true

[functions.pay.environment]
RELEASE = "{release}"

[functions.pay.alias]
name = "live"
provisioned_concurrency = 2

[functions.pay.alias.rollout]
{rollout}

[functions.pay.role]
name = "pay-role-{{suffix}}"

[alarms.errors]
name = "{{function}}-errors-{{suffix}}"
source = "function"
namespace = "AWS/Lambda"
metric = "Errors"
statistic = "Sum"
period_s = 60
evaluation_periods = 1
threshold = 0
comparison = "GreaterThanThreshold"
"""
CANARY = 'strategy = "canary"\npercent = 25\ninterval = "4s"\nalarms = ["errors"]'
HANDLER = """
export const handler = async () => {
  if (process.env.RELEASE.startsWith("bad")) throw new Error("release is broken");
  return { release: process.env.RELEASE };
};
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rollout")
    (path / "pay").mkdir()
    (path / "pay" / "index.mjs").write_text(HANDLER)
    declare(path, "first", CANARY)
    return path


def declare(folder: Path, release: str, rollout: str) -> None:
    (folder / "payments.toml").write_text(STACK.format(release=release, rollout=rollout))


def payments(aws: LocalAws, folder: Path, *args: str) -> Run:
    where = ("--suffix", SUFFIX, "--desired-dir", str(folder), "--stack", "payments")
    return reconcile(aws, *args, *where)


@pytest.fixture(scope="module")
def deployed(local_aws: LocalAws, folder: Path) -> Iterator[None]:
    """The stack as first deployed (a new alias takes its version at once); alarms judged
    every half second on periods shorter, so one minute is nine seconds (longer than a
    rollout's look at its alarms, as a minute is)."""
    local_aws.control.configure(alarm_evaluation_seconds=0.5, metric_period_scale=0.15)
    first = payments(local_aws, folder, "apply")
    assert first.code == 0, first.stdout + first.stderr
    yield
    destroyed = payments(local_aws, folder, "destroy", "--yes")
    local_aws.control.configure(alarm_evaluation_seconds=60.0, metric_period_scale=1.0)
    assert destroyed.code == 0, destroyed.stdout + destroyed.stderr


@pytest.fixture
def ready(local_aws: LocalAws, deployed: None) -> None:
    """The stack deployed, its errors alarm calm again: each test starts from a quiet system
    whatever ran before it."""
    until(lambda: alarm_ok(local_aws), seconds=60)


@dataclass
class Watcher:
    """What the alias was, read through boto3 while a release runs: (primary, weights)."""

    aws: LocalAws
    seen: list[tuple[str, dict[str, float]]] = field(default_factory=list)
    capacity: list[bool] = field(default_factory=list)
    warm: list[bool] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    @property
    def rolled_to(self) -> str:
        """The version the first weighted state routed to."""
        return next(v for _, weights in self.seen for v in weights)

    def __enter__(self) -> Watcher:
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        lam = self.aws.client("lambda")
        while not self.stop.wait(0.1):
            alias = lam.get_alias(FunctionName=FN, Name="live")
            state = (alias["FunctionVersion"], weights(alias))
            if not self.seen or self.seen[-1] != state:
                self.seen.append(state)
            listed = lam.list_provisioned_concurrency_configs(FunctionName=FN)
            configs = listed["ProvisionedConcurrencyConfigs"]
            ready = {c["FunctionArn"].rsplit(":", 1)[1] for c in configs if c["Status"] == "READY"}
            arns = [c["FunctionArn"] for c in configs]
            self.capacity.append(any(arn.endswith(":live") for arn in arns))
            # The two reads are one look only if the alias did not move between them (a step
            # that ends moves the alias, then removes the version's own capacity).
            after = lam.get_alias(FunctionName=FN, Name="live")
            if (after["FunctionVersion"], weights(after)) != state:
                continue
            # A version routed to by weight has capacity of its own, READY, at every look.
            self.warm.extend(version in ready for version in weights(alias))


def weights(alias: dict[str, Any]) -> dict[str, float]:
    return dict((alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {})


def serving(aws: LocalAws) -> tuple[str, dict[str, float]]:
    alias = aws.client("lambda").get_alias(FunctionName=FN, Name="live")
    return alias["FunctionVersion"], weights(alias)


def started(aws: LocalAws, folder: Path, *args: str) -> subprocess.Popen[str]:
    """`reconcile apply` in the background, as a deploy job runs it."""
    where = ("--suffix", SUFFIX, "--desired-dir", str(folder), "--stack", "payments")
    return subprocess.Popen(
        [sys.executable, "-m", "reconciler", "apply", *args, *where],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=aws.env(),
        cwd=ROOT,
    )


def holding(
    aws: LocalAws, folder: Path, release: str, interval: str
) -> tuple[subprocess.Popen[str], str, str]:
    """A canary of `release` started in the background, once its step holds: the run, the
    version served before, and the new one."""
    before, _ = serving(aws)
    declare(folder, release, CANARY.replace('"4s"', f'"{interval}"'))
    proc = started(aws, folder)
    until(lambda: bool(serving(aws)[1]))
    [new] = serving(aws)[1]
    return proc, before, new


def finished(proc: subprocess.Popen[str]) -> Run:
    out, err = proc.communicate(timeout=120)
    return Run(proc.returncode, out, err)


def until(check: Any, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "the state never came"
        time.sleep(0.1)


def alarm_ok(aws: LocalAws) -> bool:
    [alarm] = aws.client("cloudwatch").describe_alarms(AlarmNames=[ALARM])["MetricAlarms"]
    return bool(alarm["StateValue"] != "ALARM")


def traffic(aws: LocalAws, count: int) -> dict[str, int]:
    """Invocations through the alias: how many each version ran (X-Amz-Executed-Version)."""
    lam, ran = aws.client("lambda"), dict[str, int]()
    for _ in range(count):
        answer = lam.invoke(FunctionName=FN, Qualifier="live", Payload=b"{}")
        version = answer["ExecutedVersion"]
        ran[version] = ran.get(version, 0) + 1
    return ran


def executed(aws: LocalAws, version: str) -> int:
    """Invocations of `version` through the alias, as CloudWatch counts them."""
    return alias_sum(aws, "Invocations", {"ExecutedVersion": version})


def alias_sum(aws: LocalAws, metric: str, more: dict[str, str]) -> int:
    """The sum of one of the alias's metrics over the last hour."""
    now = time.time()
    dimensions = {"FunctionName": FN, "Resource": f"{FN}:live", **more}
    got = aws.client("cloudwatch").get_metric_statistics(
        Namespace="AWS/Lambda",
        MetricName=metric,
        Dimensions=[{"Name": k, "Value": v} for k, v in dimensions.items()],
        StartTime=datetime.fromtimestamp(now - 3600, UTC),
        EndTime=datetime.fromtimestamp(now + 60, UTC),
        Period=60,
        Statistics=["Sum"],
    )
    return int(sum(p["Sum"] for p in got["Datapoints"]))


def configured(aws: LocalAws) -> list[str]:
    """The qualifiers that hold provisioned concurrency."""
    listed = aws.client("lambda").list_provisioned_concurrency_configs(FunctionName=FN)
    return [c["FunctionArn"].rsplit(":", 1)[1] for c in listed["ProvisionedConcurrencyConfigs"]]


def provisioned_invocations(aws: LocalAws) -> int:
    """Invocations through the alias that ran on provisioned instances, as CloudWatch counts."""
    return alias_sum(aws, "ProvisionedConcurrencyInvocations", {})


def release_of(aws: LocalAws) -> str:
    config = aws.client("lambda").get_function_configuration(FunctionName=FN)
    return str(config["Environment"]["Variables"]["RELEASE"])


def writes_of(result: Run) -> int:
    line = next(x for x in result.stdout.splitlines() if x.startswith("API calls:"))
    return int(line.split("reads, ")[1].split(" writes")[0])


def test_a_good_version_rolls_through_a_canary_step_to_100(
    local_aws: LocalAws, folder: Path, ready: None
) -> None:
    before, _ = serving(local_aws)
    declare(folder, "canary-good", CANARY)
    plan = payments(local_aws, folder, "plan")
    assert plan.code == 2
    assert "live: " in plan.stdout and "canary 25% for 4s, then 100%; rolls back on" in plan.stdout
    assert f"{ALARM}, any error of version" in plan.stdout
    assert "gets 1 provisioned of its own, READY before it takes any traffic" in plan.stdout
    assert f"the alias's 2 serve version {before} meanwhile" in plan.stdout
    declare(folder, "canary-good", CANARY.replace('"4s"', '"8s"'))
    with Watcher(local_aws) as watched:
        proc = started(local_aws, folder)
        until(lambda: bool(serving(local_aws)[1]))
        during = payments(local_aws, folder, "plan")
        on_provisioned = provisioned_invocations(local_aws)
        ran = traffic(local_aws, 60)
        on_provisioned = provisioned_invocations(local_aws) - on_provisioned
        result = finished(proc)
    assert result.code == 0, result.stdout + result.stderr
    # A plan made while the canary held says where it is, and what is left.
    assert during.code == 2
    assert "in progress: step 1 of 1 (25%)" in during.stdout and "left in it" in during.stdout
    new = watched.rolled_to
    assert watched.seen[0] == (before, {})
    assert (before, {new: 0.25}) in watched.seen
    assert watched.seen[-1] == (new, {})
    assert all(watched.capacity), "provisioned concurrency left the alias during the release"
    assert watched.warm and all(watched.warm), "the new version took traffic without capacity"
    # Every request of either version found a warm instance (none ran on demand), and the
    # new version's own capacity went when it became primary.
    assert on_provisioned == 60
    assert configured(local_aws) == ["live"]
    # A share of the traffic ran the new version (about 25 in 100), each answer saying which,
    # and the metrics by ExecutedVersion count the same.
    assert set(ran) == {before, new} and 0.1 <= ran[new] / 60 <= 0.45, ran
    assert executed(local_aws, new) == ran[new]
    again = payments(local_aws, folder, "apply")
    assert again.code == 0 and writes_of(again) == 0, again.stdout


def test_a_linear_release_steps_by_its_percent_and_ends_alone(
    local_aws: LocalAws, folder: Path, ready: None
) -> None:
    before, _ = serving(local_aws)
    declare(folder, "linear-good", 'strategy = "linear"\npercent = 25\ninterval = "2s"')
    with Watcher(local_aws) as watched:
        result = payments(local_aws, folder, "apply")
    assert result.code == 0, result.stdout + result.stderr
    new = watched.rolled_to
    assert watched.seen[0] == (before, {})
    shares = [w[new] for _, w in watched.seen if new in w]
    assert shares == [0.25, 0.5, 0.75]
    assert watched.seen[-1] == (new, {})
    assert all(watched.capacity)
    # Linear to 75% of 2 instances: its own 2 held through each weighted step.
    assert watched.warm and all(watched.warm)
    assert writes_of(payments(local_aws, folder, "apply")) == 0


def test_a_warm_up_that_fails_leaves_no_capacity_and_never_starts_the_rollout(
    local_aws: LocalAws, folder: Path, ready: None
) -> None:
    """The new version's own capacity ends FAILED: it is removed, the alias keeps serving
    what it served with no routing, and the next run, with capacity available, releases."""
    before, _ = serving(local_aws)
    declare(folder, "warm-fails", CANARY)
    local_aws.control.configure(pc_fail_reason="FUNCTION_ERROR_INIT_FAILURE: init failed")
    try:
        failed = payments(local_aws, folder, "apply")
    finally:
        local_aws.control.configure(pc_fail_reason="")
    said = failed.stdout + failed.stderr
    assert failed.code == 3, said
    assert "not started" in said and f"live stays on version {before}" in said
    assert "FUNCTION_ERROR_INIT_FAILURE" in said
    assert serving(local_aws) == (before, {})
    assert configured(local_aws) == ["live"]
    released = payments(local_aws, folder, "apply")
    assert released.code == 0, released.stdout + released.stderr
    assert serving(local_aws)[0] != before and configured(local_aws) == ["live"]


def test_an_alarm_during_the_canary_rolls_back_and_the_version_is_held(
    local_aws: LocalAws, folder: Path, ready: None
) -> None:
    proc, before, new = holding(local_aws, folder, "bad-alarm", "60s")
    # The new version's errors, by number: the function's errors alarm sees them.
    lam = local_aws.client("lambda")
    for _ in range(3):
        answer = lam.invoke(FunctionName=FN, Qualifier=new, Payload=b"{}")
        assert answer.get("FunctionError") == "Unhandled"
    result = finished(proc)
    assert result.code == 1, result.stdout + result.stderr
    assert f"alarm {ALARM} is in ALARM" in result.stdout + result.stderr
    assert serving(local_aws) == (before, {})
    # The capacity the rolled-back version was warmed with is not left to be paid for.
    assert configured(local_aws) == ["live"]
    # The same fields are not released again: the plan says why, and apply writes nothing.
    held = payments(local_aws, folder, "plan")
    assert f"version {new} with these fields was rolled back" in held.stdout
    again = payments(local_aws, folder, "apply")
    assert writes_of(again) == 0 and serving(local_aws) == (before, {}), again.stdout
    until(lambda: alarm_ok(local_aws))
    # A changed desired state is released again.
    declare(folder, "fixed", CANARY.replace('"4s"', '"1s"'))
    assert payments(local_aws, folder, "apply").code == 0
    assert serving(local_aws)[1] == {}


def test_errors_of_the_new_version_through_the_alias_roll_back(
    local_aws: LocalAws, folder: Path, ready: None
) -> None:
    before, _ = serving(local_aws)
    # No alarm watched: the new version's own errors (ExecutedVersion) are enough.
    declare(folder, "bad-errors", 'strategy = "canary"\npercent = 50\ninterval = "60s"')
    local_aws.control.configure(alarm_evaluation_seconds=60.0)
    try:
        proc = started(local_aws, folder)
        until(lambda: bool(serving(local_aws)[1]))
        lam = local_aws.client("lambda")
        ran: dict[str, int] = {}
        while proc.poll() is None:
            answer = lam.invoke(FunctionName=FN, Qualifier="live", Payload=b"{}")
            version = answer["ResponseMetadata"]["HTTPHeaders"]["x-amz-executed-version"]
            ran[version] = ran.get(version, 0) + 1
            time.sleep(0.05)
        result = finished(proc)
    finally:
        local_aws.control.configure(alarm_evaluation_seconds=0.5)
    assert result.code == 1, result.stdout + result.stderr
    [new] = set(ran) - {before}
    assert f"version {new} answered" in result.stdout + result.stderr
    assert serving(local_aws) == (before, {})
    retried = payments(local_aws, folder, "plan", "--retry")
    assert retried.code == 2 and "rolled back" not in retried.stdout


def test_routing_left_on_the_alias_is_drift_that_apply_clears(
    local_aws: LocalAws, folder: Path, ready: None
) -> None:
    other, _ = serving(local_aws)
    declare(folder, "steady", CANARY)
    assert payments(local_aws, folder, "apply").code == 0
    version, _ = serving(local_aws)
    lam = local_aws.client("lambda")
    # Someone points a share of live back at the version kept for a rollback, by hand.
    lam.update_alias(
        FunctionName=FN, Name="live", RoutingConfig={"AdditionalVersionWeights": {other: 0.5}}
    )
    plan = payments(local_aws, folder, "plan")
    assert plan.code == 2 and f'routing: {{"{other}": 0.5}} -> {{}}' in plan.stdout, plan.stdout
    assert payments(local_aws, folder, "apply").code == 0
    assert serving(local_aws) == (version, {})
    assert writes_of(payments(local_aws, folder, "apply")) == 0


def test_an_existing_alarm_that_does_not_exist_is_refused_before_any_write(
    local_aws: LocalAws, folder: Path, ready: None
) -> None:
    before, code = serving(local_aws), release_of(local_aws)
    rollout = CANARY + '\nexisting_alarms = ["payments-latency-p99"]'
    declare(folder, "watched-by-nothing", rollout)
    refused = payments(local_aws, folder, "apply")
    assert refused.code == 1
    assert "no alarm 'payments-latency-p99' in this account and region" in refused.stderr
    # Refused before the first write: the function's code and its alias are as they were.
    assert release_of(local_aws) == code and serving(local_aws) == before


def test_a_rollout_killed_mid_step_resumes_where_it_is_when_run_again(
    local_aws: LocalAws, folder: Path, ready: None
) -> None:
    """SIGKILL while the canary holds, the same command again at once: it waits out the
    crashed run's lease, reads the step from the alias, and holds only what is left of it."""
    before, _ = serving(local_aws)
    declare(folder, "resumed", CANARY.replace('"4s"', '"40s"'))
    with Watcher(local_aws) as watched:
        proc = started(local_aws, folder)
        until(lambda: bool(serving(local_aws)[1]))
        began = time.time()
        proc.kill()
        proc.wait(timeout=10)
        again_at = time.time()
        result = payments(local_aws, folder, "apply")
        done_at = time.time()
    assert result.code == 0, result.stdout + result.stderr
    new = watched.rolled_to
    # One canary step, never begun twice, then the new version alone.
    assert watched.seen[0] == (before, {})
    assert [w for _, w in watched.seen if w] == [{new: 0.25}]
    assert watched.seen[-1] == (new, {})
    assert "in progress: step 1 of 1 (25%)" in result.stdout
    # Not before the step's 40 s were up, and not 40 s more after the second run began.
    assert done_at >= began + 38
    assert done_at < again_at + 40 + 15


def test_rollout_status_shows_a_release_and_abort_rolls_it_back(
    local_aws: LocalAws, folder: Path, ready: None, tmp_path: Path
) -> None:
    proc, before, new = holding(local_aws, folder, "aborted", "60s")
    status = payments(local_aws, folder, "rollout", "status")
    assert status.code == 0, status.stderr
    assert f"{FN}:live: version {before}, 25% to version {new}" in status.stdout
    assert "step 1 of 1 (25%)" in status.stdout and f"alarm {ALARM}: OK" in status.stdout
    # Asked with a desired state that releases all at once, status says so, not a guess.
    elsewhere = tmp_path / "all-at-once"
    shutil.copytree(folder, elsewhere)
    declare(elsewhere, "aborted", 'strategy = "all-at-once"')
    unsure = payments(local_aws, elsewhere, "rollout", "status")
    assert unsure.code == 0, unsure.stderr
    assert f"rollout of version {new} in progress (step 1 since" in unsure.stdout
    assert "declares none for it: name the environment it was released with" in unsure.stdout
    # Aborted with a desired state that declares no capacity: the capacity that warmed the
    # new version goes all the same.
    bare = tmp_path / "no-capacity"
    shutil.copytree(folder, bare)
    toml = (bare / "payments.toml").read_text()
    (bare / "payments.toml").write_text(toml.replace("provisioned_concurrency = 2", ""))
    assert new in configured(local_aws)
    aborted = payments(local_aws, bare, "rollout", "abort")
    assert aborted.code == 0 and f"Aborted: {FN}:live rolled back" in aborted.stdout
    assert configured(local_aws) == ["live"]
    # The apply that drove it sees the alias change at its next look and stops.
    result = finished(proc)
    assert result.code == 1, result.stdout + result.stderr
    assert "stopped from elsewhere (aborted by reconcile rollout abort)" in result.stdout
    assert serving(local_aws) == (before, {})
    after = payments(local_aws, folder, "rollout", "status")
    assert f"version {before} alone" in after.stdout and "rolled back" in after.stdout
    nothing = payments(local_aws, folder, "rollout", "abort")
    assert "No rollout in progress for suffix 'rol': nothing was written." in nothing.stdout


def test_watch_advances_a_rollout_over_cycles_without_holding_one(
    local_aws: LocalAws, folder: Path, ready: None
) -> None:
    """Each cycle of a watch takes one look and the steps that are due, then ends: the
    cycles go on every few seconds while the canary holds, and one of them finishes it."""
    before, _ = serving(local_aws)
    declare(folder, "watched", CANARY.replace('"4s"', '"8s"'))
    where = ("--suffix", SUFFIX, "--desired-dir", str(folder), "--stack", "payments")
    with Watcher(local_aws) as watched:
        proc = subprocess.Popen(
            [sys.executable, "-m", "reconciler", "watch", "--interval", "2", *where],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=local_aws.env(),
            cwd=ROOT,
        )
        until(lambda: serving(local_aws)[0] != before and not serving(local_aws)[1], seconds=90)
        proc.terminate()
        result = finished(proc)
    assert result.code == 0, result.stderr[-3000:]
    new = watched.rolled_to
    assert watched.seen[0] == (before, {})
    assert [w for _, w in watched.seen if w] == [{new: 0.25}]
    events = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    cycles = [e for e in events if e["event"] == "reconcile.finished"]
    # Cycles that ended while the canary held, each a success (not work left undone).
    holding_cycles = [e for e in events if e["event"] == "watch.releasing"]
    assert len(holding_cycles) >= 2, [e["event"] for e in events]
    assert cycles and all(e["exit_code"] == 0 for e in cycles)
