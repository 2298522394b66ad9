"""Fixtures for visits: a protocol version with a small schedule, and participants to plan for."""

from __future__ import annotations

import datetime

import pytest

from trialsite.participants.models import Participant
from trialsite.protocols.models import Procedure, ProtocolVersion, VisitDefinition, VisitProcedure

# Monday 2026-03-02; no US public holiday within the first weeks.
ANCHOR = datetime.date(2026, 3, 2)


def make_schedule(study, label="1.0", effective_on=datetime.date(2026, 1, 1), rows=None):  # noqa: ANN001, ANN201
    version = ProtocolVersion.objects.create(study=study, label=label, effective_on=effective_on)
    rows = rows or [
        ("SCR", "Screening", "screening", "consent", 0, 0, 0),
        ("V1", "Baseline", "treatment", "enrollment", 0, 0, 0),
        ("V2", "Week 1", "treatment", "enrollment", 7, 2, 2),
        ("V3", "Week 4", "treatment", "enrollment", 28, 3, 3),
    ]
    for order, (code, name, vtype, anchor, offset, before, after) in enumerate(rows, start=1):
        VisitDefinition.objects.create(
            protocol_version=version,
            code=code,
            name=name,
            order=order,
            visit_type=vtype,
            anchor=anchor,
            day_offset=offset,
            window_before=before,
            window_after=after,
        )
    return version


def make_participant(study_site, n=1, **extra):  # noqa: ANN001, ANN201
    return Participant.objects.create(
        study_site=study_site,
        first_name=f"Alice{n}",
        last_name="Secretname",
        referred_on=datetime.date(2026, 2, 1),
        **extra,
    )


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):  # noqa: ANN001, ANN202
    """The fixture network sets ten passwords per test; a fast hasher keeps these tests quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def schedule(net):  # noqa: ANN001, ANN201
    version = make_schedule(net.study_x)
    proc = Procedure.objects.create(study=net.study_x, code="LAB", name="Safety labs", category="lab")
    ecg = Procedure.objects.create(study=net.study_x, code="ECG", name="12-lead ECG", category="ecg")
    for vd in version.visit_definitions.all():
        VisitProcedure.objects.create(visit_definition=vd, procedure=proc)
        if vd.code == "V2":
            VisitProcedure.objects.create(visit_definition=vd, procedure=ecg)
    return version


@pytest.fixture
def participant(net, schedule):  # noqa: ANN001, ANN201
    return make_participant(net.xa)
