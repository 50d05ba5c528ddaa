"""Lambda's runtime lifecycle as AWS enforces it, on the `today` knob's date (empty: today).

CreateFunction refuses a runtime whose create block has passed. UpdateFunctionCode refuses a
function whose runtime's update block has passed. UpdateFunctionConfiguration refuses setting a
blocked runtime, the function's own unchanged one included (sending it again is setting it), and
accepts moving such a function to a supported runtime: that is how AWS lets people off a
deprecated runtime after its update block. Setting `today` to a past date is how tests build a
system the way it was deployed years ago.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from reconciler.sandbox.lambda_.names import path_function
from reconciler.sandbox.wire import moto_backends
from reconciler.sandbox.wire.call import Call, Forward, Handler, LayerContext
from reconciler.sandbox.wire.errors import invalid_parameter
from reconciler.sandbox.wire.wsgi import Response

# (block create, block update) per runtime, from AWS Lambda's runtimes page, read 2026-12-01.
# The local AWS keeps its own copy: it stands for AWS, not for what the reconciler believes.
BLOCKS: dict[str, tuple[str | None, str | None]] = {
    "nodejs14.x": ("2027-02-01", "2027-03-03"),
    "nodejs16.x": ("2027-02-01", "2027-03-03"),
    "nodejs18.x": ("2027-02-01", "2027-03-03"),
    "nodejs20.x": ("2026-08-31", "2026-09-30"),
    "nodejs22.x": ("2027-06-01", "2027-07-01"),
    "nodejs24.x": (None, "2028-07-01"),
    "python3.9": ("2026-08-31", "2026-09-30"),
}
REFUSED = (
    "The runtime parameter of {runtime} is no longer supported for creating or updating AWS "
    "Lambda functions. We recommend you use a supported runtime while creating or updating "
    "functions."
)


def blocked(runtime: str, today: dt.date, creating: bool) -> bool:
    create, update = BLOCKS.get(runtime, (None, None))
    date = create if creating else update
    return date is not None and today >= dt.date.fromisoformat(date)


class RuntimeLifecycle:
    """Refuses what AWS refuses on a deprecated runtime, as of the `today` knob."""

    def __init__(self, context: LayerContext) -> None:
        self._ctx = context

    def routes(self) -> Iterable[tuple[str, str, Handler]]:
        yield "lambda", "CreateFunction", self._create
        yield "lambda", "UpdateFunctionCode", self._update_code
        yield "lambda", "UpdateFunctionConfiguration", self._update_configuration

    def reset(self) -> None:
        """Nothing kept: the dates are data, the date is a knob."""

    def today(self) -> dt.date:
        knob = self._ctx.knobs().today
        return dt.date.fromisoformat(knob) if knob else dt.datetime.now(dt.UTC).date()

    def _create(self, call: Call, forward: Forward) -> Response:
        runtime = str(call.json().get("Runtime", ""))
        return self._refused(runtime, creating=True) or forward(call)

    def _update_code(self, call: Call, forward: Forward) -> Response:
        return self._refused(self._current(call), creating=False) or forward(call)

    def _update_configuration(self, call: Call, forward: Forward) -> Response:
        # Moving off a blocked runtime is allowed; any other change of such a function is not.
        runtime = call.json().get("Runtime")
        wanted = str(runtime) if runtime is not None else self._current(call)
        return self._refused(wanted, creating=False) or forward(call)

    def _current(self, call: Call) -> str:
        key, _ = path_function(call)
        function = moto_backends.latest_function(key.account, key.region, key.name)
        return str(getattr(function, "run_time", "") or "") if function is not None else ""

    def _refused(self, runtime: str, creating: bool) -> Response | None:
        if runtime and blocked(runtime, self.today(), creating):
            return invalid_parameter(REFUSED.format(runtime=runtime))
        return None
