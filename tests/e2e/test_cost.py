"""The plan's cost, read from the live configuration in the local AWS."""

from __future__ import annotations

import json
from collections.abc import Iterator

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
