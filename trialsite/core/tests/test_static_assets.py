"""Every stylesheet and script a page links to is actually served (a page without its CSS is not usable)."""

import re

import pytest
from django.contrib.staticfiles import finders

PAGES = [
    "/",
    "/network/sites/",
    "/participants/",
    "/visits/calendar/",
    "/recruitment/metrics/",
    "/protocols/",
    "/api/docs/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_linked_static_assets_exist(net, web, path):
    response = web(net.user("admin")).get(path, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:href|src)="/static/([^"?#]+)', html)
    assert assets, f"{path} links no static asset"
    missing = [a for a in assets if finders.find(a) is None]
    assert missing == [], f"{path} links assets that no static finder serves: {missing}"
