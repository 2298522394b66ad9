"""Import a schedule of activities and eligibility criteria from a CDISC USDM (3.x/4.0) JSON file.

Mapping: encounters → visit definitions (code = encounter name, name = label); timings of the
main schedule timeline → day offsets from the fixed reference (Day 1) and windows; activities →
procedures of the study; scheduled activity instances → ticks; eligibility criteria (+ their
criterion items) → numbered inclusion/exclusion criteria. Optional fields may be missing: what
cannot be mapped is listed in the report. All or nothing: any refusal leaves nothing written.
"""

from __future__ import annotations

import datetime
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from trialsite.core import context
from trialsite.core.exceptions import field_error
from trialsite.core.services import check_can_write
from trialsite.protocols.models import (
    EligibilityCriterion,
    Procedure,
    ProtocolVersion,
    VisitDefinition,
    VisitProcedure,
)
from trialsite.protocols.services import _check_version, schedule_problems
from trialsite.studies.models import Study

VT = VisitDefinition.VisitType
DURATION_RE = re.compile(
    r"^(?P<sign>-)?P(?:(?P<y>\d+(?:\.\d+)?)Y)?(?:(?P<mo>\d+(?:\.\d+)?)M)?(?:(?P<w>\d+(?:\.\d+)?)W)?"
    r"(?:(?P<d>\d+(?:\.\d+)?)D)?(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<mi>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)
CATEGORY_WORDS = [
    ("consent", Procedure.Category.CONSENT),
    ("ecg", Procedure.Category.ECG),
    ("vital", Procedure.Category.VITALS),
    ("physical exam", Procedure.Category.EXAM),
    ("x-ray", Procedure.Category.IMAGING),
    ("ct scan", Procedure.Category.IMAGING),
    ("mri", Procedure.Category.IMAGING),
    ("imaging", Procedure.Category.IMAGING),
    ("drug", Procedure.Category.DOSING),
    ("dose", Procedure.Category.DOSING),
    ("dosing", Procedure.Category.DOSING),
    ("hematology", Procedure.Category.LAB),
    ("chemistry", Procedure.Category.LAB),
    ("urin", Procedure.Category.LAB),
    ("specimen", Procedure.Category.LAB),
    ("hemoglobin", Procedure.Category.LAB),
    ("genotyp", Procedure.Category.LAB),
    ("lab", Procedure.Category.LAB),
    ("survey", Procedure.Category.QUESTIONNAIRE),
    ("questionnaire", Procedure.Category.QUESTIONNAIRE),
    ("adas", Procedure.Category.QUESTIONNAIRE),
    ("mmse", Procedure.Category.QUESTIONNAIRE),
    ("cibic", Procedure.Category.QUESTIONNAIRE),
    ("npi", Procedure.Category.QUESTIONNAIRE),
    ("dad", Procedure.Category.QUESTIONNAIRE),
    ("hachinski", Procedure.Category.QUESTIONNAIRE),
]


class UsdmError(ValueError):
    """The file is not a USDM study we can read at all."""


@dataclass
class ImportReport:
    version: ProtocolVersion | None = None
    visits: int = 0
    procedures_created: int = 0
    procedures_reused: int = 0
    ticks: int = 0
    criteria: int = 0
    unmapped: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.visits} visits, {self.procedures_created} new procedures "
            f"({self.procedures_reused} reused), {self.ticks} ticks, {self.criteria} criteria; "
            f"{len(self.unmapped)} item(s) not mapped"
        )


# -- reading helpers ---------------------------------------------------------------------------


def _list(obj: Any, key: str) -> list[dict[str, Any]]:
    value = obj.get(key) if isinstance(obj, dict) else None
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _text(obj: Any, *keys: str) -> str:
    for key in keys:
        value = obj.get(key) if isinstance(obj, dict) else None
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def _decode(obj: Any, key: str) -> str:
    code = obj.get(key) if isinstance(obj, dict) else None
    return _text(code, "decode", "code").lower() if isinstance(code, dict) else ""


def parse_duration(value: Any) -> tuple[int | None, bool]:
    """ISO 8601 duration → (whole days, exact?). Hours round to days; years/months are approximated."""
    if not isinstance(value, str):
        return None, True
    m = DURATION_RE.match(value.strip().upper())
    if not m or value.strip().upper() in ("P", "PT"):
        return None, True
    g = {k: float(v) if v and k != "sign" else 0.0 for k, v in m.groupdict().items()}
    days = g["y"] * 365 + g["mo"] * 30 + g["w"] * 7 + g["d"] + (g["h"] + g["mi"] / 60 + g["s"] / 3600) / 24
    exact = not (g["y"] or g["mo"]) and days == int(days)
    result = round(days)
    return (-result if m.group("sign") else result), exact


def _index(node: Any, into: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every object with an id, for resolving references anywhere in the file."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if isinstance(item.get("id"), str):
                into.setdefault(item["id"], item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return into


def _study_parts(data: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    study = data.get("study") if isinstance(data, dict) else None
    if not isinstance(study, dict):
        raise UsdmError("Not a USDM file: no “study” object at the top.")
    versions = _list(study, "versions")
    if not versions:
        raise UsdmError("The USDM study has no versions.")
    designs = _list(versions[0], "studyDesigns")
    if not designs:
        raise UsdmError("The USDM study version has no study designs.")
    return versions[0], designs[0]


# -- mapping -------------------------------------------------------------------------------------


def _main_timeline(design: dict[str, Any], report: ImportReport) -> dict[str, Any] | None:
    timelines = _list(design, "scheduleTimelines")
    main = next((t for t in timelines if t.get("mainTimeline") is True), timelines[0] if timelines else None)
    for t in timelines:
        if t is not main:
            report.unmapped.append(f"Timeline “{_text(t, 'name', 'id')}” (not the main timeline) was not imported.")
    return main


def _ordered_instances(timeline: dict[str, Any]) -> list[dict[str, Any]]:
    """Instances in schedule order: follow entryId → defaultConditionId, then any left over."""
    instances = _list(timeline, "instances")
    by_id = {i.get("id"): i for i in instances}
    ordered: list[dict[str, Any]] = []
    seen: set[Any] = set()
    current = by_id.get(timeline.get("entryId"))
    while current is not None and current.get("id") not in seen:
        ordered.append(current)
        seen.add(current.get("id"))
        current = by_id.get(current.get("defaultConditionId"))
    ordered.extend(i for i in instances if i.get("id") not in seen)
    return ordered


def _offsets(timeline: dict[str, Any], report: ImportReport) -> tuple[dict[str, int], dict[str, tuple[int, int]]]:
    """Day offset of each instance from the fixed reference, and windows (before, after) in days."""
    timings = _list(timeline, "timings")
    rel: dict[str, tuple[str, int]] = {}
    windows: dict[str, tuple[int, int]] = {}
    anchor_ids: list[str] = []
    for t in timings:
        kind = _decode(t, "type")
        src = t.get("relativeFromScheduledInstanceId")
        dst = t.get("relativeToScheduledInstanceId")
        if not isinstance(src, str):
            report.unmapped.append(f"Timing “{_text(t, 'name', 'id')}” names no instance; ignored.")
            continue
        if "fixed" in kind:
            anchor_ids.append(src)
            continue
        days, exact = parse_duration(t.get("value"))
        if days is None or not isinstance(dst, str):
            report.unmapped.append(f"Timing “{_text(t, 'name', 'id')}” has no readable value; ignored.")
            continue
        if not exact:
            report.unmapped.append(f"Timing “{_text(t, 'name', 'id')}” value {t.get('value')} rounded to {days} days.")
        rel[src] = (dst, -days if "before" in kind else days)
        lower, lo_exact = parse_duration(t.get("windowLower"))
        upper, up_exact = parse_duration(t.get("windowUpper"))
        if lower is not None or upper is not None:
            windows[src] = (abs(lower or 0), abs(upper or 0))
            if not (lo_exact and up_exact):
                report.unmapped.append(f"Window of timing “{_text(t, 'name', 'id')}” rounded to whole days.")
    offsets: dict[str, int] = dict.fromkeys(anchor_ids, 0)

    def resolve(iid: str, depth: int = 0) -> int | None:
        if iid in offsets:
            return offsets[iid]
        if iid not in rel or depth > 100:
            return None
        base = resolve(rel[iid][0], depth + 1)
        if base is None:
            return None
        offsets[iid] = base + rel[iid][1]
        return offsets[iid]

    for iid in list(rel):
        resolve(iid)
    if not anchor_ids and rel:
        report.unmapped.append("No fixed reference timing: offsets are counted from the first reference found.")
        for iid, (dst, _days) in rel.items():
            offsets.setdefault(dst, 0)
            resolve(iid)
    return offsets, windows


def _visit_type(label: str, offset: int | None, is_last: bool) -> str:
    low = label.lower()
    if "unscheduled" in low or "early term" in low:
        return VT.UNSCHEDULED
    if "screen" in low or (offset is not None and offset < 0):
        return VT.SCREENING
    if "end of study" in low or "eos" in low.split() or "end of treatment" in low:
        return VT.END_OF_STUDY
    if "follow" in low:
        return VT.FOLLOW_UP
    return VT.END_OF_STUDY if is_last else VT.TREATMENT


def _code_from(name: str, taken: set[str], limit: int) -> str:
    base = "-".join(re.findall(r"[A-Za-z0-9]+", name)).upper()[:limit] or "X"
    code, n = base, 1
    while code.upper() in taken:
        n += 1
        suffix = f"-{n}"
        code = base[: limit - len(suffix)] + suffix
    taken.add(code.upper())
    return code


def _category(name: str) -> str:
    low = name.lower()
    for word, category in CATEGORY_WORDS:
        if re.search(rf"(?<![a-z]){re.escape(word)}", low):
            return category
    return Procedure.Category.OTHER


def _criterion_text(raw: str, ids: dict[str, dict[str, Any]], maps: dict[str, str], report: ImportReport) -> str:
    def ref(match: re.Match[str]) -> str:
        target = ids.get(match.group("id"), {})
        value = target.get(match.group("attr"))
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, int | float | str) and str(value).strip():
            return str(value).strip()
        return ""

    def tag(match: re.Match[str]) -> str:
        name = match.group(1)
        reference = maps.get(name, "")
        value = REF_RE.sub(ref, reference) if reference else ""
        if not value:
            report.unmapped.append(f"Criterion parameter “{name}” could not be resolved; kept as [{name}].")
            return f"[{name}]"
        return _strip(value)

    text = TAG_RE.sub(tag, raw)
    return _strip(text)


TAG_RE = re.compile(r"<usdm:tag\s+name=\"([^\"]+)\"\s*/?>(?:</usdm:tag>)?")
REF_RE = re.compile(r"<usdm:ref[^>]*\bid=\"(?P<id>[^\"]+)\"[^>]*\battribute=\"(?P<attr>[^\"]+)\"[^>]*>(?:</usdm:ref>)?")


def _strip(text: str) -> str:
    text = re.sub(r"</p>\s*<p>|<br\s*/?>|</li>", "\n", text)
    text = re.sub(r"<[^>]+>", "", text)
    text = html.unescape(text)
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def _criteria(version: dict[str, Any], design: dict[str, Any], report: ImportReport) -> Iterator[tuple[str, str, str]]:
    """(kind, identifier, text) of each criterion the file holds."""
    ids = _index(version, {})
    maps: dict[str, str] = {}
    for dictionary in _list(version, "dictionaries"):
        for pm in _list(dictionary, "parameterMaps"):
            if isinstance(pm.get("tag"), str) and isinstance(pm.get("reference"), str):
                maps[pm["tag"]] = pm["reference"]
    for c in _list(design, "eligibilityCriteria") or _list(version, "eligibilityCriteria"):
        category = _decode(c, "category")
        kind = "exclusion" if "exclu" in category else "inclusion" if "inclu" in category else ""
        ident = _text(c, "identifier", "name", "id")
        if not kind:
            report.unmapped.append(f"Criterion {ident} has no inclusion/exclusion category; skipped.")
            continue
        item = ids.get(c.get("criterionItemId") or "", {})
        raw = _text(item, "text") or _text(c, "text", "label", "description", "name")
        text = _criterion_text(raw, ids, maps, report) if raw else ""
        if not text:
            report.unmapped.append(f"Criterion {ident} has no text; skipped.")
            continue
        yield kind, ident, text


# -- the import ----------------------------------------------------------------------------------


def _default_effective_on(version: dict[str, Any]) -> datetime.date | None:
    dated = []
    for dv in _list(version, "dateValues"):
        try:
            day = datetime.date.fromisoformat(str(dv.get("dateValue", ""))[:10])
        except ValueError:
            continue
        decode = _decode(dv, "type")
        dated.append((0 if "effective" in decode else 1 if "approv" in decode else 2, day))
    return min(dated)[1] if dated else None


@transaction.atomic
def import_usdm(
    data: Any,
    *,
    study: Study,
    actor: Any = None,
    label: str | None = None,
    effective_on: datetime.date | None = None,
) -> ImportReport:
    """Create one protocol version of `study` from a parsed USDM document; all or nothing.

    `actor` is the user importing (scope-checked); None means the system process already named
    in the audit context (a management command).
    """
    ctx = context.current()  # refuses to run with nobody named as the actor
    if actor is not None:
        check_can_write(actor, ProtocolVersion(study=study))
    elif ctx.user is not None:
        actor = ctx.user
        check_can_write(actor, ProtocolVersion(study=study))
    report = ImportReport()
    version, design = _study_parts(data)
    label = (label or f"USDM {_text(version, 'versionIdentifier') or '1'}").strip()[:40]
    effective_on = effective_on or _default_effective_on(version)
    if effective_on is None:
        raise field_error("effective_on", "The file has no usable date; give the effective date.")
    pv = ProtocolVersion(
        study=study,
        label=label,
        effective_on=effective_on,
        notes=f"Imported from USDM: {_text(data['study'], 'name', 'label')}",
    )
    _check_version(pv)
    pv.save()
    report.version = pv

    # Procedures: reuse the study's by code or name.
    existing = list(Procedure.objects.filter(study=study))
    by_name = {p.name.lower(): p for p in existing}
    taken = {p.code.upper() for p in existing}
    procedures: dict[str, Procedure] = {}
    new_procs: list[Procedure] = []
    for act in _list(design, "activities"):
        aid, name = act.get("id"), _text(act, "label", "name")
        if not isinstance(aid, str) or not name:
            report.unmapped.append(f"Activity {aid or '?'} has no name; skipped.")
            continue
        found = by_name.get(name.lower()[:200])
        if found is None:
            found = Procedure(study=study, code=_code_from(name, taken, 30), name=name[:200], category=_category(name))
            new_procs.append(found)
            by_name[name.lower()[:200]] = found
        else:
            report.procedures_reused += 1
        procedures[aid] = found
    Procedure.objects.bulk_create(new_procs)
    report.procedures_created = len(new_procs)

    # Visits: encounters in main-timeline order, offsets and windows from its timings.
    encounters = {e.get("id"): e for e in _list(design, "encounters") if isinstance(e.get("id"), str)}
    timeline = _main_timeline(design, report)
    instances = _ordered_instances(timeline) if timeline else []
    offsets, windows = _offsets(timeline, report) if timeline else ({}, {})
    encounter_order: list[str] = []
    first_instance: dict[str, dict[str, Any]] = {}
    activity_ids: dict[str, list[str]] = {}
    for inst in instances:
        eid = inst.get("encounterId")
        if eid not in encounters:
            if inst.get("timelineId"):
                report.unmapped.append(
                    f"Instance “{_text(inst, 'name', 'id')}” points to a sub-timeline; not imported."
                )
            elif _list(inst, "activityIds") or inst.get("activityIds"):
                report.unmapped.append(
                    f"Instance “{_text(inst, 'name', 'id')}” has no encounter; its activities were not ticked."
                )
            continue
        if eid not in first_instance:
            encounter_order.append(eid)
            first_instance[eid] = inst
        ids = inst.get("activityIds") if isinstance(inst.get("activityIds"), list) else []
        activity_ids.setdefault(eid, []).extend(i for i in ids if isinstance(i, str))
    for eid in encounters:
        if eid not in first_instance:
            encounter_order.append(eid)
            report.unmapped.append(
                f"Encounter “{_text(encounters[eid], 'name', 'id')}” is not in the main timeline; imported as unscheduled."
            )
    definitions: list[VisitDefinition] = []
    codes: set[str] = set()
    for position, eid in enumerate(encounter_order, start=1):
        enc = encounters[eid]
        inst = first_instance.get(eid)
        iid = inst.get("id") if inst else None
        offset = offsets.get(iid) if iid else None
        name = _text(enc, "label", "name", "description") or eid
        code_src = _text(enc, "name") or name
        code = (
            code_src[:20]
            if code_src.upper() not in codes and len(code_src) <= 20
            else _code_from(code_src, set(codes), 20)
        )
        codes.add(code.upper())
        if inst is None:
            vtype = VT.UNSCHEDULED
        else:
            vtype = _visit_type(name, offset, position == len(first_instance))
        if offset is None and inst is not None:
            report.unmapped.append(f"Visit {code}: no timing; day offset set to 0 and imported as unscheduled.")
            vtype = VT.UNSCHEDULED
        before, after = windows.get(iid, (0, 0)) if iid else (0, 0)
        definitions.append(
            VisitDefinition(
                protocol_version=pv,
                code=code,
                name=name[:120],
                order=position,
                visit_type=vtype,
                anchor=VisitDefinition.Anchor.DAY_1,
                day_offset=offset or 0,
                window_before=before,
                window_after=after,
            )
        )
    problems = schedule_problems(definitions)
    if problems:
        raise ValidationError({"schedule": [f"{code}: {message}" for code, _f, message in problems]})
    VisitDefinition.objects.bulk_create(definitions)
    report.visits = len(definitions)

    by_encounter = dict(zip(encounter_order, definitions, strict=True))
    ticks: set[tuple[int, int]] = set()
    for eid, aids in activity_ids.items():
        for aid in aids:
            proc = procedures.get(aid)
            if proc is None:
                report.unmapped.append(f"Activity {aid} scheduled at {by_encounter[eid].code} is unknown; not ticked.")
                continue
            ticks.add((by_encounter[eid].pk, proc.pk))
    VisitProcedure.objects.bulk_create(
        [VisitProcedure(visit_definition_id=v, procedure_id=p) for v, p in sorted(ticks)]
    )
    report.ticks = len(ticks)

    numbers: dict[str, set[int]] = {"inclusion": set(), "exclusion": set()}
    criteria = []
    for kind, ident, text in _criteria(version, design, report):
        digits = re.match(r"\d+", ident.lstrip("IiEeNnXx"))
        number = int(digits.group()) if digits else 0
        if number < 1 or number in numbers[kind]:
            number = max(numbers[kind], default=0) + 1
            report.unmapped.append(f"Criterion {ident}: numbered {number}.")
        numbers[kind].add(number)
        criteria.append(EligibilityCriterion(protocol_version=pv, kind=kind, number=number, text=text))
    EligibilityCriterion.objects.bulk_create(criteria)
    report.criteria = len(criteria)
    return report
