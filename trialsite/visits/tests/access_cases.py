"""Access cases for visits: lists, calendars, visit actions, amendments, calendar feeds (UI and API).

Visits are study-at-site records: network roles and site-A roles see them, the study-at-site
users only study X at site A; only site managers and site staff (PARTICIPANT_WRITERS) act on
them. Calendar feeds are site records managed by site writers and the site team. Objects are
made lazily inside each request's savepoint (rolled back after it).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.urls import reverse

from trialsite.accounts.tests.access_rules import (
    ANON,
    api_create,
    api_read,
    api_write,
    everyone,
    sees_site_record,
    sees_study_site_record,
    site_of,
    study_site_of,
    ui_create,
    ui_edit,
    ui_page,
    version_of,
)
from trialsite.core.context import acting_as
from trialsite.core.testing import Case

ONE = ("own",)
SITE_TARGETS = ("own", "other_site", "other_study")
sees = sees_study_site_record
MONDAY = datetime.date(2026, 3, 9)


def writes(u: str, t: str) -> bool:
    """PARTICIPANT_WRITERS: site manager / site staff of site A, staff of study X at site A."""
    if u in ("manager_a", "staff_a"):
        return t in ("own", "other_study")
    return u == "staff_xa" and t == "own"


def writes_feed(u: str, t: str) -> bool:
    """CalendarFeed writers: network operations anywhere, the site-A manager and staff at site A."""
    if u in ("admin", "ops"):
        return True
    return u in ("manager_a", "staff_a") and t in ("own", "other_study")


def remember(net: Any, key: str, obj: Any) -> Any:
    net.__dict__.setdefault("_visits_cases", {})[key] = obj
    return obj


def recall(net: Any, key: str) -> Any:
    return net.__dict__["_visits_cases"][key]


def make_participant(net: Any, t: str) -> Any:
    from trialsite.participants.models import Participant

    with acting_as(process="test-setup"):
        return remember(
            net,
            "participant",
            Participant.objects.create(
                study_site=study_site_of(net, t),
                first_name="Ada",
                last_name="Lovelace",
                referred_on=datetime.date(2026, 2, 1),
                stage="enrolled",
                subject_id=f"S-{t}",
            ),
        )


def make_visit(net: Any, t: str) -> Any:
    from trialsite.visits.models import Visit

    p = make_participant(net, t)
    with acting_as(process="test-setup"):
        return remember(
            net,
            "visit",
            Visit.objects.create(
                participant=p,
                study_site=p.study_site,
                code="V1",
                name="Baseline",
                visit_type="treatment",
                sequence=1,
                target_on=MONDAY,
                window_start=MONDAY - datetime.timedelta(days=2),
                window_end=MONDAY + datetime.timedelta(days=2),
                planned_on=MONDAY,
            ),
        )


def make_version(net: Any, t: str) -> Any:
    from trialsite.protocols.models import ProtocolVersion

    ss = study_site_of(net, t)
    with acting_as(process="test-setup"):
        return remember(
            net, "version", ProtocolVersion.objects.create(study=ss.study, label="9.9", effective_on=MONDAY)
        )


def make_feed(net: Any, t: str, revoked: bool = False) -> Any:
    from django.utils import timezone

    from trialsite.visits.models import CalendarFeed

    with acting_as(process="test-setup"):
        return remember(
            net,
            "feed",
            CalendarFeed.objects.create(
                site=site_of(net, t),
                created_by=net.users["admin"],
                label="Test feed",
                revoked_at=timezone.now() if revoked else None,
            ),
        )


def visit_url(name: str) -> Any:
    return lambda n, t: reverse(name, args=[make_visit(n, t).pk])


def api_visit_url(action: str = "") -> Any:
    return lambda n, t: f"/api/v1/visits/{make_visit(n, t).pk}/" + (f"{action}/" if action else "")


def with_version(**extra: Any) -> Any:
    return lambda n, t: {"version": version_of(recall(n, "visit")), **extra}


def amendment_url(n: Any, t: str) -> str:
    return reverse("visits:amendment", args=[study_site_of(n, t).pk, make_version(n, t).pk])


def amendment_data(n: Any, t: str) -> dict[str, Any]:
    from trialsite.visits.services import SchedulePreview

    version = recall(n, "version")
    empty = SchedulePreview(study_site_of(n, t).pk, version.pk, version.effective_on, [])
    return {"digest": empty.digest, "reason": "Amendment"}


def calendar_index(u: str, t: str) -> int:
    if u == ANON:
        return 302
    return 200 if u == "nobody" else 302  # a redirect to the first site's week


def feed_ui_create(u: str, t: str) -> int:
    if u == ANON:
        return 302
    return 302 if writes_feed(u, t) else 200  # otherwise the form comes back with the error


def revoke_ui(u: str, t: str) -> int:
    if u == ANON:
        return 302
    if not sees_site_record(u, t):
        return 404
    return 302 if writes_feed(u, t) else 403


def api_feed_create(u: str, t: str) -> int:
    if u == ANON:
        return 403
    if not sees_site_record(u, t):
        return 400
    return 201 if writes_feed(u, t) else 403


CASES: list[Case] = [
    # -- lists and calendars --------------------------------------------------------------------
    *[
        Case(name, "GET", lambda n, t, name=name: reverse(name), ui_page(), targets=ONE)
        for name in (
            "visits:visit_list",
            "visits:my_today",
            "visits:overdue",
            "visits:missed",
            "visits:amendment_list",
            "visits:feed_list",
        )
    ],
    Case("visits:calendar", "GET", lambda n, t: reverse("visits:calendar"), calendar_index, targets=ONE),
    Case(
        "visits:calendar_week",
        "GET",
        lambda n, t: reverse("visits:calendar_week", args=[site_of(n, t).pk]),
        ui_page(sees_site_record),
        targets=SITE_TARGETS,
    ),
    Case(
        "visits:calendar_day",
        "GET",
        lambda n, t: reverse("visits:calendar_day", args=[site_of(n, t).pk]) + "?date=2026-03-09",
        ui_page(sees_site_record),
        targets=SITE_TARGETS,
    ),
    # -- one visit and its actions --------------------------------------------------------------
    Case("visits:visit_detail", "GET", visit_url("visits:visit_detail"), ui_page(sees)),
    *[
        Case(name, "GET", visit_url(name), ui_edit(sees, writes))
        for name in ("visits:visit_complete", "visits:visit_miss", "visits:visit_reschedule")
    ],
    Case(
        "visits:visit_complete",
        "POST",
        visit_url("visits:visit_complete"),
        ui_edit(sees, writes, ok=302),
        data=with_version(actual_on="2026-03-09"),
    ),
    Case(
        "visits:visit_miss",
        "POST",
        visit_url("visits:visit_miss"),
        ui_edit(sees, writes, ok=302),
        data=with_version(reason="Participant ill"),
    ),
    Case(
        "visits:visit_reschedule",
        "POST",
        visit_url("visits:visit_reschedule"),
        ui_edit(sees, writes, ok=302),
        data=with_version(planned_on="2026-03-10"),
    ),
    Case(
        "visits:unscheduled_create",
        "GET",
        lambda n, t: reverse("visits:unscheduled_create"),
        ui_create(lambda u, t: u in ("manager_a", "staff_a", "staff_xa")),
        targets=ONE,
    ),
    Case(
        "visits:unscheduled_create",
        "POST",
        lambda n, t: (make_participant(n, t), reverse("visits:unscheduled_create"))[1],
        ui_create(lambda u, t: u in ("manager_a", "staff_a", "staff_xa"), write=writes, ok=302),
        data=lambda n, t: {"participant": recall(n, "participant").pk, "planned_on": "2026-03-10", "name": "AE"},
    ),
    # -- amendments -----------------------------------------------------------------------------
    Case("visits:amendment", "GET", amendment_url, ui_edit(sees, writes)),
    Case("visits:amendment", "POST", amendment_url, ui_edit(sees, writes, ok=302), data=amendment_data),
    # -- calendar feeds -------------------------------------------------------------------------
    Case(
        "visits:feed_list",
        "POST",
        lambda n, t: reverse("visits:feed_list"),
        feed_ui_create,
        data=lambda n, t: {"site": site_of(n, t).pk, "label": "Mine"},
        targets=SITE_TARGETS,
        note="create",
    ),
    Case(
        "visits:feed_revoke",
        "POST",
        lambda n, t: reverse("visits:feed_revoke", args=[make_feed(n, t).pk]),
        revoke_ui,
        targets=SITE_TARGETS,
    ),
    Case(
        "visits:feed_ics",
        "GET",
        lambda n, t: reverse("visits:feed_ics", args=[make_feed(n, t).token]),
        lambda u, t: 200,  # the secret token is the credential: no log-in
        targets=SITE_TARGETS,
    ),
    Case(
        "visits:feed_ics",
        "GET",
        lambda n, t: reverse("visits:feed_ics", args=[make_feed(n, t, revoked=True).token]),
        lambda u, t: 404,
        targets=ONE,
        note="revoked",
    ),
    # -- API ------------------------------------------------------------------------------------
    Case("visit-list", "GET", lambda n, t: "/api/v1/visits/", api_read(), api=True, targets=ONE),
    Case("visit-detail", "GET", api_visit_url(), api_read(sees), api=True),
    Case(
        "visit-complete",
        "POST",
        api_visit_url("complete"),
        api_write(sees, writes),
        data=with_version(actual_on="2026-03-09", procedures={}),
        api=True,
    ),
    Case(
        "visit-miss",
        "POST",
        api_visit_url("miss"),
        api_write(sees, writes),
        data=with_version(reason="Participant ill"),
        api=True,
    ),
    Case(
        "visit-reschedule",
        "POST",
        api_visit_url("reschedule"),
        api_write(sees, writes),
        data=with_version(planned_on="2026-03-10"),
        api=True,
    ),
    Case(
        "visit-unscheduled",
        "POST",
        lambda n, t: (make_participant(n, t), "/api/v1/visits/unscheduled/")[1],
        api_create(everyone, writes, sees),
        data=lambda n, t: {"participant": recall(n, "participant").pk, "planned_on": "2026-03-10"},
        api=True,
    ),
    Case("calendarfeed-list", "GET", lambda n, t: "/api/v1/calendar-feeds/", api_read(), api=True, targets=ONE),
    Case(
        "calendarfeed-list",
        "POST",
        lambda n, t: "/api/v1/calendar-feeds/",
        api_feed_create,
        data=lambda n, t: {"site": site_of(n, t).pk, "label": "Mine"},
        api=True,
        targets=SITE_TARGETS,
    ),
    Case(
        "calendarfeed-detail",
        "GET",
        lambda n, t: f"/api/v1/calendar-feeds/{make_feed(n, t).pk}/",
        api_read(sees_site_record),
        api=True,
        targets=SITE_TARGETS,
    ),
    Case(
        "calendarfeed-revoke",
        "POST",
        lambda n, t: f"/api/v1/calendar-feeds/{make_feed(n, t).pk}/revoke/",
        api_write(sees_site_record, writes_feed),
        data=lambda n, t: {},
        api=True,
        targets=SITE_TARGETS,
    ),
]
