import datetime

import pytest

from trialsite.core.testing import assert_constant_queries
from trialsite.protocols import services
from trialsite.protocols.models import ProtocolVersion, VisitDefinition, VisitProcedure

pytestmark = pytest.mark.django_db


def test_detail_shows_grid(net, soa, web):
    r = web(net.user("staff_xa")).get(f"/protocols/{soa.version.pk}/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "D28 ±3" in html and "Chemistry" in html and "Adults 18 to 75 years" in html
    assert html.count('class="tick"') == 5
    assert "Edit schedule" not in html  # read-only for site staff
    assert 'style="' not in html and "<script>" not in html


def test_site_staff_read_only_and_other_study_404(net, soa, web):
    other = services.create_protocol_version(
        actor=net.user("admin"), study=net.study_y, label="1.0", effective_on=datetime.date(2026, 1, 1)
    )
    c = web(net.user("staff_xa"))
    assert c.get(f"/protocols/{other.pk}/").status_code == 404
    assert c.get(f"/protocols/{soa.version.pk}/schedule/").status_code == 403
    assert c.post(f"/protocols/{soa.version.pk}/schedule/", {"version": soa.version.version}).status_code == 403
    assert c.get(f"/protocols/{other.pk}/schedule/").status_code == 404
    assert VisitProcedure.objects.filter(visit_definition__protocol_version=soa.version).count() == 5


def test_grid_edit_saves_atomically(net, soa, web):
    c = web(net.user("ops"))
    pv = soa.version
    r = c.get(f"/protocols/{pv.pk}/schedule/")
    assert r.status_code == 200 and r.content.decode().count('type="checkbox"') == 9
    # One bad cell: nothing saved.
    bad = {"version": pv.version, "cell": [f"{soa.d1.pk}-{soa.ecg.pk}", f"{soa.d1.pk}-999999"]}
    r = c.post(f"/protocols/{pv.pk}/schedule/", bad)
    assert r.status_code == 400 and "nothing was saved" in r.content.decode()
    assert VisitProcedure.objects.filter(visit_definition__protocol_version=pv).count() == 5
    good = {"version": pv.version, "cell": [f"{soa.d1.pk}-{soa.ecg.pk}", f"{soa.v2.pk}-{soa.lab.pk}"]}
    r = c.post(f"/protocols/{pv.pk}/schedule/", good)
    assert r.status_code == 302
    assert sorted(
        VisitProcedure.objects.filter(visit_definition__protocol_version=pv).values_list(
            "visit_definition__code", "procedure__code"
        )
    ) == [("D1", "ECG"), ("V2", "LAB")]
    # The same (now stale) form again: a conflict, not a silent overwrite.
    r = c.post(f"/protocols/{pv.pk}/schedule/", {"version": pv.version, "cell": []})
    assert r.status_code == 400 and "changed by someone else" in r.content.decode()
    assert VisitProcedure.objects.filter(visit_definition__protocol_version=pv).count() == 2


def test_visit_form_field_errors_and_create(net, soa, web):
    c = web(net.user("admin"))
    data = {
        "code": "V3",
        "name": "Week 2",
        "order": "",
        "visit_type": "treatment",
        "anchor": "day_1",
        "day_offset": 14,
        "window_before": 0,
        "window_after": 0,
        "stipend_amount": "",
        "stipend_currency": "",
    }
    r = c.post(f"/protocols/{soa.version.pk}/visits/new/", data)
    assert r.status_code == 400
    assert "would fall before it" in r.content.decode()
    data["day_offset"] = 56
    r = c.post(f"/protocols/{soa.version.pk}/visits/new/", data)
    assert r.status_code == 302
    assert VisitDefinition.objects.get(protocol_version=soa.version, code="V3").order == 4


def test_amend_and_remove_pages(net, soa, web):
    c = web(net.user("admin"))
    r = c.post(
        f"/protocols/{soa.version.pk}/amend/",
        {"label": "2.0", "effective_on": "2026-07-01", "notes": "", "reason": "A1"},
    )
    assert r.status_code == 302
    amend = ProtocolVersion.objects.get(label="2.0")
    assert amend.visit_definitions.count() == 3
    v2 = amend.visit_definitions.get(code="V2")
    r = c.post(f"/protocols/visits/{v2.pk}/remove/", {"version": v2.version, "reason": "dropped"})
    assert r.status_code == 302
    assert amend.visit_definitions.count() == 2
    crit = amend.criteria.first()
    r = c.post(f"/protocols/criteria/{crit.pk}/edit/", {"kind": crit.kind, "number": 1, "text": "Edited", "version": 1})
    assert r.status_code == 302
    crit.refresh_from_db()
    assert crit.text == "Edited"


def test_version_list_query_count(net, web):
    c = web(net.user("staff_a"))
    admin = net.user("admin")

    def grow(n: int) -> None:
        have = ProtocolVersion.objects.count()
        for i in range(have, n):
            services.create_protocol_version(
                actor=admin,
                study=net.study_x if i % 2 else net.study_y,
                label=f"{i}.0",
                effective_on=datetime.date(2020, 1, 1) + datetime.timedelta(days=i),
            )

    c.get("/protocols/")  # warm-up: the first request of a session loads it and caches content types
    n = assert_constant_queries(lambda: c.get("/protocols/"), grow, small=5, large=50, expected=6)
    assert n == 6


def test_detail_query_count(net, soa, web):
    c = web(net.user("staff_xa"))
    admin = net.user("admin")

    def grow(n: int) -> None:
        while soa.version.visit_definitions.count() < n:
            k = soa.version.visit_definitions.count()
            d = services.add_visit_definition(
                soa.version,
                actor=admin,
                code=f"F{k}",
                name=f"Follow-up {k}",
                visit_type="follow_up",
                anchor="day_1",
                day_offset=100 + k,
            )
            services.set_tick(d, soa.lab, actor=admin, ticked=True)
            services.add_criterion(soa.version, actor=admin, kind="inclusion", text=f"Rule {k}")

    c.get(f"/protocols/{soa.version.pk}/")  # warm-up
    n = assert_constant_queries(lambda: c.get(f"/protocols/{soa.version.pk}/"), grow, small=5, large=50, expected=9)
    assert n == 9
