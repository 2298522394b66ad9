"""Read helpers other apps rely on (no writes here)."""

from __future__ import annotations

import datetime

from trialsite.protocols.models import ProtocolVersion
from trialsite.studies.models import Study


def version_in_force(study: Study | int, on: datetime.date) -> ProtocolVersion | None:
    """The protocol version whose schedule applies on `on`: the latest effective_on <= on (None before the first)."""
    study_id = study if isinstance(study, int) else study.pk
    return (
        ProtocolVersion.objects.filter(study_id=study_id, effective_on__lte=on).order_by("-effective_on", "-pk").first()
    )
