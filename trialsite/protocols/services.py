"""Protocol versions, the schedule of activities (SoA) and eligibility criteria.

Every write goes through one function here: atomic, attributed with `acting_as`, scope-checked,
validated with field-named messages, stale versions refused with `ConflictError`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max

from trialsite.core.context import acting_as
from trialsite.core.exceptions import ConflictError, field_error
from trialsite.core.models import AuditedModel
from trialsite.core.services import check_can_write
from trialsite.protocols.models import (
    EligibilityCriterion,
    Procedure,
    ProtocolVersion,
    VisitDefinition,
    VisitProcedure,
)
from trialsite.protocols.selectors import version_in_force
from trialsite.studies.models import Study

__all__ = [
    "add_criterion",
    "add_procedure",
    "add_visit_definition",
    "create_amendment",
    "create_protocol_version",
    "edit_criterion",
    "edit_procedure",
    "edit_protocol_version",
    "edit_visit_definition",
    "remove_criterion",
    "remove_visit_definition",
    "save_schedule",
    "schedule_problems",
    "set_tick",
    "version_in_force",
]

M = TypeVar("M", bound=AuditedModel)

VERSION_FIELDS = ("label", "effective_on", "notes")
VISIT_FIELDS = (
    "code",
    "name",
    "order",
    "visit_type",
    "anchor",
    "day_offset",
    "window_before",
    "window_after",
    "stipend_amount",
    "stipend_currency",
)
PROCEDURE_FIELDS = ("code", "name", "category")
CRITERION_FIELDS = ("kind", "number", "text")

# Anchor events happen in this order for every participant: consent, then enrollment, then day 1.
ANCHOR_RANK = {
    VisitDefinition.Anchor.CONSENT: 0,
    VisitDefinition.Anchor.ENROLLMENT: 1,
    VisitDefinition.Anchor.DAY_1: 2,
}
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")


# -- shared plumbing ---------------------------------------------------------------------------


def _apply(instance: M, changes: dict[str, Any], allowed: Iterable[str]) -> M:
    unknown = set(changes) - set(allowed)
    if unknown:
        name = sorted(unknown)[0]
        raise field_error(name, f"“{name}” cannot be changed here.")
    for key, value in changes.items():
        setattr(instance, key, value)
    return instance


def _lock(model: type[M], pk: int, expected_version: int | None) -> M:
    """The stored row, locked for this transaction; a stale `expected_version` is a conflict."""
    try:
        locked = model.objects.select_for_update().get(pk=pk)
    except model.DoesNotExist as exc:
        raise ConflictError("This record no longer exists.") from exc
    if expected_version is not None and expected_version != locked.version:
        raise ConflictError()
    return locked


def _store(instance: AuditedModel) -> None:
    """Model-level validation, then save; a unique clash that slipped past our checks is a conflict."""
    instance.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:
        raise ConflictError(f"The record conflicts with another one saved meanwhile: {exc}") from exc


# -- protocol versions -------------------------------------------------------------------------


def _check_version(pv: ProtocolVersion) -> None:
    pv.label = (pv.label or "").strip()
    if not pv.label:
        raise field_error("label", "Give the version a label, e.g. 1.0 or Amendment 2.")
    if pv.effective_on is None:
        raise field_error("effective_on", "Give the date this version takes effect.")
    siblings = ProtocolVersion.objects.filter(study_id=pv.study_id).exclude(pk=pv.pk)
    if siblings.filter(label__iexact=pv.label).exists():
        raise field_error("label", f"This study already has a protocol version labelled “{pv.label}”.")
    clash = siblings.filter(effective_on=pv.effective_on).first()
    if clash is not None:
        raise field_error(
            "effective_on",
            f"Version {clash.label} already takes effect on {pv.effective_on:%Y-%m-%d}; "
            "each version of a study needs its own effective date.",
        )


@transaction.atomic
def create_protocol_version(
    *, actor: Any, study: Study, label: str, effective_on: Any, notes: str = "", reason: str = ""
) -> ProtocolVersion:
    """A new, empty protocol version of `study` (use `create_amendment` to start from an existing one)."""
    with acting_as(actor, reason=reason):
        pv = ProtocolVersion(study=study, label=label, effective_on=effective_on, notes=notes or "")
        check_can_write(actor, pv)
        _check_version(pv)
        _store(pv)
        return pv


@transaction.atomic
def edit_protocol_version(
    pv: ProtocolVersion, *, actor: Any, expected_version: int | None, reason: str = "", **changes: Any
) -> ProtocolVersion:
    """Change a version's label, effective date or notes."""
    with acting_as(actor, reason=reason):
        locked = _lock(ProtocolVersion, pv.pk, expected_version)
        check_can_write(actor, locked)
        _apply(locked, changes, VERSION_FIELDS)
        _check_version(locked)
        _store(locked)
        return locked


@transaction.atomic
def create_amendment(
    source: ProtocolVersion, *, actor: Any, label: str, effective_on: Any, notes: str = "", reason: str = ""
) -> ProtocolVersion:
    """A new version copied from `source` (visits, ticks, criteria) that applies from `effective_on`."""
    with acting_as(actor, reason=reason or f"Amendment of version {source.label}"):
        source = ProtocolVersion.objects.select_for_update().get(pk=source.pk)
        pv = ProtocolVersion(
            study_id=source.study_id, label=label, effective_on=effective_on, notes=notes or "", based_on=source
        )
        check_can_write(actor, pv)
        _check_version(pv)
        if pv.effective_on <= source.effective_on:
            raise field_error(
                "effective_on",
                f"An amendment takes effect after the version it amends ({source.effective_on:%Y-%m-%d}).",
            )
        _store(pv)
        old_defs = list(source.visit_definitions.order_by("order"))
        new_defs = VisitDefinition.objects.bulk_create(
            [VisitDefinition(protocol_version=pv, **{f: getattr(d, f) for f in VISIT_FIELDS}) for d in old_defs]
        )
        new_id = {old.pk: new.pk for old, new in zip(old_defs, new_defs, strict=True)}
        ticks = VisitProcedure.objects.filter(visit_definition__protocol_version=source).values_list(
            "visit_definition_id", "procedure_id"
        )
        VisitProcedure.objects.bulk_create(
            [VisitProcedure(visit_definition_id=new_id[vd], procedure_id=proc) for vd, proc in ticks]
        )
        EligibilityCriterion.objects.bulk_create(
            [
                EligibilityCriterion(protocol_version=pv, kind=c.kind, number=c.number, text=c.text)
                for c in source.criteria.all()
            ]
        )
        return pv


# -- visit definitions -------------------------------------------------------------------------


def _describe(d: VisitDefinition) -> str:
    return f"{d.code} (day {d.day_offset} after {VisitDefinition.Anchor(d.anchor).label.lower()})"


def _order_conflict(earlier: VisitDefinition, later: VisitDefinition) -> str | None:
    """Why `later` (later in the schedule) would fall before `earlier`, when that can be known."""
    if VisitDefinition.VisitType.UNSCHEDULED in (earlier.visit_type, later.visit_type):
        return None
    if earlier.anchor not in ANCHOR_RANK or later.anchor not in ANCHOR_RANK:
        return None
    # Anchors only move forward in time, so a later visit on the same or an earlier anchor
    # with a smaller offset certainly falls before the earlier visit.
    if ANCHOR_RANK[later.anchor] <= ANCHOR_RANK[earlier.anchor] and later.day_offset < earlier.day_offset:
        return (
            f"{_describe(later)} comes after {_describe(earlier)} in the schedule but would fall before it; "
            "fix the day offset or the order."
        )
    return None


def schedule_problems(definitions: Iterable[VisitDefinition]) -> list[tuple[str, str, str]]:
    """Every rule the schedule of a version breaks, as (visit code, field, message)."""
    defs = sorted(definitions, key=lambda d: (d.order is None, d.order or 0))
    problems: list[tuple[str, str, str]] = []
    seen_codes: dict[str, str] = {}
    seen_orders: dict[int, str] = {}
    for d in defs:
        code_key = (d.code or "").strip().upper()
        if code_key in seen_codes:
            problems.append((d.code, "code", f"Visit code “{d.code}” is used twice in this version."))
        seen_codes.setdefault(code_key, d.code)
        if d.order in seen_orders:
            problems.append((d.code, "order", f"{seen_orders[d.order]} already has position {d.order}."))
        seen_orders.setdefault(d.order, d.code)
        for name in ("window_before", "window_after"):
            value = getattr(d, name)
            if value is not None and value < 0:
                problems.append((d.code, name, "A visit window cannot be negative."))
        if d.stipend_amount is not None:
            if Decimal(d.stipend_amount) < 0:
                problems.append((d.code, "stipend_amount", "A stipend cannot be negative."))
            if not d.stipend_currency:
                problems.append((d.code, "stipend_currency", "Give the currency of the stipend (e.g. USD)."))
        if d.stipend_currency and not CURRENCY_RE.match(d.stipend_currency):
            problems.append((d.code, "stipend_currency", "Use a three-letter ISO 4217 code, e.g. USD or EUR."))
    for i, earlier in enumerate(defs):
        for later in defs[i + 1 :]:
            message = _order_conflict(earlier, later)
            if message:
                problems.append((later.code, "day_offset", message))
    return problems


def _check_visit(candidate: VisitDefinition) -> None:
    """Validate one visit against the rest of its version's schedule; errors name the candidate's fields."""
    candidate.code = (candidate.code or "").strip()
    candidate.stipend_currency = (candidate.stipend_currency or "").strip().upper()
    if not candidate.code:
        raise field_error("code", "Give the visit a code, e.g. V1 or SCR.")
    if candidate.order is None:
        raise field_error("order", "Give the visit's position in the schedule.")
    if candidate.day_offset is None:
        raise field_error("day_offset", "Give the day offset from the anchor event.")
    others = list(
        VisitDefinition.objects.filter(protocol_version_id=candidate.protocol_version_id).exclude(pk=candidate.pk)
    )
    # Only problems this candidate introduces are its own (older data may predate a rule).
    baseline = set(schedule_problems(others))
    errors: dict[str, list[str]] = {}
    for _code, field, message in schedule_problems([*others, candidate]):
        if (_code, field, message) not in baseline and message not in errors.get(field, []):
            errors.setdefault(field, []).append(message)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def add_visit_definition(pv: ProtocolVersion, *, actor: Any, reason: str = "", **fields: Any) -> VisitDefinition:
    """Add a visit (a column of the SoA grid) to a version."""
    with acting_as(actor, reason=reason):
        locked = ProtocolVersion.objects.select_for_update().get(pk=pv.pk)
        if fields.get("order") is None:
            top = locked.visit_definitions.aggregate(m=Max("order"))["m"]
            fields["order"] = (top or 0) + 1
        definition = _apply(VisitDefinition(protocol_version=locked), fields, VISIT_FIELDS)
        check_can_write(actor, definition)
        _check_visit(definition)
        _store(definition)
        return definition


@transaction.atomic
def edit_visit_definition(
    definition: VisitDefinition, *, actor: Any, expected_version: int | None, reason: str = "", **changes: Any
) -> VisitDefinition:
    """Change a visit's code, timing, window, type or stipend."""
    with acting_as(actor, reason=reason):
        ProtocolVersion.objects.select_for_update().get(pk=definition.protocol_version_id)
        locked = _lock(VisitDefinition, definition.pk, expected_version)
        check_can_write(actor, locked)
        _apply(locked, changes, VISIT_FIELDS)
        _check_visit(locked)
        _store(locked)
        return locked


@transaction.atomic
def remove_visit_definition(
    definition: VisitDefinition, *, actor: Any, expected_version: int | None = None, reason: str = ""
) -> None:
    """Remove a visit and its ticks; refused once participants' visits were generated from it."""
    with acting_as(actor, reason=reason):
        locked = _lock(VisitDefinition, definition.pk, expected_version)
        check_can_write(actor, locked)
        in_use = locked.visits.count()
        if in_use:
            raise field_error(
                "definition",
                f"Visit {locked.code} cannot be removed: {in_use} participant visit(s) were scheduled from it. "
                "Create an amendment without it instead.",
                code="in_use",
            )
        locked.delete()


# -- procedures and ticks ----------------------------------------------------------------------


def _check_procedure(proc: Procedure) -> None:
    proc.code = (proc.code or "").strip()
    proc.name = (proc.name or "").strip()
    if not proc.code:
        raise field_error("code", "Give the procedure a code, e.g. LAB-CHEM or ECG.")
    if not proc.name:
        raise field_error("name", "Give the procedure a name.")
    if Procedure.objects.filter(study_id=proc.study_id, code__iexact=proc.code).exclude(pk=proc.pk).exists():
        raise field_error("code", f"This study already has a procedure with code “{proc.code}”.")


@transaction.atomic
def add_procedure(study: Study, *, actor: Any, reason: str = "", **fields: Any) -> Procedure:
    """Add a procedure (a row of the SoA grid) to a study."""
    with acting_as(actor, reason=reason):
        proc = _apply(Procedure(study=study), fields, PROCEDURE_FIELDS)
        check_can_write(actor, proc)
        _check_procedure(proc)
        _store(proc)
        return proc


@transaction.atomic
def edit_procedure(
    proc: Procedure, *, actor: Any, expected_version: int | None, reason: str = "", **changes: Any
) -> Procedure:
    with acting_as(actor, reason=reason):
        locked = _lock(Procedure, proc.pk, expected_version)
        check_can_write(actor, locked)
        _apply(locked, changes, PROCEDURE_FIELDS)
        _check_procedure(locked)
        _store(locked)
        return locked


@transaction.atomic
def set_tick(definition: VisitDefinition, procedure: Procedure, *, actor: Any, ticked: bool, reason: str = "") -> bool:
    """Tick (or untick) one cell of the grid; returns whether anything changed."""
    with acting_as(actor, reason=reason):
        ProtocolVersion.objects.select_for_update().get(pk=definition.protocol_version_id)
        definition = VisitDefinition.objects.select_related("protocol_version").get(pk=definition.pk)
        if procedure.study_id != definition.protocol_version.study_id:
            raise field_error("procedure", "This procedure belongs to another study.")
        existing = VisitProcedure.objects.filter(visit_definition=definition, procedure=procedure)
        probe = existing.first() or VisitProcedure(visit_definition=definition, procedure=procedure)
        check_can_write(actor, probe)
        if ticked and probe.pk is None:
            probe.save()
            return True
        if not ticked and probe.pk is not None:
            existing.delete()
            return True
        return False


@transaction.atomic
def save_schedule(
    pv: ProtocolVersion,
    *,
    actor: Any,
    ticks: Iterable[tuple[str, str]],
    expected_version: int | None,
    reason: str = "",
) -> ProtocolVersion:
    """Replace all ticks of a version's grid at once: (visit code, procedure code) pairs.

    All or nothing: one unknown visit or procedure refuses the whole grid. The version's own
    `version` guards the grid against a concurrent edit.
    """
    with acting_as(actor, reason=reason):
        locked = _lock(ProtocolVersion, pv.pk, expected_version)
        check_can_write(actor, locked)
        visits = {d.code: d.pk for d in locked.visit_definitions.all()}
        procedures = {p.code: p.pk for p in Procedure.objects.filter(study_id=locked.study_id)}
        wanted: set[tuple[int, int]] = set()
        for cell in ticks:
            try:
                visit_code, proc_code = cell
            except (TypeError, ValueError) as exc:
                raise field_error("ticks", f"A tick is a (visit code, procedure code) pair, not {cell!r}.") from exc
            if visit_code not in visits:
                raise field_error("ticks", f"Visit “{visit_code}” is not in version {locked.label}; nothing was saved.")
            if proc_code not in procedures:
                raise field_error(
                    "ticks", f"Procedure “{proc_code}” is not a procedure of this study; nothing was saved."
                )
            wanted.add((visits[visit_code], procedures[proc_code]))
        current = {
            (vd, proc): pk
            for pk, vd, proc in VisitProcedure.objects.filter(visit_definition__protocol_version=locked).values_list(
                "pk", "visit_definition_id", "procedure_id"
            )
        }
        gone = [pk for cell, pk in current.items() if cell not in wanted]
        if gone:
            VisitProcedure.objects.filter(pk__in=gone).delete()
        new = [VisitProcedure(visit_definition_id=vd, procedure_id=proc) for vd, proc in sorted(wanted - set(current))]
        if new:
            VisitProcedure.objects.bulk_create(new)
        locked.save()  # bumps the version: the next grid save based on the old one is a conflict
        return locked


# -- eligibility criteria ----------------------------------------------------------------------


def _check_criterion(c: EligibilityCriterion) -> None:
    c.text = (c.text or "").strip()
    if c.kind not in EligibilityCriterion.Kind.values:
        raise field_error("kind", "Choose inclusion or exclusion.")
    if not c.text:
        raise field_error("text", "Give the text of the criterion.")
    if c.number is None or c.number < 1:
        raise field_error("number", "Criteria are numbered from 1.")
    clash = (
        EligibilityCriterion.objects.filter(protocol_version_id=c.protocol_version_id, kind=c.kind, number=c.number)
        .exclude(pk=c.pk)
        .exists()
    )
    if clash:
        raise field_error("number", f"{EligibilityCriterion.Kind(c.kind).label} criterion {c.number} already exists.")


@transaction.atomic
def add_criterion(
    pv: ProtocolVersion, *, actor: Any, kind: str, text: str, number: int | None = None, reason: str = ""
) -> EligibilityCriterion:
    """Add an inclusion/exclusion criterion; without a number it goes after the last of its kind."""
    with acting_as(actor, reason=reason):
        locked = ProtocolVersion.objects.select_for_update().get(pk=pv.pk)
        if number is None:
            top = locked.criteria.filter(kind=kind).aggregate(m=Max("number"))["m"]
            number = (top or 0) + 1
        criterion = EligibilityCriterion(protocol_version=locked, kind=kind, number=number, text=text)
        check_can_write(actor, criterion)
        _check_criterion(criterion)
        _store(criterion)
        return criterion


@transaction.atomic
def edit_criterion(
    criterion: EligibilityCriterion, *, actor: Any, expected_version: int | None, reason: str = "", **changes: Any
) -> EligibilityCriterion:
    with acting_as(actor, reason=reason):
        locked = _lock(EligibilityCriterion, criterion.pk, expected_version)
        check_can_write(actor, locked)
        _apply(locked, changes, CRITERION_FIELDS)
        _check_criterion(locked)
        _store(locked)
        return locked


@transaction.atomic
def remove_criterion(
    criterion: EligibilityCriterion, *, actor: Any, expected_version: int | None = None, reason: str = ""
) -> None:
    """Remove a criterion; refused once participants were assessed against it."""
    from trialsite.participants.models import EligibilityAssessment

    with acting_as(actor, reason=reason):
        locked = _lock(EligibilityCriterion, criterion.pk, expected_version)
        check_can_write(actor, locked)
        if EligibilityAssessment.objects.filter(criterion=locked).exists():
            raise field_error(
                "criterion",
                f"Criterion {locked} cannot be removed: participants were assessed against it. "
                "Create an amendment instead.",
                code="in_use",
            )
        locked.delete()
