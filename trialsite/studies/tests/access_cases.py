"""Access cases for studies and studies at sites (incl. the status transition): UI and API."""

from __future__ import annotations

from django.urls import reverse

from trialsite.accounts.tests.access_rules import (
    ANON,
    api_create,
    api_read,
    api_write,
    network_writer,
    sees_site_record,
    sees_study_site_record,
    study_site_of,
    ui_create,
    ui_edit,
    ui_page,
    version_of,
    writes_site_record,
)
from trialsite.core.testing import Case

STUDY_TARGETS = ("own", "other_study")  # study X (at sites A and B), study Y (at site A only)
SS_TARGETS = ("own", "other_site", "other_study")


def study_of(net, t: str):  # noqa: ANN001, ANN201
    return net.study_x if t == "own" else net.study_y


def studysite_creator(u: str, t: str) -> bool:
    return u in {"admin", "ops", "manager_a"}


def study_form(net, t: str) -> dict:  # noqa: ANN001
    s = study_of(net, t)
    return {
        "protocol_number": s.protocol_number,
        "short_name": s.short_name + "+",
        "title": s.title,
        "sponsor": s.sponsor_id,
        "phase": s.phase,
        "therapeutic_area": s.therapeutic_area,
        "status": s.status,
        "version": version_of(s),
    }


def new_study(net, t: str) -> dict:  # noqa: ANN001
    return {
        "protocol_number": "NEW-900",
        "short_name": "NEW",
        "title": "A new study",
        "sponsor": net.sponsor.pk,
        "phase": "2",
        "therapeutic_area": "oncology",
        "status": "planned",
    }


def new_study_site(net, t: str) -> dict:  # noqa: ANN001
    """Study Y at site B: the one pair not yet placed."""
    return {"study": net.study_y.pk, "site": net.site_b.pk, "enrollment_target": 5}


def ss_form(net, t: str) -> dict:  # noqa: ANN001
    ss = study_site_of(net, t)
    return {
        "study": ss.study_id,
        "site": ss.site_id,
        "site_number": "9001",
        "irb": ss.irb_id,
        "enrollment_target": 12,
        "version": version_of(ss),
    }


def transition(net, t: str) -> dict:  # noqa: ANN001
    return {
        "status": "selected",
        "on": "2026-03-01",
        "reason": "Sponsor selected the site",
        "version": version_of(study_site_of(net, t)),
    }


def ss_url(name: str):  # noqa: ANN201
    return lambda n, t: reverse(name, args=[study_site_of(n, t).pk])


def study_url(name: str):  # noqa: ANN201
    return lambda n, t: reverse(name, args=[study_of(n, t).pk])


def sees_study(u: str, t: str) -> bool:
    return sees_study_site_record(u, t)


CASES = [
    # -- studies (UI) --
    Case("studies:study_list", "GET", lambda n, t: reverse("studies:study_list"), ui_page(), targets=("own",)),
    Case("studies:study_detail", "GET", study_url("studies:study_detail"), ui_page(sees_study), targets=STUDY_TARGETS),
    Case(
        "studies:study_create",
        "GET",
        lambda n, t: reverse("studies:study_create"),
        ui_create(network_writer),
        targets=("own",),
    ),
    Case(
        "studies:study_create",
        "POST",
        lambda n, t: reverse("studies:study_create"),
        ui_create(network_writer, ok=302),
        data=new_study,
        targets=("own",),
        note="valid",
    ),
    Case(
        "studies:study_edit",
        "GET",
        study_url("studies:study_edit"),
        ui_edit(sees_study, network_writer),
        targets=STUDY_TARGETS,
    ),
    Case(
        "studies:study_edit",
        "POST",
        study_url("studies:study_edit"),
        ui_edit(sees_study, network_writer, ok=302),
        data=study_form,
        targets=STUDY_TARGETS,
        note="valid",
    ),
    # -- studies at sites (UI) --
    Case("studies:studysite_list", "GET", lambda n, t: reverse("studies:studysite_list"), ui_page(), targets=("own",)),
    Case(
        "studies:studysite_detail",
        "GET",
        ss_url("studies:studysite_detail"),
        ui_page(sees_study_site_record),
        targets=SS_TARGETS,
    ),
    Case(
        "studies:studysite_create",
        "GET",
        lambda n, t: reverse("studies:studysite_create"),
        ui_create(studysite_creator),
        targets=("own",),
    ),
    Case(
        "studies:studysite_create",
        "POST",
        lambda n, t: reverse("studies:studysite_create"),
        ui_create(studysite_creator, writes_site_record, ok=302),
        data=new_study_site,
        targets=("other_site",),
        note="valid",
    ),
    Case(
        "studies:studysite_edit",
        "GET",
        ss_url("studies:studysite_edit"),
        ui_edit(sees_study_site_record, writes_site_record),
        targets=SS_TARGETS,
    ),
    Case(
        "studies:studysite_edit",
        "POST",
        ss_url("studies:studysite_edit"),
        ui_edit(sees_study_site_record, writes_site_record, ok=302),
        data=ss_form,
        targets=SS_TARGETS,
        note="valid",
    ),
    Case(
        "studies:studysite_transition",
        "GET",
        ss_url("studies:studysite_transition"),
        ui_edit(sees_study_site_record, writes_site_record),
        targets=SS_TARGETS,
    ),
    Case(
        "studies:studysite_transition",
        "POST",
        ss_url("studies:studysite_transition"),
        ui_edit(sees_study_site_record, writes_site_record, ok=302),
        data=transition,
        targets=SS_TARGETS,
        note="valid",
    ),
    # -- API --
    Case("study-list", "GET", lambda n, t: "/api/v1/studies/", api_read(), api=True, targets=("own",)),
    Case(
        "study-list",
        "POST",
        lambda n, t: "/api/v1/studies/",
        lambda u, t: 403 if u == ANON or not network_writer(u, t) else 201,
        data=new_study,
        api=True,
        targets=("own",),
        note="create",
    ),
    Case(
        "study-detail",
        "GET",
        lambda n, t: f"/api/v1/studies/{study_of(n, t).pk}/",
        api_read(sees_study),
        api=True,
        targets=STUDY_TARGETS,
    ),
    Case(
        "study-detail",
        "PATCH",
        lambda n, t: f"/api/v1/studies/{study_of(n, t).pk}/",
        api_write(sees_study, network_writer),
        data=lambda n, t: {"enrollment_target": 120, "version": version_of(study_of(n, t))},
        api=True,
        targets=STUDY_TARGETS,
    ),
    Case("studysite-list", "GET", lambda n, t: "/api/v1/study-sites/", api_read(), api=True, targets=("own",)),
    Case(
        "studysite-list",
        "POST",
        lambda n, t: "/api/v1/study-sites/",
        api_create(studysite_creator, writes_site_record, sees_site_record),
        data=new_study_site,
        api=True,
        targets=("other_site",),
        note="create",
    ),
    Case(
        "studysite-detail",
        "GET",
        lambda n, t: f"/api/v1/study-sites/{study_site_of(n, t).pk}/",
        api_read(sees_study_site_record),
        api=True,
        targets=SS_TARGETS,
    ),
    Case(
        "studysite-detail",
        "PATCH",
        lambda n, t: f"/api/v1/study-sites/{study_site_of(n, t).pk}/",
        api_write(sees_study_site_record, writes_site_record),
        data=lambda n, t: {"site_number": "77", "version": version_of(study_site_of(n, t))},
        api=True,
        targets=SS_TARGETS,
    ),
    Case(
        "studysite-transition",
        "POST",
        lambda n, t: f"/api/v1/study-sites/{study_site_of(n, t).pk}/transition/",
        api_write(sees_study_site_record, writes_site_record),
        data=transition,
        api=True,
        targets=SS_TARGETS,
    ),
]
