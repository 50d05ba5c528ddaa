"""CloudWatch alarm state: new alarms start with no data, updates leave the state alone."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from reconciler.sandbox.wire import moto_patches
from reconciler.sandbox.wire.call import Call, Forward, Handler, LayerContext
from reconciler.sandbox.wire.routing import JSON
from reconciler.sandbox.wire.wsgi import Response

CLOUDWATCH = "cloudwatch"
INSUFFICIENT_DATA = "INSUFFICIENT_DATA"


class AlarmStates:
    """moto rebuilds an alarm on every Put, starting it at OK; AWS does neither."""

    def __init__(self, context: LayerContext) -> None:
        self._ctx = context

    def routes(self) -> Iterable[tuple[str, str, Handler]]:
        yield CLOUDWATCH, "PutMetricAlarm", self._put
        yield CLOUDWATCH, "PutCompositeAlarm", self._put

    def reset(self) -> None:
        """Nothing to forget: the state lives on moto's alarm."""

    def _put(self, call: Call, forward: Forward) -> Response:
        if call.route.protocol != JSON:
            return forward(call)
        name = str(call.json().get("AlarmName", ""))
        before = moto_patches.alarm_state(call.account, call.region, name)
        response = forward(call)
        if not response.ok:
            return response
        after = moto_patches.alarm_state(call.account, call.region, name)
        # A new alarm is INSUFFICIENT_DATA until evaluated; an updated one keeps its state.
        if before is not None:
            moto_patches.set_alarm_state(call.account, call.region, name, before)
        elif after is not None:
            fresh = replace(after, value=INSUFFICIENT_DATA)
            moto_patches.set_alarm_state(call.account, call.region, name, fresh)
        return response
