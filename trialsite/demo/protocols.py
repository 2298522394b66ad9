"""Protocol versions with a schedule of activities and eligibility criteria, and ICF versions per study site."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from trialsite.demo import ctgov
from trialsite.participants.models import ConsentFormVersion
from trialsite.protocols.models import EligibilityCriterion, Procedure, ProtocolVersion, VisitDefinition, VisitProcedure
from trialsite.studies.models import Study, StudySite

PROCEDURES = [
    ("ICF", "Informed consent", "consent"),
    ("VS", "Vital signs", "vitals"),
    ("PE", "Physical examination", "exam"),
    ("LAB", "Safety laboratory panel", "lab"),
    ("ECG", "12-lead ECG", "ecg"),
    ("IP", "Study drug dispensing and accountability", "dosing"),
    ("PRO", "Patient-reported outcome questionnaire", "questionnaire"),
    ("IMG", "Imaging assessment", "imaging"),
]
# code, name, type, anchor, day offset, window before, window after, procedure codes
DEMO_SCHEDULE = [
    ("SCR", "Screening", "screening", "consent", 0, 0, 14, ["ICF", "VS", "PE", "LAB", "ECG"]),
    ("D1", "Day 1 / randomization", "treatment", "enrollment", 0, 0, 0, ["VS", "LAB", "IP", "PRO"]),
    ("W2", "Week 2", "treatment", "enrollment", 14, 3, 3, ["VS", "IP"]),
    ("W4", "Week 4", "treatment", "enrollment", 28, 3, 3, ["VS", "LAB", "IP", "PRO"]),
    ("W8", "Week 8", "treatment", "enrollment", 56, 5, 5, ["VS", "LAB", "IP"]),
    ("W12", "Week 12", "treatment", "enrollment", 84, 7, 7, ["VS", "LAB", "ECG", "IP", "PRO", "IMG"]),
    ("W16", "Week 16", "treatment", "enrollment", 112, 7, 7, ["VS", "IP"]),
    ("W24", "Week 24", "treatment", "enrollment", 168, 7, 7, ["VS", "LAB", "IP", "PRO"]),
    ("EOT", "End of treatment", "end_of_study", "enrollment", 196, 14, 14, ["VS", "PE", "LAB", "ECG", "PRO", "IMG"]),
    ("FU", "Safety follow-up", "follow_up", "enrollment", 224, 14, 14, ["VS", "PRO"]),
]
GENERIC_INCLUSION = [
    "Age 18 years or older at the time of consent.",
    "Diagnosis of {condition} documented in the medical record.",
    "Able and willing to give written informed consent and to follow the visit schedule.",
    "Adequate organ function per protocol-defined laboratory values.",
]
GENERIC_EXCLUSION = [
    "Pregnant or breastfeeding, or planning pregnancy during the study.",
    "Participation in another interventional study within 30 days before screening.",
    "Severe renal impairment (eGFR below 30 mL/min/1.73 m²).",
    "Any condition that in the investigator's opinion makes participation unsafe.",
]
STIPEND = {"USD": "75.00", "EUR": "60.00", "GBP": "50.00", "PLN": "250.00"}


def long_schedule(n_visits: int) -> list[tuple]:
    """A long-running schedule (screening, day 1, then every 4 weeks) for the large network."""
    rows = [DEMO_SCHEDULE[0], DEMO_SCHEDULE[1]]
    for i in range(1, n_visits - 1):
        code = f"M{i:02d}" if i < n_visits - 2 else "EOS"
        vtype = "treatment" if code != "EOS" else "end_of_study"
        rows.append(
            (code, f"Month {i}" if code != "EOS" else "End of study", vtype, "enrollment", 28 * i, 7, 7, ["VS"])
        )
    return rows


@dataclass
class Schedule:
    """One protocol version as the participant generator needs it."""

    version: ProtocolVersion
    consent_defs: list[VisitDefinition] = field(default_factory=list)
    enrollment_defs: list[VisitDefinition] = field(default_factory=list)
    criteria: list[EligibilityCriterion] = field(default_factory=list)
    procedures: dict[int, list[str]] = field(default_factory=dict)  # definition id -> procedure codes

    @property
    def last_offset(self) -> int:
        return max((d.day_offset + d.window_after for d in self.enrollment_defs), default=0)


def ensure_protocols(
    studies: Iterable[Study],
    today: datetime.date,
    *,
    schedule: list[tuple] | None = None,
    amend_every: int = 3,
    criteria_per_kind: int = 8,
) -> dict[int, list[Schedule]]:
    """Protocol versions of each study (v1.0, and an amendment on every `amend_every`-th study); idempotent."""
    schedule = schedule or DEMO_SCHEDULE
    studies = list(studies)
    record = ctgov.load()
    existing = set(ProtocolVersion.objects.filter(study__in=studies).values_list("study_id", flat=True))
    todo = [s for s in studies if s.pk not in existing]
    versions: list[ProtocolVersion] = []
    procs: list[Procedure] = []
    for i, study in enumerate(todo):
        v1_on = study.planned_start or (today - datetime.timedelta(days=365))
        versions.append(ProtocolVersion(study=study, label="1.0", effective_on=v1_on, notes="Original protocol"))
        if amend_every and i % amend_every == 0:
            amended = max(v1_on + datetime.timedelta(days=30), today - datetime.timedelta(days=120))
            versions.append(
                ProtocolVersion(
                    study=study, label="2.0", effective_on=amended, notes="Amendment 1: extra safety ECG at week 8"
                )
            )
        procs += [Procedure(study=study, code=c, name=n, category=k) for c, n, k in PROCEDURES]
    ProtocolVersion.objects.bulk_create(versions, batch_size=2000)
    Procedure.objects.bulk_create(procs, batch_size=2000)
    proc_ids = {(p.study_id, p.code): p.pk for p in procs}
    defs: list[VisitDefinition] = []
    crits: list[EligibilityCriterion] = []
    for v in versions:
        for order, (code, name, vtype, anchor, offset, before, after, _codes) in enumerate(schedule, start=1):
            defs.append(
                VisitDefinition(
                    protocol_version=v,
                    code=code,
                    name=name,
                    order=order,
                    visit_type=vtype,
                    anchor=anchor,
                    day_offset=offset,
                    window_before=before,
                    window_after=after,
                    stipend_amount=STIPEND["USD"] if vtype != "screening" else None,
                    stipend_currency="USD" if vtype != "screening" else "",
                )
            )
        crits += _criteria(v, record, criteria_per_kind)
    VisitDefinition.objects.bulk_create(defs, batch_size=2000)
    EligibilityCriterion.objects.bulk_create(crits, batch_size=2000)
    by_code = {row[0]: row[7] for row in schedule}
    links = []
    for d in defs:
        codes = list(by_code[d.code])
        if d.code == "W8" and d.protocol_version.label == "2.0":
            codes.append("ECG")
        links += [
            VisitProcedure(visit_definition=d, procedure_id=proc_ids[(d.protocol_version.study_id, c)]) for c in codes
        ]
    VisitProcedure.objects.bulk_create(links, batch_size=5000)
    return load_schedules(studies)


def _criteria(
    version: ProtocolVersion, record: ctgov.RegistryStudy | None, per_kind: int
) -> list[EligibilityCriterion]:
    study = version.study
    if record is not None and study.registry_id == record.nct_id and record.inclusion:
        inclusion, exclusion = record.inclusion[:per_kind], record.exclusion[:per_kind]
    else:
        condition = (study.conditions or ["the studied condition"])[0]
        inclusion = [t.format(condition=condition.lower()) for t in GENERIC_INCLUSION][:per_kind]
        exclusion = GENERIC_EXCLUSION[:per_kind]
    rows = [
        EligibilityCriterion(protocol_version=version, kind="inclusion", number=n, text=t)
        for n, t in enumerate(inclusion, 1)
    ]
    rows += [
        EligibilityCriterion(protocol_version=version, kind="exclusion", number=n, text=t)
        for n, t in enumerate(exclusion, 1)
    ]
    return rows


def load_schedules(studies: Iterable[Study]) -> dict[int, list[Schedule]]:
    """Every study's versions (oldest first) with definitions, criteria and procedure codes: four queries."""
    ids = [s.pk for s in studies]
    out: dict[int, list[Schedule]] = defaultdict(list)
    by_pk: dict[int, Schedule] = {}
    for v in ProtocolVersion.objects.filter(study_id__in=ids).order_by("study_id", "effective_on", "pk"):
        by_pk[v.pk] = Schedule(version=v)
        out[v.study_id].append(by_pk[v.pk])
    for d in VisitDefinition.objects.filter(protocol_version_id__in=by_pk).order_by("protocol_version_id", "order"):
        sched = by_pk[d.protocol_version_id]
        (sched.consent_defs if d.anchor == "consent" else sched.enrollment_defs).append(d)
    for c in EligibilityCriterion.objects.filter(protocol_version_id__in=by_pk).order_by("kind", "number"):
        by_pk[c.protocol_version_id].criteria.append(c)
    codes: dict[int, list[str]] = defaultdict(list)
    for def_id, code in VisitProcedure.objects.filter(visit_definition__protocol_version_id__in=by_pk).values_list(
        "visit_definition_id", "procedure__code"
    ):
        codes[def_id].append(code)
    for sched in by_pk.values():
        sched.procedures = {d.pk: codes[d.pk] for d in sched.consent_defs + sched.enrollment_defs}
    return dict(out)


def ensure_icfs(study_sites: Iterable[StudySite], today: datetime.date) -> dict[int, list[ConsentFormVersion]]:
    """ICF 1.0 from activation; sites enrolling for over 200 days also have 2.0 (1.0 retired then)."""
    study_sites = [ss for ss in study_sites if ss.activated_on]
    have = set(ConsentFormVersion.objects.filter(study_site__in=study_sites).values_list("study_site_id", flat=True))
    rows = []
    for ss in study_sites:
        if ss.pk in have:
            continue
        v1_on = ss.activated_on - datetime.timedelta(days=7)
        end = ss.closed_on or today
        v2_on = ss.activated_on + datetime.timedelta(days=(end - ss.activated_on).days // 2)
        two = (end - ss.activated_on).days > 200
        rows.append(
            ConsentFormVersion(
                study_site=ss,
                label="1.0",
                irb_approved_on=v1_on - datetime.timedelta(days=14),
                effective_on=v1_on,
                retired_on=v2_on if two else None,
            )
        )
        if two:
            rows.append(
                ConsentFormVersion(
                    study_site=ss, label="2.0", irb_approved_on=v2_on - datetime.timedelta(days=10), effective_on=v2_on
                )
            )
    ConsentFormVersion.objects.bulk_create(rows, batch_size=2000)
    out: dict[int, list[ConsentFormVersion]] = defaultdict(list)
    for icf in ConsentFormVersion.objects.filter(study_site__in=study_sites).order_by("study_site_id", "effective_on"):
        out[icf.study_site_id].append(icf)
    return dict(out)
