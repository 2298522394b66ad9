import datetime

import pytest

from trialsite.audit.models import AuditEntry
from trialsite.visits.models import Visit
from trialsite.visits.services import generate_visits
from trialsite.visits.tests.conftest import ANCHOR, make_schedule

pytestmark = pytest.mark.django_db


def test_generate_visits_creates_anchor_visits_with_windows(net, participant):
    visits = generate_visits(participant, anchor="enrollment", anchor_date=ANCHOR, actor=net.user("staff_a"))
    assert [v.code for v in visits] == ["V1", "V2", "V3"]
    v3 = visits[2]
    assert v3.target_on == ANCHOR + datetime.timedelta(days=28)
    assert v3.window_start == v3.target_on - datetime.timedelta(days=3)
    assert v3.window_end == v3.target_on + datetime.timedelta(days=3)
    assert v3.planned_on == v3.target_on  # a Monday, open
    assert all(v.study_site_id == net.xa.pk for v in visits)
    assert all(v.coordinator_id == net.crc_a.pk for v in visits)
    # one audit entry per created visit, attributed to the actor
    entries = AuditEntry.objects.filter(
        content_type__model="visit", object_id__in=[str(v.pk) for v in visits], action="create"
    )
    assert entries.count() == 3
    assert {e.actor_id for e in entries} == {net.user("staff_a").pk}


def test_generate_visits_is_idempotent(net, participant):
    first = generate_visits(participant, anchor="enrollment", anchor_date=ANCHOR, actor=net.user("staff_a"))
    again = generate_visits(participant, anchor="enrollment", anchor_date=ANCHOR, actor=net.user("staff_a"))
    assert [v.pk for v in first] == [v.pk for v in again]
    assert Visit.objects.filter(participant=participant).count() == 3


def test_generate_visits_only_for_the_anchor(net, participant):
    visits = generate_visits(participant, anchor="consent", anchor_date=ANCHOR, actor=net.user("staff_a"))
    assert [v.code for v in visits] == ["SCR"]


def test_generate_visits_uses_version_in_force(net, participant):
    make_schedule(
        net.study_x,
        label="2.0",
        effective_on=datetime.date(2026, 3, 1),
        rows=[("B1", "Baseline v2", "treatment", "enrollment", 0, 0, 0)],
    )
    old = generate_visits(
        participant, anchor="enrollment", anchor_date=datetime.date(2026, 2, 2), actor=net.user("staff_a")
    )
    assert [v.code for v in old] == ["V1", "V2", "V3"]
    from trialsite.visits.tests.conftest import make_participant

    other = make_participant(net.xa, n=2)
    new = generate_visits(other, anchor="enrollment", anchor_date=ANCHOR, actor=net.user("staff_a"))
    assert [v.code for v in new] == ["B1"]


def test_generate_visits_refuses_out_of_scope_actor(net, participant):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        generate_visits(participant, anchor="enrollment", anchor_date=ANCHOR, actor=net.user("monitor_xa"))
    assert not Visit.objects.exists()


def test_generate_visits_rejects_unknown_anchor(net, participant):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        generate_visits(participant, anchor="bogus", anchor_date=ANCHOR, actor=net.user("staff_a"))
    assert "anchor" in exc.value.error_dict
