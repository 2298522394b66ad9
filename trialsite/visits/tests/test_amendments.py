import datetime

import pytest
from django.core.exceptions import PermissionDenied

from trialsite.audit.models import AuditEntry
from trialsite.core.exceptions import ConflictError
from trialsite.visits import services
from trialsite.visits.models import Visit
from trialsite.visits.tests.conftest import ANCHOR, make_participant, make_schedule

pytestmark = pytest.mark.django_db


@pytest.fixture
def enrolled(net, schedule):
    """Two enrolled participants on version 1.0; the first has already done V1 and V2."""
    out = []
    for n in range(2):
        p = make_participant(net.xa, n=n)
        p.stage = "enrolled"
        p.save()
        services.generate_visits(p, anchor="enrollment", anchor_date=ANCHOR, actor=net.user("staff_a"))
        out.append(p)
    v1, v2 = Visit.objects.filter(participant=out[0], code__in=["V1", "V2"]).order_by("sequence")
    services.complete_visit(v1, actual_on=v1.target_on, procedures={"LAB": True}, actor=net.user("staff_a"))
    services.complete_visit(
        v2, actual_on=v2.target_on, procedures={"LAB": True, "ECG": True}, actor=net.user("staff_a")
    )
    return out


@pytest.fixture
def amendment(net):
    # Effective 2026-03-05: V2 (day 7) moves to day 10 ±1; V3 is dropped; V4 (day 56 ±7) is new.
    return make_schedule(
        net.study_x,
        label="2.0",
        effective_on=datetime.date(2026, 3, 5),
        rows=[
            ("SCR", "Screening", "screening", "consent", 0, 0, 0),
            ("V1", "Baseline", "treatment", "enrollment", 0, 0, 0),
            ("V2", "Day 10", "treatment", "enrollment", 10, 1, 1),
            ("V4", "Week 8", "follow_up", "enrollment", 56, 7, 7),
        ],
    )


def test_preview_lists_every_change_and_writes_nothing(net, enrolled, amendment):
    before = AuditEntry.objects.count()
    preview = services.preview_protocol_change(net.xa, amendment, actor=net.user("staff_a"))
    assert AuditEntry.objects.count() == before
    rows = {(c.participant_id, c.kind, c.old_code, c.new_code) for c in preview.changes}
    first, second = enrolled
    assert rows == {
        # first participant: V1, V2 done → untouched; V3 removed, V4 added
        (first.pk, "removed", "V3", ""),
        (first.pk, "added", "", "V4"),
        # second participant: V1 (2 March) is before the effective date → untouched
        (second.pk, "changed", "V2", "V2"),
        (second.pk, "removed", "V3", ""),
        (second.pk, "added", "", "V4"),
    }
    changed = next(c for c in preview.changes if c.kind == "changed")
    assert changed.old_planned_on == datetime.date(2026, 3, 9)
    assert changed.new_planned_on == datetime.date(2026, 3, 12)  # day 10, a Thursday
    assert changed.new_window == (datetime.date(2026, 3, 11), datetime.date(2026, 3, 13))
    assert preview.counts() == {"added": 2, "changed": 1, "removed": 2}


def test_apply_is_atomic_audited_and_idempotent(net, enrolled, amendment):
    preview = services.preview_protocol_change(net.xa, amendment, actor=net.user("staff_a"))
    before = AuditEntry.objects.filter(content_type__model="visit").count()
    applied = services.apply_protocol_change(
        net.xa, amendment, actor=net.user("staff_a"), expected_digest=preview.digest
    )
    assert applied.digest == preview.digest
    # one audit entry per visit written: 1 changed + 2 removed + 2 added
    assert AuditEntry.objects.filter(content_type__model="visit").count() - before == 5
    second = enrolled[1]
    v2 = Visit.objects.get(participant=second, code="V2")
    assert v2.definition.protocol_version_id == amendment.pk and v2.planned_on == datetime.date(2026, 3, 12)
    assert Visit.objects.get(participant=second, code="V3").status == "cancelled"
    assert Visit.objects.get(participant=second, code="V4").target_on == ANCHOR + datetime.timedelta(days=56)
    # completed history stays as it was
    assert Visit.objects.get(participant=enrolled[0], code="V2").status == "completed"
    assert services.preview_protocol_change(net.xa, amendment, actor=net.user("staff_a")).changes == []


def test_apply_refuses_a_stale_preview(net, enrolled, amendment):
    preview = services.preview_protocol_change(net.xa, amendment, actor=net.user("staff_a"))
    services.miss_visit(Visit.objects.get(participant=enrolled[1], code="V2"), reason="Away", actor=net.user("staff_a"))
    with pytest.raises(ConflictError):
        services.apply_protocol_change(net.xa, amendment, actor=net.user("staff_a"), expected_digest=preview.digest)
    assert not Visit.objects.filter(code="V4").exists()


def test_apply_failure_leaves_nothing_half_written(net, enrolled, amendment, monkeypatch):
    original = Visit.objects.bulk_create

    def boom(*a, **k):
        raise RuntimeError("database went away")

    monkeypatch.setattr(type(Visit.objects), "bulk_create", boom, raising=False)
    with pytest.raises(RuntimeError):
        services.apply_protocol_change(net.xa, amendment, actor=net.user("staff_a"))
    monkeypatch.setattr(type(Visit.objects), "bulk_create", original, raising=False)
    assert not Visit.objects.filter(status="cancelled").exists()
    assert Visit.objects.get(participant=enrolled[1], code="V2").planned_on == datetime.date(2026, 3, 9)


def test_amendment_scope(net, enrolled, amendment):
    with pytest.raises(PermissionDenied):
        services.preview_protocol_change(net.xa, amendment, actor=net.user("monitor_xa"))
    with pytest.raises(PermissionDenied):
        services.apply_protocol_change(net.xb, amendment, actor=net.user("staff_a"))


def test_amendment_pages_preview_then_apply(net, web, enrolled, amendment):
    c = web(net.user("staff_a"))
    assert "9.9" not in c.get("/visits/amendments/").content.decode()
    assert f"/visits/amendments/{net.xa.pk}/{amendment.pk}/" in c.get("/visits/amendments/").content.decode()
    page = c.get(f"/visits/amendments/{net.xa.pk}/{amendment.pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "removed" in body and "added" in body and "V4" in body
    digest = page.context["preview"].digest
    r = c.post(f"/visits/amendments/{net.xa.pk}/{amendment.pk}/", {"digest": "stale", "reason": "v2"})
    assert r.status_code == 200 and "changed since the preview" in r.content.decode()
    assert not Visit.objects.filter(code="V4").exists()
    r = c.post(f"/visits/amendments/{net.xa.pk}/{amendment.pk}/", {"digest": digest, "reason": "Amendment 2"})
    assert r.status_code == 302
    assert Visit.objects.filter(code="V4").count() == 2
    entry = AuditEntry.objects.filter(content_type__model="visit", event="visit.amendment").first()
    assert entry.reason == "Amendment 2" and entry.actor_id == net.user("staff_a").pk
    assert "No change" in c.get(f"/visits/amendments/{net.xa.pk}/{amendment.pk}/").content.decode()
