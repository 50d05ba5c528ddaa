"""Capacity on a schedule in the local AWS: the alias's provisioned concurrency follows the
scheduled actions as the local AWS's clock crosses 08:00 and 20:00 in New York, the reconciler
never resets the scaler's value (converged plans write nothing at either hour), a release
during the peak carries the peak's capacity, and switching, editing and destroying each take
one run."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.helpers import RECONCILER_KEY, LocalAws, Run, reconcile

SUFFIX = "cap"
FN = f"pay-{SUFFIX}"
RID = f"function:{FN}:live"
KEY = {"ServiceNamespace": "lambda", "ScalableDimension": "lambda:function:ProvisionedConcurrency"}
# Monday 7 December 2026 in New York (UTC-5).
BEFORE_OPENING = "2026-12-07T07:59:00-05:00"
OPENED = "2026-12-07T08:00:30-05:00"
PEAK = "2026-12-07T10:00:00-05:00"
CLOSED = "2026-12-07T20:00:30-05:00"
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
reserved_concurrency = 10

[functions.pay.environment]
RELEASE = "{release}"

[functions.pay.alias]
name = "live"
provisioned_concurrency = {fixed}
{scaling}
[functions.pay.role]
name = "pay-role-{{suffix}}"
"""
DAY = """
[[functions.pay.alias.scaling.schedule]]
name = "business-hours"
cron = "cron(0 8 ? * MON-FRI *)"
timezone = "{zone}"
min = 3
max = 3
"""
NIGHT = """
[[functions.pay.alias.scaling.schedule]]
name = "after-hours"
cron = "cron(0 20 ? * MON-FRI *)"
timezone = "{zone}"
min = 1
max = 1
"""
SCHEDULED = "[functions.pay.alias.scaling]\nmin = 1\nmax = 3\n" + DAY + NIGHT
HANDLER = "export const handler = async () => ({ release: process.env.RELEASE });\n"


def declare(
    folder: Path,
    scaling: str = SCHEDULED,
    release: str = "first",
    fixed: int = 1,
    zone: str = "America/New_York",
) -> None:
    text = STACK.format(release=release, fixed=fixed, scaling=scaling.format(zone=zone))
    (folder / "payments.toml").write_text(text)


def payments(aws: LocalAws, folder: Path, *args: str) -> Run:
    where = ("--suffix", SUFFIX, "--desired-dir", str(folder), "--stack", "payments")
    result = reconcile(aws, *args, *where)
    assert "Traceback" not in result.stderr, result.stderr
    return result


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("scaling")
    (path / "pay").mkdir()
    (path / "pay" / "index.mjs").write_text(HANDLER)
    return path


@pytest.fixture
def deployed(local_aws: LocalAws, folder: Path) -> Iterator[None]:
    """Each test starts from the scheduled stack applied before opening time, and leaves
    nothing behind (the clock back to real time)."""
    local_aws.control.configure(clock=BEFORE_OPENING, pc_ready_seconds=0.3)
    declare(folder)
    applied = payments(local_aws, folder, "apply")
    assert applied.code == 0, applied.stdout + applied.stderr
    yield
    declare(folder)
    destroyed = payments(local_aws, folder, "destroy", "--yes")
    local_aws.control.configure(clock="", pc_ready_seconds=1.0)
    assert destroyed.code == 0, destroyed.stdout + destroyed.stderr


def requested(aws: LocalAws) -> int | None:
    """The alias's provisioned concurrency as boto3 reads it (None: no configuration)."""
    lam = aws.client("lambda")
    try:
        config = lam.get_provisioned_concurrency_config(FunctionName=FN, Qualifier="live")
    except lam.exceptions.ProvisionedConcurrencyConfigNotFoundException:
        return None
    return int(config["RequestedProvisionedConcurrentExecutions"])


def ready(aws: LocalAws, count: int, seconds: float = 20.0) -> None:
    """Until the alias holds `count` instances READY (the scheduled action fired)."""
    lam = aws.client("lambda")
    deadline = time.monotonic() + seconds
    while True:
        config = lam.get_provisioned_concurrency_config(FunctionName=FN, Qualifier="live")
        got = (config["RequestedProvisionedConcurrentExecutions"], config["Status"])
        if got == (count, "READY"):
            return
        assert time.monotonic() < deadline, f"provisioned concurrency stayed {got}"
        time.sleep(0.1)


def converged(aws: LocalAws, folder: Path) -> None:
    """A plan that finds nothing, and made no write."""
    aws.control.reset_calls()
    plan = payments(aws, folder, "plan")
    assert plan.code == 0, plan.stdout + plan.stderr
    assert aws.control.writes() == []


def target(aws: LocalAws) -> dict[str, Any] | None:
    scaling = aws.client("application-autoscaling")
    found = scaling.describe_scalable_targets(ResourceIds=[RID], **KEY)["ScalableTargets"]
    return found[0] if found else None


def actions(aws: LocalAws) -> dict[str, dict[str, Any]]:
    scaling = aws.client("application-autoscaling")
    listed = scaling.describe_scheduled_actions(ResourceId=RID, **KEY)["ScheduledActions"]
    return {a["ScheduledActionName"]: a for a in listed}


def test_capacity_follows_the_schedule_and_no_plan_fights_it(
    local_aws: LocalAws, folder: Path, deployed: None
) -> None:
    # Friday's 20:00 action is the one in force on Monday before 08:00: 1 instance.
    found = target(local_aws)
    assert found is not None and (found["MinCapacity"], found["MaxCapacity"]) == (1, 1)
    assert set(actions(local_aws)) == {"business-hours", "after-hours"}
    assert actions(local_aws)["business-hours"]["Timezone"] == "America/New_York"
    ready(local_aws, 1)
    converged(local_aws, folder)

    local_aws.control.configure(clock=OPENED)
    ready(local_aws, 3)
    converged(local_aws, folder)

    local_aws.control.configure(clock=CLOSED)
    ready(local_aws, 1)
    converged(local_aws, folder)


def test_a_release_during_the_peak_keeps_the_peaks_capacity(
    local_aws: LocalAws, folder: Path, deployed: None
) -> None:
    local_aws.control.configure(clock=PEAK)
    ready(local_aws, 3)
    lam = local_aws.client("lambda")
    before = lam.get_alias(FunctionName=FN, Name="live")["FunctionVersion"]
    declare(folder, release="second")
    applied = payments(local_aws, folder, "apply")
    assert applied.code == 0, applied.stdout + applied.stderr
    after = lam.get_alias(FunctionName=FN, Name="live")["FunctionVersion"]
    assert after != before
    # The new version serves on the 3 the peak holds, not the declared minimum of 1.
    assert requested(local_aws) == 3
    ready(local_aws, 3)
    converged(local_aws, folder)


class Watch:
    """Whether the alias had a provisioned concurrency configuration at every look."""

    def __init__(self, aws: LocalAws) -> None:
        self.aws, self.looks = aws, list[bool]()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> Watch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.wait(0.05):
            self.looks.append(requested(self.aws) is not None)


def test_fixed_to_scaled_and_back_each_take_one_run_with_capacity_throughout(
    local_aws: LocalAws, folder: Path, deployed: None
) -> None:
    local_aws.control.configure(clock=PEAK)
    ready(local_aws, 3)
    with Watch(local_aws) as watch:
        declare(folder, scaling="", fixed=2)
        applied = payments(local_aws, folder, "apply")
        assert applied.code == 0, applied.stdout + applied.stderr
        assert target(local_aws) is None
        assert requested(local_aws) == 2
        converged(local_aws, folder)

        declare(folder)
        applied = payments(local_aws, folder, "apply")
        assert applied.code == 0, applied.stdout + applied.stderr
        found = target(local_aws)
        assert found is not None and (found["MinCapacity"], found["MaxCapacity"]) == (3, 3)
        ready(local_aws, 3)
        converged(local_aws, folder)
    assert watch.looks and all(watch.looks), "a look found the alias without capacity"


def test_removing_an_action_and_changing_its_time_zone_each_take_one_run(
    local_aws: LocalAws, folder: Path, deployed: None
) -> None:
    declare(folder, scaling="[functions.pay.alias.scaling]\nmin = 1\nmax = 3\n" + DAY)
    plan = payments(local_aws, folder, "plan")
    assert plan.code == 2 and "after-hours" in plan.stdout
    assert payments(local_aws, folder, "apply").code == 0
    assert set(actions(local_aws)) == {"business-hours"}
    converged(local_aws, folder)

    declare(folder, zone="Europe/London")
    applied = payments(local_aws, folder, "apply")
    assert applied.code == 0, applied.stdout + applied.stderr
    zones = {name: a["Timezone"] for name, a in actions(local_aws).items()}
    assert zones == {"business-hours": "Europe/London", "after-hours": "Europe/London"}
    converged(local_aws, folder)


def test_the_plan_says_the_schedule_in_words_and_prices_it(
    local_aws: LocalAws, folder: Path, deployed: None
) -> None:
    declare(folder, scaling=SCHEDULED.replace("max = 3\n", "max = 3\ntarget = 0.6\n", 1))
    plan = payments(local_aws, folder, "plan")
    assert plan.code == 2, plan.stdout + plan.stderr
    assert "3 from 08:00 Mon-Fri, 1 from 20:00, America/New_York" in plan.stdout
    assert "with traffic" in plan.stdout
    assert payments(local_aws, folder, "apply").code == 0
    scaling = local_aws.client("application-autoscaling")
    [policy] = scaling.describe_scaling_policies(ResourceId=RID, **KEY)["ScalingPolicies"]
    config = policy["TargetTrackingScalingPolicyConfiguration"]
    assert config["TargetValue"] == 0.6
    metric = config["PredefinedMetricSpecification"]["PredefinedMetricType"]
    assert metric == "LambdaProvisionedConcurrencyUtilization"
    converged(local_aws, folder)


def test_destroy_deregisters_the_target_before_the_alias_and_function_go(
    local_aws: LocalAws, folder: Path
) -> None:
    local_aws.control.configure(clock=PEAK)
    declare(folder)
    try:
        assert payments(local_aws, folder, "apply").code == 0
        local_aws.control.reset_calls()
        destroyed = payments(local_aws, folder, "destroy", "--yes")
        assert destroyed.code == 0, destroyed.stdout + destroyed.stderr
    finally:
        local_aws.control.configure(clock="")
    writes = [c.operation for c in local_aws.control.writes()]
    assert writes.index("DeregisterScalableTarget") < writes.index("DeleteFunction")
    assert target(local_aws) is None
    assert actions(local_aws) == {}


@pytest.mark.parametrize(
    ("find", "put", "says"),
    [
        ("cron(0 8 ? * MON-FRI *)", "cron(0 8 * * MON-FRI *)", "exactly one of day-of-month"),
        ("America/New_York", "America/Nowhere", "'America/Nowhere' is not a time zone"),
        ("min = 3\nmax = 3", "min = 3\nmax = 4", "3..4 is outside scaling's 1..3"),
        ("min = 1\nmax = 3", "min = 4\nmax = 3", "scaling.min: 4 is above max 3"),
    ],
)
def test_a_schedule_that_cannot_work_is_refused_before_any_aws_call(
    local_aws: LocalAws, folder: Path, find: str, put: str, says: str
) -> None:
    declare(folder)
    toml = (folder / "payments.toml").read_text()
    (folder / "payments.toml").write_text(toml.replace(find, put, 1))
    local_aws.control.reset_calls()
    refused = payments(local_aws, folder, "apply")
    assert refused.code == 1
    [line] = [x for x in refused.stderr.splitlines() if x.startswith("error:")]
    assert says in line
    assert local_aws.control.calls() == []


def test_a_scaled_stack_lives_and_dies_inside_the_policy_it_is_given(
    local_aws: LocalAws, folder: Path
) -> None:
    """`reconcile policy` for the stack, enforced on the reconciler's key: the first target
    of the account creates Application Auto Scaling's role, and nothing is refused."""
    local_aws.control.configure(clock=PEAK)
    declare(folder, scaling=SCHEDULED.replace("max = 3\n", "max = 3\ntarget = 0.6\n", 1))
    where = ("--desired-dir", str(folder), "--stack", "payments")
    policy = reconcile(local_aws, "policy", *where)
    assert policy.code == 0, policy.stderr
    local_aws.control.configure(enforce_policy=policy.stdout, enforce_access_key=RECONCILER_KEY)
    local_aws.control.reset_calls()
    try:
        assert payments(local_aws, folder, "apply").code == 0
        declare(folder, scaling="[functions.pay.alias.scaling]\nmin = 1\nmax = 3\n" + DAY)
        assert payments(local_aws, folder, "apply").code == 0
        calls = local_aws.control.calls()
        converged(local_aws, folder)
        destroyed = payments(local_aws, folder, "destroy", "--yes")
        assert destroyed.code == 0, destroyed.stdout + destroyed.stderr
        calls += local_aws.control.calls()
    finally:
        local_aws.control.configure(enforce_policy="", enforce_access_key="", clock="")
    ours = [c for c in calls if c.access_key == RECONCILER_KEY]
    assert ours and [c for c in ours if c.status == 403] == []
    used = {action for c in ours for action in c.actions}
    assert {
        "application-autoscaling:RegisterScalableTarget",
        "application-autoscaling:PutScalingPolicy",
        "application-autoscaling:DeleteScheduledAction",
        "application-autoscaling:DeregisterScalableTarget",
    } <= used


def test_target_tracking_scales_out_under_load_and_no_plan_takes_it_back(
    local_aws: LocalAws, folder: Path
) -> None:
    """A user's stack with target tracking at 50%: one instance fully used scales out to 2
    (the local AWS's alarms judged every 0.2 s on 1.2 s periods), and the plans after it find
    nothing to change: the count is the scaler's."""
    tracked = "[functions.pay.alias.scaling]\nmin = 1\nmax = 3\ntarget = 0.5\n"
    local_aws.control.configure(alarm_evaluation_seconds=0.2, metric_period_scale=0.02)
    declare(folder, scaling=tracked)
    try:
        assert payments(local_aws, folder, "apply").code == 0
        ready(local_aws, 1)
        lam = local_aws.client("lambda")
        deadline = time.monotonic() + 60
        while requested(local_aws) == 1:
            assert time.monotonic() < deadline, "target tracking never scaled out"
            lam.invoke(FunctionName=FN, Qualifier="live", Payload=b"{}")
        ready(local_aws, 2)
        converged(local_aws, folder)
        assert requested(local_aws) == 2
    finally:
        local_aws.control.configure(alarm_evaluation_seconds=60.0, metric_period_scale=1.0)
        destroyed = payments(local_aws, folder, "destroy", "--yes")
        assert destroyed.code == 0, destroyed.stdout + destroyed.stderr


def test_a_release_in_steps_at_the_peak_warms_a_share_of_the_peaks_capacity(
    local_aws: LocalAws, folder: Path, deployed: None
) -> None:
    """A canary of 50% at the peak (3 instances): the new version's own capacity is
    ceil(3 x 50%) = 2, a share of what the scaler holds, not of the declared minimum of 1;
    after it the alias serves the new version on the peak's 3."""
    canary = '[functions.pay.alias.rollout]\nstrategy = "canary"\npercent = 50\ninterval = "3s"\n'
    local_aws.control.configure(clock=PEAK)
    ready(local_aws, 3)
    lam = local_aws.client("lambda")
    declare(folder, scaling=canary + SCHEDULED)
    assert payments(local_aws, folder, "apply").code == 0  # the rollout, declared
    declare(folder, scaling=canary + SCHEDULED, release="second")
    warm: set[int] = set()
    stop = threading.Event()

    def look() -> None:
        while not stop.wait(0.05):
            listed = lam.list_provisioned_concurrency_configs(FunctionName=FN)
            for config in listed["ProvisionedConcurrencyConfigs"]:
                if not config["FunctionArn"].endswith(":live"):
                    warm.add(config["RequestedProvisionedConcurrentExecutions"])

    watcher = threading.Thread(target=look, daemon=True)
    watcher.start()
    try:
        released = payments(local_aws, folder, "apply")
    finally:
        stop.set()
        watcher.join(timeout=10)
    assert released.code == 0, released.stdout + released.stderr
    assert "gets 2 provisioned of its own" in released.stdout
    assert warm == {2}
    assert requested(local_aws) == 3
    converged(local_aws, folder)
