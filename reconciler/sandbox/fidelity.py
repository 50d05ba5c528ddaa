"""The WSGI middleware in front of moto: records, delays, faults, and fills moto's gaps."""

from __future__ import annotations

import email.utils
import random
import threading
import time
import traceback
from collections.abc import Iterable
from typing import Protocol

from reconciler.sandbox.application_autoscaling import ApplicationAutoScaling
from reconciler.sandbox.cloudwatch.alarms import AlarmStates
from reconciler.sandbox.cloudwatch.evaluate import AlarmEvaluation
from reconciler.sandbox.cloudwatch.tags import CloudWatchTags
from reconciler.sandbox.contract import breaches
from reconciler.sandbox.control.api import CONTROL_PREFIX, ControlApi
from reconciler.sandbox.control.faults import FaultBook, FaultRule
from reconciler.sandbox.control.knobs import Knobs
from reconciler.sandbox.control.recorder import CallRecorder, RecordedCall, is_write
from reconciler.sandbox.dynamodb import TableDescriptions
from reconciler.sandbox.iam.authz import Authorization
from reconciler.sandbox.iam.details import AuthorizationDetails
from reconciler.sandbox.iam.gate import needed, refusal
from reconciler.sandbox.iam.policies import IamPolicies
from reconciler.sandbox.iam.propagation import IamPropagation
from reconciler.sandbox.iam.trust import TrustPolicies
from reconciler.sandbox.lambda_.account import AccountLimits
from reconciler.sandbox.lambda_.activity import Activity
from reconciler.sandbox.lambda_.code import CodeLocations
from reconciler.sandbox.lambda_.functions import LambdaFunctions
from reconciler.sandbox.lambda_.invoke import Invocations
from reconciler.sandbox.lambda_.invoke_config import EventInvokeConfigs
from reconciler.sandbox.lambda_.layers import LambdaLayers
from reconciler.sandbox.lambda_.lifecycle import RuntimeLifecycle
from reconciler.sandbox.lambda_.mappings import EventSourceMappings
from reconciler.sandbox.lambda_.policies import ResourcePolicies
from reconciler.sandbox.lambda_.provisioned import ProvisionedConcurrency
from reconciler.sandbox.lambda_.refusals import LambdaRefusals
from reconciler.sandbox.lambda_.versions import VersionNumbers
from reconciler.sandbox.logs import LogGroupSettings
from reconciler.sandbox.sqs import QueueNames
from reconciler.sandbox.tagging import Tagging
from reconciler.sandbox.wire import moto_backends
from reconciler.sandbox.wire.call import Call, Handler, LayerContext, RouteKey, run_chain
from reconciler.sandbox.wire.errors import aws_error
from reconciler.sandbox.wire.routing import identify
from reconciler.sandbox.wire.wsgi import (
    Environ,
    Response,
    StartResponse,
    WsgiApp,
    call_app,
    internal_environ,
    read_body,
    send,
    with_body,
)
from reconciler.sandbox.xray.groups import XRay

# Breaches of AWS's output contract kept for the tests (see contract.py).
MAX_BREACHES = 1000
# Each service's own throttling answer (botocore's standard retry mode knows them all).
THROTTLE = {
    "lambda": ("TooManyRequestsException", 429),
    "iam": ("Throttling", 400),
    "sts": ("Throttling", 400),
}


class Component(Protocol):
    """A slice of AWS behaviour the layer adds on top of moto."""

    def routes(self) -> Iterable[tuple[str, str, Handler]]: ...

    def reset(self) -> None: ...


class Fidelity:
    """Wraps moto's WSGI app; every public method is safe to call from any thread."""

    def __init__(self, app: WsgiApp, knobs: Knobs | None = None) -> None:
        self._app = app
        self._lock = threading.RLock()
        self._knobs = knobs or Knobs()
        self.recorder = CallRecorder(self._lock)
        self.faults = FaultBook(self._lock)
        context = LayerContext(self._lock, lambda: self.knobs, time.monotonic, self._dispatch)
        self._components = _components(context)
        self._routes = _route_table(self._components)
        self._control = ControlApi(self)
        self._rng = random.Random(self._knobs.fault_seed)
        self._rng_seed = self._knobs.fault_seed
        # Which freeze knob an operation tripped, e.g. ("from", "PublishLayerVersion").
        self._tripped: tuple[str, str] | None = None
        self._held: list[str] = []
        self._breaches: list[str] = []

    @property
    def knobs(self) -> Knobs:
        with self._lock:
            return self._knobs

    def configure(self, **changes: object) -> Knobs:
        with self._lock:
            self._knobs = self._knobs.replaced(changes)
            if {"freeze_from_operation", "freeze_after_operation"} & changes.keys():
                self._tripped = None  # a new drill starts untripped
            return self._knobs

    def calls(self) -> list[RecordedCall]:
        return self.recorder.calls()

    def writes(self) -> list[RecordedCall]:
        return [call for call in self.calls() if call.write]

    def reset_calls(self) -> None:
        self.recorder.clear()

    def add_fault(self, rule: FaultRule) -> None:
        self.faults.add(rule)

    def clear_faults(self) -> None:
        self.faults.clear()

    def reset(self) -> None:
        """Forget all AWS state (moto's too), recorded calls and pending faults; keep knobs."""
        call_app(self._app, internal_environ("POST", "/moto-api/reset"))
        with self._lock:
            for component in self._components:
                component.reset()
            self.recorder.clear()
            self.faults.clear()

    def close(self) -> None:
        """Stop what runs in the background: function environments, queued events, alarms."""
        for component in self._components:
            close = getattr(component, "close", None)
            if close is not None:
                close()

    def _dispatch(self, call: Call) -> Response:
        return run_chain(self._routes.get((call.service, call.operation), ()), call, self._forward)

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if str(environ.get("PATH_INFO", "")).startswith(CONTROL_PREFIX):
            return send(self._control.handle(environ), start_response)
        body = read_body(environ)
        route = identify(environ, body)
        if route is None:
            return self._app(with_body(environ, body), start_response)
        account = moto_backends.account_for(environ, route.access_key)
        call = Call(route, account, environ, body)
        needs = needed(call)
        response = self._serve(call, needs)
        self._hold_to_contract(call, response)
        response = _dated(response, self.knobs)
        if call.operation == self.knobs.freeze_after_operation and response.status < 300:
            self._tripped = ("after", call.operation)
        self.recorder.record(
            call.service,
            call.operation,
            response.status,
            call.route.access_key,
            tuple(sorted({n.action for n in needs})),
        )
        return send(response, start_response)

    def _serve(self, call: Call, needs: tuple[Authorization, ...]) -> Response:
        knobs = self.knobs
        if knobs.latency_ms > 0:
            time.sleep(knobs.latency_ms / 1000)
        denied = refusal(knobs, call, needs)
        if denied is not None:
            return denied
        if self._frozen(call):
            return aws_error(call.route.protocol, "ServiceUnavailable", 503, "frozen write")
        chance = self._chance_fault(call)
        if chance is not None:
            return chance
        fault = self.faults.take(call.service, call.operation, call.account)
        if fault is not None:
            return aws_error(call.route.protocol, fault.code, fault.status, fault.message)
        handlers = self._routes.get((call.service, call.operation), ())
        try:
            return run_chain(handlers, call, self._forward)
        except Exception:
            # A defect in the layer must surface as a recorded, AWS-shaped 500 (traceback on
            # stderr) rather than werkzeug's HTML error page, which botocore cannot parse.
            traceback.print_exc()
            return aws_error(call.route.protocol, "ServiceException", 500, "sandbox failure")

    def _chance_fault(self, call: Call) -> Response | None:
        """Throttling or a 5xx on a share of calls, as a busy region answers."""
        knobs = self.knobs
        if knobs.throttle_share <= 0 and knobs.error_share <= 0:
            return None
        with self._lock:
            if self._rng_seed != knobs.fault_seed:
                self._rng, self._rng_seed = random.Random(knobs.fault_seed), knobs.fault_seed
            draw = self._rng.random()
        protocol = call.route.protocol
        if draw < knobs.throttle_share:
            code, status = THROTTLE.get(call.service, ("ThrottlingException", 400))
            return aws_error(protocol, code, status, "Rate exceeded")
        if draw < knobs.throttle_share + knobs.error_share:
            return aws_error(protocol, "InternalFailure", 500, "internal failure")
        return None

    def _frozen(self, call: Call) -> bool:
        """Hold a write past the freeze point; True when it must be refused unperformed."""
        if not is_write(call.service, call.operation):
            return False
        if call.operation == self.knobs.freeze_from_operation:
            self._tripped = ("from", call.operation)
        if not self._past_freeze():
            return False
        with self._lock:
            self._held.append(call.operation)
        deadline = time.monotonic() + 120
        try:
            while self._past_freeze() and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            with self._lock:
                self._held.remove(call.operation)
        return True

    def _hold_to_contract(self, call: Call, response: Response) -> None:
        found = breaches(call.service, call.operation, call.route.protocol, response)
        with self._lock:
            # Kept for the tests to read and clear; bounded for a local AWS left running.
            self._breaches = (self._breaches + found)[-MAX_BREACHES:]

    def breaches(self) -> list[str]:
        """Answers that broke botocore's model of their operation's output, oldest first."""
        with self._lock:
            return list(self._breaches)

    def clear_breaches(self) -> None:
        with self._lock:
            self._breaches = []

    def activity(self) -> list[Activity]:
        """Each function with an invocation running or an Event invocation not yet finished."""
        invocations = next(c for c in self._components if isinstance(c, Invocations))
        return invocations.activity()

    def held(self) -> list[str]:
        """The writes being held by a freeze knob now (the drill kills their caller)."""
        with self._lock:
            return list(self._held)

    def _past_freeze(self) -> bool:
        knobs = self.knobs
        limit = knobs.freeze_after_writes
        # A trip lasts while its knob still names the operation: clearing it releases the hold.
        armed = {("from", knobs.freeze_from_operation), ("after", knobs.freeze_after_operation)}
        return (limit >= 0 and len(self.writes()) >= limit) or self._tripped in armed

    def _forward(self, call: Call) -> Response:
        return call_app(self._app, with_body(call.environ, call.body))


def _dated(response: Response, knobs: Knobs) -> Response:
    """Every answer dated by the local AWS's clock, as AWS dates its own: a client that asks
    which scheduled action is in force reads the time there (the server adds no other)."""
    date = email.utils.format_datetime(knobs.now(), usegmt=True)
    headers = tuple(h for h in response.headers if h[0].lower() != "date")
    return Response(response.status, (*headers, ("Date", date)), response.body)


def _components(context: LayerContext) -> list[Component]:
    # Order matters where components share an operation: earlier ones run first and
    # may refuse before later ones see the call (IAM propagation before Lambda state).
    xray, cloudwatch_tags = XRay(context), CloudWatchTags(context)
    scaling = ApplicationAutoScaling(context)
    return [
        IamPropagation(context),
        RuntimeLifecycle(context),
        IamPolicies(context),
        AuthorizationDetails(context),
        # Refuses what AWS refuses before any Lambda component, or moto, changes anything.
        LambdaRefusals(context),
        # Wraps the Lambda components below: it rewrites their final answer's code location.
        CodeLocations(context),
        LambdaFunctions(context),
        # Below LambdaFunctions: it and the components above see AWS's version number.
        VersionNumbers(context),
        LambdaLayers(context),
        EventInvokeConfigs(context),
        ProvisionedConcurrency(context),
        ResourcePolicies(context),
        EventSourceMappings(context),
        AccountLimits(context),
        xray,
        cloudwatch_tags,
        AlarmStates(context),
        QueueNames(context),
        TrustPolicies(context),
        TableDescriptions(context),
        LogGroupSettings(context),
        Invocations(context),
        AlarmEvaluation(context),
        scaling,
        Tagging(context, (xray, cloudwatch_tags, scaling)),
    ]


def _route_table(components: list[Component]) -> dict[RouteKey, tuple[Handler, ...]]:
    table: dict[RouteKey, tuple[Handler, ...]] = {}
    for component in components:
        for service, operation, handler in component.routes():
            table[(service, operation)] = (*table.get((service, operation), ()), handler)
    return table
