"""Deployment security (standards D1-D3): headers on pages and API answers, cookies, the
production `check --deploy`, and no page loading anything from another host."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db
ROOT = Path(settings.BASE_DIR)


def directives(csp: str) -> dict[str, list[str]]:
    out = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def assert_security_headers(response) -> None:  # noqa: ANN001
    csp = response.headers.get("Content-Security-Policy", "")
    assert csp, "no Content-Security-Policy"
    d = directives(csp)
    script = d.get("script-src", d.get("default-src", []))
    assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script, csp
    assert script and all(s in ("'self'",) or s.startswith("'nonce-") for s in script), csp
    assert d.get("frame-ancestors") == ["'none'"], csp
    assert d.get("default-src") == ["'self'"], csp
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    assert response.headers.get("Referrer-Policy") == "same-origin"
    assert response.headers.get("X-Frame-Options") == "DENY"


def test_headers_on_a_page_and_an_api_answer(net, web, api) -> None:
    pages = [
        Client().get("/login/"),
        web(net.user("staff_a")).get("/"),
        web(net.user("staff_a")).get("/network/sites/"),
    ]
    answers = [api(net.user("staff_a")).get("/api/v1/sites/"), Client().get("/api/v1/sites/")]
    for r in pages + answers:
        assert_security_headers(r)
    print(f"responses with all security headers: {len(pages + answers)}/{len(pages + answers)}")


def test_session_and_csrf_cookies(net) -> None:
    from trialsite.conftest import PASSWORD

    c = Client()
    c.get("/login/")
    r = c.post("/login/", {"username": "staff_a", "password": PASSWORD})
    assert r.status_code == 302
    session = r.cookies[settings.SESSION_COOKIE_NAME]
    assert session["httponly"] and session["samesite"] == "Lax"
    assert settings.CSRF_COOKIE_HTTPONLY and settings.CSRF_COOKIE_SAMESITE == "Lax"


def test_production_check_deploy_has_no_warnings() -> None:
    env = {
        **os.environ,
        "TRIALSITE_ENV": "production",
        "DJANGO_SECRET_KEY": "test-only-" + "k3y-Wq9#xLp2!vZ7rT5yU8iO1pA4sD6fG0hJ" * 2,
        "DJANGO_ALLOWED_HOSTS": "x",
    }
    env.pop("DJANGO_DEBUG", None)
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    print(result.stdout.strip())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_settings_harden_cookies_and_https() -> None:
    code = (
        "from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS > 0, s.DEBUG)"
    )
    env = {**os.environ, "TRIALSITE_ENV": "production", "DJANGO_SECRET_KEY": "z" * 60, "DJANGO_ALLOWED_HOSTS": "x"}
    env.pop("DJANGO_DEBUG", None)
    out = (
        subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", "shell", "-c", code],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        .stdout.strip()
        .splitlines()[-1]
        .split()
    )
    assert out == ["True", "True", "True", "True", "False"]


# -- D3: nothing from another host, no inline script or style ------------------------------------------
URL_ATTR = re.compile(r"""\b(?:src|href|action|srcset|data-src)\s*=\s*["']([^"']*)["']""", re.IGNORECASE)
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"""\sstyle\s*=\s*["']""", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"""\son[a-z]+\s*=\s*["']""", re.IGNORECASE)
CSS_URL = re.compile(r"""@import\s+url\(|url\(\s*["']?(?:https?:)?//""", re.IGNORECASE)


def parameterless_pages() -> list[str]:
    """Every GET page of the project whose URL needs no argument (admin and API excluded)."""
    out: list[str] = []

    def walk(patterns, prefix: str) -> None:  # noqa: ANN001
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                if route.startswith(("admin/", "api/v1/")):
                    continue
                walk(p.url_patterns, route)
            elif isinstance(p, URLPattern) and "<" not in route and "(?P" not in route and p.name != "logout":
                out.append("/" + route.lstrip("^").rstrip("$"))

    walk(get_resolver().url_patterns, "")
    return sorted(set(out))


def foreign(url: str) -> bool:
    url = url.strip()
    return bool(re.match(r"^(?:[a-z][a-z0-9+.-]*:)?//", url, re.IGNORECASE)) and not url.startswith("//testserver")


def test_no_page_loads_anything_from_another_host(net, web) -> None:
    admin = web(net.user("admin"))
    anon = Client()
    details = [
        f"/network/sites/{net.site_a.pk}/",
        f"/network/organizations/{net.sponsor.pk}/",
        f"/studies/{net.study_x.pk}/",
        f"/studies/at-sites/{net.xa.pk}/",
        f"/studies/at-sites/{net.xa.pk}/edit/",
        f"/studies/at-sites/{net.xa.pk}/status/",
        f"/staff/people/{net.crc_a.pk}/",
        f"/accounts/users/{net.user('staff_a').pk}/",
        f"/audit/history/network.site/{net.site_a.pk}/",
    ]
    checked, problems = 0, []
    for path in parameterless_pages() + details:
        r = anon.get(path) if path == "/login/" else admin.get(path)
        if r.status_code != 200 or "html" not in r.get("Content-Type", ""):
            continue
        html = r.content.decode()
        checked += 1
        problems += [f"{path}: foreign url {u}" for u in URL_ATTR.findall(html) if foreign(u)]
        problems += [f"{path}: inline script {m}" for m in INLINE_SCRIPT.findall(html)]
        problems += [f"{path}: inline style attribute" for _ in INLINE_STYLE.findall(html)]
        problems += [f"{path}: inline event handler" for _ in INLINE_HANDLER.findall(html)]
    print(f"pages checked: {checked}, pages with foreign or inline content: {len({p.split(':')[0] for p in problems})}")
    assert checked >= 15
    assert not problems, "\n".join(problems)


def test_static_css_and_js_reference_no_other_host() -> None:
    files = [p for p in (ROOT / "trialsite" / "static").rglob("*") if p.suffix in (".css", ".js")]
    bad = [str(p) for p in files if CSS_URL.search(p.read_text()) or re.search(r"https?://", p.read_text())]
    print(f"static files checked: {len(files)}, referencing another host: {len(bad)}")
    assert not bad, bad
