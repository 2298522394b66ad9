"""Access cases for staff (people, assignments to studies at sites): UI and API."""

from __future__ import annotations

import datetime

from django.urls import reverse

from trialsite.accounts.tests.access_rules import (
    api_create,
    api_read,
    api_write,
    sees_site_record,
    sees_study_site_record,
    site_of,
    study_site_of,
    ui_create,
    ui_edit,
    ui_page,
    version_of,
    writes_site_record,
)
from trialsite.core.testing import Case
from trialsite.staff.models import Assignment

PERSON_TARGETS = ("own", "other_site")  # Carl (home site A, on X at A), Berta (home site B, on X at B)
ALL = ("own", "other_site", "other_study")


def person_of(net, t: str):  # noqa: ANN001, ANN201
    return net.crc_b if t == "other_site" else net.crc_a


def assignment_of(net, t: str) -> Assignment:  # noqa: ANN001
    ss = study_site_of(net, t)
    person = net.pi_a if t == "other_study" else person_of(net, t)
    obj, _ = Assignment.objects.get_or_create(
        person=person,
        study_site=ss,
        defaults={"study_role": "sub_investigator", "starts_on": datetime.date(2026, 1, 1)},
    )
    return obj


def site_writer_anywhere(u: str, t: str) -> bool:
    return u in {"admin", "ops", "manager_a"}


def person_form(net, t: str) -> dict:  # noqa: ANN001
    p = person_of(net, t)
    return {
        "first_name": p.first_name,
        "last_name": p.last_name,
        "job_role": p.job_role,
        "credentials": "CCRC",
        "home_site": p.home_site_id,
        "is_active": "on",
        "version": version_of(p),
    }


def new_person(net, t: str) -> dict:  # noqa: ANN001
    return {
        "first_name": "Nina",
        "last_name": "Nurse",
        "job_role": "nurse",
        "home_site": site_of(net, t).pk,
        "is_active": True,
    }


def new_assignment(net, t: str) -> dict:  # noqa: ANN001
    ss = study_site_of(net, t)
    return {"person": person_of(net, t).pk, "study_site": ss.pk, "study_role": "backup_crc", "starts_on": "2026-02-01"}


def assignment_form(net, t: str) -> dict:  # noqa: ANN001
    a = assignment_of(net, t)
    return {
        "person": a.person_id,
        "study_site": a.study_site_id,
        "study_role": a.study_role,
        "starts_on": a.starts_on.isoformat(),
        "effort_percent": 40,
        "version": version_of(a),
    }


CASES = [
    # -- people (UI) --
    Case("staff:person_list", "GET", lambda n, t: reverse("staff:person_list"), ui_page(), targets=("own",)),
    Case(
        "staff:person_detail",
        "GET",
        lambda n, t: reverse("staff:person_detail", args=[person_of(n, t).pk]),
        ui_page(sees_site_record),
        targets=PERSON_TARGETS,
    ),
    Case(
        "staff:person_create",
        "GET",
        lambda n, t: reverse("staff:person_create"),
        ui_create(site_writer_anywhere),
        targets=("own",),
    ),
    Case(
        "staff:person_create",
        "POST",
        lambda n, t: reverse("staff:person_create"),
        ui_create(site_writer_anywhere, writes_site_record, ok=302),
        data=lambda n, t: {**new_person(n, t), "is_active": "on"},
        targets=PERSON_TARGETS,
        note="valid",
    ),
    Case(
        "staff:person_edit",
        "GET",
        lambda n, t: reverse("staff:person_edit", args=[person_of(n, t).pk]),
        ui_edit(sees_site_record, writes_site_record),
        targets=PERSON_TARGETS,
    ),
    Case(
        "staff:person_edit",
        "POST",
        lambda n, t: reverse("staff:person_edit", args=[person_of(n, t).pk]),
        ui_edit(sees_site_record, writes_site_record, ok=302),
        data=person_form,
        targets=PERSON_TARGETS,
        note="valid",
    ),
    # -- assignments (UI) --
    Case("staff:assignment_list", "GET", lambda n, t: reverse("staff:assignment_list"), ui_page(), targets=("own",)),
    Case(
        "staff:assignment_detail",
        "GET",
        lambda n, t: reverse("staff:assignment_detail", args=[assignment_of(n, t).pk]),
        ui_page(sees_study_site_record),
        targets=ALL,
    ),
    Case(
        "staff:assignment_create",
        "GET",
        lambda n, t: reverse("staff:assignment_create"),
        ui_create(site_writer_anywhere),
        targets=("own",),
    ),
    Case(
        "staff:assignment_create",
        "POST",
        lambda n, t: reverse("staff:assignment_create"),
        ui_create(site_writer_anywhere, writes_site_record, ok=302),
        data=new_assignment,
        targets=ALL,
        note="valid",
    ),
    Case(
        "staff:assignment_edit",
        "GET",
        lambda n, t: reverse("staff:assignment_edit", args=[assignment_of(n, t).pk]),
        ui_edit(sees_study_site_record, writes_site_record),
        targets=ALL,
    ),
    Case(
        "staff:assignment_edit",
        "POST",
        lambda n, t: reverse("staff:assignment_edit", args=[assignment_of(n, t).pk]),
        ui_edit(sees_study_site_record, writes_site_record, ok=302),
        data=assignment_form,
        targets=ALL,
        note="valid",
    ),
    # -- API --
    Case("person-list", "GET", lambda n, t: "/api/v1/people/", api_read(), api=True, targets=("own",)),
    Case(
        "person-list",
        "POST",
        lambda n, t: "/api/v1/people/",
        api_create(site_writer_anywhere, writes_site_record, sees_site_record),
        data=new_person,
        api=True,
        targets=PERSON_TARGETS,
        note="create",
    ),
    Case(
        "person-detail",
        "GET",
        lambda n, t: f"/api/v1/people/{person_of(n, t).pk}/",
        api_read(sees_site_record),
        api=True,
        targets=PERSON_TARGETS,
    ),
    Case(
        "person-detail",
        "PATCH",
        lambda n, t: f"/api/v1/people/{person_of(n, t).pk}/",
        api_write(sees_site_record, writes_site_record),
        data=lambda n, t: {"phone": "+1 555 0102", "version": version_of(person_of(n, t))},
        api=True,
        targets=PERSON_TARGETS,
    ),
    Case("assignment-list", "GET", lambda n, t: "/api/v1/assignments/", api_read(), api=True, targets=("own",)),
    Case(
        "assignment-list",
        "POST",
        lambda n, t: "/api/v1/assignments/",
        api_create(site_writer_anywhere, writes_site_record, sees_study_site_record),
        data=new_assignment,
        api=True,
        targets=ALL,
        note="create",
    ),
    Case(
        "assignment-detail",
        "GET",
        lambda n, t: f"/api/v1/assignments/{assignment_of(n, t).pk}/",
        api_read(sees_study_site_record),
        api=True,
        targets=ALL,
    ),
    Case(
        "assignment-detail",
        "PATCH",
        lambda n, t: f"/api/v1/assignments/{assignment_of(n, t).pk}/",
        api_write(sees_study_site_record, writes_site_record),
        data=lambda n, t: {"effort_percent": 30, "version": version_of(assignment_of(n, t))},
        api=True,
        targets=ALL,
    ),
]
