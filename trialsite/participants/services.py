"""The participant funnel, step by step: every state change of a participant happens here.

Each action is one atomic function with a keyword-only `actor`; it checks the actor's write
scope, the participant's stage (the state machine below) and the domain rules, and refuses an
illegal step with a ValidationError naming the field and saying what is missing.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from trialsite.core.context import acting_as
from trialsite.core.exceptions import ConflictError, field_error
from trialsite.core.services import check_can_write
from trialsite.participants.models import (
    Consent,
    ConsentFormVersion,
    ContactAttempt,
    EligibilityAssessment,
    Participant,
)
from trialsite.protocols.models import EligibilityCriterion, ProtocolVersion
from trialsite.protocols.selectors import version_in_force
from trialsite.staff.models import Assignment, Person
from trialsite.studies.models import StudySite

S = Participant.Stage
# The state machine: which stages each step may start from.
STEP_FROM: dict[str, set[str]] = {
    "pre_screen": {S.PROSPECT},
    "consent": {S.PRE_SCREENED},
    "reconsent": {S.SCREENING, S.ENROLLED},
    "eligibility": {S.SCREENING},
    "screen_fail": {S.SCREENING},
    "enroll": {S.SCREENING},
    "day_1": {S.ENROLLED},
    "complete": {S.ENROLLED},
    "withdraw": {S.SCREENING, S.ENROLLED},
    "lost_to_follow_up": {S.ENROLLED},
    "contact": {S.PROSPECT, S.PRE_SCREENED, S.SCREENING, S.ENROLLED},
}
ON_STUDY = (S.SCREENING, S.ENROLLED)
FINAL = (S.PRE_SCREEN_FAILED, S.SCREEN_FAILED, S.COMPLETED, S.WITHDRAWN, S.LOST_TO_FOLLOW_UP)
PROSPECT_FIELDS = (
    "first_name",
    "last_name",
    "birth_date",
    "sex",
    "phone",
    "email",
    "medical_record_number",
    "referral_channel",
    "referral_source",
    "campaign",
    "referred_on",
)


# -- helpers -------------------------------------------------------------------------------------
def site_today(study_site: StudySite) -> datetime.date:
    """Today at the site (dates are the site's calendar days)."""
    return timezone.localdate(timezone=study_site.site.tz)


def local_date(study_site: StudySite, at: datetime.datetime) -> datetime.date:
    return timezone.localtime(at, study_site.site.tz).date() if timezone.is_aware(at) else at.date()


def _lock(participant: Participant, actor: Any, expected_version: int | None) -> Participant:
    """Re-read the participant under a row lock, check scope and the version the caller saw."""
    locked = (
        Participant.objects.select_for_update()
        .select_related("study_site__site", "study_site__study")
        .get(pk=participant.pk)
    )
    check_can_write(actor, locked)
    if expected_version is not None and expected_version != locked.version:
        raise ConflictError()
    return locked


def _require_stage(p: Participant, step: str, what: str) -> None:
    if p.stage not in STEP_FROM[step]:
        allowed = " or ".join(str(S(s).label) for s in sorted(STEP_FROM[step]))
        raise field_error(
            "stage",
            f"Cannot {what}: the participant is {S(p.stage).label}; this step needs a participant who is {allowed}.",
            code="invalid_transition",
        )


def _not_future(study_site: StudySite, day: datetime.date, field: str) -> None:
    if day > site_today(study_site):
        raise field_error(field, "This date is in the future at the site.")


def _require_assigned(person: Person | None, study_site: StudySite, day: datetime.date, field: str, task: str) -> None:
    """Study tasks only by people on the study team at that date (P5).

    The delegation (DOA) and training modules do not exist yet, so a current staff.Assignment to
    the study at the site is what is checked.
    """
    if person is None:
        raise field_error(field, f"Name the person who {task}.")
    ok = (
        Assignment.objects.filter(person=person, study_site=study_site, starts_on__lte=day)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day))
        .exists()
    )
    if not ok:
        raise field_error(
            field,
            f"{person} is not assigned to {study_site} on {day:%Y-%m-%d}, so may not have {task} "
            "(a current study assignment is required; delegation and training are not checked yet).",
            code="not_assigned",
        )


def _generate_visits(participant: Participant, anchor: str, anchor_date: datetime.date, actor: Any) -> list:
    """Hand the anchor event to the visits module, inside this transaction."""
    from trialsite.visits import services as visit_services  # lazy: visits imports participants

    return visit_services.generate_visits(participant, anchor=anchor, anchor_date=anchor_date, actor=actor)


def icf_in_force(study_site: StudySite, day: datetime.date, language: str = "en") -> ConsentFormVersion | None:
    """The ICF version in force on `day`: the latest one effective by then, unless it is retired.

    A newer effective version supersedes the older ones; superseded versions are never in force again.
    """
    latest = (
        ConsentFormVersion.objects.filter(study_site=study_site, language=language, effective_on__lte=day)
        .order_by("-effective_on", "-pk")
        .first()
    )
    if latest is None or (latest.retired_on is not None and latest.retired_on <= day):
        return None
    return latest


def protocol_in_force(study_site: StudySite, day: datetime.date) -> ProtocolVersion | None:
    return version_in_force(study_site.study_id, day)


def checklist(participant: Participant, day: datetime.date | None = None) -> list[EligibilityCriterion]:
    """The eligibility criteria the participant is assessed against: those of the protocol version in force."""
    day = day or site_today(participant.study_site)
    pv = protocol_in_force(participant.study_site, day)
    if pv is None:
        return []
    return list(pv.criteria.order_by("-kind", "number"))  # inclusion first


def latest_consent(participant: Participant) -> Consent | None:
    return (
        Consent.objects.filter(participant=participant)
        .select_related("form_version")
        .order_by("-form_version__effective_on", "-consented_at", "-pk")
        .first()
    )


# -- prospects -------------------------------------------------------------------------------
@transaction.atomic
def create_prospect(*, actor: Any, study_site: StudySite, reason: str = "", **fields: Any) -> Participant:
    """A referral becomes a prospect at a study site."""
    unknown = set(fields) - set(PROSPECT_FIELDS)
    if unknown:
        raise field_error(sorted(unknown)[0], "Not a prospect field.")
    with acting_as(actor, reason=reason):
        p = Participant(study_site=study_site, **fields)
        check_can_write(actor, p)
        p.full_clean()
        if p.referred_on > site_today(study_site):
            raise field_error("referred_on", "The referral date is in the future at the site.")
        p._audit_event = "participant.prospect"
        p.save()
        p._audit_event = ""
        return p


@transaction.atomic
def update_prospect(
    participant: Participant, *, actor: Any, expected_version: int | None = None, reason: str = "", **fields: Any
) -> Participant:
    """Correct identity or referral details (never the stage: that moves only through the steps)."""
    unknown = set(fields) - set(PROSPECT_FIELDS)
    if unknown:
        raise field_error(sorted(unknown)[0], "This field cannot be edited here.")
    with acting_as(actor, reason=reason):
        p = _lock(participant, actor, expected_version)
        for key, value in fields.items():
            setattr(p, key, value)
        p.full_clean()
        p.save_with_reason(reason, event="participant.edit")
        return p


@transaction.atomic
def log_contact_attempt(
    participant: Participant,
    *,
    actor: Any,
    at: datetime.datetime,
    method: str,
    outcome: str,
    notes: str = "",
) -> ContactAttempt:
    """Record a call, message or meeting with a prospect (speed-to-first-contact starts here)."""
    with acting_as(actor):
        p = _lock(participant, actor, None)
        _require_stage(p, "contact", "log a contact attempt")
        if at is None:
            raise field_error("at", "Give the date and time of the attempt.")
        if at > timezone.now() + datetime.timedelta(minutes=5):
            raise field_error("at", "The contact attempt is in the future.")
        if local_date(p.study_site, at) < p.referred_on:
            raise field_error("at", f"The attempt is before the referral ({p.referred_on:%Y-%m-%d}).")
        attempt = ContactAttempt(participant=p, at=at, method=method, outcome=outcome, notes=notes, by=actor)
        attempt.full_clean(exclude=["participant", "by"])
        attempt._audit_event = "participant.contact"
        attempt.save()
        return attempt


@transaction.atomic
def record_pre_screen(
    participant: Participant,
    *,
    actor: Any,
    passed: bool,
    reason: str = "",
    on: datetime.date | None = None,
    expected_version: int | None = None,
) -> Participant:
    """Chart review / phone questions before consent: passed, or failed with a reason."""
    with acting_as(actor, reason=reason):
        p = _lock(participant, actor, expected_version)
        _require_stage(p, "pre_screen", "record a pre-screen")
        day = on or site_today(p.study_site)
        _not_future(p.study_site, day, "on")
        if day < p.referred_on:
            raise field_error("on", f"The pre-screen is before the referral ({p.referred_on:%Y-%m-%d}).")
        if not passed and not reason.strip():
            raise field_error("reason", "Say why the prospect failed the pre-screen.")
        p.stage = S.PRE_SCREENED if passed else S.PRE_SCREEN_FAILED
        p.pre_screened_on = day
        p.pre_screen_outcome_reason = reason.strip()
        p.save_with_reason(reason, event="participant.pre_screen")
        return p


# -- consent forms ---------------------------------------------------------------------------
@transaction.atomic
def add_icf_version(
    *,
    actor: Any,
    study_site: StudySite,
    label: str,
    irb_approved_on: datetime.date,
    effective_on: datetime.date,
    language: str = "en",
    reason: str = "",
) -> ConsentFormVersion:
    """Register an IRB-approved ICF version; from `effective_on` it supersedes the previous one."""
    with acting_as(actor, reason=reason):
        v = ConsentFormVersion(
            study_site=study_site,
            label=label,
            language=language,
            irb_approved_on=irb_approved_on,
            effective_on=effective_on,
        )
        check_can_write(actor, v)
        v.full_clean()
        if effective_on < irb_approved_on:
            raise field_error("effective_on", "An ICF cannot come into force before its IRB approval.")
        if ConsentFormVersion.objects.filter(
            study_site=study_site, language=language, effective_on=effective_on
        ).exists():
            raise field_error("effective_on", "Another version in this language comes into force on the same day.")
        v._audit_event = "icf.add"
        v.save()
        return v


@transaction.atomic
def retire_icf_version(
    version: ConsentFormVersion,
    *,
    actor: Any,
    on: datetime.date,
    reason: str = "",
    expected_version: int | None = None,
) -> ConsentFormVersion:
    """Take an ICF version out of force from `on` (e.g. IRB approval withdrawn)."""
    with acting_as(actor, reason=reason):
        v = ConsentFormVersion.objects.select_for_update().select_related("study_site").get(pk=version.pk)
        check_can_write(actor, v)
        if expected_version is not None and expected_version != v.version:
            raise ConflictError()
        if v.retired_on is not None:
            raise field_error("retired_on", f"This version is already retired from {v.retired_on:%Y-%m-%d}.")
        if on is None:
            raise field_error("retired_on", "Give the date the version stops being in force.")
        if on < v.effective_on:
            raise field_error("retired_on", "A version cannot be retired before it comes into force.")
        if not reason.strip():
            raise field_error("reason", "Say why the version is retired.")
        v.retired_on = on
        v.save_with_reason(reason, event="icf.retire")
        return v


# -- consent and screening -------------------------------------------------------------------
@transaction.atomic
def record_consent(
    participant: Participant,
    *,
    actor: Any,
    form_version: ConsentFormVersion,
    consented_at: datetime.datetime,
    obtained_by: Person | None,
    screening_number: str = "",
    expected_version: int | None = None,
    reason: str = "",
) -> Consent:
    """Record a signed consent: first consent starts screening; on study, it is a re-consent."""
    with acting_as(actor, reason=reason):
        p = _lock(participant, actor, expected_version)
        reconsent = p.stage in STEP_FROM["reconsent"]
        if p.stage == S.WITHDRAWN:
            raise field_error("stage", "The participant has withdrawn; no further consent can be recorded.")
        if not reconsent:
            _require_stage(p, "consent", "record consent")
        if form_version is None or form_version.study_site_id != p.study_site_id:
            raise field_error("form_version", "Choose an ICF version of this study at this site.")
        if consented_at is None:
            raise field_error("consented_at", "Give the date and time of consent.")
        if consented_at > timezone.now() + datetime.timedelta(minutes=5):
            raise field_error("consented_at", "The consent time is in the future.")
        day = local_date(p.study_site, consented_at)
        if p.pre_screened_on and day < p.pre_screened_on:
            raise field_error("consented_at", f"Consent is before the pre-screen ({p.pre_screened_on:%Y-%m-%d}).")
        in_force = icf_in_force(p.study_site, day, form_version.language)
        if in_force is None or in_force.pk != form_version.pk:
            now_label = f"ICF {in_force.label}" if in_force else "no version"
            raise field_error(
                "form_version",
                f"ICF {form_version.label} is not in force on {day:%Y-%m-%d} ({now_label} is in force then).",
                code="icf_not_in_force",
            )
        _require_assigned(obtained_by, p.study_site, day, "obtained_by", "obtained consent")
        if reconsent:
            current = latest_consent(p)
            if current is not None and current.form_version_id == form_version.pk:
                raise field_error("form_version", f"The participant already consented on ICF {form_version.label}.")
            if current is not None and consented_at < current.consented_at:
                raise field_error("consented_at", "A re-consent cannot be earlier than the previous consent.")
        else:
            screening_number = (screening_number or "").strip()
            if not screening_number:
                raise field_error("screening_number", "Give the screening number issued at consent.")
            if (
                Participant.objects.filter(study_site=p.study_site, screening_number=screening_number)
                .exclude(pk=p.pk)
                .exists()
            ):
                raise field_error("screening_number", "This screening number is already used at this study site.")
        consent = Consent(
            participant=p,
            form_version=form_version,
            consented_at=consented_at,
            obtained_by=obtained_by,
            is_reconsent=reconsent,
        )
        consent._audit_event = "participant.reconsent" if reconsent else "participant.consent"
        consent.save()
        if not reconsent:
            p.stage = S.SCREENING
            p.screening_number = screening_number
            try:
                with transaction.atomic():
                    p.save_with_reason(reason, event="participant.consent")
            except IntegrityError as exc:  # a concurrent consent took the number first
                raise field_error(
                    "screening_number", "This screening number is already used at this study site."
                ) from exc
            _generate_visits(p, "consent", day, actor)
        return consent


@transaction.atomic
def record_eligibility(
    participant: Participant,
    *,
    actor: Any,
    answers: Mapping[int, str],
    assessed_by: Person | None,
    assessed_at: datetime.datetime | None = None,
    notes: Mapping[int, str] | None = None,
) -> list[EligibilityAssessment]:
    """Answer criteria of the checklist (met / not met / not applicable); a later answer replaces an earlier one."""
    with acting_as(actor):
        p = _lock(participant, actor, None)
        _require_stage(p, "eligibility", "record eligibility")
        assessed_at = assessed_at or timezone.now()
        if assessed_at > timezone.now() + datetime.timedelta(minutes=5):
            raise field_error("assessed_at", "The assessment time is in the future.")
        day = local_date(p.study_site, assessed_at)
        _require_assigned(assessed_by, p.study_site, day, "assessed_by", "assessed eligibility")
        if not answers:
            raise field_error("answers", "Answer at least one criterion.")
        criteria = {c.pk: c for c in checklist(p, day)}
        if not criteria:
            raise field_error("answers", "The protocol version in force has no eligibility criteria.")
        valid = set(EligibilityAssessment.Answer.values)
        notes = notes or {}
        existing = {a.criterion_id: a for a in EligibilityAssessment.objects.filter(participant=p)}
        saved = []
        for crit_id, answer in answers.items():
            if crit_id not in criteria:
                raise field_error("answers", f"Criterion {crit_id} is not on this participant's checklist.")
            if answer not in valid:
                raise field_error("answers", f"{criteria[crit_id]}: answer met, not_met or na (got “{answer}”).")
            row = existing.get(crit_id) or EligibilityAssessment(participant=p, criterion=criteria[crit_id])
            if row.pk and row.answer == answer and row.note == notes.get(crit_id, row.note):
                saved.append(row)
                continue
            row.answer = answer
            row.assessed_by = assessed_by
            row.assessed_at = assessed_at
            row.note = (notes.get(crit_id) or "")[:300]
            row._audit_event = "participant.eligibility"
            row.save()
            saved.append(row)
        return saved


def eligibility_gaps(participant: Participant, day: datetime.date) -> list[str]:
    """What stands between the participant and enrollment, in words (empty when eligible)."""
    criteria = checklist(participant, day)
    if not criteria:
        return ["no eligibility criteria in the protocol version in force"]
    answers = {a.criterion_id: a.answer for a in EligibilityAssessment.objects.filter(participant=participant)}
    A = EligibilityAssessment.Answer
    unanswered = [str(c) for c in criteria if c.pk not in answers]
    inclusion_not_met = [str(c) for c in criteria if c.kind == c.Kind.INCLUSION and answers.get(c.pk) == A.NOT_MET]
    exclusion_met = [str(c) for c in criteria if c.kind == c.Kind.EXCLUSION and answers.get(c.pk) == A.MET]
    gaps = []
    if unanswered:
        gaps.append("criteria not answered: " + ", ".join(unanswered))
    if inclusion_not_met:
        gaps.append("inclusion criteria not met: " + ", ".join(inclusion_not_met))
    if exclusion_met:
        gaps.append("exclusion criteria met: " + ", ".join(exclusion_met))
    return gaps


@transaction.atomic
def screen_fail(
    participant: Participant,
    *,
    actor: Any,
    reason: str,
    on: datetime.date | None = None,
    expected_version: int | None = None,
) -> Participant:
    """A consented participant found not eligible: screen failure, with the reason."""
    with acting_as(actor, reason=reason):
        p = _lock(participant, actor, expected_version)
        _require_stage(p, "screen_fail", "record a screen failure")
        if not (reason or "").strip():
            raise field_error("reason", "Say why the participant failed screening.")
        day = on or site_today(p.study_site)
        _not_future(p.study_site, day, "on")
        p.stage = S.SCREEN_FAILED
        p.screen_fail_reason = reason.strip()
        p.ended_on = day
        p.save_with_reason(reason, event="participant.screen_fail")
        return p


@transaction.atomic
def enroll(
    participant: Participant,
    *,
    actor: Any,
    subject_id: str,
    enrolled_on: datetime.date,
    arm: str = "",
    expected_version: int | None = None,
    reason: str = "",
) -> Participant:
    """Enroll (randomize): needs consent on the ICF in force and a complete, passing checklist."""
    with acting_as(actor, reason=reason):
        p = _lock(participant, actor, expected_version)
        _require_stage(p, "enroll", "enroll")
        subject_id = (subject_id or "").strip()
        if not subject_id:
            raise field_error("subject_id", "Give the subject ID.")
        if enrolled_on is None:
            raise field_error("enrolled_on", "Give the enrollment / randomization date.")
        _not_future(p.study_site, enrolled_on, "enrolled_on")
        current = latest_consent(p)
        in_force = icf_in_force(p.study_site, enrolled_on, current.form_version.language if current else "en")
        if current is None or in_force is None or current.form_version_id != in_force.pk:
            detail = f" (in force: ICF {in_force.label})" if in_force else " (no ICF version is in force)"
            raise field_error(
                "consent", f"No consent on the ICF version in force on {enrolled_on:%Y-%m-%d}{detail}.", "no_consent"
            )
        if enrolled_on < local_date(p.study_site, current.consented_at):
            raise field_error("enrolled_on", "Enrollment cannot be before consent.")
        gaps = eligibility_gaps(p, enrolled_on)
        if gaps:
            raise field_error("eligibility", "Not eligible yet: " + "; ".join(gaps) + ".", "not_eligible")
        if Participant.objects.filter(study_site=p.study_site, subject_id=subject_id).exclude(pk=p.pk).exists():
            raise field_error("subject_id", "This subject ID is already used at this study site.")
        p.stage = S.ENROLLED
        p.subject_id = subject_id
        p.enrolled_on = enrolled_on
        p.arm = (arm or "").strip()
        try:
            with transaction.atomic():
                p.save_with_reason(reason, event="participant.enroll")
        except IntegrityError as exc:
            raise field_error("subject_id", "This subject ID is already used at this study site.") from exc
        _generate_visits(p, "enrollment", enrolled_on, actor)
        return p


@transaction.atomic
def set_day_1(
    participant: Participant, *, actor: Any, on: datetime.date, expected_version: int | None = None
) -> Participant:
    """Day 1 (first dose): the anchor of the treatment schedule."""
    with acting_as(actor):
        p = _lock(participant, actor, expected_version)
        _require_stage(p, "day_1", "set day 1")
        if p.day_1_on is not None:
            raise field_error("day_1_on", f"Day 1 is already set ({p.day_1_on:%Y-%m-%d}).")
        if on is None:
            raise field_error("day_1_on", "Give the date of day 1.")
        if p.enrolled_on and on < p.enrolled_on:
            raise field_error("day_1_on", "Day 1 cannot be before enrollment.")
        _not_future(p.study_site, on, "day_1_on")
        p.day_1_on = on
        p.save_with_reason("", event="participant.day_1")
        _generate_visits(p, "day_1", on, actor)
        return p


def _end(
    participant: Participant,
    *,
    actor: Any,
    step: str,
    stage: str,
    what: str,
    on: datetime.date | None,
    reason: str,
    reason_required: bool,
    expected_version: int | None,
) -> Participant:
    with acting_as(actor, reason=reason):
        p = _lock(participant, actor, expected_version)
        _require_stage(p, step, what)
        if reason_required and not (reason or "").strip():
            raise field_error("reason", f"Say why ({what}).")
        day = on or site_today(p.study_site)
        _not_future(p.study_site, day, "on")
        start = p.enrolled_on or p.pre_screened_on or p.referred_on
        if day < start:
            raise field_error("on", f"The date is before {start:%Y-%m-%d}.")
        p.stage = stage
        p.ended_on = day
        p.end_reason = (reason or "").strip()
        p.save_with_reason(reason, event=f"participant.{step}")
        return p


@transaction.atomic
def complete(
    participant: Participant,
    *,
    actor: Any,
    on: datetime.date | None = None,
    expected_version: int | None = None,
) -> Participant:
    """The participant finished the study."""
    return _end(
        participant,
        actor=actor,
        step="complete",
        stage=S.COMPLETED,
        what="complete the study",
        on=on,
        reason="",
        reason_required=False,
        expected_version=expected_version,
    )


@transaction.atomic
def withdraw(
    participant: Participant,
    *,
    actor: Any,
    reason: str,
    on: datetime.date | None = None,
    expected_version: int | None = None,
) -> Participant:
    """The participant withdrew (or was withdrawn); the reason is required."""
    return _end(
        participant,
        actor=actor,
        step="withdraw",
        stage=S.WITHDRAWN,
        what="withdraw",
        on=on,
        reason=reason,
        reason_required=True,
        expected_version=expected_version,
    )


@transaction.atomic
def lost_to_follow_up(
    participant: Participant,
    *,
    actor: Any,
    reason: str = "",
    on: datetime.date | None = None,
    expected_version: int | None = None,
) -> Participant:
    """The participant cannot be reached any more."""
    return _end(
        participant,
        actor=actor,
        step="lost_to_follow_up",
        stage=S.LOST_TO_FOLLOW_UP,
        what="mark lost to follow-up",
        on=on,
        reason=reason,
        reason_required=False,
        expected_version=expected_version,
    )


def allowed_steps(participant: Participant) -> list[str]:
    """Steps the state machine allows now (the UI shows these as buttons)."""
    steps = [s for s, stages in STEP_FROM.items() if participant.stage in stages and s != "reconsent"]
    if participant.stage in STEP_FROM["reconsent"]:
        steps.append("consent")
    if participant.day_1_on is not None and "day_1" in steps:
        steps.remove("day_1")
    return steps


# -- queries ---------------------------------------------------------------------------------
def reconsent_due(participants: QuerySet[Participant], on: datetime.date | None = None) -> QuerySet[Participant]:
    """Participants on study whose last consent is on an ICF version since superseded by one in force.

    Pass a queryset already scoped with `visible_to`; `on` defaults to today (UTC date).
    """
    day = on or timezone.localdate()
    latest = Consent.objects.filter(participant=OuterRef("pk")).order_by(
        "-form_version__effective_on", "-consented_at", "-pk"
    )
    newer = ConsentFormVersion.objects.filter(
        study_site=OuterRef("study_site"),
        language=OuterRef("consent_language"),
        effective_on__gt=OuterRef("consent_effective_on"),
        effective_on__lte=day,
    ).filter(Q(retired_on__isnull=True) | Q(retired_on__gt=day))
    return (
        participants.filter(stage__in=ON_STUDY)
        .annotate(
            consent_effective_on=Subquery(latest.values("form_version__effective_on")[:1]),
            consent_language=Subquery(latest.values("form_version__language")[:1]),
            consent_label=Subquery(latest.values("form_version__label")[:1]),
        )
        .filter(Exists(newer))
    )


def awaiting_first_contact(participants: QuerySet[Participant]) -> QuerySet[Participant]:
    """Prospects nobody has tried to contact yet, oldest referral first."""
    return (
        participants.filter(stage=S.PROSPECT)
        .filter(~Exists(ContactAttempt.objects.filter(participant=OuterRef("pk"))))
        .order_by("referred_on", "pk")
    )
