"""The main navigation: apps register their entries here, each with the roles that see it."""

from __future__ import annotations

from dataclasses import dataclass

from trialsite.accounts.roles import ALL_ROLES


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    order: int = 50
    roles: frozenset[str] = ALL_ROLES
    audit_only: bool = False


REGISTRY: list[NavItem] = []


def register(item: NavItem) -> None:
    if all(existing.url_name != item.url_name for existing in REGISTRY):
        REGISTRY.append(item)
        REGISTRY.sort(key=lambda i: i.order)
