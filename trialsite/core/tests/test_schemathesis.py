"""A bounded schemathesis pass over the whole OpenAPI schema: generated requests, 0 server errors
(standards F3), as a network admin and as a site-staff user, with token authentication.

The WSGI app runs in-process inside the test's transaction, so the `net` fixture data is there
while requests are generated (no server, no transaction=True). Each request runs in a savepoint
that is rolled back after a 5xx, so one failure cannot poison the requests after it.
"""

from __future__ import annotations

import collections
import os
import re
import traceback
from typing import Any

import pytest
import schemathesis
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import got_request_exception, request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from schemathesis.generation.modes import GenerationMode

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "3"))  # per operation, user and mode
ONLY = os.environ.get("SCHEMATHESIS_ONLY", "")  # a regex on paths, to dig into some endpoints
USERS = ("admin", "staff_a")


class InProcessWSGI:
    """Django's WSGI app for in-process calls inside a test transaction.

    Like Django's test client, it keeps request signals from closing the test's connection.
    """

    def __init__(self) -> None:
        self.handler = WSGIHandler()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            return self.handler(environ, start_response)
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)


def _known_ids(client: Any, schema: dict[str, Any]) -> dict[str, list[int]]:
    """Existing ids per collection, so generated detail requests also reach real records."""
    ids: dict[str, list[int]] = {}
    for path in schema["paths"]:
        parts = path.strip("/").split("/")
        if len(parts) == 3 and parts[:2] == ["api", "v1"]:
            r = client.get(f"/{path.strip('/')}/?page_size=20")
            if r.status_code == 200 and isinstance(r.json(), dict):
                ids[parts[2]] = [row["id"] for row in r.json().get("results", []) if "id" in row]
    return ids


@pytest.mark.slow
@pytest.mark.django_db
def test_generated_requests_cause_no_server_errors(net, settings, api) -> None:  # noqa: ANN001
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()  # a fresh throttle budget
    tokens = {who: Token.objects.create(user=net.user(who)).key for who in USERS}
    app = InProcessWSGI()
    auth = {"Authorization": f"Token {tokens['admin']}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", app, headers=auth)
    raw = schema.raw_schema
    known = _known_ids(api(net.user("admin")), raw)

    errors: list[str] = []
    last_exception: list[str] = []
    requests = 0
    skipped: list[str] = []
    statuses: collections.Counter[int] = collections.Counter()

    def on_exception(sender: Any, request: Any = None, **kwargs: Any) -> None:
        last_exception.append(traceback.format_exc(limit=-6))

    def run(op: Any, who: str, mode: GenerationMode) -> None:
        collection = op.path.strip("/").split("/")[2] if op.path.startswith("/api/v1/") else ""
        headers = {"Authorization": f"Token {tokens[who]}"}

        @hsettings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=op.as_strategy(generation_mode=mode), real=st.booleans(), pick=st.integers(0, 19))
        def call(case: Any, real: bool, pick: int) -> None:
            nonlocal requests
            pool = known.get(collection)
            if real and pool and "id" in (case.path_parameters or {}):
                case.path_parameters["id"] = pool[pick % len(pool)]
            last_exception.clear()
            with transaction.atomic():
                response = case.call(headers=headers)
                if response.status_code >= 500:
                    transaction.set_rollback(True)
            requests += 1
            statuses[response.status_code] += 1
            if response.status_code >= 500:
                body = "-" if type(case.body).__name__ == "NotSet" else repr(case.body)[:200]
                errors.append(
                    f"{response.status_code} {case.method} {case.formatted_path} as {who} ({mode}):"
                    f" query={case.query!r:.200} body={body}\n{''.join(last_exception)[-1500:]}"
                )

        try:
            call()
        except Unsatisfiable:
            # Nothing in this operation can be made invalid (e.g. a list with no parameters).
            skipped.append(f"{op.method.upper()} {op.path} {mode}")

    operations = [result.ok() for result in schema.get_all_operations()]
    operations = [op for op in operations if re.search(ONLY, op.path)]
    got_request_exception.connect(on_exception)
    try:
        for op in operations:
            for who in USERS:
                for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                    run(op, who, mode)
    finally:
        got_request_exception.disconnect(on_exception)

    print(
        f"\nschemathesis: {len(operations)} operations, {requests} requests "
        f"({EXAMPLES} examples per operation, user and mode; users: {', '.join(USERS)}), "
        f"{len(errors)} server errors; statuses {dict(sorted(statuses.items()))}; "
        f"{len(skipped)} operation/mode pairs with nothing to generate"
    )
    assert len(operations) > 30 or ONLY
    assert not errors, f"{len(errors)} server errors:\n" + "\n\n".join(errors[:20])
