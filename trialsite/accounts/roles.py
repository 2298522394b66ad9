"""Roles a user holds at a scope, and what each role may do."""

from django.db import models


class Role(models.TextChoices):
    NETWORK_ADMIN = "network_admin", "Network administrator"
    NETWORK_OPS = "network_ops", "Network operations"
    SITE_MANAGER = "site_manager", "Site manager"
    SITE_STAFF = "site_staff", "Site staff"
    FINANCE = "finance", "Finance"
    QA = "qa", "Quality assurance"
    EXTERNAL_MONITOR = "external_monitor", "External monitor"


ALL_ROLES = frozenset(Role.values)
INTERNAL_ROLES = ALL_ROLES - {Role.EXTERNAL_MONITOR}
# Who runs the network's reference data (sites, organizations, studies).
NETWORK_WRITERS = frozenset({Role.NETWORK_ADMIN, Role.NETWORK_OPS})
# Who runs a site's operations (studies at the site, staff, assignments).
SITE_WRITERS = NETWORK_WRITERS | {Role.SITE_MANAGER}
# Who works with participants day to day.
PARTICIPANT_WRITERS = frozenset({Role.SITE_MANAGER, Role.SITE_STAFF})
# Minimum necessary (standards P2): participant identity is for the site team only.
IDENTITY_ROLES = frozenset({Role.SITE_MANAGER, Role.SITE_STAFF})
# Who reads the audit log across records.
AUDIT_ROLES = frozenset({Role.NETWORK_ADMIN, Role.QA})
# Roles only meaningful network-wide or at a site (never a single study at a site).
NETWORK_ONLY_ROLES = frozenset({Role.NETWORK_ADMIN, Role.NETWORK_OPS})
