"""Template context shared by every page: the navigation this user's roles allow."""

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from trialsite.accounts.scoping import grants_for
from trialsite.core.navigation import REGISTRY


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    grants = grants_for(user)
    items = []
    for item in REGISTRY:
        if item.audit_only and not grants.can_read_audit_log:
            continue
        if not grants.has_role(*item.roles):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        items.append({"label": item.label, "url": url, "active": False})
    # Highlight only the most specific entry (/visits/calendar/ over /visits/).
    matching = [i for i in items if i["url"] != "/" and request.path.startswith(i["url"])]
    if matching:
        max(matching, key=lambda i: len(i["url"]))["active"] = True
    return {"nav_items": items, "nav_roles": ", ".join(sorted(grants.roles))}
