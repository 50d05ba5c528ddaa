"""Secret sources that name where they are used: each target reads its own value."""

from __future__ import annotations

import pytest

from reconciler.desired import secrets
from reconciler.desired.load import secret_ref
from reconciler.errors import InputError


def test_a_secret_source_may_name_where_it_is_used() -> None:
    env = secret_ref("s", "env:API_KEY_{suffix}_{env}")
    ssm = secret_ref("s", "ssm:/{account}/payments/{env}/db")
    refs = {("st", "fn", "A"): env, ("st", "fn", "B"): ssm}
    place = {"suffix": "pr-42", "env": "prod", "account": "333333333333"}
    got = secrets.rendered(refs, place)
    # A shell cannot export `API_KEY_pr-42`: in a variable's name `-` becomes `_`.
    assert str(got[("st", "fn", "A")]) == "env:API_KEY_pr_42_prod"
    assert str(got[("st", "fn", "B")]) == "ssm:/333333333333/payments/prod/db"
    assert secrets.needs_account(ssm) and not secrets.needs_account(env)
    with pytest.raises(InputError, match="must name its source"):
        secret_ref("s", "env:API_KEY_{region}")
