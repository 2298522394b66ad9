"""Read a ClinicalTrials.gov API v2 study record into what the demo needs, tolerating missing fields."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

SHARED_RECORD = settings.SHARED_DATA_DIR / "ctgov" / "NCT02513394.json"

PHASES = {
    "EARLY_PHASE1": "early_1",
    "PHASE1": "1",
    "PHASE2": "2",
    "PHASE3": "3",
    "PHASE4": "4",
    "NA": "na",
}


@dataclass
class RegistryStudy:
    nct_id: str
    org_study_id: str
    short_name: str
    title: str
    phase: str
    conditions: list[str]
    inclusion: list[str] = field(default_factory=list)
    exclusion: list[str] = field(default_factory=list)
    enrollment: int | None = None


def _get(data: Any, *path: str, default: Any = None) -> Any:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return default
        data = data[key]
    return data


def split_criteria(text: str) -> tuple[list[str], list[str]]:
    """Split the free-text eligibility block into inclusion and exclusion bullet items."""
    inclusion: list[str] = []
    exclusion: list[str] = []
    current = inclusion
    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line:
            continue
        low = line.lower()
        if low.startswith("inclusion criteria"):
            current = inclusion
            continue
        if low.startswith("exclusion criteria"):
            current = exclusion
            continue
        item = re.sub(r"^([*\-•]|\d+[.)])\s*", "", line)
        if item:
            current.append(item[:1000])
    return inclusion, exclusion


def phase_of(phases: Any) -> str:
    """CT.gov lists phases separately (PHASE1, PHASE2); map to our combined codes."""
    codes = [PHASES.get(p) for p in phases or [] if PHASES.get(p)]
    if set(codes) == {"1", "2"}:
        return "1/2"
    if set(codes) == {"2", "3"}:
        return "2/3"
    return codes[-1] if codes else "na"


def parse(data: dict[str, Any]) -> RegistryStudy | None:
    """The parts of a record the demo uses; None when it is not a usable study record."""
    proto = _get(data, "protocolSection", default={})
    nct = str(_get(proto, "identificationModule", "nctId", default="") or "")
    if not re.fullmatch(r"NCT\d{8}", nct):
        return None
    ident = _get(proto, "identificationModule", default={})
    title = ident.get("officialTitle") or ident.get("briefTitle") or nct
    short = ident.get("acronym") or (ident.get("briefTitle") or nct)[:30]
    inclusion, exclusion = split_criteria(_get(proto, "eligibilityModule", "eligibilityCriteria", default="") or "")
    enrollment = _get(proto, "designModule", "enrollmentInfo", "count")
    return RegistryStudy(
        nct_id=nct,
        org_study_id=str(_get(ident, "orgStudyIdInfo", "id", default="") or nct)[:40],
        short_name=str(short)[:80],
        title=str(title),
        phase=phase_of(_get(proto, "designModule", "phases", default=[])),
        conditions=[str(c) for c in _get(proto, "conditionsModule", "conditions", default=[]) or []][:10],
        inclusion=inclusion,
        exclusion=exclusion,
        enrollment=enrollment if isinstance(enrollment, int) else None,
    )


def load(path: Path = SHARED_RECORD) -> RegistryStudy | None:
    """The shared record when present and readable; the demo still works without it."""
    try:
        return parse(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None
