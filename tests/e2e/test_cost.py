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


def test_cost_prices_last_months_metrics_and_says_when_capacity_sat_idle(
    deployed: LocalAws,
) -> None:
    cw = deployed.client("cloudwatch")
    function = [{"Name": "FunctionName", "Value": f"lambda-function-{SUFFIX}"}]
    alias = [*function, {"Name": "Resource", "Value": f"lambda-function-{SUFFIX}:live"}]
    # The deployment's own invocations: each new version's smoke test ran in the local AWS.
    smoke = _invocations(cw, function)
    assert smoke >= 1
    # Ten days of traffic: 10,000 invocations of 120 ms a day, 8,000 served by provisioned
    # concurrency, which was 5% used on average.
    _put(cw, "Invocations", 10_000, function, 10)
    _put(cw, "Duration", 10_000 * 120.0, function, 10)
    _put(cw, "ProvisionedConcurrencyInvocations", 8_000, alias, 10)
    _put(cw, "ProvisionedConcurrencySpilloverInvocations", 2_000, alias, 10)
    _put(cw, "ProvisionedConcurrencyUtilization", 0.05, alias, 10)
    result = run(deployed, "cost", "--suffix", SUFFIX, "--output", "json")
    assert result.code == 0, result.stderr
    (used,) = json.loads(result.stdout)["functions"]
    # Requests: 100,000 x $0.20 per million = $0.02. Duration: 12,000 GB-s, 80% at the
    # provisioned rate $0.0000077778 and 20% at $0.0000133334 = $0.1067. Held: 5 x 1 GB x
    # 30 days x 86,400 s x $0.0000033334 = $43.2009. On demand: $0.02 + 12,000 x
    # $0.0000133334 = $0.18.
    assert used["invocations"] == 100_000 + smoke and used["provisioned_instances"] == 5
    assert (used["requests"], used["duration"], used["provisioned"]) == (0.02, 0.11, 43.2)
    assert used["total"] == 43.33 and used["on_demand"] == 0.18 and used["idle"] is True
    text = run(deployed, "cost", "--suffix", SUFFIX).stdout
    assert "fintech: $43.33, of which provisioned concurrency $43.20" in text
    assert "5 provisioned instances were mostly idle, 5% used on average" in text
    assert "on demand it would have cost $0.18" in text
    bad = run(deployed, "cost", "--suffix", SUFFIX, "--days", "500")
    assert bad.code == 1 and "455 days at most" in bad.stderr
