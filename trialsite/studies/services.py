"""Life-cycle of a study at a site: allowed transitions, enforced here and nowhere else."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from trialsite.core.context import acting_as
from trialsite.core.exceptions import ConflictError, field_error
from trialsite.core.services import check_can_write
from trialsite.studies.models import StudySite

S = StudySite.Status
TRANSITIONS: dict[str, set[str]] = {
    S.FEASIBILITY: {S.SELECTED, S.NOT_SELECTED, S.WITHDRAWN},
    S.SELECTED: {S.START_UP, S.WITHDRAWN},
    S.START_UP: {S.ACTIVE, S.WITHDRAWN},
    S.ACTIVE: {S.ENROLLMENT_CLOSED, S.WITHDRAWN},
    S.ENROLLMENT_CLOSED: {S.CLOSED},
    S.CLOSED: set(),
    S.NOT_SELECTED: set(),
    S.WITHDRAWN: set(),
}
# The date each status stamps, when the study site enters it.
STAMPS = {S.SELECTED: "selected_on", S.ACTIVE: "activated_on", S.CLOSED: "closed_on"}


def allowed_next(study_site: StudySite) -> list[str]:
    return [s for s in S.values if s in TRANSITIONS[study_site.status]]


@transaction.atomic
def transition_study_site(
    study_site: StudySite,
    *,
    to: str,
    actor: Any,
    on: datetime.date | None = None,
    reason: str = "",
    expected_version: int | None = None,
) -> StudySite:
    """Move a study at a site to its next life-cycle status, stamping the key date."""
    with acting_as(actor, reason=reason):
        locked = StudySite.objects.select_for_update().select_related("site").get(pk=study_site.pk)
        check_can_write(actor, locked)
        if expected_version is not None and expected_version != locked.version:
            raise ConflictError()
        if to not in S.values:
            raise field_error("status", f"Unknown status '{to}'.")
        if to not in TRANSITIONS[locked.status]:
            allowed = ", ".join(S(s).label for s in allowed_next(locked)) or "none (this is a final status)"
            raise field_error(
                "status",
                f"A study at a site cannot go from {S(locked.status).label} to {S(to).label}. Allowed next: {allowed}.",
                code="invalid_transition",
            )
        if to in (S.WITHDRAWN,) and not reason.strip():
            raise field_error("reason", "Say why the site withdraws from the study.")
        if to == S.ACTIVE and locked.principal_investigator_id is None:
            raise field_error("status", "Name the principal investigator before activating the site.")
        day = on or timezone.localdate(timezone=locked.site.tz)
        locked.status = to
        if to in STAMPS:
            setattr(locked, STAMPS[to], day)
        locked.save_with_reason(reason, event="studysite.transition")
        return locked
