"""Test contracts shared by every app: access-matrix cases and the N+1 guard.

Access matrix: each app lists its endpoints in `trialsite/<app>/tests/access_cases.py` as
`CASES: list[Case]`. The matrix test (trialsite/core/tests/test_access_matrix.py) runs every
case for every user of the `net` fixture (plus anonymous) and every target, and fails when a
URL pattern of the project has no case.

Targets, relative to the site-A users of the fixture (manager_a, staff_a, qa_a, and the
study-at-site users staff_xa, monitor_xa whose scope is study X at site A):
  "own"         an object of study X at site A (net.xa / site A),
  "other_site"  an object at site B (net.xb / site B),
  "other_study" an object of study Y at site A (net.ya), outside staff_xa's and monitor_xa's scope.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

USERS = (
    "admin",
    "ops",
    "manager_a",
    "staff_a",
    "staff_xa",
    "finance",
    "qa",
    "qa_a",
    "monitor_xa",
    "nobody",
    "anonymous",
)
TARGETS = ("own", "other_site", "other_study")


@dataclass
class Case:
    """One endpoint of the matrix.

    url(net, target) -> the path to request (return None when the target does not apply).
    expect(user, target) -> the expected HTTP status for that user and target.
    data(net, target) -> the body for writes (JSON for API, form data for UI).
    """

    url_name: str
    method: str
    url: Callable[[Any, str], str | None]
    expect: Callable[[str, str], int]
    data: Callable[[Any, str], dict[str, Any]] | None = None
    api: bool = False
    targets: tuple[str, ...] = TARGETS
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def count_queries(func: Callable[[], Any]) -> tuple[int, Any, list[str]]:
    """Run func, return (query count, its result, the SQL), for pinning query counts."""
    with CaptureQueriesContext(connection) as ctx:
        result = func()
    return len(ctx.captured_queries), result, [q["sql"] for q in ctx.captured_queries]


def assert_constant_queries(
    fetch: Callable[[], Any], grow: Callable[[int], None], small: int = 5, large: int = 50, expected: int | None = None
) -> int:
    """Pin a list page's or endpoint's query count: equal at `small` and `large` rows.

    `grow(n)` makes sure at least n rows are listed; `fetch()` requests the page and returns
    the response (asserted 200). Returns the count; pass `expected` to pin the exact number.
    """
    grow(small)
    n_small, resp, _ = count_queries(fetch)
    assert resp.status_code == 200, resp.status_code
    grow(large)
    n_large, resp, sql = count_queries(fetch)
    assert resp.status_code == 200, resp.status_code
    assert n_small == n_large, (
        f"query count grows with rows: {n_small} at {small}, {n_large} at {large}:\n" + "\n".join(sql)
    )
    if expected is not None:
        assert n_large == expected, f"expected {expected} queries, got {n_large}:\n" + "\n".join(sql)
    return n_large
