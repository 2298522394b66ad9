"""Visit actions: plan from the schedule, complete, miss, reschedule, add unscheduled, follow amendments.

One atomic function per action; each names its actor, checks the write scope, refuses stale versions
and names the field of any bad input. Views and the API call only these.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
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


def day_load(
    site_id: int, start: datetime.date, end: datetime.date, exclude: Iterable[int] = (), days: Iterable | None = None
) -> dict:
    """Planned visits per day at a site between two dates: one query for the capacity rule.

    `days` narrows it to the days of the windows being planned (a schedule's windows span a year
    but cover a few weeks of it), so the query reads those days' visits, not the whole year's.
    """
    qs = Visit.objects.filter(study_site__site_id=site_id, status=V.PLANNED)
    qs = qs.filter(planned_on__in=sorted(set(days))) if days is not None else qs.filter(planned_on__range=(start, end))
    rows = qs.exclude(pk__in=list(exclude)).values("planned_on").annotate(n=Count("pk")).order_by()
    return {r["planned_on"]: r["n"] for r in rows}


def window_days(windows: Iterable[tuple[datetime.date, datetime.date, datetime.date]]) -> set[datetime.date]:
    out: set[datetime.date] = set()
    for _target, start, end in windows:
        out.update(start + datetime.timedelta(days=i) for i in range((end - start).days + 1))
    return out


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
    locked = Visit.objects.select_for_update(of=("self",)).select_related("study_site__site").get(pk=visit.pk)
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
            load = day_load(site.pk, start, end, days=window_days(windows)) if site.daily_visit_capacity else {}
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


# -- visit actions ---------------------------------------------------------------------------


def site_today(visit: Visit) -> datetime.date:
    from django.utils import timezone

    return timezone.localdate(timezone=visit.study_site.site.tz)


def expected_procedures(visit: Visit) -> list[tuple[str, str]]:
    """(code, name) of the procedures the visit's schedule entry lists, in SoA order."""
    if visit.definition_id is None:
        return []
    from trialsite.protocols.models import VisitProcedure

    rows = (
        VisitProcedure.objects.filter(visit_definition_id=visit.definition_id)
        .order_by("procedure__category", "procedure__code")
        .values_list("procedure__code", "procedure__name")
    )
    return list(rows)


PLAUSIBLE_YEARS = 10


def _check_date(field: str, day: Any, today: datetime.date) -> None:
    """A real date, and not absurdly far from today (typos like 0026 or 2206 are refused)."""
    if not isinstance(day, datetime.date) or isinstance(day, datetime.datetime):
        raise field_error(field, "Give a date (YYYY-MM-DD).")
    if abs((day - today).days) > PLAUSIBLE_YEARS * 366:
        raise field_error(field, f"The date must be within {PLAUSIBLE_YEARS} years of today.")


def _require_planned(visit: Visit) -> None:
    if visit.status != V.PLANNED:
        raise field_error(
            "status",
            f"Only a planned visit can be changed; this one is {V(visit.status).label.lower()}.",
            "not_planned",
        )


def complete_visit(
    visit: Visit,
    *,
    actual_on: datetime.date,
    procedures: dict[str, bool] | None = None,
    actor: Any,
    expected_version: int | None = None,
    reason: str = "",
) -> Visit:
    """Record a visit as done on `actual_on` with each listed procedure done or not done.

    A visit done outside its window, or with a procedure not done, is flagged automatically as a
    protocol deviation candidate for QA review.
    """
    with transaction.atomic(), acting_as(actor, reason=reason):
        locked = _lock(visit, expected_version)
        check_can_write(actor, locked)
        _require_planned(locked)
        _check_date("actual_on", actual_on, site_today(locked))
        if actual_on > site_today(locked):
            raise field_error("actual_on", "A visit cannot be completed on a future date.")
        procedures = procedures or {}
        if not isinstance(procedures, dict) or not all(isinstance(v, bool) for v in procedures.values()):
            raise field_error("procedures", "Give each procedure code as true (done) or false (not done).")
        expected = [code for code, _name in expected_procedures(locked)]
        unknown = sorted(set(procedures) - set(expected))
        if unknown:
            raise field_error("procedures", f"Not a procedure of this visit: {', '.join(unknown)}.")
        missing = [code for code in expected if code not in procedures]
        if missing:
            raise field_error("procedures", f"Say whether these procedures were done: {', '.join(missing)}.")
        locked.status = V.COMPLETED
        locked.actual_on = actual_on
        locked.procedures_done = {code: procedures[code] for code in expected}
        _check_window(locked, actual_on)
        if not all(procedures.values()):
            locked.deviation_candidate = True
        locked.save_with_reason(reason, event="visit.complete")
        return locked


def miss_visit(visit: Visit, *, reason: str, actor: Any, expected_version: int | None = None) -> Visit:
    """Record that the participant did not come; the reason is required (retention, deviations)."""
    with transaction.atomic(), acting_as(actor, reason=reason):
        locked = _lock(visit, expected_version)
        check_can_write(actor, locked)
        _require_planned(locked)
        reason = (reason or "").strip()
        if not reason:
            raise field_error("reason", "Say why the visit was missed.")
        if len(reason) > 300:
            raise field_error("reason", "Keep the reason under 300 characters.")
        locked.status = V.MISSED
        locked.missed_reason = reason
        locked.save_with_reason(reason, event="visit.miss")
        return locked


def reschedule_visit(
    visit: Visit,
    *,
    planned_on: datetime.date,
    actor: Any,
    reason: str = "",
    expected_version: int | None = None,
) -> Visit:
    """Move a planned visit to another day: never onto a closed day; outside the window or over
    capacity is allowed but said in the planning note."""
    with transaction.atomic(), acting_as(actor, reason=reason):
        locked = _lock(visit, expected_version)
        check_can_write(actor, locked)
        _require_planned(locked)
        _check_date("planned_on", planned_on, site_today(locked))
        site = locked.study_site.site
        closed = planning.site_calendar(site, planned_on, planned_on).closed_because(planned_on)
        if closed:
            raise field_error("planned_on", f"The site is closed on {planned_on.isoformat()}: {closed}.")
        notes = [f"Rescheduled from {locked.planned_on.isoformat() if locked.planned_on else 'unplanned'}."]
        if locked.window_start and locked.window_end and not (locked.window_start <= planned_on <= locked.window_end):
            notes.append("Outside the visit window.")
        if site.daily_visit_capacity:
            load = day_load(site.pk, planned_on, planned_on, exclude=[locked.pk]).get(planned_on, 0)
            if load >= site.daily_visit_capacity:
                notes.append(f"Over the site's daily capacity ({load + 1}/{site.daily_visit_capacity}).")
        locked.planned_on = planned_on
        locked.planning_note = " ".join(notes)[:300]
        locked.save_with_reason(reason, event="visit.reschedule")
        return locked


def add_unscheduled_visit(
    participant: Any,
    *,
    planned_on: datetime.date,
    actor: Any,
    name: str = "Unscheduled visit",
    reason: str = "",
) -> Visit:
    """Add a visit outside the schedule (e.g. an adverse event follow-up); it has no window."""
    from trialsite.participants.models import Participant

    with transaction.atomic(), acting_as(actor, reason=reason):
        participant = Participant.objects.select_related("study_site__site").get(pk=participant.pk)
        visit = Visit(
            participant=participant,
            study_site=participant.study_site,
            code="UNS",
            name=(name or "Unscheduled visit").strip()[:120],
            visit_type="unscheduled",
            planned_on=planned_on,
        )
        check_can_write(actor, visit)
        if participant.stage not in ("screening", "enrolled"):
            raise field_error("participant", "Unscheduled visits are for participants in screening or on study.")
        _check_date("planned_on", planned_on, site_today(visit))
        closed = planning.site_calendar(participant.study_site.site, planned_on, planned_on).closed_because(planned_on)
        if closed:
            raise field_error("planned_on", f"The site is closed on {planned_on.isoformat()}: {closed}.")
        last = (
            Visit.objects.filter(participant_id=participant.pk).order_by("-sequence").values_list("sequence", flat=True)
        ).first()
        visit.sequence = (last or 0) + 1
        visit.coordinator_id = default_coordinator_id(participant.study_site_id, planned_on)
        visit.save_with_reason(reason, event="visit.unscheduled")
        return visit


# -- protocol amendments ---------------------------------------------------------------------

ACTIVE_STAGES = ("screening", "enrolled")


@dataclass(frozen=True)
class ScheduleChange:
    """One line of an amendment preview: a visit added, changed or removed for a participant."""

    kind: str  # "added" | "changed" | "removed"
    participant_id: int
    participant_label: str
    visit_id: int | None
    old_code: str
    new_code: str
    old_planned_on: datetime.date | None
    new_planned_on: datetime.date | None
    old_window: tuple[datetime.date | None, datetime.date | None]
    new_window: tuple[datetime.date | None, datetime.date | None]
    definition_id: int | None = None
    target_on: datetime.date | None = None
    note: str = ""

    def key(self) -> str:
        return "|".join(
            str(x)
            for x in (
                self.kind,
                self.participant_id,
                self.visit_id,
                self.new_code,
                self.new_planned_on,
                self.new_window,
                self.definition_id,
            )
        )


@dataclass
class SchedulePreview:
    study_site_id: int
    version_id: int
    effective_on: datetime.date
    changes: list[ScheduleChange]

    @property
    def digest(self) -> str:
        """A fingerprint of exactly what was previewed; apply refuses if the plan changed since."""
        import hashlib

        text = "\n".join(c.key() for c in self.changes)
        return hashlib.sha256(f"{self.study_site_id}:{self.version_id}\n{text}".encode()).hexdigest()[:32]

    def counts(self) -> dict[str, int]:
        out = {"added": 0, "changed": 0, "removed": 0}
        for c in self.changes:
            out[c.kind] += 1
        return out


def _anchor_dates(participant: Any, visits: list[Visit]) -> dict[str, datetime.date]:
    """When each anchor event happened for a participant: from the participant's dates, else from
    the scheduled visits already planned from it (target minus offset)."""
    found: dict[str, datetime.date] = {}
    for v in visits:
        if v.definition_id and v.target_on and v.definition.anchor not in found:
            found[v.definition.anchor] = v.target_on - datetime.timedelta(days=v.definition.day_offset)
    if participant.enrolled_on:
        found["enrollment"] = participant.enrolled_on
    if participant.day_1_on:
        found["day_1"] = participant.day_1_on
    return found


def preview_protocol_change(study_site: Any, version: Any, *, actor: Any) -> SchedulePreview:
    """Every change moving a study site's future, not-yet-done visits to `version`'s schedule would make.

    Only planned visits on or after the version's effective date move; completed, missed and
    earlier visits stay as they were. Nothing is written.
    """
    from trialsite.participants.models import Participant
    from trialsite.protocols.models import VisitDefinition
    from trialsite.studies.models import StudySite

    study_site = StudySite.objects.select_related("site").get(pk=study_site.pk)
    check_can_write(actor, Visit(study_site=study_site))
    if version.study_id != study_site.study_id:
        raise field_error("version", "This protocol version belongs to another study.")
    effective = version.effective_on
    definitions = list(VisitDefinition.objects.filter(protocol_version_id=version.pk).order_by("order"))
    participants = list(Participant.objects.filter(study_site_id=study_site.pk, stage__in=ACTIVE_STAGES).order_by("pk"))
    visits_by_p: dict[int, list[Visit]] = {}
    for v in (
        Visit.objects.filter(participant__in=participants)
        .exclude(status=V.CANCELLED)
        .select_related("definition")
        .order_by("participant_id", "sequence", "pk")
    ):
        visits_by_p.setdefault(v.participant_id, []).append(v)

    # Proposed windows first, so the calendar and the day load are read once for the whole site.
    plan: list[tuple[Participant, Any, tuple, Visit | None]] = []
    removed: list[tuple[Participant, Visit]] = []
    for p in participants:
        visits = visits_by_p.get(p.pk, [])
        anchors = _anchor_dates(p, visits)
        by_code = {v.code: v for v in visits if v.definition_id}
        new_codes = set()
        for d in definitions:
            if d.anchor not in anchors:
                continue
            window = window_of(d, anchors[d.anchor])
            old = by_code.get(d.code)
            new_codes.add(d.code)
            if old is not None and (old.status != V.PLANNED or (old.planned_on or old.target_on) < effective):
                continue  # done, missed, or before the amendment: history stays as it was
            if old is None and window[0] < effective:
                continue  # a visit the new schedule would have had in the past: not invented now
            plan.append((p, d, window, old))
        for v in visits:
            if (
                v.definition_id
                and v.status == V.PLANNED
                and v.code not in new_codes
                and (v.planned_on or v.target_on) >= effective
                and v.definition.protocol_version_id != version.pk
            ):
                removed.append((p, v))

    changes: list[ScheduleChange] = []
    if plan:
        site = study_site.site
        start = min(w[1] for _p, _d, w, _o in plan)
        end = max(w[2] for _p, _d, w, _o in plan)
        open_days = planning.site_calendar(site, start, end)
        moving = [o.pk for _p, _d, _w, o in plan if o is not None] + [v.pk for _p, v in removed]
        load = day_load(site.pk, start, end, exclude=moving) if site.daily_visit_capacity else {}
        for p, d, window, old in plan:
            target, w_start, w_end = window
            if (
                old is not None
                and old.planned_on
                and w_start <= old.planned_on <= w_end
                and open_days.is_open(old.planned_on)
            ):
                proposal = planning.Proposal(old.planned_on, old.planning_note)  # keep an agreed day that still fits
            else:
                proposal = planning.propose_date(
                    target, w_start, w_end, open_days.is_open, load, site.daily_visit_capacity
                )
            load[proposal.day] = load.get(proposal.day, 0) + 1
            if old is not None and (
                old.definition_id == d.pk
                and old.target_on == target
                and (old.window_start, old.window_end) == (w_start, w_end)
                and old.planned_on == proposal.day
                and old.name == d.name
            ):
                continue  # already on this schedule
            changes.append(
                ScheduleChange(
                    kind="changed" if old is not None else "added",
                    participant_id=p.pk,
                    participant_label=p.study_label,
                    visit_id=old.pk if old else None,
                    old_code=old.code if old else "",
                    new_code=d.code,
                    old_planned_on=old.planned_on if old else None,
                    new_planned_on=proposal.day,
                    old_window=(old.window_start, old.window_end) if old else (None, None),
                    new_window=(w_start, w_end),
                    definition_id=d.pk,
                    target_on=target,
                    note=proposal.note,
                )
            )
    for p, v in removed:
        changes.append(
            ScheduleChange(
                kind="removed",
                participant_id=p.pk,
                participant_label=p.study_label,
                visit_id=v.pk,
                old_code=v.code,
                new_code="",
                old_planned_on=v.planned_on,
                new_planned_on=None,
                old_window=(v.window_start, v.window_end),
                new_window=(None, None),
            )
        )
    changes.sort(key=lambda c: (c.participant_id, c.new_planned_on or c.old_planned_on or effective, c.kind))
    return SchedulePreview(study_site.pk, version.pk, effective, changes)


def apply_protocol_change(
    study_site: Any, version: Any, *, actor: Any, expected_digest: str | None = None, reason: str = ""
) -> SchedulePreview:
    """Apply exactly the previewed changes, all or nothing, each visit write audited with the reason.

    `expected_digest` (from the preview the user saw) makes a plan that changed in between a conflict.
    """
    from trialsite.protocols.models import VisitDefinition
    from trialsite.studies.models import StudySite

    reason = reason or f"Protocol version {version.label} in force from {version.effective_on}"
    with transaction.atomic(), acting_as(actor, reason=reason):
        StudySite.objects.select_for_update().get(pk=study_site.pk)  # one amendment at a time per study site
        preview = preview_protocol_change(study_site, version, actor=actor)
        if expected_digest is not None and expected_digest != preview.digest:
            raise ConflictError("The schedule changed since the preview. Review the new preview and apply again.")
        definitions = {d.pk: d for d in VisitDefinition.objects.filter(protocol_version_id=version.pk)}
        by_id = Visit.objects.select_for_update().in_bulk([c.visit_id for c in preview.changes if c.visit_id])
        note = f"Schedule of protocol version {version.label}."
        to_create = []
        coordinator_id = default_coordinator_id(preview.study_site_id, version.effective_on)
        for c in preview.changes:
            if c.kind == "removed":
                v = by_id[c.visit_id]
                v.status = V.CANCELLED
                v.planning_note = f"Removed by protocol version {version.label}."
                v.save_with_reason(reason, event="visit.amendment")
            elif c.kind == "changed":
                v = by_id[c.visit_id]
                d = definitions[c.definition_id]
                v.definition = d
                v.code, v.name, v.visit_type, v.sequence = d.code, d.name, d.visit_type, d.order
                v.target_on = c.target_on
                v.window_start, v.window_end = c.new_window
                v.planned_on = c.new_planned_on
                v.planning_note = (f"{note} {c.note}" if c.note and c.note != v.planning_note else note)[:300]
                v.save_with_reason(reason, event="visit.amendment")
            else:
                d = definitions[c.definition_id]
                to_create.append(
                    Visit(
                        participant_id=c.participant_id,
                        study_site_id=preview.study_site_id,
                        definition=d,
                        code=d.code,
                        name=d.name,
                        visit_type=d.visit_type,
                        sequence=d.order,
                        target_on=c.target_on,
                        window_start=c.new_window[0],
                        window_end=c.new_window[1],
                        planned_on=c.new_planned_on,
                        planning_note=(f"{note} {c.note}".strip())[:300],
                        coordinator_id=coordinator_id,
                    )
                )
        if to_create:
            Visit.objects.bulk_create(to_create)
        return preview


# -- calendar feeds --------------------------------------------------------------------------


def create_feed(*, actor: Any, site: Any = None, coordinator: Any = None, label: str = "") -> Any:
    """A secret-token iCalendar feed of one site's visits, or of one coordinator's visits.

    A coordinator feed belongs to the coordinator's home site (who manages and revokes it). The
    feed never shows more than its creator may see, and it is empty once the creator is deactivated.
    """
    from trialsite.visits.models import CalendarFeed

    with transaction.atomic(), acting_as(actor, reason="Calendar feed created"):
        if (site is None) == (coordinator is None):
            raise field_error("site", "Choose either a site or a coordinator for the feed.")
        if coordinator is not None:
            if coordinator.home_site_id is None:
                raise field_error("coordinator", "This person has no home site; the feed needs one to belong to.")
            site_id = coordinator.home_site_id
        else:
            site_id = site.pk
        feed = CalendarFeed(
            site_id=site_id,
            coordinator=coordinator,
            created_by=actor,
            label=(label or "").strip()[:120],
        )
        own = coordinator is not None and coordinator.user_id is not None and coordinator.user_id == actor.pk
        if not own:
            check_can_write(actor, feed)
        feed.save()
        return feed


def revoke_feed(feed: Any, *, actor: Any, expected_version: int | None = None) -> Any:
    """Revoke a feed: its URL answers 404 from now on. Revoking twice is harmless."""
    from django.utils import timezone

    from trialsite.visits.models import CalendarFeed

    with transaction.atomic(), acting_as(actor, reason="Calendar feed revoked"):
        locked = CalendarFeed.objects.select_for_update().get(pk=feed.pk)
        if expected_version is not None and expected_version != locked.version:
            raise ConflictError()
        own = locked.created_by_id == actor.pk
        if not own:
            check_can_write(actor, locked)
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.save_with_reason("Calendar feed revoked", event="calendarfeed.revoke")
        return locked
