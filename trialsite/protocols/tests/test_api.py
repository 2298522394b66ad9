import datetime

import pytest

from trialsite.core.testing import assert_constant_queries
from trialsite.protocols import services
from trialsite.protocols.models import ProtocolVersion, VisitProcedure

pytestmark = pytest.mark.django_db


def test_schedule_read(net, soa, api):
    r = api(net.user("monitor_xa")).get(f"/api/v1/protocol-versions/{soa.version.pk}/schedule/")
    assert r.status_code == 200
    body = r.json()
    assert [v["code"] for v in body["visits"]] == ["SCR", "D1", "V2"]
    assert body["visits"][2]["window"] == "D28 ±3" and body["visits"][2]["procedures"] == ["DOSE", "LAB"]
    assert len(body["ticks"]) == 5 and {"visit": "SCR", "procedure": "ECG"} in body["ticks"]
    assert body["version"] == soa.version.version


def test_schedule_write_atomic_400_and_409(net, soa, api):
    c = api(net.user("ops"))
    url = f"/api/v1/protocol-versions/{soa.version.pk}/schedule/"
    v = soa.version.version
    bad = {"version": v, "ticks": [{"visit": "D1", "procedure": "ECG"}, {"visit": "ZZ", "procedure": "LAB"}]}
    r = c.put(url, bad, format="json")
    assert r.status_code == 400 and "ticks" in r.json()
    assert VisitProcedure.objects.filter(visit_definition__protocol_version=soa.version).count() == 5
    r = c.put(url, {"version": v, "ticks": [{"visit": "D1", "procedure": "ECG"}]}, format="json")
    assert r.status_code == 200 and r.json()["ticks"] == [{"visit": "D1", "procedure": "ECG"}]
    r = c.put(url, {"version": v, "ticks": []}, format="json")
    assert r.status_code == 409
    assert VisitProcedure.objects.filter(visit_definition__protocol_version=soa.version).count() == 1
    r = c.put(url, {"ticks": "nope"}, format="json")
    assert r.status_code == 400 and {"version", "ticks"} <= set(r.json())


def test_scope_read_403_404(net, soa, api):
    other = services.create_protocol_version(
        actor=net.user("admin"), study=net.study_y, label="1.0", effective_on=datetime.date(2026, 1, 1)
    )
    c = api(net.user("staff_xa"))
    assert c.get(f"/api/v1/protocol-versions/{soa.version.pk}/").status_code == 200
    assert c.get(f"/api/v1/protocol-versions/{other.pk}/").status_code == 404
    assert c.get(f"/api/v1/protocol-versions/{other.pk}/schedule/").status_code == 404
    r = c.put(f"/api/v1/protocol-versions/{soa.version.pk}/schedule/", {"version": 1, "ticks": []}, format="json")
    assert r.status_code == 403
    r = c.patch(f"/api/v1/visit-definitions/{soa.v2.pk}/", {"version": 1, "day_offset": 30}, format="json")
    assert r.status_code == 403
    r = c.post("/api/v1/eligibility-criteria/", {"protocol_version": soa.version.pk, "kind": "inclusion", "text": "x"})
    assert r.status_code == 403
    ids = [pv["id"] for pv in c.get("/api/v1/protocol-versions/").json()["results"]]
    assert ids == [soa.version.pk]
    # staff at site A sees both studies running there.
    assert api(net.user("staff_a")).get(f"/api/v1/protocol-versions/{other.pk}/schedule/").status_code == 200


def test_visit_definition_crud_400_409(net, soa, api):
    c = api(net.user("admin"))
    r = c.post(
        "/api/v1/visit-definitions/",
        {
            "protocol_version": soa.version.pk,
            "code": "V3",
            "name": "W2",
            "visit_type": "treatment",
            "anchor": "day_1",
            "day_offset": 14,
        },
        format="json",
    )
    assert r.status_code == 400 and "day_offset" in r.json()
    r = c.post(
        "/api/v1/visit-definitions/",
        {
            "protocol_version": soa.version.pk,
            "code": "V3",
            "name": "W8",
            "visit_type": "treatment",
            "anchor": "day_1",
            "day_offset": 56,
            "window_before": -2,
        },
        format="json",
    )
    assert r.status_code == 400 and "window_before" in r.json()
    r = c.post(
        "/api/v1/visit-definitions/",
        {
            "protocol_version": soa.version.pk,
            "code": "V3",
            "name": "W8",
            "visit_type": "treatment",
            "anchor": "day_1",
            "day_offset": 56,
            "stipend_amount": "20.00",
        },
        format="json",
    )
    assert r.status_code == 400 and "stipend_currency" in r.json()
    r = c.post(
        "/api/v1/visit-definitions/",
        {
            "protocol_version": soa.version.pk,
            "code": "V3",
            "name": "W8",
            "visit_type": "treatment",
            "anchor": "day_1",
            "day_offset": 56,
            "window_before": 3,
            "window_after": 3,
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    vd = r.json()
    assert vd["order"] == 4 and vd["procedure_codes"] == []
    r = c.patch(f"/api/v1/visit-definitions/{vd['id']}/", {"version": vd["version"], "name": "Week 8"}, format="json")
    assert r.status_code == 200
    r = c.patch(f"/api/v1/visit-definitions/{vd['id']}/", {"version": vd["version"], "name": "Stale"}, format="json")
    assert r.status_code == 409
    r = c.patch(f"/api/v1/visit-definitions/{vd['id']}/", {"name": "No version"}, format="json")
    assert r.status_code == 400 and "version" in r.json()
    r = c.patch(f"/api/v1/visit-definitions/{vd['id']}/", {"version": 2, "code": "SCR"}, format="json")
    assert r.status_code == 400 and "code" in r.json()
    assert c.delete(f"/api/v1/visit-definitions/{vd['id']}/").status_code == 204


def test_versions_create_amend_and_effective_date_clash(net, soa, api):
    c = api(net.user("ops"))
    r = c.post(
        "/api/v1/protocol-versions/",
        {"study": net.study_x.pk, "label": "1.1", "effective_on": str(soa.version.effective_on)},
        format="json",
    )
    assert r.status_code == 400 and "effective_on" in r.json()
    r = c.post(f"/api/v1/protocol-versions/{soa.version.pk}/amend/", {"label": "2.0", "effective_on": "2026-09-01"})
    assert r.status_code == 201 and r.json()["based_on"] == soa.version.pk
    new = ProtocolVersion.objects.get(pk=r.json()["id"])
    assert new.visit_definitions.count() == 3 and new.criteria.count() == 2
    r = c.post(f"/api/v1/protocol-versions/{soa.version.pk}/amend/", {"label": "3.0", "effective_on": "bad"})
    assert r.status_code == 400 and "effective_on" in r.json()
    r = c.patch(
        f"/api/v1/protocol-versions/{new.pk}/", {"version": new.version, "study": net.study_y.pk}, format="json"
    )
    assert r.status_code == 400 and "study" in r.json()


def test_procedures_and_criteria_api(net, soa, api):
    c = api(net.user("admin"))
    r = c.post("/api/v1/procedures/", {"study": net.study_x.pk, "code": "lab", "name": "dup"}, format="json")
    assert r.status_code == 400 and "code" in r.json()
    r = c.post("/api/v1/procedures/", {"study": net.study_x.pk, "code": "PK", "name": "PK sample", "category": "lab"})
    assert r.status_code == 201
    r = c.post(
        "/api/v1/eligibility-criteria/", {"protocol_version": soa.version.pk, "kind": "exclusion", "text": "HIV"}
    )
    assert r.status_code == 201 and r.json()["number"] == 2


def _grow_versions(net):
    admin = net.user("admin")

    def grow(n: int) -> None:
        have = ProtocolVersion.objects.count()
        for i in range(have, n):
            pv = services.create_protocol_version(
                actor=admin,
                study=net.study_x,
                label=f"{i}.0",
                effective_on=datetime.date(2020, 1, 1) + datetime.timedelta(days=i),
            )
            services.add_visit_definition(
                pv, actor=admin, code="V1", name="Visit", visit_type="treatment", anchor="day_1", day_offset=0
            )
            services.add_criterion(pv, actor=admin, kind="inclusion", text="Adult")

    return grow


@pytest.mark.parametrize(
    ("endpoint", "expected"),
    [("protocol-versions", 2), ("visit-definitions", 3), ("eligibility-criteria", 2), ("procedures", 2)],
)
def test_list_endpoints_query_count(net, api, endpoint, expected):
    c = api(net.user("staff_xa"))
    grow_versions = _grow_versions(net)
    admin = net.user("admin")

    def grow(n: int) -> None:
        grow_versions(n)
        have = net.study_x.procedures.count()
        for i in range(have, n):
            services.add_procedure(net.study_x, actor=admin, code=f"P{i}", name=f"Proc {i}")

    c.get(f"/api/v1/{endpoint}/")  # warm-up; then: COUNT, page (+ one prefetch for visit procedure codes)
    n = assert_constant_queries(lambda: c.get(f"/api/v1/{endpoint}/"), grow, expected=expected)
    assert n == expected


def test_schedule_endpoint_query_count(net, soa, api):
    c = api(net.user("staff_xa"))
    admin = net.user("admin")

    def grow(n: int) -> None:
        while soa.version.visit_definitions.count() < n:
            k = soa.version.visit_definitions.count()
            d = services.add_visit_definition(
                soa.version,
                actor=admin,
                code=f"F{k}",
                name="FU",
                visit_type="follow_up",
                anchor="day_1",
                day_offset=100 + k,
            )
            services.set_tick(d, soa.lab, actor=admin, ticked=True)

    url = f"/api/v1/protocol-versions/{soa.version.pk}/schedule/"
    c.get(url)
    assert assert_constant_queries(lambda: c.get(url), grow, expected=4) == 4


BAD_VISITS = {
    "offset wrong type": ({"day_offset": "soon"}, "day_offset"),
    "offset huge": ({"day_offset": 10**30}, "day_offset"),
    "window negative": ({"window_after": -1}, "window_after"),
    "anchor unknown": ({"anchor": "moon"}, "anchor"),
    "type unknown": ({"visit_type": "party"}, "visit_type"),
    "code too long": ({"code": "V" * 21}, "code"),
    "code blank": ({"code": " "}, "code"),
    "stipend not a number": ({"stipend_amount": "lots", "stipend_currency": "USD"}, "stipend_amount"),
    "stipend negative": ({"stipend_amount": "-5", "stipend_currency": "USD"}, "stipend_amount"),
    "currency bad": ({"stipend_amount": "5", "stipend_currency": "$$"}, "stipend_currency"),
    "version missing": ({"protocol_version": 999999}, "protocol_version"),
    "version wrong type": ({"protocol_version": "one"}, "protocol_version"),
    "order zero": ({"order": 0}, "order"),
}


@pytest.mark.parametrize("case", BAD_VISITS, ids=list(BAD_VISITS))
def test_bad_visit_input_is_400_naming_the_field(net, soa, api, case):
    from trialsite.audit.models import AuditEntry

    changes, field = BAD_VISITS[case]
    body = {
        "protocol_version": soa.version.pk,
        "code": "V9",
        "name": "Week 9",
        "visit_type": "treatment",
        "anchor": "day_1",
        "day_offset": 63,
        **changes,
    }
    before = AuditEntry.objects.count()
    r = api(net.user("admin")).post("/api/v1/visit-definitions/", body, format="json")
    assert r.status_code == 400, r.content
    assert field in r.json(), r.json()
    assert AuditEntry.objects.count() == before


BAD_GRIDS = {
    "ticks not a list": {"ticks": {"V2": "LAB"}},
    "tick not an object": {"ticks": ["V2:LAB"]},
    "tick missing procedure": {"ticks": [{"visit": "V2"}]},
    "tick null": {"ticks": [None]},
    "version text": {"version": "latest", "ticks": []},
}


@pytest.mark.parametrize("case", BAD_GRIDS, ids=list(BAD_GRIDS))
def test_bad_grid_input_is_400(net, soa, api, case):
    body = {"version": soa.version.version, **BAD_GRIDS[case]}
    r = api(net.user("admin")).put(f"/api/v1/protocol-versions/{soa.version.pk}/schedule/", body, format="json")
    assert r.status_code == 400, r.content
    assert VisitProcedure.objects.filter(visit_definition__protocol_version=soa.version).count() == 5
