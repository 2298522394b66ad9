"""Filter dropdowns on list pages and filter parameters of the API never reach outside the user's scope."""

import pytest


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "needle_attr"),
    [
        ("/staff/assignments/", "crc_b"),  # person filter: site B's coordinator
        ("/staff/assignments/", "xb"),  # study-at-site filter: study X at site B
        ("/studies/at-sites/", "site_b"),  # site filter
        ("/staff/people/", "site_b"),  # home-site filter
    ],
)
def test_list_page_filter_choices_are_scoped(net, web, path, needle_attr):
    target = getattr(net, needle_attr)
    own = web(net.user("manager_a")).get(path)
    assert own.status_code == 200
    assert f'<option value="{target.pk}">{target}</option>' not in own.content.decode()
    everyone = web(net.user("admin")).get(path)
    assert f'<option value="{target.pk}">{target}</option>' in everyone.content.decode()


@pytest.mark.django_db
def test_list_page_filter_by_out_of_scope_id_is_refused_like_a_missing_one(net, web):
    client = web(net.user("manager_a"))
    outside = client.get(f"/studies/at-sites/?site={net.site_b.pk}")
    missing = client.get("/studies/at-sites/?site=999999")
    assert outside.status_code == missing.status_code == 200
    # Both are invalid filter values: the form says so, and the list is not narrowed to another site's rows.
    assert "Select a valid choice" in outside.content.decode()
    assert "Select a valid choice" in missing.content.decode()
    assert "BBB-01" not in outside.content.decode().split("<tbody>")[1]
