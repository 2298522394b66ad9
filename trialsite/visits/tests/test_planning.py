"""The planning rules, exhaustively: never a closed day when an open one exists in the window."""

import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trialsite.network.models import SiteClosure
from trialsite.visits import planning
from trialsite.visits.planning import OpenDays, propose_date

MON = datetime.date(2026, 3, 2)  # a Monday
D = datetime.timedelta


def test_open_day_predicate_clinic_days_closures_holidays():
    rule = OpenDays(
        clinic_days=frozenset({0, 1, 2, 3, 4}),
        closures=((MON + D(days=1), MON + D(days=2)),),
        holidays={MON + D(days=3): "Founders Day"},
    )
    assert rule.is_open(MON)
    assert rule.closed_because(MON + D(days=1)) == "site closure"
    assert rule.closed_because(MON + D(days=3)) == "public holiday (Founders Day)"
    assert rule.is_open(MON + D(days=4))
    assert rule.closed_because(MON + D(days=5)) == "not a clinic day"


def test_no_clinic_days_means_every_weekday_open():
    assert OpenDays().is_open(MON + D(days=6))


def test_public_holidays_come_from_the_library():
    us = planning.public_holidays("US", "", [2026])
    assert datetime.date(2026, 7, 4) in us  # Independence Day
    de = planning.public_holidays("DE", "", [2026])
    assert datetime.date(2026, 10, 3) in de  # Tag der Deutschen Einheit
    # subdivision as a bonus: Patriots' Day is a Massachusetts holiday only
    assert datetime.date(2026, 4, 20) in planning.public_holidays("US", "MA", [2026])
    assert datetime.date(2026, 4, 20) not in us
    assert dict(planning.public_holidays("ZZ", "", [2026])) == {}


def test_closed_target_moves_to_nearest_open_day_tie_prefers_earlier():
    # Wednesday closed; Tuesday and Thursday equally near: the earlier (Tuesday) wins.
    wed = MON + D(days=2)
    rule = OpenDays(clinic_days=frozenset({0, 1, 3, 4}))
    p = propose_date(wed, wed - D(days=2), wed + D(days=2), rule.is_open)
    assert p.day == wed - D(days=1)
    assert "Moved from" in p.note


def test_nearest_wins_over_earlier():
    wed = MON + D(days=2)
    rule = OpenDays(clinic_days=frozenset({0, 3}))  # Monday (2 days before) and Thursday (1 after)
    assert propose_date(wed, wed - D(days=3), wed + D(days=3), rule.is_open).day == wed + D(days=1)


def test_no_open_day_in_window_plans_target_and_says_so():
    sat = MON + D(days=5)
    rule = OpenDays(clinic_days=frozenset({0, 1, 2, 3, 4}))
    p = propose_date(sat, sat, sat + D(days=1), rule.is_open)
    assert p.day == sat
    assert "No open clinic day" in p.note


def test_capacity_spreads_within_window_and_says_when_it_cannot():
    rule = OpenDays(clinic_days=frozenset({0, 1, 2, 3, 4}))
    load: dict = {}
    plans = planning.plan_many([(MON + D(days=2), MON + D(days=1), MON + D(days=3))] * 4, rule.is_open, load, 1)
    assert [p.day for p in plans[:3]] == [MON + D(days=2), MON + D(days=1), MON + D(days=3)]
    assert plans[3].day == MON + D(days=2)
    assert plans[3].note.startswith("Over capacity")
    assert load == {MON + D(days=1): 1, MON + D(days=2): 2, MON + D(days=3): 1}


days = st.integers(min_value=0, max_value=60)


@settings(max_examples=300, deadline=None)
@given(
    clinic=st.frozensets(st.integers(0, 6), min_size=0, max_size=7),
    closed=st.lists(st.tuples(days, st.integers(0, 5)), max_size=4),
    hol=st.sets(days, max_size=6),
    target=days,
    before=st.integers(0, 7),
    after=st.integers(0, 7),
    capacity=st.one_of(st.none(), st.integers(1, 3)),
    load_days=st.dictionaries(days, st.integers(0, 4), max_size=10),
)
def test_property_never_closed_when_open_exists(clinic, closed, hol, target, before, after, capacity, load_days):
    base = datetime.date(2026, 1, 5)
    rule = OpenDays(
        clinic_days=clinic,
        closures=tuple((base + D(days=s), base + D(days=s + n)) for s, n in closed),
        holidays={base + D(days=h): "H" for h in hol},
    )
    t = base + D(days=target)
    start, end = t - D(days=before), t + D(days=after)
    load = {base + D(days=k): v for k, v in load_days.items()}
    p = propose_date(t, start, end, rule.is_open, load, capacity)
    window = [start + D(days=i) for i in range((end - start).days + 1)]
    open_days = [d for d in window if rule.is_open(d)]
    if open_days:
        assert rule.is_open(p.day) and start <= p.day <= end
        with_room = [d for d in open_days if capacity is None or load.get(d, 0) < capacity]
        pool = with_room or open_days
        best = min(abs((d - t).days) for d in pool)
        assert abs((p.day - t).days) == best
        # tie -> earlier
        assert p.day == min(d for d in pool if abs((d - t).days) == best)
        if not with_room:
            assert p.note.startswith("Over capacity")
    else:
        assert p.day == t and "No open clinic day" in p.note


@pytest.mark.django_db
def test_site_calendar_reads_closures_in_one_query(net, django_assert_num_queries):
    SiteClosure.objects.create(site=net.site_a, starts_on=MON, ends_on=MON + D(days=1), reason="Renovation")
    SiteClosure.objects.create(site=net.site_b, starts_on=MON, ends_on=MON, reason="Other site")
    with django_assert_num_queries(1):
        rule = planning.site_calendar(net.site_a, MON, MON + D(days=30))
    assert not rule.is_open(MON) and not rule.is_open(MON + D(days=1)) and rule.is_open(MON + D(days=2))
