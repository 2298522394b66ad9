import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from trialsite.audit.models import AuditEntry
from trialsite.core.exceptions import ConflictError
from trialsite.network.models import SiteClosure
from trialsite.visits import services
from trialsite.visits.models import Visit
from trialsite.visits.tests.conftest import ANCHOR

pytestmark = pytest.mark.django_db
D = datetime.timedelta


@pytest.fixture
def visits(net, participant):
    participant.stage = "enrolled"
    participant.save()
    return services.generate_visits(participant, anchor="enrollment", anchor_date=ANCHOR, actor=net.user("staff_a"))


def test_planning_avoids_closure_and_holiday(net, schedule):
    from trialsite.visits.tests.conftest import make_participant

    # V3 target is Monday 2026-03-30; close the site that day: nearest open day in ±3 is Tue 31st
    # (Friday 27th is 3 days away).
    SiteClosure.objects.create(
        site=net.site_a, starts_on=datetime.date(2026, 3, 30), ends_on=datetime.date(2026, 3, 30), reason="Move"
    )
    p = make_participant(net.xa)
    visits = services.generate_visits(p, anchor="enrollment", anchor_date=ANCHOR, actor=net.user("staff_a"))
    v3 = visits[2]
    assert v3.target_on == datetime.date(2026, 3, 30)
    assert v3.planned_on == datetime.date(2026, 3, 31)
    assert "Moved from 2026-03-30" in v3.planning_note
    # Anchored so V1 falls on US Independence Day (Saturday 2026-07-04 → also not a clinic day) and
    # on Memorial Day 2026-05-25 (a Monday holiday), with a zero window: planned on target, noted.
    p2 = make_participant(net.xa, n=2)
    v1 = services.generate_visits(
        p2, anchor="enrollment", anchor_date=datetime.date(2026, 5, 25), actor=net.user("staff_a")
    )[0]
    assert v1.planned_on == datetime.date(2026, 5, 25)
    assert "No open clinic day" in v1.planning_note
    # V2 (day 7, ±2) from an anchor of Memorial Day: 2026-06-01 Monday is open, kept.
    assert services.generate_visits(
        p2, anchor="enrollment", anchor_date=datetime.date(2026, 5, 25), actor=net.user("staff_a")
    )[1].planned_on == datetime.date(2026, 6, 1)


def test_capacity_spreads_generated_visits(net, schedule):
    from trialsite.visits.tests.conftest import make_participant

    net.site_a.daily_visit_capacity = 1
    net.site_a.save()
    planned = []
    for n in range(4):
        p = make_participant(net.xa, n=n)
        planned.append(
            services.generate_visits(p, anchor="enrollment", anchor_date=ANCHOR, actor=net.user("staff_a"))[1]
        )
    # V2 target Monday 9 March, window 7–11 (Sat 7 and Sun 8 closed): 9, 10, 11, then over capacity.
    assert [v.planned_on.day for v in planned] == [9, 10, 11, 9]
    assert planned[3].planning_note.startswith("Over capacity")


def test_complete_in_window(net, visits):
    v2 = visits[1]
    done = services.complete_visit(
        v2,
        actual_on=v2.window_end,
        procedures={"LAB": True, "ECG": True},
        actor=net.user("staff_a"),
        expected_version=v2.version,
    )
    assert done.status == "completed" and not done.out_of_window and not done.deviation_candidate
    assert done.procedures_done == {"ECG": True, "LAB": True}
    assert (
        AuditEntry.objects.filter(content_type__model="visit", object_id=str(v2.pk), event="visit.complete").count()
        == 1
    )


def test_complete_out_of_window_is_flagged(net, visits):
    v2 = visits[1]
    done = services.complete_visit(
        v2, actual_on=v2.window_end + D(days=1), procedures={"LAB": True, "ECG": True}, actor=net.user("staff_a")
    )
    assert done.out_of_window and done.deviation_candidate


def test_procedure_not_done_is_a_deviation_candidate(net, visits):
    v2 = visits[1]
    done = services.complete_visit(
        v2, actual_on=v2.target_on, procedures={"LAB": True, "ECG": False}, actor=net.user("staff_a")
    )
    assert not done.out_of_window and done.deviation_candidate


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"actual_on": None, "procedures": {"LAB": True, "ECG": True}}, "actual_on"),
        ({"actual_on": datetime.date(2099, 1, 1), "procedures": {"LAB": True, "ECG": True}}, "actual_on"),
        ({"actual_on": datetime.date(2026, 3, 9), "procedures": {"LAB": True}}, "procedures"),
        ({"actual_on": datetime.date(2026, 3, 9), "procedures": {"LAB": True, "ECG": True, "XX": True}}, "procedures"),
        ({"actual_on": datetime.date(2026, 3, 9), "procedures": {"LAB": "yes", "ECG": True}}, "procedures"),
    ],
)
def test_complete_bad_input_names_the_field(net, visits, kwargs, field):
    with pytest.raises(ValidationError) as exc:
        services.complete_visit(visits[1], actor=net.user("staff_a"), **kwargs)
    assert field in exc.value.error_dict
    assert Visit.objects.get(pk=visits[1].pk).status == "planned"


def test_stale_version_conflicts(net, visits):
    with pytest.raises(ConflictError):
        services.miss_visit(visits[1], reason="Sick", actor=net.user("staff_a"), expected_version=visits[1].version + 5)


def test_miss_needs_reason_and_only_once(net, visits):
    with pytest.raises(ValidationError) as exc:
        services.miss_visit(visits[1], reason=" ", actor=net.user("staff_a"))
    assert "reason" in exc.value.error_dict
    missed = services.miss_visit(visits[1], reason="Participant ill", actor=net.user("staff_a"))
    assert missed.status == "missed" and missed.missed_reason == "Participant ill"
    with pytest.raises(ValidationError) as exc:
        services.complete_visit(missed, actual_on=ANCHOR, procedures={}, actor=net.user("staff_a"))
    assert "status" in exc.value.error_dict


def test_reschedule_refuses_closed_day_and_notes_outside_window(net, visits):
    v2 = visits[1]
    with pytest.raises(ValidationError) as exc:
        services.reschedule_visit(v2, planned_on=datetime.date(2026, 3, 7), actor=net.user("staff_a"))  # Saturday
    assert "not a clinic day" in str(exc.value.error_dict["planned_on"])
    moved = services.reschedule_visit(
        v2, planned_on=datetime.date(2026, 3, 16), actor=net.user("staff_a"), reason="Travel"
    )
    assert moved.planned_on == datetime.date(2026, 3, 16)
    assert "Outside the visit window" in moved.planning_note


def test_out_of_scope_actor_refused(net, visits):
    with pytest.raises(PermissionDenied):
        services.miss_visit(visits[1], reason="x", actor=net.user("monitor_xa"))
    with pytest.raises(PermissionDenied):
        services.miss_visit(visits[1], reason="x", actor=net.user("ops"))


def test_unscheduled_visit(net, visits, participant):
    v = services.add_unscheduled_visit(
        participant, planned_on=datetime.date(2026, 3, 12), actor=net.user("staff_xa"), name="AE follow-up"
    )
    assert v.code == "UNS" and v.definition_id is None and v.window_start is None
    assert v.sequence > max(x.sequence for x in visits)
    done = services.complete_visit(v, actual_on=datetime.date(2026, 3, 13), procedures={}, actor=net.user("staff_xa"))
    assert done.status == "completed" and not done.out_of_window


def test_unscheduled_needs_active_participant(net, schedule):
    from trialsite.visits.tests.conftest import make_participant

    p = make_participant(net.xa)  # a prospect
    with pytest.raises(ValidationError) as exc:
        services.add_unscheduled_visit(p, planned_on=datetime.date(2026, 3, 12), actor=net.user("staff_a"))
    assert "participant" in exc.value.error_dict
