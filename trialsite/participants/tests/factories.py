"""Test-setup builders: participants at a given funnel stage, written with the ORM (no service checks)."""

from __future__ import annotations

import datetime
import itertools
from typing import Any

from django.utils import timezone

from trialsite.participants.models import Consent, ConsentFormVersion, EligibilityAssessment, Participant
from trialsite.protocols.models import EligibilityCriterion, ProtocolVersion
from trialsite.staff.models import Assignment, Person

D = datetime.date
STAGES = ("prospect", "pre_screened", "screening", "eligible", "enrolled")
_numbers = itertools.count(1)


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(day.year, day.month, day.day, hour), datetime.UTC)


def team_member(study_site: Any) -> Person:
    """Someone currently assigned to the study at the site (consent and eligibility need one)."""
    existing = Assignment.objects.filter(study_site=study_site, ends_on__isnull=True).select_related("person").first()
    if existing:
        return existing.person
    person = Person.objects.create(
        first_name="Sam", last_name="Subi", job_role="coordinator", home_site=study_site.site
    )
    Assignment.objects.create(person=person, study_site=study_site, study_role="backup_crc", starts_on=D(2026, 1, 1))
    return person


def icf(study_site: Any) -> ConsentFormVersion:
    found = ConsentFormVersion.objects.filter(study_site=study_site, label="1.0").first()
    return found or ConsentFormVersion.objects.create(
        study_site=study_site, label="1.0", irb_approved_on=D(2025, 12, 15), effective_on=D(2026, 1, 1)
    )


def protocol(study_site: Any) -> ProtocolVersion:
    pv = ProtocolVersion.objects.filter(study_id=study_site.study_id, label="1.0").first()
    if pv is None:
        pv = ProtocolVersion.objects.create(study_id=study_site.study_id, label="1.0", effective_on=D(2026, 1, 1))
        EligibilityCriterion.objects.create(protocol_version=pv, kind="inclusion", number=1, text="Adult")
        EligibilityCriterion.objects.create(protocol_version=pv, kind="exclusion", number=1, text="Pregnant")
    return pv


def participant(study_site: Any, stage: str = "prospect", name: str = "Ada") -> Participant:
    """A participant at `stage` (one of STAGES; "eligible" = screening with a passing checklist)."""
    n = next(_numbers)
    p = Participant.objects.create(
        study_site=study_site,
        first_name=name,
        last_name="Lovelace",
        birth_date=D(1970, 5, 6),
        sex="F",
        phone="+1 617 555 0101",
        email="ada@example.org",
        medical_record_number=f"MRN-{n:04d}",
        referral_channel="physician",
        referral_source="Dr. Babbage",
        referred_on=D(2026, 3, 2),
    )
    level = STAGES.index(stage)
    if level >= 1:
        p.stage, p.pre_screened_on = Participant.Stage.PRE_SCREENED, D(2026, 3, 4)
    if level >= 2:
        protocol(study_site)
        Consent.objects.create(
            participant=p,
            form_version=icf(study_site),
            consented_at=at(D(2026, 3, 5)),
            obtained_by=team_member(study_site),
        )
        p.stage, p.screening_number = Participant.Stage.SCREENING, f"S-{n:04d}"
    if level >= 3:
        for c in protocol(study_site).criteria.all():
            EligibilityAssessment.objects.create(
                participant=p,
                criterion=c,
                answer="met" if c.kind == "inclusion" else "not_met",
                assessed_by=team_member(study_site),
                assessed_at=at(D(2026, 3, 6)),
            )
    if level >= 4:
        p.stage, p.subject_id, p.enrolled_on = Participant.Stage.ENROLLED, f"{n:03d}-001", D(2026, 3, 9)
    p.save()
    return p
