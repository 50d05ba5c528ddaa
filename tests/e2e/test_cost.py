"""The plan's cost, read from the live configuration in the local AWS."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.helpers import LocalAws, run

SUFFIX = "cst"


@pytest.fixture
def deployed(local_aws: LocalAws) -> Iterator[LocalAws]:
    assert run(local_aws, "apply", "--suffix", SUFFIX).code == 0
    yield local_aws
    assert run(local_aws, "destroy", "--suffix", SUFFIX, "--yes").code == 0


def test_a_plan_prices_the_provisioned_concurrency_that_runs_against_the_declared(
    deployed: LocalAws,
) -> None:
    lam = deployed.client("lambda")
    function = f"lambda-function-{SUFFIX}"
    lam.put_provisioned_concurrency_config(
        FunctionName=function, Qualifier="live", ProvisionedConcurrentExecutions=3
    )
    result = run(deployed, "plan", "--suffix", SUFFIX, "--output", "json")
    assert result.code == 2, result.stderr
    cost = json.loads(result.stdout)["cost"]
    (pc,) = [line for line in cost["fixed"] if line["item"] == "provisioned concurrency"]
    # 3 and 5 instances x 1 GB x 730 h on arm64 at $0.0000033334 per GB-second.
    assert (pc["now"]["monthly"], pc["after"]["monthly"]) == (26.28, 43.8)
    assert pc["change"] == 17.52 and pc["now"]["detail"] == "3 x 1 GB x 730 h, arm64"
    assert cost["by_cost_center"]["fintech"] == {"now": 29.28, "after": 46.8, "change": 17.52}
    text = run(deployed, "plan", "--suffix", SUFFIX).stdout
    assert "  total: $29.28 -> $46.80 (+$17.52)" in text


def _put(cw: Any, name: str, value: float, dimensions: list[dict[str, str]], days: int) -> None:
    now = dt.datetime.now(dt.UTC)
    for day in range(days):
        cw.put_metric_data(
            Namespace="AWS/Lambda",
            MetricData=[
                {
                    "MetricName": name,
                    "Dimensions": dimensions,
                    "Timestamp": now - dt.timedelta(days=day, hours=1),
                    "Value": value,
                }
            ],
        )


def _invocations(cw: Any, dimensions: list[dict[str, str]]) -> float:
    now = dt.datetime.now(dt.UTC)
    metric = {"Namespace": "AWS/Lambda", "MetricName": "Invocations", "Dimensions": dimensions}
    answer = cw.get_metric_data(
        MetricDataQueries=[
            {"Id": "calls", "MetricStat": {"Metric": metric, "Period": 86400, "Stat": "Sum"}}
        ],
        StartTime=now - dt.timedelta(days=1),
        EndTime=now + dt.timedelta(minutes=1),
    )
    return float(sum(answer["MetricDataResults"][0]["Values"]))


def _traffic(aws: LocalAws) -> float:
    """Ten days of traffic: 10,000 invocations of 120 ms a day, 8,000 served by provisioned
    concurrency, which was 5% used on average; returns the deployment's own invocations (each
    new version's smoke test ran in the local AWS)."""
    cw = aws.client("cloudwatch")
    function = [{"Name": "FunctionName", "Value": f"lambda-function-{SUFFIX}"}]
    alias = [*function, {"Name": "Resource", "Value": f"lambda-function-{SUFFIX}:live"}]
    smoke = _invocations(cw, function)
    assert smoke >= 1
    _put(cw, "Invocations", 10_000, function, 10)
    _put(cw, "Duration", 10_000 * 120.0, function, 10)
    _put(cw, "ProvisionedConcurrencyInvocations", 8_000, alias, 10)
    _put(cw, "ProvisionedConcurrencySpilloverInvocations", 2_000, alias, 10)
    _put(cw, "ProvisionedConcurrencyUtilization", 0.05, alias, 10)
    return smoke


def _cost(aws: LocalAws) -> dict[str, Any]:
    result = run(aws, "cost", "--suffix", SUFFIX, "--output", "json")
    assert result.code == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def test_cost_prices_last_months_metrics_and_capacity_only_since_it_was_set(
    deployed: LocalAws,
) -> None:
    smoke = _traffic(deployed)
    report = _cost(deployed)
    (used,) = report["functions"]
    # The period priced, said: 30 days ending now.
    start, end = (dt.datetime.fromisoformat(report["period"][k]) for k in ("start", "end"))
    assert end - start == dt.timedelta(days=30)
    assert abs((dt.datetime.now(dt.UTC) - end).total_seconds()) < 120
    # Requests: 100,000 x $0.20 per million = $0.02. Duration: 12,000 GB-s, 80% at the
    # provisioned rate $0.0000077778 and 20% at $0.0000133334 = $0.1067. The 5 instances were
    # set by the apply seconds ago: 5 x 1 GB x those seconds x $0.0000033334, under a cent,
    # never 30 days' $43.20. On demand: $0.02 + 12,000 x $0.0000133334 = $0.18.
    assert used["invocations"] == 100_000 + smoke and used["provisioned_instances"] == 5
    assert 0 < used["provisioned_seconds"] < 600
    assert (used["requests"], used["duration"], used["provisioned"]) == (0.02, 0.11, 0.0)
    assert used["total"] == 0.13 and used["on_demand"] == 0.18 and used["idle"] is True
    text = run(deployed, "cost", "--suffix", SUFFIX).stdout
    assert text.splitlines()[0].startswith("Cost of the 30 days from ")
    assert "provisioned concurrency $0.00 (5 held " in text and " s since " in text
    assert "5 provisioned instances were mostly idle, 5% used on average" in text
    bad = run(deployed, "cost", "--suffix", SUFFIX, "--days", "500")
    assert bad.code == 1 and "455 days at most" in bad.stderr


def test_capacity_set_days_ago_costs_those_days_and_no_more(deployed: LocalAws) -> None:
    lam = deployed.client("lambda")
    function = f"lambda-function-{SUFFIX}"
    three_days = 3 * 86400
    deployed.control.configure(clock_offset_seconds=-three_days)
    try:
        # The declared 5, set again while the local AWS's clock reads three days ago.
        lam.put_provisioned_concurrency_config(
            FunctionName=function, Qualifier="live", ProvisionedConcurrentExecutions=5
        )
    finally:
        deployed.control.configure(clock_offset_seconds=0)
    (used,) = _cost(deployed)["functions"]
    # 5 x 1 GB x 259,200 s x $0.0000033334 = $4.32: three days of the thirty.
    assert three_days <= used["provisioned_seconds"] < three_days + 600
    assert used["provisioned"] == 4.32 and used["total"] >= 4.32
    # Asked for two days, the same capacity costs two days.
    two = run(deployed, "cost", "--suffix", SUFFIX, "--days", "2", "--output", "json")
    (short,) = json.loads(two.stdout)["functions"]
    assert short["provisioned_seconds"] == 2 * 86400 and short["provisioned"] == 2.88
