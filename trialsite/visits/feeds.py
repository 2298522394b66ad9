"""iCalendar feeds that calendar clients subscribe to with a secret URL.

A feed carries no participant identity: each event is the study's protocol number, the
participant's study label and the visit code. Visits are all-day events on their planned date in
the site's time zone (X-WR-TIMEZONE); the window is in the description.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone
from icalendar import Calendar, Event

from trialsite.visits.models import CalendarFeed, Visit

PAST_DAYS = 30
FUTURE_DAYS = 365
MAX_EVENTS = 5000


def feed_visits(feed: CalendarFeed) -> list[Visit]:
    """The feed's visits, limited to what its creator may see today (and nothing once deactivated)."""
    today = timezone.now().date()
    qs = Visit.objects.visible_to(feed.created_by, "view").filter(
        status__in=[Visit.Status.PLANNED, Visit.Status.COMPLETED],
        planned_on__range=(today - datetime.timedelta(days=PAST_DAYS), today + datetime.timedelta(days=FUTURE_DAYS)),
    )
    if feed.coordinator_id:
        qs = qs.filter(coordinator_id=feed.coordinator_id)
    else:
        qs = qs.filter(study_site__site_id=feed.site_id)
    return list(
        qs.select_related("participant", "study_site__study", "study_site__site").order_by("planned_on", "pk")[
            :MAX_EVENTS
        ]
    )


def event_summary(visit: Visit) -> str:
    return f"{visit.study_site.study.protocol_number} {visit.participant.study_label} {visit.code}"


def render_feed(feed: CalendarFeed) -> bytes:
    """The feed as an iCalendar document (RFC 5545)."""
    cal = Calendar()
    cal.add("prodid", "-//TrialSite//Visit calendar//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", feed.label or "TrialSite visits")
    if feed.site_id:
        cal.add("x-wr-timezone", feed.site.time_zone)
    for visit in feed_visits(feed):
        event = Event()
        event.add("uid", f"visit-{visit.pk}@trialsite")
        event.add("summary", event_summary(visit))
        event.add("dtstart", visit.planned_on)
        event.add("dtend", visit.planned_on + datetime.timedelta(days=1))
        event.add("dtstamp", visit.updated_at.astimezone(datetime.UTC))
        event.add("location", visit.study_site.site.code)
        event.add("description", describe(visit))
        event.add("status", "CONFIRMED")
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
    return cal.to_ical()


def describe(visit: Visit) -> str:
    parts: list[Any] = [f"Visit {visit.code} ({visit.get_status_display()})"]
    if visit.window_start and visit.window_end:
        parts.append(f"Window {visit.window_start.isoformat()} to {visit.window_end.isoformat()}")
    parts.append(f"Site time zone {visit.study_site.site.time_zone}")
    return "\n".join(parts)
