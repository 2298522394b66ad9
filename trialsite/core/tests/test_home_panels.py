"""Home-page panels render with their own context, whichever style their template uses."""

import pytest


@pytest.mark.django_db
def test_panel_keys_reach_templates_at_top_level_and_as_panel(net, web):
    page = web(net.user("staff_a")).get("/").content.decode()
    # visits/panel_visits.html reads top-level keys ({{ empty }}, {{ more_label }}) ...
    assert "No visits today." in page
    assert "All my visits today" in page
    # ... participants/panel.html reads them through {{ panel.* }}.
    assert "Prospects waiting for first contact" in page
    assert "participants · " in page or "participant · " in page
