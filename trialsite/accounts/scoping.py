"""What a user may see and change, resolved once per request from their role assignments.

`AuditedQuerySet.visible_to(user, action)` is the single entry point every list, detail,
form choice, API endpoint, search and export goes through.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from trialsite.accounts.roles import ALL_ROLES, AUDIT_ROLES, IDENTITY_ROLES, Role


@dataclass(frozen=True)
class ScopeSet:
    network: bool = False
    sites: frozenset[int] = frozenset()
    study_sites: frozenset[int] = frozenset()
    study_site_sites: frozenset[int] = frozenset()  # sites of the study_sites, for site-level records

    def __or__(self, other: ScopeSet) -> ScopeSet:
        return ScopeSet(
            self.network or other.network,
            self.sites | other.sites,
            self.study_sites | other.study_sites,
            self.study_site_sites | other.study_site_sites,
        )

    @property
    def empty(self) -> bool:
        return not (self.network or self.sites or self.study_sites)

    def covers(self, site_id: int | None = None, study_site_id: int | None = None) -> bool:
        return bool(
            self.network
            or (site_id is not None and site_id in self.sites)
            or (study_site_id is not None and study_site_id in self.study_sites)
        )


@dataclass
class Grants:
    user_id: int | None
    by_role: dict[str, ScopeSet] = field(default_factory=dict)

    def scope(self, roles: frozenset[str] | None = None) -> ScopeSet:
        result = ScopeSet()
        for role in ALL_ROLES if roles is None else roles:
            if role in self.by_role:
                result = result | self.by_role[role]
        return result

    @property
    def roles(self) -> set[str]:
        return set(self.by_role)

    def has_role(self, *roles: str) -> bool:
        return any(r in self.by_role for r in roles)

    def can_see_identity(self, site_id: int | None, study_site_id: int | None) -> bool:
        return self.scope(IDENTITY_ROLES).covers(site_id, study_site_id)

    @property
    def can_read_audit_log(self) -> bool:
        return not self.scope(AUDIT_ROLES).empty


NO_GRANTS = Grants(user_id=None)


def grants_for(user: Any) -> Grants:
    """Resolve (and cache on the user object for this request) the user's grants."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return NO_GRANTS
    cached = getattr(user, "_trialsite_grants", None)
    if cached is not None:
        return cached
    from trialsite.accounts.models import RoleAssignment

    acc: dict[str, dict[str, Any]] = {}
    rows = (
        RoleAssignment.objects.filter(user_id=user.pk, is_active=True)
        .order_by()  # no join to users just to sort
        .values_list("role", "site_id", "study_site_id", "study_site__site_id")
    )
    for role, site_id, study_site_id, ss_site in rows:
        slot = acc.setdefault(role, {"network": False, "sites": set(), "study_sites": set(), "ss_sites": set()})
        if study_site_id:
            slot["study_sites"].add(study_site_id)
            slot["ss_sites"].add(ss_site)
        elif site_id:
            slot["sites"].add(site_id)
        else:
            slot["network"] = True
    if user.is_superuser:
        acc.setdefault(Role.NETWORK_ADMIN, {"network": True, "sites": set(), "study_sites": set(), "ss_sites": set()})
        acc[Role.NETWORK_ADMIN]["network"] = True
    grants = Grants(
        user_id=user.pk,
        by_role={
            role: ScopeSet(v["network"], frozenset(v["sites"]), frozenset(v["study_sites"]), frozenset(v["ss_sites"]))
            for role, v in acc.items()
        },
    )
    user._trialsite_grants = grants
    return grants


def forget_grants(user: Any) -> None:
    if hasattr(user, "_trialsite_grants"):
        del user._trialsite_grants
