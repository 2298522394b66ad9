"""Funnel metrics: exact figures on a constructed data set, scoping, constant query counts."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.http import Http404

from trialsite.accounts.scoping import forget_grants
from trialsite.core.exceptions import ValidationError
from trialsite.core.testing import assert_constant_queries
from trialsite.recruitment.metrics import funnel_metrics
from trialsite.recruitment.tests.conftest import TODAY, make

pytestmark = pytest.mark.django_db


def test_study_site_figures_are_exact(net, funnel):
    m = funnel_metrics(net.user("staff_a"), study_site=net.xa.pk, today=TODAY)
    assert m.scope == "study_site" and m.total == 14
    assert {s.stage: s.count for s in m.stages} == {
        "prospect": 2,
        "pre_screened": 1,
        "pre_screen_failed": 1,
        "screening": 1,
        "screen_failed": 3,
        "enrolled": 2,
        "completed": 1,
        "withdrawn": 2,
        "lost_to_follow_up": 1,
    }
    assert [(c.reached_from, c.reached_to, c.rate_percent) for c in m.conversions] == [
        (14, 11, Decimal("78.6")),
        (11, 10, Decimal("90.9")),
        (10, 5, Decimal("50.0")),
        (5, 1, Decimal("20.0")),
    ]
    assert (m.screened, m.screen_failed, m.screen_failure_rate_percent) == (10, 3, Decimal("30.0"))
    assert [(r.reason, r.count) for r in m.top_screen_fail_reasons] == [
        ("HbA1c out of range", 2),
        ("BMI above limit", 1),
    ]
    assert (m.enrolled, m.target, m.percent_of_target) == (5, 30, Decimal("16.7"))
    assert [(p.month, p.enrolled, p.cumulative, p.percent_of_target) for p in m.enrollment_by_month] == [
        (datetime.date(2026, 1, 1), 1, 1, Decimal("3.3")),
        (datetime.date(2026, 2, 1), 1, 2, Decimal("6.7")),
        (datetime.date(2026, 3, 1), 3, 5, Decimal("16.7")),
    ]
    assert [(c.channel, c.referred, c.consented, c.enrolled, c.yield_percent) for c in m.channels] == [
        ("database", 6, 4, 2, Decimal("33.3")),
        ("physician", 4, 3, 2, Decimal("50.0")),
        ("advertising", 3, 2, 0, Decimal("0.0")),
        ("registry", 1, 1, 1, Decimal("100.0")),
    ]
    # 2, 6, 0 (11 Jan 03:00 UTC is 10 Jan in New York) and 4 days; consent → enrollment 9, 10, 14, 28.
    assert (m.median_days_referral_to_first_contact, m.contacted) == (Decimal("3.0"), 4)
    assert m.median_days_consent_to_enrollment == Decimal("12.0")
    assert [(r.label, r.referred, r.enrolled, r.target) for r in m.study_sites] == [("ACME-001 @ AAA-01", 14, 5, 30)]


def test_site_b_never_in_site_a_figures(net, funnel):
    m = funnel_metrics(net.user("manager_a"), today=TODAY)
    assert m.scope == "network"
    assert m.total == 15  # 14 at X@A + 1 at Y@A; none of site B's 3
    assert "Site B reason" not in [r.reason for r in m.top_screen_fail_reasons]
    assert "other" not in [c.channel for c in m.channels]
    assert {r.label for r in m.study_sites} == {"ACME-001 @ AAA-01", "ACME-002 @ AAA-01"}
    assert m.target == 40  # 30 + 10, the targets of the study sites in scope
    everyone = funnel_metrics(net.user("admin"), today=TODAY)
    assert everyone.total == 18 and everyone.enrolled == 6


def test_study_filter_target(net, funnel):
    admin = funnel_metrics(net.user("admin"), study=net.study_x.pk, today=TODAY)
    assert (admin.total, admin.enrolled, admin.target) == (17, 6, 100)  # the study's own target
    site_a = funnel_metrics(net.user("manager_a"), study=net.study_x.pk, today=TODAY)
    assert (site_a.total, site_a.enrolled, site_a.target) == (14, 5, 30)  # only what site A may see


def test_out_of_scope_filters_are_404(net, funnel):
    with pytest.raises(Http404):
        funnel_metrics(net.user("staff_a"), study_site=net.xb.pk)
    with pytest.raises(Http404):
        funnel_metrics(net.user("staff_xa"), study_site=net.ya.pk)
    with pytest.raises(Http404):
        funnel_metrics(net.user("staff_xa"), study=net.study_y.pk)
    with pytest.raises(Http404):  # a study site that does not belong to the study filter
        funnel_metrics(net.user("admin"), study=net.study_y.pk, study_site=net.xa.pk)
    with pytest.raises(ValidationError) as exc:
        funnel_metrics(net.user("admin"), study_site="abc")
    assert "study_site" in exc.value.error_dict


def test_api_returns_the_same_figures_as_json(net, funnel, api):
    r = api(net.user("monitor_xa")).get(f"/api/v1/funnel-metrics/?study_site={net.xa.pk}")
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == 14 and body["screen_failure_rate_percent"] == "30.0"
    assert body["median_days_consent_to_enrollment"] == "12.0"
    assert body["channels"][0] == {
        "channel": "database",
        "label": "Own database / EHR search",
        "referred": 6,
        "consented": 4,
        "enrolled": 2,
        "yield_percent": "33.3",
    }
    # Metrics never carry identity: no names of the constructed participants anywhere in the answer.
    assert "Pat1" not in r.content.decode() and "Example" not in r.content.decode()


def test_api_scoping_and_errors(net, funnel, api):
    assert api(net.user("staff_a")).get(f"/api/v1/funnel-metrics/?study_site={net.xb.pk}").status_code == 404
    assert api(net.user("monitor_xa")).get(f"/api/v1/funnel-metrics/?study={net.study_y.pk}").status_code == 404
    bad = api(net.user("staff_a")).get("/api/v1/funnel-metrics/?study_site=x1")
    assert bad.status_code == 400 and "study_site" in bad.json()
    assert api(net.user("nobody")).get("/api/v1/funnel-metrics/").status_code == 403
    assert api().get("/api/v1/funnel-metrics/").status_code in (401, 403)


def test_page_renders_chart_and_table(net, funnel, web):
    r = web(net.user("manager_a")).get(f"/recruitment/metrics/?study_site={net.xa.pk}")
    assert r.status_code == 200
    html = r.content.decode()
    assert "<svg" in html and 'role="img"' in html and "<polyline" in html
    assert "Enrollment by month (table)" in html and "HbA1c out of range" in html
    assert "against a target of 30;" in html and " enrolled by " in html  # the chart's text alternative
    assert "style=" not in html.split("<main", 1)[1]  # strict CSP: no inline styles in the page body
    assert "<script>" not in html
    assert web(net.user("manager_a")).get(f"/recruitment/metrics/?study_site={net.xb.pk}").status_code == 404
    assert web(net.user("nobody")).get("/recruitment/metrics/").status_code == 403
    bad = web(net.user("manager_a")).get("/recruitment/metrics/?study=zz")
    assert bad.status_code == 302  # back to the unfiltered page with the error as a message


def _grow(net, study_site):  # noqa: ANN001, ANN202
    def grow(n: int) -> None:
        from trialsite.participants.models import Participant

        have = Participant.objects.filter(study_site=study_site).count()
        stages = ["prospect", "screening", "screen_failed", "enrolled", "completed"]
        for i in range(have, n):
            make(
                study_site,
                i,
                stage=stages[i % len(stages)],
                screen_fail_reason=f"reason {i % 7}" if i % 5 == 2 else "",
                enrolled_on=datetime.date(2025, 1 + i % 12, 1) if i % 5 >= 3 else None,
                referral_channel=["database", "physician", "advertising"][i % 3],
            )

    return grow


def _fresh(user, fetch):  # noqa: ANN001, ANN202
    """Each request resolves the user's grants again, as a real request does."""

    def run():  # noqa: ANN202
        forget_grants(user)
        return fetch()

    return run


def test_api_query_count_is_constant(net, api):
    user = net.user("manager_a")
    client = api(user)
    n = assert_constant_queries(
        _fresh(user, lambda: client.get(f"/api/v1/funnel-metrics/?study_site={net.xa.pk}")),
        _grow(net, net.xa),
        expected=11,
    )
    print(f"funnel-metrics API: {n} queries at 5 and at 50 participants")


def test_page_query_count_is_constant(net, web):
    user = net.user("manager_a")
    client = web(user)
    client.get("/recruitment/metrics/")  # the first request of a session writes the session once
    n = assert_constant_queries(
        _fresh(user, lambda: client.get("/recruitment/metrics/")), _grow(net, net.xa), expected=14
    )
    print(f"funnel-metrics page: {n} queries at 5 and at 50 participants")


def test_home_panel_shows_enrollment_vs_target(net, funnel, web):
    html = web(net.user("manager_a")).get("/").content.decode()
    assert "Enrollment against target" in html and "ACME-001 @ AAA-01" in html and "16.7 %" in html
    assert "BBB-01" not in html.split("Enrollment against target", 1)[1].split("</section>", 1)[0]
    assert "Enrollment against target" not in web(net.user("monitor_xa")).get("/").content.decode()
