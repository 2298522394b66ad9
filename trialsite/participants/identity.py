"""Minimum necessary (standards P2/P3): who may see a participant's identity, and the log of who did."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.db.models import Q

from trialsite.accounts.roles import IDENTITY_ROLES
from trialsite.accounts.scoping import grants_for
from trialsite.participants.models import Participant

security_log = logging.getLogger("trialsite.security")


def sees_identity(user: Any, participant: Participant) -> bool:
    """True for site roles (manager, staff) in scope of the participant's study site; no query."""
    return grants_for(user).can_see_identity(participant.study_site.site_id, participant.study_site_id)


def may_see_any_identity(user: Any) -> bool:
    return not grants_for(user).scope(IDENTITY_ROLES).empty


def identity_q(user: Any, prefix: str = "") -> Q:
    """Participants whose identity this user may see (used to limit name search)."""
    scope = grants_for(user).scope(IDENTITY_ROLES)
    if scope.network:
        return Q()
    return (
        Q(**{f"{prefix}study_site__site__in": scope.sites})
        | Q(**{f"{prefix}study_site__in": scope.study_sites})
        | Q(pk__in=[])
    )


def log_identity_read(user: Any, participants: Iterable[Participant], where: str) -> None:
    """One security-log line per response that showed identity: who, which participants, where."""
    ids = [p.pk for p in participants]
    if ids:
        security_log.info(
            "identity read user=%s participants=%s via=%s",
            getattr(user, "username", user),
            ",".join(map(str, ids)),
            where,
        )


def display_name(p: Participant) -> str:
    return f"{p.last_name}, {p.first_name}"
