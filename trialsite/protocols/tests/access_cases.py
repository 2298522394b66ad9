"""Access cases for the protocol pages and API: a study-level record, written by network operations only.

Targets: "own" is study X (runs at sites A and B), "other_study" is study Y (site A only).
The records are created inside each request's rolled-back savepoint, so every case starts clean.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from trialsite.accounts.tests.access_rules import (
    ANON,
    api_read,
    api_write,
    network_writer,
    sees_study_site_record,
    ui_create,
    ui_edit,
    ui_page,
    version_of,
)
from trialsite.core.context import acting_as
from trialsite.core.testing import Case

TARGETS = ("own", "other_study")


@dataclass
class Proto:
    version: Any
    visit: Any
    procedure: Any
    criterion: Any


def proto(net: Any, t: str) -> Proto:
    """Version 1.0 of the target's study with one visit, one procedure (ticked) and one criterion."""
    from trialsite.protocols.models import (
        EligibilityCriterion,
        Procedure,
        ProtocolVersion,
        VisitDefinition,
        VisitProcedure,
    )

    study = net.study_x if t == "own" else net.study_y
    with acting_as(process="test-setup"):
        pv, made = ProtocolVersion.objects.get_or_create(
            study=study, label="1.0", defaults={"effective_on": datetime.date(2026, 1, 1)}
        )
        if made:
            vd = VisitDefinition.objects.create(
                protocol_version=pv,
                code="V1",
                name="Day 1",
                order=1,
                visit_type="treatment",
                anchor="day_1",
                day_offset=0,
            )
            proc = Procedure.objects.create(study=study, code="LAB", name="Chemistry", category="lab")
            VisitProcedure.objects.create(visit_definition=vd, procedure=proc)
            EligibilityCriterion.objects.create(protocol_version=pv, kind="inclusion", number=1, text="Adult")
    return Proto(pv, pv.visit_definitions.get(code="V1"), study.procedures.get(code="LAB"), pv.criteria.get(number=1))


def sees(u: str, t: str) -> bool:
    return sees_study_site_record(u, t)


def url(name: str, attr: str, suffix: str = ""):  # noqa: ANN201
    return lambda n, t: reverse(name, args=[getattr(proto(n, t), attr).pk]) + suffix


def api_url(base: str, attr: str, action: str = ""):  # noqa: ANN201
    return lambda n, t: f"/api/v1/{base}/{getattr(proto(n, t), attr).pk}/{action}"


def list_url(path: str):  # noqa: ANN201
    def make(n: Any, t: str) -> str:
        proto(n, t)
        return path

    return make


# -- request bodies --------------------------------------------------------------------------------
def version_form(n: Any, t: str) -> dict:
    p = proto(n, t)
    return {"label": "1.0", "effective_on": "2026-01-01", "notes": "checked", "version": version_of(p.version)}


def new_version(n: Any, t: str) -> dict:
    study = n.study_x if t == "own" else n.study_y
    return {"study": study.pk, "label": "9.0", "effective_on": "2030-01-01", "notes": ""}


def schedule_form(n: Any, t: str) -> dict:
    p = proto(n, t)
    return {"version": version_of(p.version), "cell": [f"{p.visit.pk}-{p.procedure.pk}"], "reason": "grid"}


def schedule_api(n: Any, t: str) -> dict:
    p = proto(n, t)
    return {"version": version_of(p.version), "ticks": [{"visit": "V1", "procedure": "LAB"}]}


def amendment(n: Any, t: str) -> dict:
    proto(n, t)
    return {"label": "2.0", "effective_on": "2026-06-01", "notes": "", "reason": "amendment"}


def visit_fields(code: str = "V2", offset: int = 28) -> dict:
    return {
        "code": code,
        "name": "Week 4",
        "order": 2,
        "visit_type": "treatment",
        "anchor": "day_1",
        "day_offset": offset,
        "window_before": 3,
        "window_after": 3,
        "stipend_amount": "",
        "stipend_currency": "",
    }


def visit_new(n: Any, t: str) -> dict:
    proto(n, t)
    return visit_fields()


def visit_edit(n: Any, t: str) -> dict:
    p = proto(n, t)
    return {**visit_fields("V1", 0), "order": 1, "name": "Day one", "version": version_of(p.visit)}


def visit_api_new(n: Any, t: str) -> dict:
    p = proto(n, t)
    return {**visit_fields(), "protocol_version": p.version.pk, "stipend_amount": None}


def visit_api_edit(n: Any, t: str) -> dict:
    p = proto(n, t)
    return {"version": version_of(p.visit), "name": "Day one"}


def procedure_new(n: Any, t: str) -> dict:
    proto(n, t)
    return {"code": "ECG", "name": "12-lead ECG", "category": "ecg"}


def procedure_edit(n: Any, t: str) -> dict:
    p = proto(n, t)
    return {"code": "LAB", "name": "Chemistry panel", "category": "lab", "version": version_of(p.procedure)}


def procedure_api_new(n: Any, t: str) -> dict:
    study = n.study_x if t == "own" else n.study_y
    return {"study": study.pk, "code": "ECG", "name": "12-lead ECG", "category": "ecg"}


def criterion_new(n: Any, t: str) -> dict:
    proto(n, t)
    return {"kind": "exclusion", "number": "", "text": "Pregnancy", "reason": ""}


def criterion_edit(n: Any, t: str) -> dict:
    p = proto(n, t)
    return {"kind": "inclusion", "number": 1, "text": "Adults", "version": version_of(p.criterion)}


def criterion_api_new(n: Any, t: str) -> dict:
    p = proto(n, t)
    return {"protocol_version": p.version.pk, "kind": "exclusion", "text": "Pregnancy"}


def removal(attr: str):  # noqa: ANN201
    return lambda n, t: {"version": version_of(getattr(proto(n, t), attr)), "reason": "not needed"}


def api_creator(u: str, t: str) -> int:
    return 403 if u == ANON or not network_writer(u, t) else 201


EDIT = ui_edit(sees, network_writer)
EDIT_POST = ui_edit(sees, network_writer, ok=302)


def ui_pair(name: str, attr: str, data: Any) -> list[Case]:
    return [
        Case(name, "GET", url(name, attr), EDIT, targets=TARGETS),
        Case(name, "POST", url(name, attr), EDIT_POST, data=data, targets=TARGETS, note="valid"),
    ]


CASES = [
    # -- UI --
    Case("protocols:version_list", "GET", list_url("/protocols/"), ui_page(), targets=("own",)),
    Case("protocols:version_detail", "GET", url("protocols:version_detail", "version"), ui_page(sees), targets=TARGETS),
    Case("protocols:version_create", "GET", list_url("/protocols/new/"), ui_create(network_writer), targets=("own",)),
    Case(
        "protocols:version_create",
        "POST",
        list_url("/protocols/new/"),
        ui_create(network_writer, ok=302),
        data=new_version,
        targets=TARGETS,
        note="valid",
    ),
    *ui_pair("protocols:version_edit", "version", version_form),
    *ui_pair("protocols:schedule_edit", "version", schedule_form),
    *ui_pair("protocols:version_amend", "version", amendment),
    *ui_pair("protocols:visit_create", "version", visit_new),
    *ui_pair("protocols:procedure_create", "version", procedure_new),
    *ui_pair("protocols:criterion_create", "version", criterion_new),
    *ui_pair("protocols:visit_edit", "visit", visit_edit),
    *ui_pair("protocols:visit_remove", "visit", removal("visit")),
    *ui_pair("protocols:procedure_edit", "procedure", procedure_edit),
    *ui_pair("protocols:criterion_edit", "criterion", criterion_edit),
    *ui_pair("protocols:criterion_remove", "criterion", removal("criterion")),
    # -- API: protocol versions --
    Case("protocolversion-list", "GET", list_url("/api/v1/protocol-versions/"), api_read(), api=True, targets=("own",)),
    Case(
        "protocolversion-list",
        "POST",
        list_url("/api/v1/protocol-versions/"),
        api_creator,
        data=new_version,
        api=True,
        targets=TARGETS,
    ),
    Case(
        "protocolversion-detail",
        "GET",
        api_url("protocol-versions", "version"),
        api_read(sees),
        api=True,
        targets=TARGETS,
    ),
    Case(
        "protocolversion-detail",
        "PATCH",
        api_url("protocol-versions", "version"),
        api_write(sees, network_writer),
        data=lambda n, t: {"version": version_of(proto(n, t).version), "notes": "checked"},
        api=True,
        targets=TARGETS,
    ),
    Case(
        "protocolversion-schedule",
        "GET",
        api_url("protocol-versions", "version", "schedule/"),
        api_read(sees),
        api=True,
        targets=TARGETS,
    ),
    Case(
        "protocolversion-schedule",
        "PUT",
        api_url("protocol-versions", "version", "schedule/"),
        api_write(sees, network_writer),
        data=schedule_api,
        api=True,
        targets=TARGETS,
    ),
    Case(
        "protocolversion-amend",
        "POST",
        api_url("protocol-versions", "version", "amend/"),
        api_write(sees, network_writer, ok=201),
        data=amendment,
        api=True,
        targets=TARGETS,
    ),
    # -- API: procedures --
    Case("procedure-list", "GET", list_url("/api/v1/procedures/"), api_read(), api=True, targets=("own",)),
    Case(
        "procedure-list",
        "POST",
        list_url("/api/v1/procedures/"),
        api_creator,
        data=procedure_api_new,
        api=True,
        targets=TARGETS,
    ),
    Case("procedure-detail", "GET", api_url("procedures", "procedure"), api_read(sees), api=True, targets=TARGETS),
    Case(
        "procedure-detail",
        "PATCH",
        api_url("procedures", "procedure"),
        api_write(sees, network_writer),
        data=lambda n, t: {"version": version_of(proto(n, t).procedure), "name": "Chemistry panel"},
        api=True,
        targets=TARGETS,
    ),
    # -- API: visit definitions --
    Case("visitdefinition-list", "GET", list_url("/api/v1/visit-definitions/"), api_read(), api=True, targets=("own",)),
    Case(
        "visitdefinition-list",
        "POST",
        list_url("/api/v1/visit-definitions/"),
        api_creator,
        data=visit_api_new,
        api=True,
        targets=TARGETS,
    ),
    Case(
        "visitdefinition-detail",
        "GET",
        api_url("visit-definitions", "visit"),
        api_read(sees),
        api=True,
        targets=TARGETS,
    ),
    Case(
        "visitdefinition-detail",
        "PATCH",
        api_url("visit-definitions", "visit"),
        api_write(sees, network_writer),
        data=visit_api_edit,
        api=True,
        targets=TARGETS,
    ),
    Case(
        "visitdefinition-detail",
        "DELETE",
        api_url("visit-definitions", "visit"),
        api_write(sees, network_writer, ok=204),
        api=True,
        targets=TARGETS,
    ),
    # -- API: eligibility criteria --
    Case(
        "eligibilitycriterion-list",
        "GET",
        list_url("/api/v1/eligibility-criteria/"),
        api_read(),
        api=True,
        targets=("own",),
    ),
    Case(
        "eligibilitycriterion-list",
        "POST",
        list_url("/api/v1/eligibility-criteria/"),
        api_creator,
        data=criterion_api_new,
        api=True,
        targets=TARGETS,
    ),
    Case(
        "eligibilitycriterion-detail",
        "GET",
        api_url("eligibility-criteria", "criterion"),
        api_read(sees),
        api=True,
        targets=TARGETS,
    ),
    Case(
        "eligibilitycriterion-detail",
        "PATCH",
        api_url("eligibility-criteria", "criterion"),
        api_write(sees, network_writer),
        data=lambda n, t: {"version": version_of(proto(n, t).criterion), "text": "Adults"},
        api=True,
        targets=TARGETS,
    ),
    Case(
        "eligibilitycriterion-detail",
        "DELETE",
        api_url("eligibility-criteria", "criterion"),
        api_write(sees, network_writer, ok=204),
        api=True,
        targets=TARGETS,
    ),
]
