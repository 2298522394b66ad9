"""Funnel fixtures: a protocol with eligibility criteria and a schedule, an ICF in force, and participants."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from trialsite.participants import services
from trialsite.participants.models import ConsentFormVersion, Participant
from trialsite.protocols.models import EligibilityCriterion, ProtocolVersion, VisitDefinition

D = datetime.date
REFERRED = D(2026, 3, 2)


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(day.year, day.month, day.day, hour), datetime.UTC)


@dataclass
class Funnel:
    net: Any
    protocol: ProtocolVersion
    criteria: list[EligibilityCriterion]
    icf: ConsentFormVersion  # ICF 1.0 at xa, in force from 2026-02-01
    icf_b: ConsentFormVersion  # ICF 1.0 at xb

    def prospect(self, study_site: Any = None, name: str = "Ada", referred_on: D = REFERRED) -> Participant:
        """A prospect created through the service by staff_a (site A); other sites by the ORM (setup)."""
        study_site = study_site or self.net.xa
        make = (
            services.create_prospect
            if study_site.site_id == self.net.site_a.pk
            else lambda actor, **kw: Participant.objects.create(**kw)
        )
        return make(
            actor=self.net.user("staff_a"),
            study_site=study_site,
            first_name=name,
            last_name="Lovelace",
            birth_date=D(1970, 5, 6),
            sex="F",
            phone="+1 617 555 0101",
            email="ada@example.org",
            medical_record_number="MRN-0042",
            referral_channel="physician",
            referral_source="Dr. Babbage",
            campaign="spring",
            referred_on=referred_on,
        )

    def answers(self, **over: str) -> dict[int, str]:
        base = {c.pk: ("met" if c.kind == "inclusion" else "not_met") for c in self.criteria}
        by_label = {str(c): c.pk for c in self.criteria}
        base.update({by_label[k]: v for k, v in over.items()})
        return base

    def to_screening(self, p: Participant, number: str = "S-001") -> Participant:
        user = self.net.user("staff_a")
        services.record_pre_screen(p, actor=user, passed=True, on=D(2026, 3, 4))
        services.record_consent(
            p,
            actor=user,
            form_version=self.icf,
            consented_at=at(D(2026, 3, 5)),
            obtained_by=self.net.crc_a,
            screening_number=number,
        )
        return Participant.objects.get(pk=p.pk)

    def to_enrolled(self, p: Participant, number: str = "S-001", subject: str = "101-001") -> Participant:
        p = self.to_screening(p, number)
        user = self.net.user("staff_a")
        services.record_eligibility(
            p, actor=user, answers=self.answers(), assessed_by=self.net.crc_a, assessed_at=at(D(2026, 3, 6))
        )
        return services.enroll(p, actor=user, subject_id=subject, enrolled_on=D(2026, 3, 9), arm="A")


@pytest.fixture
def funnel(net) -> Funnel:  # noqa: ANN001
    pv = ProtocolVersion.objects.create(study=net.study_x, label="1.0", effective_on=D(2026, 1, 1))
    criteria = [
        EligibilityCriterion.objects.create(protocol_version=pv, kind="inclusion", number=1, text="Adult"),
        EligibilityCriterion.objects.create(protocol_version=pv, kind="inclusion", number=2, text="Diagnosis"),
        EligibilityCriterion.objects.create(protocol_version=pv, kind="exclusion", number=1, text="Pregnant"),
    ]
    for order, (code, anchor, offset, vtype) in enumerate(
        [
            ("SCR", "consent", 0, "screening"),
            ("V1", "enrollment", 0, "treatment"),
            ("V2", "enrollment", 28, "treatment"),
            ("D1", "day_1", 0, "treatment"),
            ("EOS", "day_1", 90, "end_of_study"),
        ],
        start=1,
    ):
        VisitDefinition.objects.create(
            protocol_version=pv,
            code=code,
            name=code,
            order=order,
            visit_type=vtype,
            anchor=anchor,
            day_offset=offset,
            window_before=3,
            window_after=3,
        )
    icf = ConsentFormVersion.objects.create(
        study_site=net.xa, label="1.0", irb_approved_on=D(2026, 1, 20), effective_on=D(2026, 2, 1)
    )
    icf_b = ConsentFormVersion.objects.create(
        study_site=net.xb, label="1.0", irb_approved_on=D(2026, 1, 20), effective_on=D(2026, 2, 1)
    )
    return Funnel(net, pv, criteria, icf, icf_b)
