"""Shared test fixtures: a small two-site network and one user per role (named like the demo's)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

import pytest
from rest_framework.test import APIClient

from trialsite.accounts.models import RoleAssignment, User
from trialsite.accounts.roles import Role
from trialsite.core.context import acting_as
from trialsite.network.models import Organization, Site
from trialsite.staff.models import Assignment, Person
from trialsite.studies.models import Study, StudySite

PASSWORD = "correct horse battery staple 42"


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():
    """Tests hash many passwords; the production hasher's cost would dominate the suite's time."""
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    yield


@pytest.fixture(autouse=True)
def _setup_actor():
    """Fixture writes are attributed to a named process, like a management command's."""
    with acting_as(process="test-setup"):
        yield


@dataclass
class Net:
    """Two sites (A, B), two studies; study X at both sites, study Y at site A only."""

    site_a: Site
    site_b: Site
    sponsor: Organization
    cro: Organization
    irb: Organization
    study_x: Study
    study_y: Study
    xa: StudySite  # study X at site A
    xb: StudySite  # study X at site B
    ya: StudySite  # study Y at site A
    pi_a: Person
    crc_a: Person
    crc_b: Person
    users: dict[str, User] = field(default_factory=dict)

    def user(self, name: str) -> User:
        return self.users[name]


def make_user(username: str, *grants: tuple[str, Any, Any], superuser: bool = False) -> User:
    user = User(
        username=username,
        first_name=username.split("_")[0].capitalize(),
        last_name="Test",
        email=f"{username}@example.org",
        is_superuser=superuser,
        is_staff=superuser,
    )
    user.set_password(PASSWORD)
    user.save()
    for role, site, study_site in grants:
        RoleAssignment.objects.create(user=user, role=role, site=site, study_site=study_site)
    return user


def build_network() -> Net:
    site_a = Site.objects.create(
        code="AAA-01",
        name="Alpha Clinic",
        city="Boston",
        country="US",
        time_zone="America/New_York",
        clinic_days=[0, 1, 2, 3, 4],
    )
    site_b = Site.objects.create(
        code="BBB-01",
        name="Beta Hospital",
        city="Berlin",
        country="DE",
        time_zone="Europe/Berlin",
        clinic_days=[0, 1, 2, 3, 4],
    )
    sponsor = Organization.objects.create(kind="sponsor", name="Acme Pharma")
    cro = Organization.objects.create(kind="cro", name="Contract Research Co")
    irb = Organization.objects.create(kind="irb", name="Central IRB")
    study_x = Study.objects.create(
        protocol_number="ACME-001",
        short_name="X-TRIAL",
        title="Study X",
        sponsor=sponsor,
        cro=cro,
        phase="3",
        therapeutic_area="cardiology",
        enrollment_target=100,
    )
    study_y = Study.objects.create(
        protocol_number="ACME-002",
        short_name="Y-TRIAL",
        title="Study Y",
        sponsor=sponsor,
        phase="2",
        therapeutic_area="oncology",
        enrollment_target=40,
    )
    pi_a = Person.objects.create(first_name="Paula", last_name="Investigator", job_role="pi", home_site=site_a)
    crc_a = Person.objects.create(first_name="Carl", last_name="Coordinator", job_role="coordinator", home_site=site_a)
    crc_b = Person.objects.create(first_name="Berta", last_name="Koordinator", job_role="coordinator", home_site=site_b)
    xa = StudySite.objects.create(
        study=study_x, site=site_a, principal_investigator=pi_a, irb=irb, enrollment_target=30
    )
    xb = StudySite.objects.create(study=study_x, site=site_b, irb=irb, enrollment_target=20)
    ya = StudySite.objects.create(
        study=study_y, site=site_a, principal_investigator=pi_a, irb=irb, enrollment_target=10
    )
    Assignment.objects.create(
        person=crc_a, study_site=xa, study_role="primary_crc", starts_on=datetime.date(2026, 1, 1)
    )
    Assignment.objects.create(
        person=crc_b, study_site=xb, study_role="primary_crc", starts_on=datetime.date(2026, 1, 1)
    )
    net = Net(site_a, site_b, sponsor, cro, irb, study_x, study_y, xa, xb, ya, pi_a, crc_a, crc_b)
    net.users = {
        "admin": make_user("admin", (Role.NETWORK_ADMIN, None, None)),
        "ops": make_user("ops", (Role.NETWORK_OPS, None, None)),
        "manager_a": make_user("manager_a", (Role.SITE_MANAGER, site_a, None)),
        "staff_a": make_user("staff_a", (Role.SITE_STAFF, site_a, None)),
        "staff_xa": make_user("staff_xa", (Role.SITE_STAFF, None, xa)),
        "finance": make_user("finance", (Role.FINANCE, None, None)),
        "qa": make_user("qa", (Role.QA, None, None)),
        "qa_a": make_user("qa_a", (Role.QA, site_a, None)),
        "monitor_xa": make_user("monitor_xa", (Role.EXTERNAL_MONITOR, None, xa)),
        "nobody": make_user("nobody"),
    }
    return net


@pytest.fixture
def net(db) -> Net:  # noqa: ANN001
    return build_network()


@pytest.fixture
def api():
    """An API client factory: api(user) is logged in as that user."""

    def make(user: User | None = None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def web(client):  # noqa: ANN001
    """A browser-like client factory: web(user) has a session for that user."""

    def make(user: User | None = None):  # noqa: ANN202
        from django.test import Client

        c = Client()
        if user is not None:
            c.force_login(user)
        return c

    return make
