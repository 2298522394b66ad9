"""Who may do what in the `net` fixture, written once so every access case reads like the rules.

Users (trialsite/conftest.py): admin and ops (network writers), finance and qa (network
readers), manager_a / staff_a / qa_a (site A), staff_xa / monitor_xa (study X at site A),
nobody (no role), anonymous. Targets: "own" (site A / study X at site A), "other_site"
(site B), "other_study" (study Y at site A).
"""

from __future__ import annotations

from collections.abc import Callable

ANON = "anonymous"
NETWORK = frozenset({"admin", "ops", "finance", "qa"})
SITE_A = frozenset({"manager_a", "staff_a", "qa_a"})
STUDY_XA = frozenset({"staff_xa", "monitor_xa"})
NETWORK_WRITERS = frozenset({"admin", "ops"})
SITE_WRITERS_A = frozenset({"manager_a"})  # plus the network writers
AUDIT_READERS = frozenset({"admin", "qa", "qa_a"})

Rule = Callable[[str, str], bool]
Expect = Callable[[str, str], int]


def sees_site_record(user: str, target: str) -> bool:
    """A site-level record (site, closure, person): site A is seen by site-A and study-at-A users."""
    if user in NETWORK:
        return True
    at_a = target in ("own", "other_study")
    return at_a and (user in SITE_A or user in STUDY_XA)


def sees_study_site_record(user: str, target: str) -> bool:
    """A record of one study at a site: study-at-site users see only their own study at site."""
    if user in NETWORK:
        return True
    if user in SITE_A:
        return target in ("own", "other_study")
    if user in STUDY_XA:
        return target == "own"
    return False


def writes_site_record(user: str, target: str) -> bool:
    """SITE_WRITERS: network operations anywhere, the site manager at their site."""
    if user in NETWORK_WRITERS:
        return True
    return user in SITE_WRITERS_A and target in ("own", "other_study")


def network_writer(user: str, target: str) -> bool:
    return user in NETWORK_WRITERS


def everyone(user: str, target: str) -> bool:
    return user != ANON


def ui_page(can: Rule = everyone) -> Expect:
    """A page every logged-in user may open (a list, the home page): login redirect for anonymous."""
    return lambda u, t: 302 if u == ANON else (200 if can(u, t) else 404)


def api_read(can: Rule = everyone) -> Expect:
    return lambda u, t: 403 if u == ANON else (200 if can(u, t) else 404)


def ui_edit(view: Rule, write: Rule, ok: int = 200) -> Expect:
    """Edit form (GET 200 / POST 302): 404 out of scope, 403 read-only in scope."""

    def expect(u: str, t: str) -> int:
        if u == ANON:
            return 302
        if not view(u, t):
            return 404
        return ok if write(u, t) else 403

    return expect


def api_write(view: Rule, write: Rule, ok: int = 200) -> Expect:
    def expect(u: str, t: str) -> int:
        if u == ANON:
            return 403
        if not view(u, t):
            return 404
        return ok if write(u, t) else 403

    return expect


def ui_create(creator: Rule, write: Rule | None = None, view_parent: Rule | None = None, ok: int = 200) -> Expect:
    """Create form: 403 for roles that may not create this kind of record at all.

    On POST (ok=302) a creator whose target parent is outside what they may see or change gets
    the form back with an error (200): an out-of-scope id is answered like a missing one.
    """

    def expect(u: str, t: str) -> int:
        if u == ANON:
            return 302
        if not creator(u, t):
            return 403
        if ok != 200 and write is not None and not write(u, t):
            return 200
        return ok

    return expect


def api_create(creator: Rule, write: Rule, view_parent: Rule) -> Expect:
    """POST to a list endpoint: 403 non-creators; 400 (unknown id) for a parent out of view; 201."""

    def expect(u: str, t: str) -> int:
        if u == ANON:
            return 403
        if not creator(u, t):
            return 403
        if not view_parent(u, t):
            return 400
        return 201 if write(u, t) else 403

    return expect


# -- the target objects of the `net` fixture ------------------------------------------------------
def site_of(net, target: str):  # noqa: ANN001, ANN201
    return net.site_b if target == "other_site" else net.site_a


def study_site_of(net, target: str):  # noqa: ANN001, ANN201
    return {"own": net.xa, "other_site": net.xb, "other_study": net.ya}[target]


def version_of(obj) -> int:  # noqa: ANN001
    """The stored version (sessions and earlier requests may have moved it on)."""
    return type(obj)._base_manager.filter(pk=obj.pk).values_list("version", flat=True).get()
