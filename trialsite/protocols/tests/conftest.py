"""A small schedule of activities for study X: version 1.0 with 3 visits, 3 procedures, ticks, criteria."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest

from trialsite.protocols import services
from trialsite.protocols.models import EligibilityCriterion, Procedure, ProtocolVersion, VisitDefinition


@dataclass
class Soa:
    version: ProtocolVersion
    scr: VisitDefinition
    d1: VisitDefinition
    v2: VisitDefinition
    lab: Procedure
    ecg: Procedure
    dose: Procedure
    inc1: EligibilityCriterion


def build_soa(net, study=None, label="1.0", effective_on=datetime.date(2026, 1, 1)) -> Soa:  # noqa: ANN001
    admin = net.user("admin")
    study = study or net.study_x
    pv = services.create_protocol_version(actor=admin, study=study, label=label, effective_on=effective_on)
    scr = services.add_visit_definition(
        pv,
        actor=admin,
        code="SCR",
        name="Screening",
        visit_type="screening",
        anchor="consent",
        day_offset=0,
        window_after=14,
    )
    d1 = services.add_visit_definition(
        pv, actor=admin, code="D1", name="Day 1", visit_type="treatment", anchor="day_1", day_offset=0
    )
    v2 = services.add_visit_definition(
        pv,
        actor=admin,
        code="V2",
        name="Week 4",
        visit_type="treatment",
        anchor="day_1",
        day_offset=28,
        window_before=3,
        window_after=3,
        stipend_amount=Decimal("50.00"),
        stipend_currency="USD",
    )
    procs = {p.code: p for p in Procedure.objects.filter(study=study)}
    lab = procs.get("LAB") or services.add_procedure(study, actor=admin, code="LAB", name="Chemistry", category="lab")
    ecg = procs.get("ECG") or services.add_procedure(study, actor=admin, code="ECG", name="12-lead ECG", category="ecg")
    dose = procs.get("DOSE") or services.add_procedure(
        study, actor=admin, code="DOSE", name="Dosing", category="dosing"
    )
    services.save_schedule(
        pv,
        actor=admin,
        ticks=[("SCR", "LAB"), ("SCR", "ECG"), ("D1", "DOSE"), ("V2", "LAB"), ("V2", "DOSE")],
        expected_version=pv.version,
    )
    inc1 = services.add_criterion(pv, actor=admin, kind="inclusion", text="Adults 18 to 75 years")
    services.add_criterion(pv, actor=admin, kind="exclusion", text="Pregnancy")
    pv.refresh_from_db()
    return Soa(pv, scr, d1, v2, lab, ecg, dose, inc1)


@pytest.fixture
def soa(net) -> Soa:  # noqa: ANN001
    return build_soa(net)
