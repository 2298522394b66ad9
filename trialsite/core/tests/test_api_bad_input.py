"""Bad input gets a 400 naming the field, never a 500, and nothing is written (standards F3, F2)."""

from __future__ import annotations

from typing import Any

import pytest

from trialsite.audit.models import AuditEntry
from trialsite.network.models import Organization, Site


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:  # noqa: ANN001
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _study(net, **changes: Any) -> dict[str, Any]:  # noqa: ANN001
    return {
        "protocol_number": "NEW-001",
        "short_name": "NEW",
        "title": "A new study",
        "sponsor": net.sponsor.pk,
        "phase": "2",
        "therapeutic_area": "oncology",
        **changes,
    }


BAD_STUDIES = {
    "wrong type": ({"enrollment_target": "many"}, "enrollment_target"),
    "negative": ({"enrollment_target": -3}, "enrollment_target"),
    "huge integer": ({"enrollment_target": 10**30}, "enrollment_target"),
    "unknown choice": ({"phase": "7"}, "phase"),
    "too long": ({"short_name": "x" * 81}, "short_name"),
    "bad date": ({"planned_start": "31.12.2026"}, "planned_start"),
    "fk wrong type": ({"sponsor": "acme"}, "sponsor"),
    "fk boolean": ({"sponsor": True}, "sponsor"),
    "fk missing": ({"sponsor": 999999}, "sponsor"),
    "list of non-strings": ({"conditions": [{"a": 1}]}, "conditions"),
    "null character": ({"title": "a\x00b"}, "title"),
    "model clean": ({"planned_start": "2027-01-01", "planned_end": "2026-01-01"}, "planned_end"),
    "model clean fk kind": ({"cro": "IRB"}, "cro"),
    "unique": ({"protocol_number": "ACME-001"}, "protocol_number"),
    "regex validator": ({"registry_id": "not a registry id!"}, "registry_id"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", list(BAD_STUDIES), ids=list(BAD_STUDIES))
def test_bad_study_is_400_naming_the_field(case: str, net, api) -> None:  # noqa: ANN001
    changes, field = BAD_STUDIES[case]
    if changes.get("cro") == "IRB":
        changes = {"cro": net.irb.pk}
    before = (AuditEntry.objects.count(), net.study_x.__class__.objects.count())
    r = api(net.user("admin")).post("/api/v1/studies/", _study(net, **changes), format="json")
    assert r.status_code == 400, (r.status_code, r.content)
    assert field in r.json(), r.json()
    assert all(isinstance(m, str) and m for m in r.json()[field]) or isinstance(r.json()[field], dict)
    assert (AuditEntry.objects.count(), net.study_x.__class__.objects.count()) == before


@pytest.mark.django_db
def test_out_of_scope_fk_answers_like_a_missing_one(net, api) -> None:  # noqa: ANN001
    """A site manager of A naming site B gets the very message a nonexistent id gets."""
    client = api(net.user("manager_a"))
    body = {"first_name": "Out", "last_name": "Ofscope", "job_role": "nurse"}
    foreign = client.post("/api/v1/people/", {**body, "home_site": net.site_b.pk})
    missing = client.post("/api/v1/people/", {**body, "home_site": 987654})
    assert foreign.status_code == missing.status_code == 400
    assert foreign.json()["home_site"] == [m.replace("987654", str(net.site_b.pk)) for m in missing.json()["home_site"]]
    # And in filters: ?site=<out of scope> is refused like a missing id.
    f1 = client.get(f"/api/v1/study-sites/?site={net.site_b.pk}")
    f2 = client.get("/api/v1/study-sites/?site=987654")
    assert f1.status_code == f2.status_code == 400
    assert f1.json()["site"] == f2.json()["site"]


@pytest.mark.django_db
def test_unique_over_two_fields_names_a_field_not_409(net, api) -> None:  # noqa: ANN001
    client = api(net.user("admin"))
    r = client.post("/api/v1/organizations/", {"kind": "sponsor", "name": "Acme Pharma"})
    assert r.status_code == 400 and "name" in r.json(), r.json()
    r = client.post("/api/v1/study-sites/", {"study": net.study_x.pk, "site": net.site_a.pk})
    assert r.status_code == 400 and "site" in r.json(), r.json()
    assert Organization.objects.filter(name="Acme Pharma").count() == 1


@pytest.mark.django_db
def test_unique_on_update(net, api) -> None:  # noqa: ANN001
    client = api(net.user("admin"))
    r = client.patch(f"/api/v1/sites/{net.site_b.pk}/", {"code": "AAA-01", "version": net.site_b.version})
    assert r.status_code == 400 and "code" in r.json()
    assert Site.objects.get(pk=net.site_b.pk).code == "BBB-01"


@pytest.mark.django_db
def test_a_unique_clash_the_database_catches_is_a_field_error(net) -> None:  # noqa: ANN001
    """If validation is skipped (a racing insert), the IntegrityError still comes back per field."""
    from django.core.exceptions import ValidationError

    from trialsite.core.services import save_record

    clash = Site(code="AAA-01", name="Dup", city="X", country="US")
    clash.full_clean = lambda **kwargs: None  # the race: the check passed before the other insert
    with pytest.raises(ValidationError) as exc:
        save_record(clash, actor=net.user("admin"))
    assert "code" in exc.value.message_dict
    assert Site.objects.filter(code="AAA-01").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body,content_type",
    [
        ('{"name": ', "application/json"),
        ("[1, 2, 3]", "application/json"),
        ('"just a string"', "application/json"),
        ("null", "application/json"),
        ("\xff\xfe", "application/json"),
        ("name=x", "text/csv"),
    ],
    ids=["truncated", "list", "string", "null", "not utf-8", "unsupported type"],
)
def test_malformed_bodies_are_4xx(body: str, content_type: str, net, api) -> None:  # noqa: ANN001
    client = api(net.user("admin"))
    before = AuditEntry.objects.count()
    for method, url in [("post", "/api/v1/sites/"), ("patch", f"/api/v1/sites/{net.site_a.pk}/")]:
        r = getattr(client, method)(url, body, content_type=content_type)
        assert 400 <= r.status_code < 500, (method, r.status_code, r.content)
    assert AuditEntry.objects.count() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "page=abc",
        "page=999",
        "page_size=-1",
        "ordering=password",
        "search=%00",
        "status=nonsense",
        "country=%00",
        "capability=teleport",
        "id=abc",
    ],
)
def test_bad_query_parameters_are_never_500(query: str, net, api) -> None:  # noqa: ANN001
    r = api(net.user("staff_a")).get(f"/api/v1/sites/?{query}")
    assert r.status_code < 500, r.content


@pytest.mark.django_db
@pytest.mark.parametrize("pk", ["abc", "99999999999999999999999", "-1", "0", "1.5"])
def test_bad_ids_are_404(pk: str, net, api) -> None:  # noqa: ANN001
    client = api(net.user("admin"))
    assert client.get(f"/api/v1/sites/{pk}/").status_code == 404
    assert client.patch(f"/api/v1/sites/{pk}/", {"version": 1}).status_code == 404
