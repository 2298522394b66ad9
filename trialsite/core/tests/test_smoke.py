import pytest


@pytest.mark.django_db
def test_site_list_and_detail_scoped(net, web):
    staff = web(net.user("staff_a"))
    assert staff.get("/network/sites/").status_code == 200
    assert staff.get(f"/network/sites/{net.site_a.pk}/").status_code == 200
    assert staff.get(f"/network/sites/{net.site_b.pk}/").status_code == 404


@pytest.mark.django_db
def test_api_site_scoped(net, api):
    c = api(net.user("staff_a"))
    r = c.get("/api/v1/sites/")
    assert r.status_code == 200
    assert [s["code"] for s in r.json()["results"]] == ["AAA-01"]
    assert c.get(f"/api/v1/sites/{net.site_b.pk}/").status_code == 404
