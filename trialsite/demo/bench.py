"""Response times and queries per request of the main list pages and endpoints, and schedule generation speed.

Measured in-process with Django's test client (no network, no web server): the figures are the
application's own cost (views, templates, serializers, SQL), which is what the list pages add.
"""

from __future__ import annotations

import datetime
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from trialsite.accounts.models import RoleAssignment, User
from trialsite.accounts.roles import Role
from trialsite.core.context import acting_as

# Pages that list things or sum them up (calendars, funnels, metrics): discovered by name.
LIST_MARKERS = ("_list", "-list", "calendar", "funnel", "metric", "dashboard", "overview", "log")
SKIP_MARKERS = (
    "login",
    "logout",
    "password",
    "schema",
    "docs",
    "redoc",
    "api-root",
    "feed",
    "ical",
    "export",
    "admin:",
)


@dataclass
class Row:
    path: str
    user: str
    median_ms: float
    p95_ms: float
    queries: int
    status: int


def _walk(patterns: list, prefix: str = "", ns: str = "") -> Iterator[tuple[str, str]]:
    for p in patterns:
        if isinstance(p, URLResolver):
            sub_ns = f"{ns}{p.namespace}:" if p.namespace else ns
            yield from _walk(p.url_patterns, prefix + _plain(p.pattern), sub_ns)
        elif isinstance(p, URLPattern) and p.name:
            yield ns + p.name, prefix + _plain(p.pattern)


def _plain(pattern: object) -> str:
    """A route piece without regex anchors (the API router's patterns are regexes like ^sites/$)."""
    return str(pattern).removeprefix("^").removesuffix("$")


def discover() -> list[tuple[str, str]]:
    """(url name, path) of every list page and list endpoint without path parameters."""
    out = [("home", "/")]
    seen = {"/"}
    for name, route in _walk(get_resolver().url_patterns):
        if "<" in route or "(?P" in route or "\\" in route or any(m in name for m in SKIP_MARKERS):
            continue
        if not any(m in name for m in LIST_MARKERS):
            continue
        path = "/" + route
        if path in seen:
            continue
        seen.add(path)
        out.append((name, path))
    return out


class QueryCounter:
    """Counts SQL statements without keeping them (no 9,000-query cap, no debug-cursor cost)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):  # noqa: ANN001, ANN204
        self.count += 1
        return execute(sql, params, many, context)


def measure(client: Client, path: str, n: int) -> tuple[list[float], int, int]:
    times: list[float] = []
    queries = status = 0
    for _ in range(n):
        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            started = time.perf_counter()
            resp = client.get(path, HTTP_ACCEPT="application/json" if path.startswith("/api/") else "text/html")
            if hasattr(resp, "streaming_content"):
                b"".join(resp.streaming_content)
            times.append((time.perf_counter() - started) * 1000)
        queries, status = counter.count, resp.status_code
    return times, queries, status


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]


def run_pages(users: dict[str, User], n: int, log: Callable[[str], None]) -> list[Row]:
    rows = []
    pages = discover()
    for label, user in users.items():
        client = Client()
        with acting_as(process="command:bench"):  # logging in stamps last_login, an audited write
            client.force_login(user)
        for _name, page in pages:
            path = page
            resp = client.get(path)  # warm caches (templates, content types, grants); follow a default redirect
            if resp.status_code == 302 and resp["Location"].startswith("/") and "login" not in resp["Location"]:
                path = resp["Location"]
                client.get(path)
            times, queries, status = measure(client, path, n)
            rows.append(Row(path, label, statistics.median(times), p95(times), queries, status))
        log(f"  measured {len(pages)} pages as {label}")
    return rows


def table(rows: list[Row]) -> list[str]:
    lines = [f"{'page / endpoint':<42} {'user':<12} {'median ms':>10} {'p95 ms':>9} {'queries':>8} {'status':>7}"]
    lines.append("-" * len(lines[0]))
    for r in sorted(rows, key=lambda r: (r.path, r.user)):
        lines.append(f"{r.path:<42} {r.user:<12} {r.median_ms:>10.1f} {r.p95_ms:>9.1f} {r.queries:>8} {r.status:>7}")
    return lines


def schedule_generation(count: int, today: datetime.date) -> tuple[int, int, float] | None:
    """Plan the visits of `count` fresh enrolled participants with visits.services.generate_visits.

    Inside a transaction that is rolled back, so the benchmark leaves the database as it found it.
    Returns (participants, visits planned, seconds), or None when the visits service is absent.
    """
    try:
        from trialsite.visits.services import generate_visits
    except ImportError:
        return None
    from trialsite.participants.models import Participant
    from trialsite.protocols.models import ProtocolVersion
    from trialsite.studies.models import StudySite

    studies = ProtocolVersion.objects.values("study_id")
    study_sites = list(StudySite.objects.filter(status=StudySite.Status.ACTIVE, study_id__in=studies).order_by("pk"))
    if not study_sites:
        return None
    with transaction.atomic():
        with acting_as(process="command:bench"):
            actor = _bench_writer()
            fresh = [
                Participant(
                    study_site=study_sites[i % len(study_sites)],
                    stage=Participant.Stage.ENROLLED,
                    first_name="Bench",
                    last_name=f"Participant {i}",
                    referred_on=today - datetime.timedelta(days=30),
                    subject_id=f"BENCH-{i:06d}",
                    screening_number=f"BENCH-S{i:06d}",
                    enrolled_on=today,
                )
                for i in range(count)
            ]
            Participant.objects.bulk_create(fresh, batch_size=2000)
        started = time.perf_counter()
        planned = 0
        for p in fresh:
            planned += len(generate_visits(p, anchor="enrollment", anchor_date=today, actor=actor))
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return count, planned, elapsed


def _bench_writer() -> User:
    """A network-wide site-staff login, allowed to plan visits anywhere (exists only inside the rollback)."""
    user = User(username="bench.writer", display_name="Benchmark writer")
    user.set_unusable_password()
    user.save()
    RoleAssignment.objects.create(user=user, role=Role.SITE_STAFF)
    return user
