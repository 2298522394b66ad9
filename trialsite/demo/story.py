"""A few participants entered the way a coordinator does it: through the participants and visits services.

At the demo coordinator's own study (NRV-CV-301 at BOS-01), acting as that login, so their audit
trail shows real workflow events (prospect, contact, pre-screen, consent, eligibility, enrollment,
visit completion) next to the bulk-generated history. Idempotent: skipped once the story exists.
"""

from __future__ import annotations

import datetime

from trialsite.participants import services as funnel
from trialsite.participants.models import Participant
from trialsite.staff.models import Person
from trialsite.studies.models import StudySite
from trialsite.visits import planning
from trialsite.visits import services as visits
from trialsite.visits.models import Visit

DAY = datetime.timedelta(days=1)
EMAIL = "story{}@participants.example"
# first name, last name, sex, how far the participant gets
STORIES = [
    ("Rosa", "Brennan", "F", "prospect"),
    ("Hugo", "Lindqvist", "M", "pre_screened"),
    ("Ines", "Walsh", "F", "screening"),
    ("Emil", "Okafor", "M", "enrolled"),
    ("Sofia", "Keller", "F", "enrolled"),
]
ORDER = ["prospect", "pre_screened", "screening", "enrolled"]


def walk_through_services(study_site: StudySite, coordinator: Person, today: datetime.date) -> int:
    """Enter the story participants through the services as the coordinator; returns how many were entered."""
    actor = coordinator.user
    if actor is None or Participant.objects.filter(study_site=study_site, email=EMAIL.format(0)).exists():
        return 0
    site = study_site.site

    def at(day: datetime.date, hour: int) -> datetime.datetime:
        return datetime.datetime.combine(day, datetime.time(hour), tzinfo=site.tz).astimezone(datetime.UTC)

    is_open = planning.site_calendar(site, today - 90 * DAY, today + 30 * DAY).is_open

    def open_on_or_after(day: datetime.date) -> datetime.date:
        while not is_open(day):
            day += DAY
        return day

    for k, (first, last, sex, goal) in enumerate(STORIES):
        reach = ORDER.index(goal)
        referred = today - (60 - 9 * k) * DAY
        p = funnel.create_prospect(
            actor=actor,
            study_site=study_site,
            first_name=first,
            last_name=last,
            sex=sex,
            birth_date=referred - (50 + k) * 365 * DAY,
            email=EMAIL.format(k),
            referral_channel="physician",
            referral_source="Internal referral — cardiology outpatient clinic",
            referred_on=referred,
        )
        funnel.log_contact_attempt(
            p, actor=actor, at=at(referred + DAY, 10), method="phone", outcome="reached" if reach else "no_answer"
        )
        if reach < 1:
            continue
        p = funnel.record_pre_screen(p, actor=actor, passed=True, on=referred + 2 * DAY)
        if reach < 2:
            continue
        consent_day = open_on_or_after(referred + 5 * DAY)
        funnel.record_consent(
            p,
            actor=actor,
            form_version=funnel.icf_in_force(study_site, consent_day),
            consented_at=at(consent_day, 9),
            obtained_by=coordinator,
            screening_number=f"S-STORY-{k + 1}",
        )
        _complete_past_visits(p, actor, today)
        if reach < 3:
            continue
        p.refresh_from_db()
        checklist = funnel.checklist(p, consent_day)
        funnel.record_eligibility(
            p,
            actor=actor,
            answers={c.pk: "met" if c.kind == "inclusion" else "not_met" for c in checklist},
            assessed_by=coordinator,
            assessed_at=at(consent_day, 14),
        )
        p.refresh_from_db()
        funnel.enroll(
            p,
            actor=actor,
            subject_id=f"STORY-{k + 1}",
            enrolled_on=open_on_or_after(consent_day + 7 * DAY),
            arm="Arm A",
        )
        _complete_past_visits(p, actor, today)
    return len(STORIES)


def _complete_past_visits(participant: Participant, actor: object, today: datetime.date) -> None:
    """Visits whose planned day has passed are recorded as done that day, every procedure done."""
    for v in Visit.objects.filter(participant=participant, status="planned", planned_on__lt=today).order_by("sequence"):
        done = {code: True for code, _name in visits.expected_procedures(v)}
        visits.complete_visit(v, actual_on=v.planned_on, procedures=done, actor=actor)
