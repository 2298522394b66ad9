"""The OpenAPI 3 schema validates with no warning, documents the concurrency contract, and its
documentation pages load nothing from another host and run no inline script (standards D2, D3)."""

from __future__ import annotations

import re

import pytest
import yaml
from django.core.management import call_command


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:  # noqa: ANN001
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def schema(tmp_path_factory) -> dict:  # noqa: ANN001
    """`manage.py spectacular --validate --fail-on-warn`: any warning or invalid schema fails."""
    out = tmp_path_factory.mktemp("schema") / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    return yaml.safe_load(out.read_text())


def test_schema_validates_without_warnings(schema: dict) -> None:
    assert schema["openapi"].startswith("3.")
    operations = [op for item in schema["paths"].values() for op in item.values() if isinstance(op, dict)]
    print(f"\nOpenAPI schema: {len(schema['paths'])} paths, {len(operations)} operations, 0 warnings")
    assert len(operations) > 30


FOUNDATION = ("users", "role-assignments", "sites", "site-closures", "organizations", "studies", "study-sites")
FOUNDATION += ("people", "assignments")


def test_no_delete_on_foundation_records(schema: dict) -> None:
    """Foundation records are closed or deactivated, never deleted (other apps decide for theirs)."""
    foundation = [p for p in schema["paths"] if p.split("/")[3] in FOUNDATION]
    assert len(foundation) >= 2 * len(FOUNDATION)
    assert not [p for p in foundation if "delete" in schema["paths"][p]]


def test_concurrency_contract_is_documented(schema: dict) -> None:
    site = schema["paths"]["/api/v1/sites/{id}/"]
    for method in ("put", "patch"):
        op = site[method]
        assert any(p["name"] == "If-Match" and p["in"] == "header" for p in op["parameters"])
        assert {"400", "404", "409", "412"} <= set(op["responses"])
        assert "ETag" in op["responses"]["200"]["headers"]
    assert "ETag" in site["get"]["responses"]["200"]["headers"]
    transition = schema["paths"]["/api/v1/study-sites/{id}/transition/"]["post"]
    assert any(p["name"] == "If-Match" for p in transition["parameters"])
    assert "409" in transition["responses"]


def test_choice_sets_have_stable_names(schema: dict) -> None:
    names = set(schema["components"]["schemas"])
    assert {"SiteStatusEnum", "StudySiteStatusEnum", "StudyStatusEnum", "TherapeuticAreaEnum"} <= names
    assert not [n for n in names if re.search(r"[0-9A-F]{3}Enum$", n)]


def test_nested_labels_are_read_only(schema: dict) -> None:
    props = schema["components"]["schemas"]["StudySite"]["properties"]
    assert props["protocol_number"]["readOnly"] and props["site_code"]["readOnly"]
    assert "protocol_number" not in schema["components"]["schemas"]["StudySiteRequest"]["properties"]


EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", re.IGNORECASE)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_are_local_and_csp_clean(url: str, net, api) -> None:  # noqa: ANN001
    client = api(net.user("staff_a"))
    r = client.get(url)
    assert r.status_code == 200
    html = r.content.decode()
    assert not EXTERNAL.findall(html), EXTERNAL.findall(html)
    assert not INLINE_SCRIPT.findall(html), "inline script would be blocked by the CSP"
    assert "<style" not in html and "style=" not in html
    assert "'unsafe-inline'" not in r["Content-Security-Policy"]
    for ref in re.findall(r"""(?:src|href)="([^"]+)\"""", html):
        assert ref.startswith("/"), ref
        if ref.startswith("/static/"):
            continue
        assert client.get(ref).status_code == 200, ref  # the Swagger split script is served here
    if url == "/api/docs/":
        assert "/api/docs/?script=" in html


@pytest.mark.django_db
def test_schema_endpoint_serves_the_schema(net, api) -> None:  # noqa: ANN001
    r = api(net.user("staff_a")).get("/api/schema/?format=json")
    assert r.status_code == 200
    assert r.json()["info"]["title"] == "TrialSite API"
