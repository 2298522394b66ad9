"""Coordinator screens: calendars, today's and overdue visits, a visit with its actions, amendments, feeds."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from trialsite.accounts.scoping import grants_for
from trialsite.core.exceptions import ConflictError
from trialsite.core.services import can_write
from trialsite.core.views import Column, RecordDetailView, RecordListView
from trialsite.network.models import Site
from trialsite.visits import feeds, planning, services
from trialsite.visits import forms as vforms
from trialsite.visits.filters import VisitFilter
from trialsite.visits.models import CalendarFeed, Visit

V = Visit.Status
LIST_RELATED = ("participant", "study_site__study", "study_site__site", "coordinator")


def participant_label(visit: Visit, grants: Any) -> str:
    """Study label for everyone; the name too for identity roles at the visit's site (standards P2)."""
    p = visit.participant
    if grants.can_see_identity(visit.study_site.site_id, visit.study_site_id):
        return f"{p.study_label} · {p.first_name} {p.last_name}"
    return p.study_label


def status_badge(visit: Visit, today: datetime.date | None = None) -> str:
    from django.utils.html import format_html

    today = today or timezone.localdate()
    kind = {"completed": "ok", "missed": "bad", "cancelled": ""}.get(visit.status, "")
    label = visit.get_status_display()
    if visit.status == V.PLANNED and visit.planned_on and visit.planned_on < today:
        kind, label = "warn", "Overdue"
        if visit.window_end and visit.window_end < today:
            kind, label = "bad", "Overdue · past window"
    extra = format_html(' <span class="badge warn">Deviation?</span>') if visit.deviation_candidate else ""
    return format_html('<span class="badge {}">{}</span>{}', kind, label, extra)


def window_text(visit: Visit) -> str:
    if visit.window_start and visit.window_end:
        return f"{visit.window_start:%d %b} – {visit.window_end:%d %b %Y}"
    return "no window"


# -- lists -----------------------------------------------------------------------------------


class VisitList(RecordListView):
    model = Visit
    queryset = Visit.objects.select_related(*LIST_RELATED)
    filterset_class = VisitFilter
    default_ordering = "planned_on"
    title = "Visits"
    csv_export = True

    @property
    def columns(self) -> list[Column]:  # type: ignore[override]
        grants = self.grants
        plain = self.request.GET.get("format") == "csv"  # no HTML badges in the CSV export
        cols = [
            Column("Planned", "planned_on", sort="planned_on", link=True),
            Column("Visit", "code", sort="code", link=True),
            Column("Participant", lambda v: participant_label(v, grants)),
            Column("Study at site", "study_site"),
            Column("Window", window_text),
            Column("Status", "status" if plain else status_badge, sort="status"),
            Column("Coordinator", "coordinator"),
            Column("Note", "planning_note"),
        ]
        if plain:
            cols.insert(6, Column("Deviation candidate", lambda v: "yes" if v.deviation_candidate else "no"))
        return cols

    def restrict(self, qs: QuerySet) -> QuerySet:
        return qs

    def get_queryset(self) -> QuerySet:
        return self.restrict(super().get_queryset())


class OverdueList(VisitList):
    """Planned visits whose planned day has passed: the coordinator's catch-up list."""

    title = "Overdue visits"
    default_ordering = "planned_on"

    def restrict(self, qs: QuerySet) -> QuerySet:
        return qs.filter(status=V.PLANNED, planned_on__lt=timezone.localdate())


class MissedList(VisitList):
    title = "Missed visits"
    default_ordering = "-planned_on"

    def restrict(self, qs: QuerySet) -> QuerySet:
        return qs.filter(status=V.MISSED)


def my_visits_q(user: Any) -> Q:
    """Visits the user runs as coordinator, or at the sites (or studies at sites) they work at."""
    scope = grants_for(user).scope()
    q = Q(coordinator__user_id=user.pk)
    if not scope.network:
        q |= Q(study_site__site_id__in=scope.sites) | Q(study_site_id__in=scope.study_sites)
    return q


class MyVisitsToday(VisitList):
    title = "My visits today"
    default_ordering = "planned_on"
    paginate_by = 100

    def restrict(self, qs: QuerySet) -> QuerySet:
        return qs.filter(my_visits_q(self.request.user), planned_on=timezone.localdate()).exclude(status=V.CANCELLED)


# -- one visit -------------------------------------------------------------------------------


class VisitDetail(RecordDetailView):
    model = Visit
    queryset = Visit.objects.select_related(*LIST_RELATED, "definition")
    template_name = "visits/visit_detail.html"

    @property
    def fields(self) -> list[tuple[str, Any]]:  # type: ignore[override]
        grants = self.grants
        return [
            ("Participant", lambda v: participant_label(v, grants)),
            ("Study at site", "study_site"),
            ("Visit", lambda v: f"{v.code} {v.name}"),
            ("Type", "visit_type"),
            ("Status", status_badge),
            ("Target day", "target_on"),
            ("Window", window_text),
            ("Planned on", "planned_on"),
            ("Planning note", "planning_note"),
            ("Coordinator", "coordinator"),
            ("Actual date", "actual_on"),
            ("Missed because", "missed_reason"),
            ("Outside its window", lambda v: "yes" if v.out_of_window else "no"),
            ("Deviation candidate", lambda v: "yes — for QA review" if v.deviation_candidate else "no"),
        ]

    def actions(self) -> list[dict[str, Any]]:
        v = self.object
        if v.status != V.PLANNED or not can_write(self.request.user, v):
            return []
        return [
            {"label": "Complete", "url": reverse("visits:visit_complete", args=[v.pk])},
            {"label": "Mark missed", "url": reverse("visits:visit_miss", args=[v.pk])},
            {"label": "Reschedule", "url": reverse("visits:visit_reschedule", args=[v.pk])},
        ]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        v = self.object
        done = v.procedures_done or {}
        ctx["procedures"] = [
            {"code": code, "name": name, "done": done.get(code)} for code, name in services.expected_procedures(v)
        ]
        ctx["title"] = f"{v.code} {v.name} · {v.participant.study_label}"
        return ctx


def _visit_for_action(request: HttpRequest, pk: int) -> Visit:
    visit = get_object_or_404(Visit.objects.visible_to(request.user).select_related(*LIST_RELATED), pk=pk)
    if not can_write(request.user, visit):
        raise PermissionDenied("You may read this visit but not change it.")
    return visit


def _add_errors(form: forms.Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errs in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errs)
    else:
        form.add_error(None, exc)


def _action(
    request: HttpRequest,
    pk: int,
    make_form: Callable[[Visit, Any], forms.Form],
    perform: Callable[[Visit, forms.Form], Visit],
    title: str,
    done: str,
) -> HttpResponse:
    """Shared shape of a visit action page: scoped lookup, form, service call, clear errors."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    visit = _visit_for_action(request, pk)
    if visit.status != V.PLANNED:
        messages.error(request, f"This visit is {visit.get_status_display().lower()}; it can no longer change.")
        return redirect("visits:visit_detail", pk=visit.pk)
    form = make_form(visit, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            perform(visit, form)
        except ValidationError as exc:
            _add_errors(form, exc)
        except ConflictError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, done)
            return redirect("visits:visit_detail", pk=visit.pk)
    return render(
        request,
        "core/form.html",
        {
            "form": form,
            "title": f"{title}: {visit.code} · {visit.participant.study_label}",
            "cancel_url": reverse("visits:visit_detail", args=[visit.pk]),
        },
    )


def visit_complete(request: HttpRequest, pk: int) -> HttpResponse:
    def make(visit: Visit, data: Any) -> forms.Form:
        return vforms.CompleteForm(
            data,
            procedures=services.expected_procedures(visit),
            initial={"version": visit.version, "actual_on": visit.planned_on},
        )

    def perform(visit: Visit, form: forms.Form) -> Visit:
        return services.complete_visit(
            visit,
            actual_on=form.cleaned_data["actual_on"],
            procedures=form.procedures(),
            actor=request.user,
            expected_version=form.cleaned_data["version"],
            reason=form.cleaned_data["reason"],
        )

    return _action(request, pk, make, perform, "Complete visit", "Visit completed.")


def visit_miss(request: HttpRequest, pk: int) -> HttpResponse:
    def make(visit: Visit, data: Any) -> forms.Form:
        return vforms.MissForm(data, initial={"version": visit.version})

    def perform(visit: Visit, form: forms.Form) -> Visit:
        return services.miss_visit(
            visit, reason=form.cleaned_data["reason"], actor=request.user, expected_version=form.cleaned_data["version"]
        )

    return _action(request, pk, make, perform, "Mark visit missed", "Visit marked missed.")


def visit_reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    def make(visit: Visit, data: Any) -> forms.Form:
        return vforms.RescheduleForm(data, initial={"version": visit.version, "planned_on": visit.planned_on})

    def perform(visit: Visit, form: forms.Form) -> Visit:
        return services.reschedule_visit(
            visit,
            planned_on=form.cleaned_data["planned_on"],
            actor=request.user,
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
        )

    return _action(request, pk, make, perform, "Reschedule visit", "Visit rescheduled.")


def unscheduled_create(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    from trialsite.accounts.roles import PARTICIPANT_WRITERS

    if grants_for(request.user).scope(PARTICIPANT_WRITERS).empty:
        raise PermissionDenied("Your roles do not allow adding visits.")
    initial = {}
    if request.GET.get("participant", "").isdigit():
        initial["participant"] = request.GET["participant"]
    form = vforms.UnscheduledForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            visit = services.add_unscheduled_visit(
                form.cleaned_data["participant"],
                planned_on=form.cleaned_data["planned_on"],
                name=form.cleaned_data["name"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Unscheduled visit added.")
            return redirect("visits:visit_detail", pk=visit.pk)
    return render(
        request,
        "core/form.html",
        {"form": form, "title": "Add an unscheduled visit", "cancel_url": reverse("visits:visit_list")},
    )


# -- calendars -------------------------------------------------------------------------------


def parse_day(value: str | None, default: datetime.date) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value) if value else default
    except ValueError:
        return default


def calendar_index(request: HttpRequest) -> HttpResponse:
    """The calendar of the first site the user sees (a site switcher is on the calendar page)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    site = Site.objects.visible_to(request.user).order_by("code").first()
    if site is None:
        return render(request, "visits/calendar.html", {"title": "Visit calendar", "site": None, "days": []})
    return redirect("visits:calendar_week", site_pk=site.pk)


def _calendar(request: HttpRequest, site_pk: int, mode: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    site = get_object_or_404(Site.objects.visible_to(request.user), pk=site_pk)
    today = timezone.localdate(timezone=site.tz)
    day = parse_day(request.GET.get("date") or request.GET.get("start"), today)
    if not datetime.date(2000, 1, 1) <= day <= datetime.date(2200, 1, 1):
        day = today
    if mode == "week":
        start = day - datetime.timedelta(days=day.weekday())
        span = 7
    else:
        start, span = day, 1
    end = start + datetime.timedelta(days=span - 1)
    grants = grants_for(request.user)
    visits = (
        Visit.objects.visible_to(request.user)
        .filter(study_site__site_id=site.pk, planned_on__range=(start, end))
        .exclude(status=V.CANCELLED)
        .select_related(*LIST_RELATED)
        .order_by("planned_on", "study_site_id", "pk")
    )
    by_day: dict[datetime.date, list[dict[str, Any]]] = {}
    for v in visits:
        by_day.setdefault(v.planned_on, []).append(
            {
                "visit": v,
                "label": participant_label(v, grants),
                "window": window_text(v),
                "badge": status_badge(v, today),
                "outside": bool(v.window_start and not (v.window_start <= v.planned_on <= v.window_end)),
            }
        )
    rule = planning.site_calendar(site, start, end)
    days = []
    for i in range(span):
        d = start + datetime.timedelta(days=i)
        items = by_day.get(d, [])
        days.append(
            {
                "date": d,
                "closed": rule.closed_because(d),
                "items": items,
                "today": d == today,
                "full": bool(site.daily_visit_capacity and len(items) >= site.daily_visit_capacity),
                "day_url": reverse("visits:calendar_day", args=[site.pk]) + f"?date={d.isoformat()}",
            }
        )
    step = datetime.timedelta(days=span)
    heading = f"week of {start:%d %b %Y}" if mode == "week" else f"{day:%A %d %b %Y}"
    base = reverse(f"visits:calendar_{mode}", args=[site.pk])
    return render(
        request,
        "visits/calendar.html",
        {
            "title": f"{site.code} · {heading}",
            "site": site,
            "mode": mode,
            "days": days,
            "sites": Site.objects.visible_to(request.user).order_by("code").only("pk", "code", "name"),
            "prev_url": f"{base}?date={(start - step).isoformat()}",
            "next_url": f"{base}?date={(start + step).isoformat()}",
            "today_url": base,
            "week_url": reverse("visits:calendar_week", args=[site.pk]) + f"?date={start.isoformat()}",
            "capacity": site.daily_visit_capacity,
            "display_tz": site.time_zone,
        },
    )


def calendar_week(request: HttpRequest, site_pk: int) -> HttpResponse:
    return _calendar(request, site_pk, "week")


def calendar_day(request: HttpRequest, site_pk: int) -> HttpResponse:
    return _calendar(request, site_pk, "day")


# -- amendments ------------------------------------------------------------------------------


def amendment_list(request: HttpRequest) -> HttpResponse:
    """Protocol versions that could be applied to the schedules of the studies at sites the user runs."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    from trialsite.protocols.models import ProtocolVersion
    from trialsite.studies.models import StudySite

    study_sites = list(StudySite.objects.visible_to(request.user).select_related("study", "site").order_by("pk"))
    writable = [ss for ss in study_sites if can_write(request.user, Visit(study_site=ss))]
    versions: dict[int, list[Any]] = {}
    for pv in ProtocolVersion.objects.filter(study_id__in={ss.study_id for ss in writable}).order_by("effective_on"):
        versions.setdefault(pv.study_id, []).append(pv)
    rows = [
        {
            "study_site": ss,
            "version": pv,
            "url": reverse("visits:amendment", args=[ss.pk, pv.pk]),
        }
        for ss in writable
        for pv in versions.get(ss.study_id, [])
    ]
    return render(request, "visits/amendment_list.html", {"title": "Protocol amendments", "rows": rows})


def amendment(request: HttpRequest, ss_pk: int, version_pk: int) -> HttpResponse:
    """Preview (GET) every change a protocol version makes to a study site's visits; apply it (POST)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    from trialsite.protocols.models import ProtocolVersion
    from trialsite.studies.models import StudySite

    study_site = get_object_or_404(StudySite.objects.visible_to(request.user).select_related("study", "site"), pk=ss_pk)
    version = get_object_or_404(
        ProtocolVersion.objects.visible_to(request.user), pk=version_pk, study_id=study_site.study_id
    )
    if not can_write(request.user, Visit(study_site=study_site)):
        raise PermissionDenied("You may not change the visits of this study at a site.")
    form = vforms.ApplyAmendmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            applied = services.apply_protocol_change(
                study_site,
                version,
                actor=request.user,
                expected_digest=form.cleaned_data["digest"],
                reason=form.cleaned_data["reason"],
            )
        except ConflictError as exc:
            messages.error(request, exc.message)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            c = applied.counts()
            messages.success(
                request, f"Applied: {c['added']} added, {c['changed']} changed, {c['removed']} removed visit(s)."
            )
            return redirect("visits:amendment", ss_pk=study_site.pk, version_pk=version.pk)
    preview = services.preview_protocol_change(study_site, version, actor=request.user)
    form = vforms.ApplyAmendmentForm(initial={"digest": preview.digest})
    return render(
        request,
        "visits/amendment.html",
        {
            "title": f"Protocol {version.label} at {study_site}",
            "study_site": study_site,
            "version": version,
            "preview": preview,
            "counts": preview.counts(),
            "form": form,
        },
    )


# -- calendar feeds --------------------------------------------------------------------------


def feed_list(request: HttpRequest) -> HttpResponse:
    """The user's and their sites' calendar feeds, with a form to create one."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    form = vforms.FeedForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            feed = services.create_feed(
                actor=request.user,
                site=form.cleaned_data.get("site"),
                coordinator=form.cleaned_data.get("coordinator"),
                label=form.cleaned_data.get("label", ""),
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Feed “{feed}” created. Copy its address into your calendar application.")
            return redirect("visits:feed_list")
    feeds_qs = (
        CalendarFeed.objects.visible_to(request.user)
        .filter(Q(revoked_at__isnull=True) | Q(created_by_id=request.user.pk))
        .select_related("site", "coordinator", "created_by")
        .order_by("-created_at", "-pk")
    )
    rows = [
        {
            "feed": f,
            "url": request.build_absolute_uri(reverse("visits:feed_ics", args=[f.token]))
            if f.created_by_id == request.user.pk and f.revoked_at is None
            else "",
            "can_revoke": f.revoked_at is None and (f.created_by_id == request.user.pk or can_write(request.user, f)),
        }
        for f in feeds_qs[:200]
    ]
    return render(request, "visits/feeds.html", {"title": "Calendar feeds", "rows": rows, "form": form})


@require_POST
def feed_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("visits:feed_list"))
    feed = get_object_or_404(CalendarFeed.objects.visible_to(request.user), pk=pk)
    if feed.created_by_id != request.user.pk and not can_write(request.user, feed):
        raise PermissionDenied("You may not revoke this feed.")
    services.revoke_feed(feed, actor=request.user)
    messages.success(request, f"Feed “{feed}” revoked; its address no longer works.")
    return redirect("visits:feed_list")


def feed_ics(request: HttpRequest, token: str) -> HttpResponse:
    """The secret-token iCalendar feed: no login; a revoked or unknown token is a 404."""
    feed = (
        CalendarFeed.objects.select_related("site", "created_by")
        .filter(token=token, revoked_at__isnull=True, created_by__is_active=True)
        .first()
    )
    if feed is None:
        raise Http404("No such calendar feed.")
    response = HttpResponse(feeds.render_feed(feed), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="visits.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response
