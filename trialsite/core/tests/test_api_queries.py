"""Every list endpoint of accounts, network, studies and staff runs a fixed number of queries,
whatever the number of rows (no N+1), for a network user and for a site-scoped user."""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Callable

import pytest

from trialsite.accounts.models import RoleAssignment, User
from trialsite.core.testing import assert_constant_queries
from trialsite.network.models import Organization, Site, SiteClosure
from trialsite.staff.models import Assignment, Person
from trialsite.studies.models import Study, StudySite

_seq = itertools.count(1)


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:  # noqa: ANN001
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _grower(make: Callable[[], object]) -> Callable[[int], None]:
    """grow(n): add rows until n have been made by this grower (rows of the fixture come on top)."""
    made = [0]

    def grow(n: int) -> None:
        while made[0] < n:
            make()
            made[0] += 1

    return grow


def _study(net) -> Study:  # noqa: ANN001
    i = next(_seq)
    return Study.objects.create(
        protocol_number=f"Q-{i:04d}",
        short_name=f"Q{i}",
        title="Query study",
        sponsor=net.sponsor,
        cro=net.cro,
        phase="2",
        therapeutic_area="oncology",
    )


def _makers(net) -> dict[str, Callable[[], object]]:  # noqa: ANN001
    def user() -> User:
        u = User.objects.create(username=f"q_user_{next(_seq)}")
        RoleAssignment.objects.create(user=u, role="site_staff", site=net.site_a)
        return u

    def site() -> Site:
        site = Site.objects.create(code=f"Q-{next(_seq):04d}", name="Q", city="Q", country="US")
        # So the site-scoped user sees the new rows too: manager_a manages every new site.
        RoleAssignment.objects.create(user=net.user("manager_a"), role="site_manager", site=site)
        return site

    def study_site() -> StudySite:
        return StudySite.objects.create(
            study=_study(net), site=net.site_a, principal_investigator=net.pi_a, irb=net.irb
        )

    def assignment() -> Assignment:
        person = Person.objects.create(first_name="Q", last_name=f"Q{next(_seq)}", job_role="nurse")
        return Assignment.objects.create(
            person=person, study_site=net.xa, study_role="nurse", starts_on=datetime.date(2026, 1, 1)
        )

    return {
        "users": user,
        "role-assignments": user,
        "sites": site,
        "site-closures": lambda: SiteClosure.objects.create(
            site=net.site_a, starts_on="2026-07-01", ends_on="2026-07-02", reason=f"Q{next(_seq)}"
        ),
        "organizations": lambda: Organization.objects.create(kind="sponsor", name=f"Q org {next(_seq)}"),
        "studies": lambda: StudySite.objects.create(study=_study(net), site=net.site_a, irb=net.irb).study,
        "study-sites": study_site,
        "people": lambda: Person.objects.create(
            first_name="Q", last_name=f"Q{next(_seq)}", job_role="nurse", home_site=net.site_a
        ),
        "assignments": assignment,
    }


# Pinned counts: (network admin, site manager of A). Each is the whole request: grants,
# count, page, plus the scope lookups of models whose scope crosses relations.
EXPECTED = {
    "users": (3, 3),
    "role-assignments": (3, 3),
    "sites": (3, 3),
    "site-closures": (3, 3),
    "organizations": (3, 3),
    "studies": (3, 3),
    "study-sites": (3, 3),
    "people": (3, 3),
    "assignments": (3, 3),
}


@pytest.mark.django_db
@pytest.mark.parametrize("path", list(EXPECTED))
@pytest.mark.parametrize("who", ["admin", "manager_a"])
def test_list_endpoint_query_count_is_constant(path: str, who: str, net, api) -> None:  # noqa: ANN001
    user = net.user(who)
    client = api(user)
    grow = _grower(_makers(net)[path])
    expected = EXPECTED[path][0 if who == "admin" else 1]

    def fetch():  # noqa: ANN202
        user.__dict__.pop("_trialsite_grants", None)  # grants are resolved per request, as in production
        return client.get(f"/api/v1/{path}/?page_size=100")

    count = assert_constant_queries(fetch, grow, expected=expected)
    listed = fetch().json()["count"]
    print(f"\nGET /api/v1/{path}/ as {who}: {count} queries for {listed} rows")
    # Logins and their roles are administered network-wide: a site manager lists only their own.
    assert listed >= (1 if who == "manager_a" and path in ("users", "role-assignments") else 50)
