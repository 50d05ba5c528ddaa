"""IAM eventual consistency: a role is not assumable by Lambda until it has propagated."""

from __future__ import annotations

from collections.abc import Iterable

from reconciler.sandbox.lambda_.names import role_name
from reconciler.sandbox.wire.call import Call, Forward, Handler, LayerContext
from reconciler.sandbox.wire.errors import invalid_parameter
from reconciler.sandbox.wire.wsgi import Response

CANNOT_ASSUME = "The role defined for the function cannot be assumed by Lambda."


class IamPropagation:
    """Remembers when each role was created and holds Lambda back until it propagated."""

    def __init__(self, context: LayerContext) -> None:
        self._ctx = context
        self._created: dict[tuple[str, str], float] = {}

    def routes(self) -> Iterable[tuple[str, str, Handler]]:
        yield "iam", "CreateRole", self._create_role
        yield "lambda", "CreateFunction", self._guard
        yield "lambda", "UpdateFunctionConfiguration", self._guard

    def reset(self) -> None:
        with self._ctx.lock:
            self._created.clear()

    def _create_role(self, call: Call, forward: Forward) -> Response:
        response = forward(call)
        name = call.form().get("RoleName")
        if response.ok and name:
            with self._ctx.lock:
                self._created[(call.account, name)] = self._ctx.now()
        return response

    def _guard(self, call: Call, forward: Forward) -> Response:
        role = call.json().get("Role")
        if isinstance(role, str) and self._too_fresh(call.account, role_name(role)):
            return invalid_parameter(CANNOT_ASSUME)
        return forward(call)

    def _too_fresh(self, account: str, name: str) -> bool:
        with self._ctx.lock:
            created = self._created.get((account, name))
        if created is None:
            return False
        return self._ctx.now() - created < self._ctx.knobs().iam_propagation_seconds
