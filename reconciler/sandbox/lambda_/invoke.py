"""Invoke, which moto can only do with Docker: Node.js functions run here in child processes.

Synchronous calls run at once (or are throttled past the function's concurrency); Event calls
are queued and retried as Lambda's asynchronous invocation does, then sent to the function's
dead-letter queue and on-failure destination. Every invocation writes its log lines and
publishes the AWS/Lambda metrics a console shows.
"""

from __future__ import annotations

import base64
import json
import random
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

from reconciler.sandbox.lambda_.activity import Activity
from reconciler.sandbox.lambda_.deployment import CodeCache, Target, read_call, target_from
from reconciler.sandbox.lambda_.destinations import AsyncSettings, Finished, discard, on_success
from reconciler.sandbox.lambda_.metrics import Slot, invocation_metrics, throttle_metrics
from reconciler.sandbox.lambda_.names import LATEST, FunctionKey, path_function
from reconciler.sandbox.lambda_.node_sdk import RuntimeMissing
from reconciler.sandbox.lambda_.runtime import Deployment, Environment, Outcome, check_installed
from reconciler.sandbox.lambda_.transcript import transcript
from reconciler.sandbox.wire import moto_backends, moto_delivery
from reconciler.sandbox.wire.call import Call, Forward, Handler, LayerContext
from reconciler.sandbox.wire.errors import conflict, json_error
from reconciler.sandbox.wire.wsgi import Response

LAMBDA = "lambda"
# Throttled events go back to the queue, retried after 1 s doubling to at most 5 minutes.
THROTTLE_FIRST_S, THROTTLE_LONGEST_S = 1.0, 300.0
TAIL_BYTES = 4096
# Idle execution environments kept warm at most, over every function (each is a process).
MAX_WARM = 12
# Lambda's payload quotas: 256 KB queued for an Event invocation, 6 MB for a synchronous one.
MAX_EVENT_BYTES, MAX_REQUEST_BYTES = 262144, 6291456
CHANGES = ("UpdateFunctionCode", "UpdateFunctionConfiguration", "DeleteFunction")


@dataclass(frozen=True)
class AsyncEvent:
    """One queued Event invocation."""

    call: Call
    key: FunctionKey
    qualifier: str
    event: object
    payload: str
    received: float
    request_id: str
    stop: threading.Event


class Invocations:
    """Warm environments per deployment, concurrency per function, the async event queue."""

    def __init__(self, context: LayerContext) -> None:
        self._ctx = context
        self._code = CodeCache()
        self._idle: dict[Deployment, list[Environment]] = {}
        # Idle environments by last use, oldest first: past MAX_WARM the oldest is stopped.
        self._warm: OrderedDict[Environment, Deployment] = OrderedDict()
        self._running: dict[FunctionKey, int] = {}
        self._queued: dict[FunctionKey, int] = {}
        self._credentials: dict[tuple[str, str], dict[str, str]] = {}
        self._stop = threading.Event()
        # Which version a weighted alias runs: drawn as Lambda does, seeded so a run repeats.
        self._draws = random.Random(context.knobs().fault_seed)

    def routes(self) -> Iterable[tuple[str, str, Handler]]:
        yield LAMBDA, "Invoke", self._invoke
        for operation in CHANGES:
            yield LAMBDA, operation, self._retire_after

    def reset(self) -> None:
        with self._ctx.lock:
            self._draws.seed(self._ctx.knobs().fault_seed)
            self._stop.set()
            self._stop = threading.Event()
            idle = [env for envs in self._idle.values() for env in envs]
            self._idle.clear()
            self._warm.clear()
            self._running.clear()
            self._queued.clear()
            self._credentials.clear()
        for env in idle:
            env.close()

    def close(self) -> None:
        self.reset()
        self._code.close()

    def activity(self) -> list[Activity]:
        """Every function with an invocation running or an event not yet finished."""
        with self._ctx.lock:
            keys = {k for k, n in self._running.items() if n} | {
                k for k, n in self._queued.items() if n
            }
            return [
                Activity(
                    k.account, k.region, k.name, self._running.get(k, 0), self._queued.get(k, 0)
                )
                for k in sorted(keys, key=lambda k: (k.account, k.region, k.name))
            ]

    # -- the API -----------------------------------------------------------------------------

    def _invoke(self, call: Call, forward: Forward) -> Response:
        key, qualifier = path_function(call)
        found = self._target(call, key, qualifier or LATEST)
        if isinstance(found, Response):
            return found
        kind = str(call.environ.get("HTTP_X_AMZ_INVOCATION_TYPE") or "RequestResponse")
        refusal = _refusal(found) or _size_refusal(kind, call.body)
        if refusal is not None:
            return refusal
        try:
            event = json.loads(call.body) if call.body.strip() else {}
        except ValueError as exc:
            return json_error(
                "InvalidRequestContentException",
                400,
                f"Could not parse request body into json: {exc}",
            )
        if kind == "DryRun":
            return Response(204, (("Content-Length", "0"),), b"")
        if kind == "Event":
            return self._enqueue(call, found, event)
        return self._synchronous(call, found, event)

    def _synchronous(self, call: Call, target: Target, event: object) -> Response:
        request_id = moto_delivery.request_id()
        slot = self._acquire(call, target)
        if slot is None:
            moto_delivery.put_metrics(
                target.key.account, target.key.region, throttle_metrics(target)
            )
            return _throttled()
        outcome, lines = self._run(call, target, event, request_id, slot)
        headers = [("Content-Type", "application/json"), ("X-Amz-Executed-Version", target.version)]
        headers.append(("x-amzn-RequestId", request_id))
        if not outcome.ok:
            headers.append(("X-Amz-Function-Error", "Unhandled"))
        if call.environ.get("HTTP_X_AMZ_LOG_TYPE") == "Tail":
            tail = "\n".join(lines).encode()[-TAIL_BYTES:]
            headers.append(("X-Amz-Log-Result", base64.b64encode(tail).decode()))
        headers.append(("Content-Length", str(len(outcome.payload))))
        return Response(200, tuple(headers), outcome.payload)

    def _retire_after(self, call: Call, forward: Forward) -> Response:
        response = forward(call)
        if response.ok:
            key, _ = path_function(call)
            # Warm environments of old code or settings are never handed out again; Lambda
            # lets them finish what they run and then drops them.
            with self._ctx.lock:
                stale = [d for d in self._idle if d.function_arn.startswith(f"{key.arn}:")]
                retired = [env for d in stale for env in self._idle.pop(d)]
                for env in retired:
                    self._warm.pop(env, None)
            for env in retired:
                env.close()
        return response

    # -- running -----------------------------------------------------------------------------

    def _target(self, call: Call, key: FunctionKey, qualifier: str) -> Target | Response:
        response = self._ctx.dispatch(read_call(call, "GetFunctionConfiguration", key, qualifier))
        if not response.ok:
            return response
        target = target_from(key, qualifier, response)
        routed = self._routed(key, qualifier)
        if routed is None:
            return target
        # A weighted alias: this invocation runs the additional version, still as the alias
        # (its Resource dimension), and says which version ran (X-Amz-Executed-Version).
        version = self._ctx.dispatch(read_call(call, "GetFunctionConfiguration", key, routed))
        return (
            Target(key, qualifier, target_from(key, routed, version).config)
            if version.ok
            else target
        )

    def _routed(self, key: FunctionKey, qualifier: str) -> str | None:
        """The additional version a weighted alias sends this invocation to, if it does."""
        if qualifier == LATEST or qualifier.isdigit():
            return None
        weights = moto_backends.alias_weights(key.account, key.region, key.name, qualifier)
        with self._ctx.lock:
            draw = self._draws.random()
        for version, weight in sorted(weights.items()):
            if draw < weight:
                return version
            draw -= weight
        return None

    def _acquire(self, call: Call, target: Target) -> Slot | None:
        key, provisioned = target.key, self._provisioned(call, target)
        with self._ctx.lock:
            running = self._running.get(key, 0)
            if running >= self._capacity(key):
                return None
            self._running[key] = running + 1
            return Slot(running + 1, provisioned)

    def _capacity(self, key: FunctionKey) -> int:
        function = moto_backends.latest_function(key.account, key.region, key.name)
        reserved = None if function is None else moto_backends.reserved_concurrency(function)
        if reserved is not None:
            return reserved
        functions = moto_backends.latest_functions(key.account, key.region)
        held = sum(moto_backends.reserved_concurrency(f) or 0 for f in functions)
        return max(0, self._ctx.knobs().account_concurrency - held)

    def _provisioned(self, call: Call, target: Target) -> int:
        """READY provisioned instances serving this invocation, 0 without any: the alias's
        serve its primary version; a version routed to by weight, or invoked by number, has
        only its own (a release warms it by number)."""
        if target.qualifier == LATEST:
            return 0
        key, qualifier = target.key, target.qualifier
        if not qualifier.isdigit() and target.version != moto_backends.alias_version(
            key.account, key.region, key.name, qualifier
        ):
            qualifier = target.version
        response = self._ctx.dispatch(
            read_call(call, "GetProvisionedConcurrencyConfig", key, qualifier)
        )
        if not response.ok:
            return 0
        return int(response.json().get("AllocatedProvisionedConcurrentExecutions") or 0)

    def _run(
        self, call: Call, target: Target, event: object, request_id: str, slot: Slot
    ) -> tuple[Outcome, list[str]]:
        """Run one invocation; its outcome and the log lines it wrote."""
        try:
            deployment = self._code.deployment(target)
            env = self._environment(call, target, deployment)
            invoked = f"{target.key.arn}:{target.qualifier}"
            outcome = env.invoke(request_id, event, invoked)
        finally:
            with self._ctx.lock:
                self._running[target.key] = max(0, self._running.get(target.key, 1) - 1)
        self._keep(deployment, env)
        account, region = target.key.account, target.key.region
        lines = transcript(deployment, outcome)
        moto_delivery.write_logs(account, region, deployment.log_group, env.log_stream, lines)
        moto_delivery.put_metrics(account, region, invocation_metrics(target, outcome, slot))
        return outcome, lines

    def _environment(self, call: Call, target: Target, deployment: Deployment) -> Environment:
        with self._ctx.lock:
            idle = self._idle.get(deployment)
            if idle:
                env = idle.pop()
                self._warm.pop(env, None)
                return env
        endpoint = _endpoint(call)
        return Environment(deployment, self._role_credentials(target), endpoint)

    def _keep(self, deployment: Deployment, env: Environment) -> None:
        if not env.alive:
            return
        evicted = []
        with self._ctx.lock:
            self._idle.setdefault(deployment, []).append(env)
            self._warm[env] = deployment
            # A local AWS left running for days must not keep every function it ever ran.
            while len(self._warm) > MAX_WARM:
                oldest, owner = self._warm.popitem(last=False)
                self._idle[owner].remove(oldest)
                evicted.append(oldest)
        for stale in evicted:
            stale.close()

    def _role_credentials(self, target: Target) -> dict[str, str]:
        role = str(target.config.get("Role", ""))
        cache = (target.key.account, role)
        with self._ctx.lock:
            known = self._credentials.get(cache)
        if known is None:
            known = moto_delivery.role_credentials(target.key.account, role, target.key.name)
            with self._ctx.lock:
                self._credentials[cache] = known
        return known

    # -- asynchronous invocation -------------------------------------------------------------

    def _enqueue(self, call: Call, target: Target, event: object) -> Response:
        request_id = moto_delivery.request_id()
        queued = AsyncEvent(
            call=call,
            key=target.key,
            qualifier=target.qualifier,
            event=event,
            payload=call.body.decode("utf-8", "replace"),
            received=time.monotonic(),
            request_id=request_id,
            stop=self._stop,
        )
        with self._ctx.lock:
            self._queued[target.key] = self._queued.get(target.key, 0) + 1
        threading.Thread(target=self._track, args=(queued,), daemon=True).start()
        headers = (("x-amzn-RequestId", request_id), ("Content-Length", "0"))
        return Response(202, headers, b"")

    def _track(self, queued: AsyncEvent) -> None:
        """Deliver the event, then count it finished however delivery ended."""
        try:
            self._deliver(queued)
        finally:
            with self._ctx.lock:
                # An event from before a reset was already forgotten with its counts.
                if queued.stop is self._stop:
                    self._queued[queued.key] = max(0, self._queued.get(queued.key, 1) - 1)

    def _deliver(self, queued: AsyncEvent) -> None:
        settings = self._async_settings(queued)
        attempts, throttled, last = 0, 0, None
        while not queued.stop.is_set():
            found = self._target(queued.call, queued.key, queued.qualifier)
            if isinstance(found, Response):
                return  # the function is gone, and its queue with it
            if time.monotonic() - queued.received > settings.max_age_s:
                discard(found, settings, _finished(queued, last, attempts, "EventAgeExceeded"))
                return
            slot = self._acquire(queued.call, found)
            if slot is None:
                if self._capacity(found.key) == 0:
                    # Reserved concurrency 0: Lambda sends new events on without retrying.
                    discard(found, settings, _finished(queued, None, attempts, "EventAgeExceeded"))
                    return
                throttled += 1
                self._throttle(found, queued.stop, throttled)
                continue
            last, _ = self._run(queued.call, found, queued.event, queued.request_id, slot)
            attempts += 1
            if last.ok:
                on_success(found, settings, _finished(queued, last, attempts, "Success"))
                return
            if attempts > settings.retries:
                discard(found, settings, _finished(queued, last, attempts, "RetriesExhausted"))
                return
            # Lambda waits one minute before the first retry and two before the second.
            queued.stop.wait(attempts * self._ctx.knobs().async_retry_seconds)

    def _throttle(self, target: Target, stop: threading.Event, count: int) -> None:
        key = target.key
        moto_delivery.put_metrics(key.account, key.region, throttle_metrics(target))
        stop.wait(_throttle_delay(count, self._ctx.knobs().async_retry_seconds))

    def _async_settings(self, queued: AsyncEvent) -> AsyncSettings:
        read = read_call(queued.call, "GetFunctionEventInvokeConfig", queued.key, queued.qualifier)
        response = self._ctx.dispatch(read)
        return AsyncSettings.from_json(response.json() if response.ok else {})


def _finished(queued: AsyncEvent, last: Outcome | None, attempts: int, condition: str) -> Finished:
    return Finished(queued.payload, queued.request_id, last, attempts, condition)


def _refusal(target: Target) -> Response | None:
    state = str(target.config.get("State", "Active"))
    if state not in ("Active", ""):
        return conflict(
            "The operation cannot be performed at this time. "
            f"The function is currently in the following state: {state}"
        )
    runtime = str(target.config.get("Runtime", ""))
    # AWS answers InvalidRuntimeException with a 502, which SDKs retry; here the cause is the
    # machine, never transient, so a 400 ends the call at once, naming it.
    if not runtime.startswith("nodejs"):
        return json_error(
            "InvalidRuntimeException",
            400,
            f"the local AWS runs Node.js functions only, not {runtime}",
        )
    try:
        check_installed()
    except RuntimeMissing as exc:
        return json_error("InvalidRuntimeException", 400, f"the local AWS cannot run it: {exc}")
    return None


def _size_refusal(kind: str, body: bytes) -> Response | None:
    limit = MAX_EVENT_BYTES if kind == "Event" else MAX_REQUEST_BYTES
    if len(body) <= limit:
        return None
    return json_error(
        "RequestEntityTooLargeException",
        413,
        f"{len(body)} byte payload is too large for the {kind} invocation type "
        f"(limit {limit} bytes)",
    )


def _throttled() -> Response:
    body = {
        "Reason": "ReservedFunctionConcurrentInvocationLimitExceeded",
        "Type": "User",
        "message": "Rate Exceeded.",
    }
    encoded = json.dumps(body).encode()
    headers = (
        ("Content-Type", "application/json"),
        ("x-amzn-ErrorType", "TooManyRequestsException"),
        ("Content-Length", str(len(encoded))),
    )
    return Response(429, headers, encoded)


def _throttle_delay(attempt: int, retry_seconds: float) -> float:
    # Scaled with the retry knob so a test shortening retries shortens this backoff too.
    scale = retry_seconds / 60.0
    return float(min(THROTTLE_FIRST_S * 2 ** (attempt - 1), THROTTLE_LONGEST_S) * scale)


def _endpoint(call: Call) -> str:
    environ = call.environ
    host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME')}:{environ.get('SERVER_PORT')}"
    return f"http://{host}"
