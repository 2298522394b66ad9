"""Funnel pages: participant lists, the participant's timeline, one small form per step, ICF versions.

Identity (name, birth date, contact, MRN) appears only for site roles in scope; every page
that shows it writes a line to the "trialsite.security" log (standards P2, P3).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Min, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from trialsite.core.exceptions import ConflictError
from trialsite.core.services import can_write
from trialsite.core.views import Column, RecordDetailView, RecordFormView, RecordListView
from trialsite.participants import forms, services
from trialsite.participants.filters import ConsentFormVersionFilter, ParticipantFilter, StudySiteOnlyFilter
from trialsite.participants.identity import (
    display_name,
    identity_q,
    log_identity_read,
    may_see_any_identity,
    sees_identity,
)
from trialsite.participants.models import (
    Consent,
    ConsentFormVersion,
    ContactAttempt,
    EligibilityAssessment,
    Participant,
)

S = Participant.Stage
STAGE_BADGE = {
    S.ENROLLED: "ok",
    S.COMPLETED: "ok",
    S.SCREENING: "warn",
    S.PRE_SCREENED: "warn",
    S.PRE_SCREEN_FAILED: "bad",
    S.SCREEN_FAILED: "bad",
    S.WITHDRAWN: "bad",
    S.LOST_TO_FOLLOW_UP: "bad",
}


def local(value: datetime.datetime | None, participant: Participant) -> str:
    """A stored UTC time shown in the site's local time."""
    if value is None:
        return ""
    return timezone.localtime(value, participant.study_site.site.tz).strftime("%Y-%m-%d %H:%M %Z")


def participant_queryset() -> QuerySet[Participant]:
    return Participant.objects.select_related("study_site__study", "study_site__site")


# -- lists ---------------------------------------------------------------------------------------
class ParticipantList(RecordListView):
    """Participants in scope; search by study ID, and by name only where the user may see identity."""

    model = Participant
    queryset = participant_queryset().annotate(first_contact_at=Min("contact_attempts__at"))
    filterset_class = ParticipantFilter
    search_fields: list[str] = []  # searched below: study IDs for all, names only where identity is visible
    create_url_name = "participants:participant_create"
    csv_export = True
    title = "Participants"
    default_ordering = "-referred_on"

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        user = request.user
        cols = [Column("Study ID", "study_label", link=True)]
        if user.is_authenticated and may_see_any_identity(user):
            cols.append(Column("Name", lambda p: display_name(p) if sees_identity(user, p) else "(restricted)"))
        cols += [
            Column("Study at site", "study_site"),
            Column("Stage", "stage", sort="stage"),
            Column("Channel", "referral_channel", sort="referral_channel"),
            Column("Referred", "referred_on", sort="referred_on"),
            Column("First contact (days)", self.days_to_first_contact),
            Column("Subject ID", "subject_id", sort="subject_id"),
        ]
        self.columns = cols

    @staticmethod
    def days_to_first_contact(p: Participant) -> str:
        first = getattr(p, "first_contact_at", None)
        if first is None:
            return "—"
        return str((timezone.localtime(first, p.study_site.site.tz).date() - p.referred_on).days)

    def get_queryset(self) -> QuerySet[Participant]:
        qs = super().get_queryset()
        term = self.request.GET.get("q", "").strip()[:100]
        if term:
            cond = Q(screening_number__icontains=term) | Q(subject_id__icontains=term)
            if may_see_any_identity(self.request.user):
                names = Q(first_name__icontains=term) | Q(last_name__icontains=term)
                cond |= identity_q(self.request.user) & names
            qs = qs.filter(cond)
        return qs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["searchable"] = True
        user = self.request.user
        if may_see_any_identity(user):
            log_identity_read(user, [p for p in ctx["object_list"] if sees_identity(user, p)], self.request.path)
        return ctx

    def export_csv(self) -> HttpResponse:
        user = self.request.user
        if may_see_any_identity(user):
            log_identity_read(user, [p for p in self.get_queryset() if sees_identity(user, p)], "csv")
        return super().export_csv()


class ReconsentDueList(ParticipantList):
    """Participants on study whose consent is on a superseded ICF version."""

    filterset_class = StudySiteOnlyFilter
    title = "Re-consent due"
    create_url_name = None

    def get_queryset(self) -> QuerySet[Participant]:
        return services.reconsent_due(super().get_queryset())

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.columns = [
            *self.columns[:3],
            Column("Stage", "stage"),
            Column("Consented on ICF", "consent_label"),
        ]


class AwaitingContactList(ParticipantList):
    """Prospects nobody has tried to reach yet, oldest referral first (speed-to-first-contact)."""

    filterset_class = StudySiteOnlyFilter
    title = "Prospects waiting for first contact"
    default_ordering = "referred_on"

    def get_queryset(self) -> QuerySet[Participant]:
        return services.awaiting_first_contact(super().get_queryset())

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.columns = [
            *self.columns[:3],
            Column("Channel", "referral_channel"),
            Column("Referred", "referred_on"),
            Column("Waiting (days)", lambda p: (services.site_today(p.study_site) - p.referred_on).days),
        ]


# -- detail --------------------------------------------------------------------------------------
STEP_LINKS = [
    ("contact", "Log contact attempt", "participants:step_contact"),
    ("pre_screen", "Record pre-screen", "participants:step_pre_screen"),
    ("consent", "Record consent", "participants:step_consent"),
    ("eligibility", "Eligibility checklist", "participants:step_eligibility"),
    ("enroll", "Enroll", "participants:step_enroll"),
    ("screen_fail", "Screen failure", "participants:step_screen_fail"),
    ("day_1", "Set day 1", "participants:step_day_1"),
    ("complete", "Complete", "participants:step_complete"),
    ("withdraw", "Withdraw", "participants:step_withdraw"),
    ("lost_to_follow_up", "Lost to follow-up", "participants:step_lost"),
]


class ParticipantDetail(RecordDetailView):
    model = Participant
    queryset = participant_queryset()
    template_name = "participants/participant_detail.html"
    edit_url_name = "participants:participant_edit"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        p = self.object
        user = self.request.user
        self.identity = sees_identity(user, p)
        self.fields = self.field_list()
        ctx = super().get_context_data(**kwargs)
        if self.identity:
            log_identity_read(user, [p], self.request.path)
        else:
            ctx["can_edit"] = False
        self.contacts = list(ContactAttempt.objects.visible_to(user).filter(participant=p).select_related("by"))
        self.consents = list(
            Consent.objects.visible_to(user).filter(participant=p).select_related("form_version", "obtained_by")
        )
        ctx.update(
            title=f"Participant {p.study_label}",
            stage_label=p.get_stage_display(),
            stage_badge=STAGE_BADGE.get(p.stage, ""),
            timeline=self.timeline(),
            checklist=self.checklist(),
            visits=self.visits(),
            missing=self.missing(),
        )
        return ctx

    def field_list(self) -> list[tuple[str, Any]]:
        p = self.object
        fields: list[tuple[str, Any]] = [("Study at site", "study_site"), ("Stage", "stage")]
        if self.identity:
            fields += [
                ("Name", lambda o: f"{o.first_name} {o.last_name}"),
                ("Birth date", "birth_date"),
                ("Sex", "sex"),
                ("Phone", "phone"),
                ("E-mail", "email"),
                ("Medical record number", "medical_record_number"),
            ]
        fields += [
            ("Referral channel", "referral_channel"),
            ("Referral source", "referral_source"),
            ("Campaign", "campaign"),
            ("Referred", "referred_on"),
            ("Screening number", "screening_number"),
            ("Subject ID", "subject_id"),
            ("Enrolled / randomized", "enrolled_on"),
            ("Arm", "arm"),
            ("Day 1", "day_1_on"),
        ]
        if p.stage == S.PRE_SCREEN_FAILED:
            fields.append(("Pre-screen failure reason", "pre_screen_outcome_reason"))
        if p.stage == S.SCREEN_FAILED:
            fields.append(("Screen failure reason", "screen_fail_reason"))
        if p.ended_on:
            fields += [("Ended", "ended_on"), ("End reason", "end_reason")]
        return fields

    def actions(self) -> list[dict[str, Any]]:
        if not can_write(self.request.user, self.object):
            return []
        allowed = services.allowed_steps(self.object)
        return [
            {
                "label": label if not (step == "consent" and self.object.stage != S.PRE_SCREENED) else "Re-consent",
                "url": reverse(url, args=[self.object.pk]),
            }
            for step, label, url in STEP_LINKS
            if step in allowed
        ]

    def timeline(self) -> list[dict[str, Any]]:
        p = self.object
        events: list[tuple[Any, str, str]] = [(p.referred_on, "Referred", f"{p.get_referral_channel_display()}")]
        for c in self.contacts:
            events.append(
                (c.at, f"Contact attempt ({c.get_method_display()})", f"{c.get_outcome_display()} — by {c.by or '—'}")
            )
        if p.pre_screened_on:
            outcome = "failed: " + p.pre_screen_outcome_reason if p.stage == S.PRE_SCREEN_FAILED else "passed"
            events.append((p.pre_screened_on, "Pre-screen", outcome))
        for c in self.consents:
            kind = "Re-consent" if c.is_reconsent else "Consent"
            events.append(
                (
                    c.consented_at,
                    kind,
                    f"ICF {c.form_version.label} ({c.form_version.language}), obtained by {c.obtained_by}",
                )
            )
        if p.enrolled_on:
            events.append((p.enrolled_on, "Enrolled", f"Subject {p.subject_id}" + (f", arm {p.arm}" if p.arm else "")))
        if p.day_1_on:
            events.append((p.day_1_on, "Day 1", ""))
        if p.ended_on:
            events.append((p.ended_on, p.get_stage_display(), p.end_reason or p.screen_fail_reason))
        tz = p.study_site.site.tz

        def key(item: tuple[Any, str, str]) -> datetime.datetime:
            when = item[0]
            if isinstance(when, datetime.datetime):
                return timezone.localtime(when, tz).replace(tzinfo=None)
            return datetime.datetime.combine(when, datetime.time.min)

        return [
            {"when": local(w, p) if isinstance(w, datetime.datetime) else w.isoformat(), "what": what, "detail": d}
            for w, what, d in sorted(events, key=key)
        ]

    def checklist(self) -> list[dict[str, Any]]:
        p = self.object
        if p.stage in (S.PROSPECT, S.PRE_SCREENED, S.PRE_SCREEN_FAILED):
            return []
        answers = {
            a.criterion_id: a
            for a in EligibilityAssessment.objects.visible_to(self.request.user)
            .filter(participant=p)
            .select_related("assessed_by")
        }
        rows = []
        for c in services.checklist(p, p.enrolled_on):
            a = answers.get(c.pk)
            rows.append(
                {
                    "criterion": str(c),
                    "kind": c.get_kind_display(),
                    "text": c.text,
                    "answer": a.get_answer_display() if a else "not answered",
                    "by": f"{a.assessed_by}, {local(a.assessed_at, p)}" if a else "",
                }
            )
        return rows

    def visits(self) -> list[Any]:
        from trialsite.visits.models import Visit

        return list(
            Visit.objects.visible_to(self.request.user)
            .filter(participant=self.object)
            .order_by("sequence", "planned_on")
        )

    def missing(self) -> list[str]:
        """What still stands before enrollment, for a participant in screening."""
        p = self.object
        if p.stage != S.SCREENING:
            return []
        today = services.site_today(p.study_site)
        gaps = services.eligibility_gaps(p, today)
        current = services.latest_consent(p)
        in_force = services.icf_in_force(p.study_site, today, current.form_version.language if current else "en")
        if current is None or in_force is None or current.form_version_id != in_force.pk:
            gaps.insert(0, "no consent on the ICF version in force")
        return gaps


# -- prospect create / edit ------------------------------------------------------------------------
class ParticipantCreate(RecordFormView):
    model = Participant
    form_class = forms.ProspectForm
    title = "New prospect"

    def form_valid(self, form: forms.ProspectForm) -> HttpResponse:
        data = {k: form.cleaned_data[k] for k in services.PROSPECT_FIELDS}
        return run_service(
            self.request,
            form,
            lambda: services.create_prospect(
                actor=self.request.user, study_site=form.cleaned_data["study_site"], **data
            ),
            "Prospect added.",
            lambda: self.get_context_data(form=form),
        )


class ParticipantEdit(RecordFormView):
    model = Participant
    form_class = forms.ProspectForm
    queryset = participant_queryset()

    def get_object(self) -> Participant | None:
        obj = super().get_object()
        if obj is not None and not sees_identity(self.request.user, obj):
            raise PermissionDenied("Identity details are for the site team only.")
        return obj

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["title"] = f"Edit participant {self.object.study_label}"
        log_identity_read(self.request.user, [self.object], self.request.path)
        return ctx

    def form_valid(self, form: forms.ProspectForm) -> HttpResponse:
        data = {k: form.cleaned_data[k] for k in services.PROSPECT_FIELDS}
        return run_service(
            self.request,
            form,
            lambda: services.update_prospect(
                self.object,
                actor=self.request.user,
                expected_version=form.cleaned_data.get("version"),
                reason=form.cleaned_data.get("reason", ""),
                **data,
            ),
            "Saved.",
            lambda: self.get_context_data(form=form),
        )


def run_service(
    request: HttpRequest,
    form: Any,
    call: Callable[[], Any],
    success: str,
    context: Callable[[], dict[str, Any]],
    redirect_to: Callable[[Any], str] | None = None,
    template: str = "core/form.html",
) -> HttpResponse:
    """Call a service; on success redirect, otherwise show its field errors on the form."""
    try:
        result = call()
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.error_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, exc)
    except ConflictError as exc:
        form.add_error(None, exc.message)
    except PermissionDenied as exc:
        form.add_error(None, str(exc))
    else:
        messages.success(request, success)
        target = redirect_to(result) if redirect_to else result.get_absolute_url()
        return HttpResponseRedirect(target)
    return render(request, template, context())


# -- steps ----------------------------------------------------------------------------------------
class StepView(LoginRequiredMixin, View):
    """One step of the funnel: a small form whose input goes to one service function."""

    form_class: type[forms.StepForm]
    title: str = ""
    success: str = "Saved."
    wants_user = False

    def participant(self) -> Participant:
        p = get_object_or_404(participant_queryset().visible_to(self.request.user, "view"), pk=self.kwargs["pk"])
        if not can_write(self.request.user, p):
            raise PermissionDenied("You may read this participant but not change it.")
        return p

    def make_form(self, p: Participant, data: Any = None) -> forms.StepForm:
        extra = {"user": self.request.user} if self.wants_user else {}
        return self.form_class(data, participant=p, **extra)

    def context(self, p: Participant, form: forms.StepForm) -> dict[str, Any]:
        return {
            "form": form,
            "title": f"{self.title} — participant {p.study_label}",
            "cancel_url": p.get_absolute_url(),
        }

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        p = self.participant()
        return render(request, "core/form.html", self.context(p, self.make_form(p)))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        p = self.participant()
        form = self.make_form(p, request.POST)
        if not form.is_valid():
            return render(request, "core/form.html", self.context(p, form))
        return run_service(
            request,
            form,
            lambda: self.perform(p, form.cleaned_data, form),
            self.success,
            lambda: self.context(p, form),
            redirect_to=lambda _result: p.get_absolute_url(),
        )

    def perform(self, p: Participant, data: dict[str, Any], form: forms.StepForm) -> Any:
        raise NotImplementedError


class ContactStep(StepView):
    form_class = forms.ContactAttemptForm
    title = "Log contact attempt"
    success = "Contact attempt logged."

    def perform(self, p: Participant, d: dict[str, Any], form: Any) -> Any:
        return services.log_contact_attempt(
            p, actor=self.request.user, at=d["at"], method=d["method"], outcome=d["outcome"], notes=d["notes"]
        )


class PreScreenStep(StepView):
    form_class = forms.PreScreenForm
    title = "Pre-screen"
    success = "Pre-screen recorded."

    def perform(self, p: Participant, d: dict[str, Any], form: Any) -> Any:
        return services.record_pre_screen(
            p,
            actor=self.request.user,
            passed=d["outcome"] == "passed",
            reason=d["reason"],
            on=d["on"],
            expected_version=d["version"],
        )


class ConsentStep(StepView):
    form_class = forms.ConsentForm
    title = "Record consent"
    success = "Consent recorded."
    wants_user = True

    def perform(self, p: Participant, d: dict[str, Any], form: Any) -> Any:
        return services.record_consent(
            p,
            actor=self.request.user,
            form_version=d["form_version"],
            consented_at=d["consented_at"],
            obtained_by=d["obtained_by"],
            screening_number=d.get("screening_number", ""),
            expected_version=d["version"],
        )


class EligibilityStep(StepView):
    form_class = forms.EligibilityForm
    title = "Eligibility checklist"
    success = "Eligibility answers saved."
    wants_user = True

    def perform(self, p: Participant, d: dict[str, Any], form: Any) -> Any:
        return services.record_eligibility(
            p,
            actor=self.request.user,
            answers=form.answers(),
            assessed_by=d["assessed_by"],
            assessed_at=d["assessed_at"],
        )


class ScreenFailStep(StepView):
    form_class = forms.ReasonForm
    title = "Screen failure"
    success = "Screen failure recorded."

    def perform(self, p: Participant, d: dict[str, Any], form: Any) -> Any:
        return services.screen_fail(
            p, actor=self.request.user, reason=d["reason"], on=d["on"], expected_version=d["version"]
        )


class EnrollStep(StepView):
    form_class = forms.EnrollForm
    title = "Enroll"
    success = "Participant enrolled."

    def perform(self, p: Participant, d: dict[str, Any], form: Any) -> Any:
        return services.enroll(
            p,
            actor=self.request.user,
            subject_id=d["subject_id"],
            enrolled_on=d["enrolled_on"],
            arm=d["arm"],
            expected_version=d["version"],
        )


class DayOneStep(StepView):
    form_class = forms.DayOneForm
    title = "Set day 1"
    success = "Day 1 set."

    def perform(self, p: Participant, d: dict[str, Any], form: Any) -> Any:
        return services.set_day_1(p, actor=self.request.user, on=d["on"], expected_version=d["version"])


class CompleteStep(StepView):
    form_class = forms.DateOnlyForm
    title = "Study completed"
    success = "Participant completed the study."

    def perform(self, p: Participant, d: dict[str, Any], form: Any) -> Any:
        return services.complete(p, actor=self.request.user, on=d["on"], expected_version=d["version"])


class WithdrawStep(StepView):
    form_class = forms.ReasonForm
    title = "Withdraw"
    success = "Participant withdrawn."

    def perform(self, p: Participant, d: dict[str, Any], form: Any) -> Any:
        return services.withdraw(
            p, actor=self.request.user, reason=d["reason"], on=d["on"], expected_version=d["version"]
        )


class LostStep(StepView):
    form_class = forms.OptionalReasonForm
    title = "Lost to follow-up"
    success = "Participant marked lost to follow-up."

    def perform(self, p: Participant, d: dict[str, Any], form: Any) -> Any:
        return services.lost_to_follow_up(
            p, actor=self.request.user, reason=d["reason"], on=d["on"], expected_version=d["version"]
        )


# -- ICF versions ---------------------------------------------------------------------------------
class ConsentFormVersionList(RecordListView):
    model = ConsentFormVersion
    queryset = ConsentFormVersion.objects.select_related("study_site__study", "study_site__site")
    columns = [
        Column("Version", lambda v: v, link=True),
        Column("Study at site", "study_site"),
        Column("IRB approved", "irb_approved_on", sort="irb_approved_on"),
        Column("In force from", "effective_on", sort="effective_on"),
        Column("Retired from", "retired_on", sort="retired_on"),
    ]
    filterset_class = ConsentFormVersionFilter
    search_fields = ["label"]
    create_url_name = "participants:icf_create"
    csv_export = True
    title = "Consent form (ICF) versions"
    default_ordering = "-effective_on"


class ConsentFormVersionDetail(RecordDetailView):
    model = ConsentFormVersion
    queryset = ConsentFormVersion.objects.select_related("study_site__study", "study_site__site")
    fields = [
        ("Study at site", "study_site"),
        ("Label", "label"),
        ("Language", "language"),
        ("IRB approved", "irb_approved_on"),
        ("In force from", "effective_on"),
        ("Retired from", "retired_on"),
    ]

    def actions(self) -> list[dict[str, Any]]:
        if self.object.retired_on is None and can_write(self.request.user, self.object):
            return [{"label": "Retire", "url": reverse("participants:icf_retire", args=[self.object.pk])}]
        return []

    def related_sections(self) -> list[dict[str, Any]]:
        rows = (
            Consent.objects.visible_to(self.request.user)
            .filter(form_version=self.object)
            .select_related("participant", "obtained_by")
        )
        return [
            {
                "title": "Consents on this version",
                "columns": [
                    Column("Participant", lambda c: c.participant.study_label),
                    Column("Signed (UTC)", lambda c: c.consented_at.strftime("%Y-%m-%d %H:%M")),
                    Column("Obtained by", "obtained_by"),
                    Column("Re-consent", lambda c: "yes" if c.is_reconsent else "no"),
                ],
                "objects": rows,
            }
        ]


class ConsentFormVersionCreate(RecordFormView):
    model = ConsentFormVersion
    form_class = forms.ConsentFormVersionForm
    title = "New ICF version"

    def form_valid(self, form: forms.ConsentFormVersionForm) -> HttpResponse:
        d = form.cleaned_data
        return run_service(
            self.request,
            form,
            lambda: services.add_icf_version(
                actor=self.request.user,
                study_site=d["study_site"],
                label=d["label"],
                language=d["language"],
                irb_approved_on=d["irb_approved_on"],
                effective_on=d["effective_on"],
            ),
            "ICF version added.",
            lambda: self.get_context_data(form=form),
        )


class ConsentFormVersionRetire(LoginRequiredMixin, View):
    def version(self) -> ConsentFormVersion:
        v = get_object_or_404(
            ConsentFormVersion.objects.visible_to(self.request.user).select_related("study_site"), pk=self.kwargs["pk"]
        )
        if not can_write(self.request.user, v):
            raise PermissionDenied("You may read this ICF version but not change it.")
        return v

    def context(self, v: ConsentFormVersion, form: forms.RetireForm) -> dict[str, Any]:
        return {"form": form, "title": f"Retire {v}", "cancel_url": v.get_absolute_url()}

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        v = self.version()
        return render(request, "core/form.html", self.context(v, forms.RetireForm(initial={"version": v.version})))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        v = self.version()
        form = forms.RetireForm(request.POST)
        if not form.is_valid():
            return render(request, "core/form.html", self.context(v, form))
        d = form.cleaned_data
        return run_service(
            request,
            form,
            lambda: services.retire_icf_version(
                v, actor=request.user, on=d["on"], reason=d["reason"], expected_version=d["version"]
            ),
            "ICF version retired.",
            lambda: self.context(v, form),
        )
