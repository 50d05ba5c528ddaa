"""Prices, as data: per region, with the date they were read and where (pure).

Fixed items are billed by the hour or month whatever the traffic; usage items by what runs.
A region missing here has no price: its cost is shown as unknown, never as $0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from reconciler.expand.kind import HOURS_PER_MONTH, SECONDS_PER_MONTH

__all__ = ["HOURS_PER_MONTH", "SECONDS_PER_MONTH", "Price", "PriceTable", "table_for"]

LAMBDA_PAGE = "https://aws.amazon.com/lambda/pricing/"
CLOUDWATCH_PAGE = "https://aws.amazon.com/cloudwatch/pricing/"
XRAY_PAGE = "https://aws.amazon.com/xray/pricing/"
SQS_PAGE = "https://aws.amazon.com/sqs/pricing/"
DYNAMODB_PAGE = "https://aws.amazon.com/dynamodb/pricing/on-demand/"


@dataclass(frozen=True)
class Price:
    amount: Decimal  # US dollars per `unit`
    unit: str
    source: str


@dataclass(frozen=True)
class PriceTable:
    region: str
    read_on: str  # ISO date the figures were read
    prices: dict[str, Price] = field(default_factory=dict)

    def __getitem__(self, item: str) -> Price:
        return self.prices[item]


def _p(amount: str, unit: str, source: str) -> Price:
    return Price(Decimal(amount), unit, source)


# US East (N. Virginia) list prices, first tier, without free tier.
_US = {
    "lambda.provisioned.x86_64": _p("0.0000041667", "GB-second", LAMBDA_PAGE),
    "lambda.provisioned.arm64": _p("0.0000033334", "GB-second", LAMBDA_PAGE),
    "lambda.requests": _p("0.20", "million requests", LAMBDA_PAGE),
    "lambda.duration.x86_64": _p("0.0000166667", "GB-second", LAMBDA_PAGE),
    "lambda.duration.arm64": _p("0.0000133334", "GB-second", LAMBDA_PAGE),
    # Duration of invocations served by provisioned concurrency (cheaper than on demand).
    "lambda.provisioned_duration.x86_64": _p("0.0000097222", "GB-second", LAMBDA_PAGE),
    "lambda.provisioned_duration.arm64": _p("0.0000077778", "GB-second", LAMBDA_PAGE),
    "cloudwatch.alarm.standard": _p("0.10", "alarm-month", CLOUDWATCH_PAGE),
    "cloudwatch.alarm.high_resolution": _p("0.30", "alarm-month", CLOUDWATCH_PAGE),
    # The first 3 dashboards of an account are free; listed at their price regardless.
    "cloudwatch.dashboard": _p("3.00", "dashboard-month", CLOUDWATCH_PAGE),
    "logs.ingestion": _p("0.50", "GB ingested", CLOUDWATCH_PAGE),
    "logs.storage": _p("0.03", "GB-month stored", CLOUDWATCH_PAGE),
    "xray.traces": _p("5.00", "million traces recorded", XRAY_PAGE),
    "sqs.requests": _p("0.40", "million requests", SQS_PAGE),
    "dynamodb.writes": _p("0.625", "million write request units", DYNAMODB_PAGE),
    "dynamodb.reads": _p("0.125", "million read request units", DYNAMODB_PAGE),
}
READ_ON = "2026-12-01"
# Regions whose prices for every item above equal US East (N. Virginia)'s.
TABLES = {
    region: PriceTable(region, READ_ON, dict(_US))
    for region in ("us-east-1", "us-east-2", "us-west-2")
}


def table_for(region: str) -> PriceTable | None:
    return TABLES.get(region)
