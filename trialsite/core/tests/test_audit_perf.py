"""Standards A1 at volume: bulk writes stay audited row by row, in time and in a bounded number of queries.

Skipped by default (it writes 60,000+ rows); run it with
  AUDIT_PERF=1 .venv/bin/pytest trialsite/core/tests/test_audit_perf.py -q -s
"""

from __future__ import annotations

import datetime
import os
import time

import pytest
from django.db import models
from django.db.models import F, Value
from django.db.models.functions import Concat

from trialsite.audit.models import AuditEntry
from trialsite.core.models import AUDIT_BATCH, PK_CHUNK
from trialsite.core.testing import count_queries
from trialsite.network.models import SiteClosure

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not os.environ.get("AUDIT_PERF"), reason="volume test: set AUDIT_PERF=1 to run"),
]

DAY = datetime.date(2026, 8, 1)


def timed(label: str, func, rows: int) -> tuple[float, int]:  # noqa: ANN001
    before = AuditEntry.objects.count()
    start = time.perf_counter()
    queries, _, _ = count_queries(func)
    seconds = time.perf_counter() - start
    entries = AuditEntry.objects.count() - before
    print(f"\n{label}: {rows} rows in {seconds:.2f} s, {queries} queries, {entries} audit entries")
    assert entries == rows
    return seconds, queries


def test_bulk_create_50000_and_update_10000(net) -> None:  # noqa: ANN001
    sites = [net.site_a, net.site_b]

    def make(tag: str) -> list[SiteClosure]:
        return [SiteClosure(site=sites[i % 2], starts_on=DAY, ends_on=DAY, reason=f"{tag} {i}") for i in range(50_000)]

    # Baseline: the same insert without the audit trail (a plain QuerySet), to show what auditing adds.
    plain = make("Plain")
    start = time.perf_counter()
    plain_queries, _, _ = count_queries(lambda: models.QuerySet(SiteClosure).bulk_create(plain, batch_size=2000))
    plain_seconds = time.perf_counter() - start
    print(f"\nbaseline unaudited bulk_create: 50000 rows in {plain_seconds:.2f} s, {plain_queries} queries")

    objs = make("Bulk")
    seconds, queries = timed("bulk_create", lambda: SiteClosure.objects.bulk_create(objs, batch_size=2000), 50_000)
    # Auditing adds one statement per AUDIT_BATCH entries and one prefetch per PK_CHUNK rows, nothing per row.
    assert queries - plain_queries <= 50_000 // AUDIT_BATCH + 50_000 // PK_CHUNK
    assert seconds < 120
    entry = AuditEntry.objects.filter(object_id=str(objs[-1].pk), content_type__model="siteclosure").get()
    assert entry.site_id == net.site_b.pk and entry.object_repr == f"BBB-01 closed {DAY}–{DAY}: Bulk 49999"

    ids = [o.pk for o in objs[:10_000]]
    qs = SiteClosure.objects.filter(pk__in=ids)
    seconds, queries = timed(
        "QuerySet.update (F expression)",
        lambda: qs.update(reason=Concat(F("reason"), Value(" (moved)")), ends_on=DAY + datetime.timedelta(days=1)),
        10_000,
    )
    assert seconds < 60 and queries <= 4 * (10_000 // PK_CHUNK) + 10_000 // AUDIT_BATCH + 2
    last = AuditEntry.objects.filter(action="update").order_by("-id").first()
    assert set(last.changes) == {"reason", "ends_on"} and last.changes["reason"][1].endswith(" (moved)")

    chunk = list(SiteClosure.objects.filter(pk__in=ids[:5000]))
    for c in chunk:
        c.reason = c.reason.upper()
    seconds, queries = timed("bulk_update", lambda: SiteClosure.objects.bulk_update(chunk, ["reason"]), 5000)
    assert seconds < 60

    seconds, queries = timed("QuerySet.delete", lambda: SiteClosure.objects.filter(pk__in=ids).delete(), 10_000)
    assert seconds < 60 and queries < 200  # relations loaded once for all rows, not per row
