"""The access matrix (standards P1): every endpoint × every role × every scope target.

Each app lists its endpoints in `trialsite/<app>/tests/access_cases.py` (format:
trialsite/core/testing.py). One test per case runs it for every user of the network
(plus anonymous) and every target; a gate test fails on any URL name no case covers.

Case.extra keys the runner understands:
  "users": a subset of USERS to run (for slow endpoints, e.g. the schema);
  "login_redirect_ok": a 302 to a log-in page is the expected answer for logged-in users too.
A 302 counts as access unless it points to a log-in page; a 500 (or a crash) is always reported.
`url()` and `data()` run inside the request's savepoint, so they may create the objects they need.

Speed: the network (and one logged-in session per user) is built once per module inside an
outer transaction that is rolled back at the end, like Django's `setUpTestData`; every single
request runs in its own savepoint that is rolled back, so writes never leak between requests.
"""

from __future__ import annotations

import importlib
import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from rest_framework.test import APIClient

from trialsite.accounts.scoping import forget_grants
from trialsite.core.context import acting_as
from trialsite.core.testing import TARGETS, USERS, Case

# Django admin's internal pages are Django's own; only the admin's front door is in the matrix.
ADMIN_COVERED = {"admin:index"}


def collect_cases() -> list[tuple[str, Case]]:
    """CASES of every trialsite app's tests/access_cases.py (and core's own)."""
    found: list[tuple[str, Case]] = []
    for config in apps.get_app_configs():
        if not config.name.startswith("trialsite."):
            continue
        module_name = f"{config.name}.tests.access_cases"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                continue
            raise
        for case in getattr(module, "CASES", []):
            found.append((config.label, case))
    return found


CASES = collect_cases()


def case_id(item: tuple[str, Case]) -> str:
    app, case = item
    return f"{app}:{case.url_name}:{case.method}" + (f":{case.note}" if case.note else "")


def url_names() -> dict[str, str]:
    """Every named URL of the project (namespaced), mapped to a readable pattern."""
    out: dict[str, str] = {}

    def walk(patterns: list[Any], namespace: str, prefix: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = namespace
                if p.namespace:
                    ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
                walk(p.url_patterns, ns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                if p.name is None:
                    out[f"<unnamed {route}>"] = route
                    continue
                name = f"{namespace}:{p.name}" if namespace else p.name
                out.setdefault(name, route)

    walk(get_resolver().url_patterns, "", "/")
    return out


def required_names() -> set[str]:
    names = url_names()
    admin = {n for n, route in names.items() if n.startswith("admin:") or route.startswith("/admin/")}
    return (set(names) - admin) | ADMIN_COVERED


@dataclass
class Tally:
    requests: int = 0
    unexpected_allows: int = 0
    wrong_refusals: int = 0
    other_mismatches: int = 0


TALLY = Tally()


@pytest.fixture(scope="module")
def matrix(request, django_db_setup, django_db_blocker):  # noqa: ANN001, ANN201
    """The network and one session per user, built once, rolled back at the end of the module."""
    from trialsite.conftest import build_network

    fast_hashing = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    fast_hashing.enable()
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            with acting_as(process="test-setup"):
                net = build_network()
                sessions = {}
                for name, user in net.users.items():
                    c = Client()
                    c.force_login(user)
                    sessions[name] = c.cookies[settings.SESSION_COOKIE_NAME].value
            yield net, sessions
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            fast_hashing.disable()
    line = (
        f"access matrix: {len(CASES)} cases, {TALLY.requests} requests, "
        f"{TALLY.unexpected_allows} unexpected allows, {TALLY.wrong_refusals} wrong refusals, "
        f"{TALLY.other_mismatches} other mismatches"
    )
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if capture is not None and reporter is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line("")
            reporter.write_line(line)


def is_allow(status: int, location: str) -> bool:
    """An answer that gives access: 2xx, or a redirect that is not to a log-in page."""
    if 200 <= status < 300:
        return True
    return status in (301, 302, 303) and "login" not in location


def client_for(name: str, case: Case, net: Any, sessions: dict[str, str]) -> Client:
    if case.api:
        c = APIClient()
        if name != "anonymous":
            user = net.users[name]
            forget_grants(user)
            c.force_authenticate(user)
        return c
    c = Client()
    if name != "anonymous":
        c.cookies[settings.SESSION_COOKIE_NAME] = sessions[name]
    return c


def perform(case: Case, client: Client, path: str, data: dict[str, Any] | None) -> tuple[int, str]:
    method = case.method.lower()
    kwargs: dict[str, Any] = {}
    if data is not None:
        if case.api:
            kwargs = {"data": json.dumps(data, default=str), "content_type": "application/json"}
        else:
            kwargs = {"data": data}
    try:
        response = getattr(client, method)(path, **kwargs)
    except Exception as exc:  # a crash is a 500, and a finding
        return 500, repr(exc)
    return response.status_code, response.get("Location", "") or ""


def run_case(case: Case, net: Any, sessions: dict[str, str], tally: Tally) -> list[str]:
    """Request the case for every user and target; return the problems found (empty when all is as expected)."""
    users = case.extra.get("users", USERS)
    problems: list[str] = []
    checked_name = False
    for name in users:
        for target in case.targets:
            with transaction.atomic():
                try:
                    path = case.url(net, target)
                    if path is None:
                        continue
                    if not checked_name:
                        match = resolve(path.split("?")[0])
                        assert match.view_name == case.url_name, f"{path} resolves to {match.view_name}"
                        checked_name = True
                    data = case.data(net, target) if case.data else None
                    expected = case.expect(name, target)
                    status, location = perform(case, client_for(name, case, net, sessions), path, data)
                finally:
                    transaction.set_rollback(True)
            tally.requests += 1
            refused_expected = not is_allow(expected, "login" if name == "anonymous" else "")
            if status == expected:
                redirected_to_login = status in (301, 302, 303) and "login" in location
                if name != "anonymous" and redirected_to_login and not case.extra.get("login_redirect_ok"):
                    tally.wrong_refusals += 1
                    problems.append(f"WRONG REFUSAL {name}/{target}: redirected to log-in ({location})")
                elif name == "anonymous" and status in (301, 302, 303) and not redirected_to_login:
                    tally.unexpected_allows += 1
                    problems.append(f"UNEXPECTED ALLOW {name}/{target}: redirected to {location}, not to log-in")
                continue
            if is_allow(status, location) and refused_expected:
                tally.unexpected_allows += 1
                kind = "UNEXPECTED ALLOW"
            elif not refused_expected and not is_allow(status, location):
                tally.wrong_refusals += 1
                kind = "WRONG REFUSAL"
            else:
                tally.other_mismatches += 1
                kind = "mismatch"
            problems.append(f"{kind} {name}/{target} {case.method} {path}: expected {expected}, got {status}")
    assert checked_name or not case.targets, f"{case.url_name}: no target produced a URL"
    return problems


@pytest.mark.django_db
@pytest.mark.parametrize("item", CASES, ids=case_id)
def test_case(item: tuple[str, Case], matrix: tuple[Any, dict[str, str]]) -> None:
    _app, case = item
    net, sessions = matrix
    problems = run_case(case, net, sessions, TALLY)
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
def test_runner_catches_leaks_and_wrong_refusals(matrix: tuple[Any, dict[str, str]]) -> None:
    """The runner itself: a case that gets the rules wrong must be reported, both ways."""
    net, sessions = matrix
    site_detail = lambda n, t: f"/network/sites/{(n.site_b if t == 'other_site' else n.site_a).pk}/"  # noqa: E731
    # Claims nobody outside the network roles may see any site: the site-A users' 200s are "leaks".
    too_strict = Case(
        "network:site_detail",
        "GET",
        site_detail,
        lambda u, t: 302 if u == "anonymous" else (200 if u in ("admin", "ops", "finance", "qa") else 404),
        targets=("own", "other_site"),
    )
    # Claims everyone sees site B: the 404s for site-A users are "wrong refusals".
    too_loose = Case(
        "network:site_detail",
        "GET",
        site_detail,
        lambda u, t: 302 if u == "anonymous" else 200,
        targets=("own", "other_site"),
    )
    strict, loose = Tally(), Tally()
    run_case(too_strict, net, sessions, strict)
    run_case(too_loose, net, sessions, loose)
    # Site A is seen by manager_a, staff_a, qa_a, staff_xa, monitor_xa (5); site B by none of them nor nobody.
    assert (strict.unexpected_allows, strict.wrong_refusals) == (5, 0)
    assert (loose.unexpected_allows, loose.wrong_refusals) == (0, 1 + 6)  # nobody at A; six at B


def test_every_url_is_in_the_matrix() -> None:
    """The gate: a URL name without a case is an endpoint nobody checked (P1: 0 outside the matrix)."""
    covered = {case.url_name for _app, case in CASES}
    required = required_names()
    missing = sorted(required - covered)
    print(f"access matrix coverage: {len(required) - len(missing)}/{len(required)} URL names covered")
    assert not missing, f"{len(missing)} URL names have no access case:\n" + "\n".join(
        f"  {n}  ({url_names().get(n, '')})" for n in missing
    )


def test_cases_name_real_urls() -> None:
    """A case for a URL name that no longer exists is a stale case."""
    names = set(url_names()) | ADMIN_COVERED
    stale = sorted({case.url_name for _app, case in CASES} - names)
    assert not stale, f"cases for unknown URL names: {stale}"


def test_case_targets_are_known() -> None:
    bad = [case_id(c) for c in CASES if set(c[1].targets) - set(TARGETS)]
    assert not bad, bad


def test_matrix_counts() -> None:
    """A figure for the report: how many cases each app contributes."""
    per_app = Counter(app for app, _case in CASES)
    print("access cases per app:", dict(sorted(per_app.items())))
    assert CASES
