"""The network-wide audit log page, its CSV export and the read-only API: scope, filters, masking, queries."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.contenttypes.models import ContentType

from trialsite.accounts.scoping import forget_grants
from trialsite.audit.models import AuditEntry
from trialsite.core.context import acting_as
from trialsite.core.testing import assert_constant_queries
from trialsite.network.models import Organization, Site, SiteClosure

pytestmark = pytest.mark.django_db

LOG = "/audit/"
API = "/api/v1/audit-entries/"


def ct(model) -> int:  # noqa: ANN001
    return ContentType.objects.get_for_model(model).pk


def grow_organizations(n: int) -> None:
    have = Organization.objects.filter(name__startswith="Org ").count()
    with acting_as(process="test-grow"):
        Organization.objects.bulk_create(
            [Organization(kind="sponsor", name=f"Org {i}") for i in range(have, max(n, have))]
        )


def grow_closures(site: Site, n: int) -> None:
    import datetime

    have = SiteClosure.objects.filter(site=site).count()
    day = datetime.date(2026, 7, 1)
    with acting_as(process="test-grow"):
        SiteClosure.objects.bulk_create(
            [SiteClosure(site=site, starts_on=day, ends_on=day, reason=f"C{i}") for i in range(have, max(n, have))]
        )


def test_log_is_for_auditors_only(net, web, api) -> None:  # noqa: ANN001
    for user in ("admin", "qa", "qa_a"):
        assert web(net.user(user)).get(LOG).status_code == 200, user
        assert api(net.user(user)).get(API).status_code == 200, user
    for user in ("ops", "manager_a", "staff_a", "staff_xa", "finance", "monitor_xa", "nobody"):
        assert web(net.user(user)).get(LOG).status_code == 404, user
        assert api(net.user(user)).get(API).status_code == 404, user
    assert web().get(LOG).status_code == 302
    assert api().get(API).status_code == 403


def test_site_qa_sees_only_their_sites_entries(net, web, api) -> None:  # noqa: ANN001
    grow_closures(net.site_b, 2)
    r = web(net.user("qa_a")).get(LOG + "?format=csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(r.streaming_content).decode())))
    ids = {row["entry_id"] for row in rows}
    expected = AuditEntry.objects.filter(site_id=net.site_a.pk) | AuditEntry.objects.filter(
        study_site_id__in=[net.xa.pk, net.ya.pk]
    )
    assert ids == {str(pk) for pk in expected.values_list("pk", flat=True)}
    assert not AuditEntry.objects.filter(pk__in=ids).exclude(site_id=net.site_a.pk).exists()
    results = api(net.user("qa_a")).get(API + "?page_size=500").json()["results"]
    assert {e["id"] for e in results} == {int(i) for i in ids}
    everyone = api(net.user("qa")).get(API + "?page_size=500").json()["count"]
    assert everyone == AuditEntry.objects.count() > len(ids)
    other = AuditEntry.objects.filter(site_id=net.site_b.pk).first()
    assert api(net.user("qa_a")).get(f"{API}{other.pk}/").status_code == 404
    assert api(net.user("qa")).get(f"{API}{other.pk}/").status_code == 200


def test_filters(net, web, api) -> None:  # noqa: ANN001
    with acting_as(net.user("admin"), reason="typo"):
        net.site_b.name = "Beta Hospital GmbH"
        net.site_b.save()
    c = api(net.user("admin"))

    def ids(query: str) -> set[int]:
        r = c.get(API + "?page_size=500&" + query)
        assert r.status_code == 200, r.content
        return {e["id"] for e in r.json()["results"]}

    mine = AuditEntry.objects.filter(actor_label="admin").get()
    assert ids("actor=admi") == {mine.pk}
    assert ids("action=update") == {mine.pk}
    assert ids(f"record_type={ct(Site)}&object_id={net.site_b.pk}") == set(
        AuditEntry.objects.filter(content_type=ct(Site), object_id=str(net.site_b.pk)).values_list("pk", flat=True)
    )
    assert ids(f"site={net.site_b.pk}") == set(
        AuditEntry.objects.filter(site_id=net.site_b.pk).values_list("pk", flat=True)
    )
    today = mine.at.date().isoformat()
    assert mine.pk in ids(f"since={today}&until={today}")
    assert ids("since=2099-01-01") == set()
    assert c.get(API + "?action=nonsense").status_code == 400
    assert c.get(API + "?since=not-a-date").status_code == 400
    # the page filters the same way
    page = web(net.user("admin")).get(LOG + "?actor=admi&action=update")
    assert page.status_code == 200 and [r.entry.pk for r in page.context["rows"]] == [mine.pk]
    assert web(net.user("admin")).get(LOG + "?since=junk&site=abc").status_code == 200


def test_site_filter_offers_only_visible_sites(net, web) -> None:  # noqa: ANN001
    page = web(net.user("qa_a")).get(LOG)
    choices = [str(c[1]) for c in page.context["filterset"].form.fields["site"].choices]
    assert any("AAA-01" in c for c in choices) and not any("BBB-01" in c for c in choices)


def test_identity_masked_in_log_csv_and_api(net, web, api, participant) -> None:  # noqa: ANN001
    page = web(net.user("qa")).get(LOG).content.decode()
    data = api(net.user("qa")).get(API + "?page_size=500").content.decode()
    export = b"".join(web(net.user("admin")).get(LOG + "?format=csv").streaming_content).decode()
    for text in (page, data, export):
        for phi in ("Jane", "Roe", "555-0100", "555-0199", "1970-03-01"):
            assert phi not in text
        assert "(hidden)" in text
    assert "Dr. Who" in data


def test_log_csv_is_streamed(net, web) -> None:  # noqa: ANN001
    r = web(net.user("admin")).get(LOG + "?format=csv&action=create")
    assert r.status_code == 200 and r.streaming and r["Content-Disposition"].endswith('audit-log.csv"')
    rows = list(csv.DictReader(io.StringIO(b"".join(r.streaming_content).decode())))
    assert {row["action"] for row in rows} == {"create"}
    assert len({row["entry_id"] for row in rows}) == AuditEntry.objects.filter(action="create").count()


def test_api_is_read_only(net, api) -> None:  # noqa: ANN001
    c = api(net.user("admin"))
    entry = AuditEntry.objects.first()
    before = AuditEntry.objects.count()
    assert c.post(API, {"reason": "x"}, format="json").status_code == 405
    assert c.patch(f"{API}{entry.pk}/", {"reason": "x"}, format="json").status_code == 405
    assert c.put(f"{API}{entry.pk}/", {"reason": "x"}, format="json").status_code == 405
    assert c.delete(f"{API}{entry.pk}/").status_code == 405
    assert AuditEntry.objects.count() == before
    assert AuditEntry.objects.get(pk=entry.pk).reason == entry.reason


def warm(fetch):  # noqa: ANN001, ANN201
    """One request first: the session's first touch is written once, and ContentType's cache is per process."""
    assert fetch().status_code == 200
    return fetch


def test_log_page_query_count(net, web, capsys) -> None:  # noqa: ANN001
    c = web(net.user("qa"))
    fetch = warm(lambda: c.get(f"{LOG}?record_type={ct(Organization)}"))
    n = assert_constant_queries(fetch, grow_organizations, expected=LOG_PAGE_QUERIES)
    with capsys.disabled():
        print(f"\naudit log page: {n} queries at 5 and 50 rows")


def test_api_list_query_count(net, api, capsys) -> None:  # noqa: ANN001
    user = net.user("qa")
    c = api(user)

    def fetch():  # noqa: ANN202
        forget_grants(user)  # a real request resolves the user's grants afresh
        return c.get(f"{API}?record_type={ct(Organization)}")

    n = assert_constant_queries(warm(fetch), grow_organizations, expected=API_LIST_QUERIES)
    with capsys.disabled():
        print(f"\naudit-entries API list: {n} queries at 5 and 50 rows")


def test_site_qa_log_query_count(net, web) -> None:  # noqa: ANN001
    c = web(net.user("qa_a"))
    assert_constant_queries(
        warm(lambda: c.get(f"{LOG}?record_type={ct(SiteClosure)}")),
        lambda n: grow_closures(net.site_a, n),
        expected=LOG_PAGE_QUERIES,
    )


# session, user, grants, record-type check, count, site time zones, page, record-type choices, site choices
LOG_PAGE_QUERIES = 9
# grants, record-type check, count, page, site time zones
API_LIST_QUERIES = 5
