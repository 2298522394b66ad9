"""Visit actions: plan from the schedule, complete, miss, reschedule, add unscheduled, follow amendments.

One atomic function per action; each names its actor, checks the write scope, refuses stale versions
and names the field of any bad input. Views and the API call only these.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Count

from trialsite.core.context import acting_as
from trialsite.core.exceptions import ConflictError, field_error
from trialsite.core.services import check_can_write
from trialsite.visits import planning
from trialsite.visits.models import Visit

ANCHORS = ("consent", "enrollment", "day_1")
V = Visit.Status


# -- helpers ---------------------------------------------------------------------------------


def protocol_version_in_force(study: Any, on: datetime.date) -> Any:
    """The study's protocol version in force on a day (the protocols app's rule when it exists)."""
    try:
        from trialsite.protocols.services import version_in_force
    except ImportError:
        version_in_force = None
    if version_in_force is not None:
        return version_in_force(study, on)
    from trialsite.protocols.models import ProtocolVersion

    return (
        ProtocolVersion.objects.filter(study_id=getattr(study, "pk", study), effective_on__lte=on)
        .order_by("-effective_on", "-pk")
        .first()
    )


def day_load(site_id: int, start: datetime.date, end: datetime.date, exclude: Iterable[int] = ()) -> dict:
    """Planned visits per day at a site between two dates: one query for the capacity rule."""
    rows = (
        Visit.objects.filter(study_site__site_id=site_id, status=V.PLANNED, planned_on__range=(start, end))
        .exclude(pk__in=list(exclude))
        .values("planned_on")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {r["planned_on"]: r["n"] for r in rows}


def default_coordinator_id(study_site_id: int, on: datetime.date) -> int | None:
    """The study site's primary coordinator on that day, who will run the visits by default."""
    from django.db.models import Q

    from trialsite.staff.models import Assignment

    row = (
        Assignment.objects.filter(study_site_id=study_site_id, study_role="primary_crc", starts_on__lte=on)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))
        .order_by("-starts_on", "pk")
        .values_list("person_id", flat=True)
        .first()
    )
    return row


def window_of(definition: Any, anchor_date: datetime.date) -> tuple[datetime.date, datetime.date, datetime.date]:
    target = anchor_date + datetime.timedelta(days=definition.day_offset)
    return (
        target,
        target - datetime.timedelta(days=definition.window_before),
        target + datetime.timedelta(days=definition.window_after),
    )


def _lock(visit: Visit, expected_version: int | None) -> Visit:
    locked = Visit.objects.select_for_update().select_related("study_site__site").get(pk=visit.pk)
    if expected_version is not None and expected_version != locked.version:
        raise ConflictError()
    return locked


def _check_window(visit: Visit, day: datetime.date) -> None:
    """Flag a visit done outside its window as a protocol deviation candidate (automatic)."""
    outside = bool(visit.window_start and visit.window_end and not (visit.window_start <= day <= visit.window_end))
    visit.out_of_window = outside
    visit.deviation_candidate = outside


# -- planning --------------------------------------------------------------------------------


def generate_visits(participant: Any, *, anchor: str, anchor_date: datetime.date, actor: Any) -> list[Visit]:
    """Create the participant's visits anchored on `anchor` from the protocol version in force.

    Idempotent per (participant, definition): visits that exist already are returned, not duplicated.
    Safe to call inside the participants app's own transaction.
    """
    from trialsite.studies.models import StudySite

    if anchor not in ANCHORS:
        raise field_error("anchor", f"Unknown anchor '{anchor}'; use one of {', '.join(ANCHORS)}.")
    if not isinstance(anchor_date, datetime.date):
        raise field_error("anchor_date", "Give the anchor date as a date.")
    with transaction.atomic(), acting_as(actor, reason=f"Visits planned from {anchor} on {anchor_date}"):
        study_site = StudySite.objects.select_related("site").get(pk=participant.study_site_id)
        check_can_write(actor, Visit(study_site=study_site, participant=participant))
        version = protocol_version_in_force(study_site.study_id, anchor_date)
        if version is None:
            return []
        definitions = list(version.visit_definitions.filter(anchor=anchor).order_by("order"))
        if not definitions:
            return []
        existing = {
            v.definition_id: v for v in Visit.objects.filter(participant_id=participant.pk, definition__in=definitions)
        }
        todo = [d for d in definitions if d.pk not in existing]
        created: list[Visit] = []
        if todo:
            windows = [window_of(d, anchor_date) for d in todo]
            start = min(w[1] for w in windows)
            end = max(w[2] for w in windows)
            site = study_site.site
            open_days = planning.site_calendar(site, start, end)
            load = day_load(site.pk, start, end) if site.daily_visit_capacity else {}
            proposals = planning.plan_many(windows, open_days.is_open, load, site.daily_visit_capacity)
            coordinator_id = default_coordinator_id(study_site.pk, anchor_date)
            visits = [
                Visit(
                    participant_id=participant.pk,
                    study_site_id=study_site.pk,
                    definition=d,
                    code=d.code,
                    name=d.name,
                    visit_type=d.visit_type,
                    sequence=d.order,
                    target_on=w[0],
                    window_start=w[1],
                    window_end=w[2],
                    planned_on=p.day,
                    planning_note=p.note[:300],
                    coordinator_id=coordinator_id,
                )
                for d, w, p in zip(todo, windows, proposals, strict=True)
            ]
            created = Visit.objects.bulk_create(visits)
        by_def = {**existing, **{v.definition_id: v for v in created}}
        return [by_def[d.pk] for d in definitions]
