"""The schedule-of-activities grid of one protocol version, built in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from trialsite.protocols.models import Procedure, ProtocolVersion, VisitDefinition, VisitProcedure


def window_label(d: VisitDefinition) -> str:
    """The familiar short form: "D28 ±3", "D-14 −7/+0"."""
    if d.window_before == d.window_after:
        window = f" ±{d.window_before}" if d.window_before else ""
    else:
        window = f" −{d.window_before}/+{d.window_after}"
    return f"D{d.day_offset}{window}"


@dataclass
class Grid:
    version: ProtocolVersion
    visits: list[VisitDefinition]
    procedures: list[Procedure]
    ticks: set[tuple[int, int]] = field(default_factory=set)  # (visit definition id, procedure id)

    def rows(self) -> list[dict[str, Any]]:
        """One row per procedure, one cell per visit: what the template renders."""
        return [
            {
                "procedure": p,
                "cells": [{"visit": v, "ticked": (v.pk, p.pk) in self.ticks} for v in self.visits],
            }
            for p in self.procedures
        ]

    def as_data(self) -> dict[str, Any]:
        codes = {p.pk: p.code for p in self.procedures}
        return {
            "id": self.version.pk,
            "version": self.version.version,
            "study": self.version.study_id,
            "label": self.version.label,
            "effective_on": self.version.effective_on.isoformat(),
            "visits": [
                {
                    "id": v.pk,
                    "code": v.code,
                    "name": v.name,
                    "order": v.order,
                    "visit_type": v.visit_type,
                    "anchor": v.anchor,
                    "day_offset": v.day_offset,
                    "window_before": v.window_before,
                    "window_after": v.window_after,
                    "window": window_label(v),
                    "stipend_amount": None if v.stipend_amount is None else str(v.stipend_amount),
                    "stipend_currency": v.stipend_currency,
                    "procedures": sorted(codes[p] for vd, p in self.ticks if vd == v.pk and p in codes),
                }
                for v in self.visits
            ],
            "procedures": [
                {"id": p.pk, "code": p.code, "name": p.name, "category": p.category} for p in self.procedures
            ],
            "ticks": [
                {"visit": v.code, "procedure": code}
                for v in self.visits
                for code in sorted(codes[p] for vd, p in self.ticks if vd == v.pk and p in codes)
            ],
        }


def build_grid(version: ProtocolVersion) -> Grid:
    """Visits (columns), every procedure of the study (rows) and the ticks: three queries."""
    visits = list(VisitDefinition.objects.filter(protocol_version=version).order_by("order"))
    procedures = list(Procedure.objects.filter(study_id=version.study_id).order_by("category", "code"))
    ticks = set(
        VisitProcedure.objects.filter(visit_definition__protocol_version=version).values_list(
            "visit_definition_id", "procedure_id"
        )
    )
    return Grid(version, visits, procedures, ticks)
