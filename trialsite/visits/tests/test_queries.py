"""Query counts of every list page and list endpoint are pinned: equal at 5 and 50 rows."""

import datetime
import itertools

import pytest
from django.utils import timezone

from trialsite.core.testing import assert_constant_queries
from trialsite.visits.models import CalendarFeed, Visit
from trialsite.visits.tests.conftest import make_participant

pytestmark = pytest.mark.django_db
MONDAY = datetime.date(2026, 3, 9)
SERIAL = itertools.count()


def grower(net, **fields):
    """grow(n): make sure n visits with these fields exist at study X / site A (spread over a week)."""
    state = {"made": 0, "participants": []}

    def grow(n):
        while state["made"] < n:
            p = make_participant(net.xa, n=state["made"], subject_id=f"S-{next(SERIAL):04d}")
            p.stage = "enrolled"
            p.save()
            i = state["made"]
            defaults = {"planned_on": MONDAY + datetime.timedelta(days=i % 5)}
            Visit.objects.create(
                participant=p,
                study_site=net.xa,
                code=f"V{i}",
                name="Visit",
                visit_type="treatment",
                target_on=MONDAY,
                window_start=MONDAY - datetime.timedelta(days=3),
                window_end=MONDAY + datetime.timedelta(days=3),
                coordinator=net.crc_a,
                **{**defaults, **fields},
            )
            state["made"] += 1

    return grow


def pin(client, url, grow, expected):
    client.get(url)  # warm up: the session's first request writes its bookkeeping once
    return assert_constant_queries(lambda: client.get(url), grow, expected=expected)


@pytest.mark.parametrize(
    "url,fields,expected",
    [
        ("/visits/", {}, 7),
        ("/visits/?status=planned&date_from=2026-03-01", {}, 7),
        ("/visits/overdue/", {}, 7),
        ("/visits/missed/", {"status": "missed"}, 7),
        ("/visits/today/", {"planned_on": None}, 7),
    ],
)
def test_visit_list_pages(net, web, url, fields, expected):
    if fields.get("planned_on", 1) is None:
        fields = {"planned_on": timezone.localdate()}
    c = web(net.user("staff_a"))
    pin(c, url, grower(net, **fields), expected)


def test_calendar_week_and_day(net, web):
    c = web(net.user("staff_a"))
    grow = grower(net)
    pin(c, f"/visits/calendar/{net.site_a.pk}/week/?date=2026-03-09", grow, 7)
    pin(c, f"/visits/calendar/{net.site_a.pk}/day/?date=2026-03-09", grower(net, planned_on=MONDAY), 7)


def test_api_visit_list(net, api):
    c = api(net.user("staff_a"))
    pin(c, "/api/v1/visits/", grower(net), 2)
    pin(c, f"/api/v1/visits/?status=planned&site={net.site_a.pk}&date_from=2026-03-01", grower(net), 3)


def feed_grower(net):
    def grow(n):
        while CalendarFeed.objects.count() < n:
            CalendarFeed.objects.create(site=net.site_a, created_by=net.user("staff_a"), label="f")

    return grow


def test_feed_list_page_and_api(net, web, api):
    pin(web(net.user("staff_a")), "/visits/feeds/", feed_grower(net), 6)
    pin(api(net.user("staff_a")), "/api/v1/calendar-feeds/", feed_grower(net), 2)


def test_ical_feed(net, web, monkeypatch):
    from trialsite.visits import feeds

    monkeypatch.setattr(feeds, "PAST_DAYS", 100000)
    feed = CalendarFeed.objects.create(site=net.site_a, created_by=net.user("staff_a"))
    pin(web(None), f"/visits/feeds/{feed.token}.ics", grower(net), 3)


def test_home_panels(net, web):
    pin(web(net.user("staff_a")), "/", grower(net), None)


def test_panel_builders_are_constant(net, rf):
    from trialsite.accounts.scoping import grants_for
    from trialsite.core.testing import count_queries
    from trialsite.visits import panels

    user = net.user("staff_a")
    request = rf.get("/")
    request.user = user
    grants = grants_for(user)
    today = timezone.localdate()
    grow_today = grower(net, planned_on=today)
    grow_over = grower(net)
    counts = []
    for n in (5, 50):
        grow_today(n)
        grow_over(n)
        n_today, ctx_today, _ = count_queries(lambda: panels.today_panel(request, grants))
        n_over, ctx_over, _ = count_queries(lambda: panels.overdue_panel(request, grants))
        counts.append((n_today, n_over))
        assert ctx_today["total"] == n and ctx_over["total"] == n
    assert counts == [(2, 2), (2, 2)]
