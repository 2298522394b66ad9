"""Access cases for the network app (sites, closures, organizations): UI and API."""

from __future__ import annotations

from django.urls import reverse

from trialsite.accounts.roles import INTERNAL_ROLES
from trialsite.accounts.tests.access_rules import (
    ANON,
    NETWORK,
    SITE_A,
    STUDY_XA,
    api_create,
    api_read,
    api_write,
    everyone,
    network_writer,
    sees_site_record,
    site_of,
    ui_create,
    ui_edit,
    ui_page,
    version_of,
    writes_site_record,
)
from trialsite.core.testing import Case
from trialsite.network.models import Organization, SiteClosure

SITE_TARGETS = ("own", "other_site")
INTERNAL_USERS = NETWORK | SITE_A | {"staff_xa"}
assert len(INTERNAL_ROLES) == 6  # everyone but the external monitor reads reference data


def site_writer_anywhere(u: str, t: str) -> bool:
    return u in {"admin", "ops", "manager_a"}


def site_form(net, t: str) -> dict:  # noqa: ANN001
    s = site_of(net, t)
    return {
        "code": s.code,
        "name": s.name + " (renamed)",
        "city": s.city,
        "country": s.country,
        "time_zone": s.time_zone,
        "status": s.status,
        "clinic_days": s.clinic_days,
        "version": version_of(s),
    }


def new_site(net, t: str) -> dict:  # noqa: ANN001
    return {
        "code": "NEW-01",
        "name": "New Clinic",
        "city": "Lyon",
        "country": "FR",
        "time_zone": "Europe/Paris",
        "status": "prospective",
    }


def closure(net, t: str) -> SiteClosure:  # noqa: ANN001
    obj, _ = SiteClosure.objects.get_or_create(
        site=site_of(net, t), starts_on="2026-12-24", ends_on="2026-12-26", defaults={"reason": "Holidays"}
    )
    return obj


def closure_data(net, t: str) -> dict:  # noqa: ANN001
    return {"site": site_of(net, t).pk, "starts_on": "2026-08-01", "ends_on": "2026-08-02", "reason": "Renovation"}


def unrelated_org(net) -> Organization:  # noqa: ANN001
    obj, _ = Organization.objects.get_or_create(kind="cro", name="Unrelated CRO")
    return obj


def org_of(net, t: str) -> Organization:  # noqa: ANN001
    return net.sponsor if t == "own" else unrelated_org(net)


def sees_org(u: str, t: str) -> bool:
    """Reference data for internal staff; a monitor sees only their study's organizations."""
    return u in INTERNAL_USERS or (u in STUDY_XA and t == "own")


ORG_TARGETS = ("own", "other_study")

CASES = [
    # -- sites (UI) --
    Case("network:site_list", "GET", lambda n, t: reverse("network:site_list"), ui_page(), targets=("own",)),
    Case(
        "network:site_detail",
        "GET",
        lambda n, t: reverse("network:site_detail", args=[site_of(n, t).pk]),
        ui_page(sees_site_record),
        targets=SITE_TARGETS,
    ),
    Case(
        "network:site_create",
        "GET",
        lambda n, t: reverse("network:site_create"),
        ui_create(network_writer),
        targets=("own",),
    ),
    Case(
        "network:site_create",
        "POST",
        lambda n, t: reverse("network:site_create"),
        ui_create(network_writer, ok=302),
        data=new_site,
        targets=("own",),
        note="valid",
    ),
    Case(
        "network:site_edit",
        "GET",
        lambda n, t: reverse("network:site_edit", args=[site_of(n, t).pk]),
        ui_edit(sees_site_record, writes_site_record),
        targets=SITE_TARGETS,
    ),
    Case(
        "network:site_edit",
        "POST",
        lambda n, t: reverse("network:site_edit", args=[site_of(n, t).pk]),
        ui_edit(sees_site_record, writes_site_record, ok=302),
        data=site_form,
        targets=SITE_TARGETS,
        note="valid",
    ),
    # -- closures (UI create only) --
    Case(
        "network:closure_create",
        "GET",
        lambda n, t: reverse("network:closure_create"),
        ui_create(site_writer_anywhere),
        targets=("own",),
    ),
    Case(
        "network:closure_create",
        "POST",
        lambda n, t: reverse("network:closure_create"),
        ui_create(site_writer_anywhere, writes_site_record, ok=302),
        data=closure_data,
        targets=SITE_TARGETS,
        note="valid",
    ),
    # -- organizations (UI) --
    Case(
        "network:organization_list",
        "GET",
        lambda n, t: reverse("network:organization_list"),
        ui_page(),
        targets=("own",),
    ),
    Case(
        "network:organization_detail",
        "GET",
        lambda n, t: reverse("network:organization_detail", args=[org_of(n, t).pk]),
        ui_page(sees_org),
        targets=ORG_TARGETS,
    ),
    Case(
        "network:organization_create",
        "GET",
        lambda n, t: reverse("network:organization_create"),
        ui_create(network_writer),
        targets=("own",),
    ),
    Case(
        "network:organization_create",
        "POST",
        lambda n, t: reverse("network:organization_create"),
        ui_create(network_writer, ok=302),
        data=lambda n, t: {"kind": "sponsor", "name": "Newco", "is_active": "on"},
        targets=("own",),
        note="valid",
    ),
    Case(
        "network:organization_edit",
        "GET",
        lambda n, t: reverse("network:organization_edit", args=[org_of(n, t).pk]),
        ui_edit(sees_org, network_writer),
        targets=ORG_TARGETS,
    ),
    Case(
        "network:organization_edit",
        "POST",
        lambda n, t: reverse("network:organization_edit", args=[org_of(n, t).pk]),
        ui_edit(sees_org, network_writer, ok=302),
        data=lambda n, t: {
            "kind": org_of(n, t).kind,
            "name": org_of(n, t).name,
            "short_name": "Renamed",
            "is_active": "on",
            "version": version_of(org_of(n, t)),
        },
        targets=ORG_TARGETS,
        note="valid",
    ),
    # -- API --
    Case("site-list", "GET", lambda n, t: "/api/v1/sites/", api_read(), api=True, targets=("own",)),
    Case(
        "site-list",
        "POST",
        lambda n, t: "/api/v1/sites/",
        lambda u, t: 403 if u == ANON or u not in {"admin", "ops"} else 201,
        data=new_site,
        api=True,
        targets=("own",),
        note="create",
    ),
    Case(
        "site-detail",
        "GET",
        lambda n, t: f"/api/v1/sites/{site_of(n, t).pk}/",
        api_read(sees_site_record),
        api=True,
        targets=SITE_TARGETS,
    ),
    Case(
        "site-detail",
        "PATCH",
        lambda n, t: f"/api/v1/sites/{site_of(n, t).pk}/",
        api_write(sees_site_record, writes_site_record),
        data=lambda n, t: {"phone": "+1 555 0100", "version": version_of(site_of(n, t))},
        api=True,
        targets=SITE_TARGETS,
    ),
    Case("siteclosure-list", "GET", lambda n, t: "/api/v1/site-closures/", api_read(), api=True, targets=("own",)),
    Case(
        "siteclosure-list",
        "POST",
        lambda n, t: "/api/v1/site-closures/",
        api_create(site_writer_anywhere, writes_site_record, sees_site_record),
        data=closure_data,
        api=True,
        targets=SITE_TARGETS,
        note="create",
    ),
    Case(
        "siteclosure-detail",
        "GET",
        lambda n, t: f"/api/v1/site-closures/{closure(n, t).pk}/",
        api_read(sees_site_record),
        api=True,
        targets=SITE_TARGETS,
    ),
    Case(
        "siteclosure-detail",
        "PATCH",
        lambda n, t: f"/api/v1/site-closures/{closure(n, t).pk}/",
        api_write(sees_site_record, writes_site_record),
        data=lambda n, t: {"reason": "Public holidays", "version": version_of(closure(n, t))},
        api=True,
        targets=SITE_TARGETS,
    ),
    Case("organization-list", "GET", lambda n, t: "/api/v1/organizations/", api_read(), api=True, targets=("own",)),
    Case(
        "organization-list",
        "POST",
        lambda n, t: "/api/v1/organizations/",
        lambda u, t: 403 if u not in {"admin", "ops"} else 201,
        data=lambda n, t: {"kind": "irb", "name": "New IRB"},
        api=True,
        targets=("own",),
        note="create",
    ),
    Case(
        "organization-detail",
        "GET",
        lambda n, t: f"/api/v1/organizations/{org_of(n, t).pk}/",
        api_read(sees_org),
        api=True,
        targets=ORG_TARGETS,
    ),
    Case(
        "organization-detail",
        "PATCH",
        lambda n, t: f"/api/v1/organizations/{org_of(n, t).pk}/",
        api_write(sees_org, network_writer),
        data=lambda n, t: {"phone": "+1 555 0101", "version": version_of(org_of(n, t))},
        api=True,
        targets=ORG_TARGETS,
    ),
]
assert everyone  # re-exported helper kept for symmetry with other case files
