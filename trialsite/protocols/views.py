"""Protocol pages: versions list, version detail with the SoA grid, grid editor and record forms.

Every lookup goes through `visible_to(user, "view")` (out of scope: 404); writes need
`can_write` (read-only users: 403) and go through `protocols.services`.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views import generic

from trialsite.accounts.roles import NETWORK_WRITERS
from trialsite.accounts.scoping import grants_for
from trialsite.core.exceptions import ConflictError
from trialsite.core.services import can_write
from trialsite.core.views import Column, RecordListView, history_url
from trialsite.protocols import forms as pforms
from trialsite.protocols import services
from trialsite.protocols.filters import ProtocolVersionFilter
from trialsite.protocols.models import EligibilityCriterion, Procedure, ProtocolVersion, VisitDefinition
from trialsite.protocols.schedule import build_grid, window_label


class VersionList(RecordListView):
    model = ProtocolVersion
    queryset = ProtocolVersion.objects.select_related("study", "based_on")
    title = "Protocol versions"
    columns = [
        Column("Study", "study.protocol_number", sort="study__protocol_number"),
        Column("Version", "label", sort="label", link=True),
        Column("Effective from", "effective_on", sort="effective_on"),
        Column("Amends", lambda pv: pv.based_on.label if pv.based_on else ""),
        Column("Notes", "notes"),
    ]
    search_fields = ["label", "study__protocol_number", "study__short_name"]
    filterset_class = ProtocolVersionFilter
    default_ordering = "study__protocol_number"
    create_url_name = "protocols:version_create"
    csv_export = True


def _version_or_404(request: HttpRequest, pk: int) -> ProtocolVersion:
    return get_object_or_404(ProtocolVersion.objects.visible_to(request.user, "view").select_related("study"), pk=pk)


class VersionDetail(LoginRequiredMixin, generic.DetailView):
    """A version with its schedule-of-activities grid, visit list and eligibility criteria."""

    template_name = "protocols/version_detail.html"

    def get_queryset(self):  # noqa: ANN201
        return ProtocolVersion.objects.visible_to(self.request.user, "view").select_related("study", "based_on")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        pv: ProtocolVersion = self.object
        grid = build_grid(pv)
        writable = can_write(self.request.user, pv)
        criteria = list(pv.criteria.all())
        ctx.update(
            title=f"{pv.study.protocol_number} protocol version {pv.label}",
            grid=grid,
            rows=grid.rows(),
            visits=[{"obj": v, "window": window_label(v)} for v in grid.visits],
            inclusions=[c for c in criteria if c.kind == EligibilityCriterion.Kind.INCLUSION],
            exclusions=[c for c in criteria if c.kind == EligibilityCriterion.Kind.EXCLUSION],
            can_edit=writable,
            history_url=history_url(pv),
            amendments=list(pv.amendments.visible_to(self.request.user, "view")),
        )
        return ctx


def schedule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The grid as one form: one checkbox per cell, saved all at once (or not at all)."""
    if not request.user.is_authenticated:
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.get_full_path())
    pv = _version_or_404(request, pk)
    if not can_write(request.user, pv):
        raise PermissionDenied("You may read this protocol but not change it.")
    grid = build_grid(pv)
    errors: list[str] = []
    if request.method == "POST":
        visits = {str(v.pk): v.code for v in grid.visits}
        procs = {str(p.pk): p.code for p in grid.procedures}
        ticks = []
        for cell in request.POST.getlist("cell"):
            vd, _, proc = cell.partition("-")
            # Unknown ids are passed on as they are, so the service refuses the whole grid.
            ticks.append((visits.get(vd, f"#{vd}"), procs.get(proc, f"#{proc}")))
        version = request.POST.get("version", "")
        try:
            services.save_schedule(
                pv,
                actor=request.user,
                ticks=ticks,
                expected_version=int(version) if version.isdigit() else -1,
                reason=request.POST.get("reason", "")[:500],
            )
        except ValidationError as exc:
            errors = list(exc.messages)
        except ConflictError as exc:
            errors = [exc.message]
        else:
            messages.success(request, "Schedule saved.")
            return HttpResponseRedirect(pv.get_absolute_url())
        posted = set(request.POST.getlist("cell"))
        grid.ticks = {(int(v), int(p)) for v, _, p in (c.partition("-") for c in posted) if v.isdigit() and p.isdigit()}
    return render(
        request,
        "protocols/schedule_edit.html",
        {
            "title": f"Edit schedule of {pv}",
            "object": pv,
            "grid": grid,
            "rows": grid.rows(),
            "visits": [{"obj": v, "window": window_label(v)} for v in grid.visits],
            "errors": errors,
            "cancel_url": pv.get_absolute_url(),
        },
        status=400 if errors else 200,
    )


class ServiceFormView(LoginRequiredMixin, generic.FormView):
    """A form whose submit calls one service; `target` is the record addressed by the URL's pk.

    Subclasses set `target_model` (None for a top-level create) and implement `perform(form)`.
    """

    template_name = "core/form.html"
    target_model: type[Model] | None = None
    target_related: tuple[str, ...] = ()
    title = ""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.target = None
        if self.target_model is not None:
            qs = self.target_model.objects.visible_to(request.user, "view").select_related(*self.target_related)
            self.target = get_object_or_404(qs, pk=kwargs["pk"])
            if not can_write(request.user, self.target):
                raise PermissionDenied("You may read this protocol but not change it.")
        elif grants_for(request.user).scope(NETWORK_WRITERS).empty:
            raise PermissionDenied("Your roles do not allow changing protocols.")
        return super().dispatch(request, *args, **kwargs)

    def perform(self, form: forms.BaseForm) -> ProtocolVersion:
        raise NotImplementedError

    def form_valid(self, form: forms.BaseForm) -> HttpResponse:
        try:
            back_to = self.perform(form)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errs in exc.error_dict.items():
                    form.add_error(field if field in form.fields else None, errs)
            else:
                form.add_error(None, exc)
            return self.form_invalid(form)
        except (ConflictError, PermissionDenied) as exc:
            form.add_error(None, getattr(exc, "message", None) or str(exc))
            return self.form_invalid(form)
        messages.success(self.request, "Saved.")
        return HttpResponseRedirect(back_to.get_absolute_url())

    def form_invalid(self, form: forms.BaseForm) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def back_url(self) -> str:
        target = self.target
        if isinstance(target, ProtocolVersion):
            return target.get_absolute_url()
        if target is not None and hasattr(target, "protocol_version"):
            return target.protocol_version.get_absolute_url()
        return reverse("protocols:version_list")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx.update(title=self.get_title(), cancel_url=self.back_url(), object=self.target)
        return ctx

    def get_title(self) -> str:
        return self.title

    def reason(self, form: forms.BaseForm) -> str:
        return form.cleaned_data.get("reason", "") or ""

    @staticmethod
    def changes(form: forms.BaseForm, skip: tuple[str, ...] = ("version", "reason")) -> dict[str, Any]:
        return {k: v for k, v in form.cleaned_data.items() if k not in skip}


class VersionCreate(ServiceFormView):
    form_class = pforms.ProtocolVersionForm
    title = "New protocol version"

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs.update(user=self.request.user, instance=ProtocolVersion())
        if self.request.method == "GET" and self.request.GET.get("study", "").isdigit():
            kwargs["initial"] = {"study": self.request.GET["study"]}
        return kwargs

    def perform(self, form: forms.BaseForm) -> ProtocolVersion:
        return services.create_protocol_version(actor=self.request.user, reason=self.reason(form), **self.changes(form))


class VersionEdit(ServiceFormView):
    target_model = ProtocolVersion
    target_related = ("study",)
    form_class = pforms.ProtocolVersionEditForm

    def get_title(self) -> str:
        return f"Edit {self.target}"

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "user": self.request.user, "instance": self.target}

    def perform(self, form: forms.BaseForm) -> ProtocolVersion:
        return services.edit_protocol_version(
            self.target,
            actor=self.request.user,
            expected_version=form.cleaned_data.get("version"),
            reason=self.reason(form),
            **self.changes(form),
        )


class VersionAmend(ServiceFormView):
    """Start an amendment from this version: a full copy with a new effective date."""

    target_model = ProtocolVersion
    target_related = ("study",)
    form_class = pforms.AmendmentForm

    def get_title(self) -> str:
        return f"New amendment of {self.target}"

    def perform(self, form: forms.BaseForm) -> ProtocolVersion:
        return services.create_amendment(self.target, actor=self.request.user, **self._fields(form))

    def _fields(self, form: forms.BaseForm) -> dict[str, Any]:
        return {k: form.cleaned_data[k] for k in ("label", "effective_on", "notes", "reason")}


class VisitCreate(ServiceFormView):
    target_model = ProtocolVersion
    target_related = ("study",)
    form_class = pforms.VisitDefinitionForm

    def get_title(self) -> str:
        return f"New visit in {self.target}"

    def get_form_kwargs(self) -> dict[str, Any]:
        instance = VisitDefinition(protocol_version=self.target)
        return {**super().get_form_kwargs(), "user": self.request.user, "instance": instance}

    def perform(self, form: forms.BaseForm) -> ProtocolVersion:
        services.add_visit_definition(
            self.target, actor=self.request.user, reason=self.reason(form), **self.changes(form)
        )
        return self.target


class VisitEdit(ServiceFormView):
    target_model = VisitDefinition
    target_related = ("protocol_version__study",)
    form_class = pforms.VisitDefinitionForm

    def get_title(self) -> str:
        return f"Edit visit {self.target} of {self.target.protocol_version}"

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "user": self.request.user, "instance": self.target}

    def perform(self, form: forms.BaseForm) -> ProtocolVersion:
        services.edit_visit_definition(
            self.target,
            actor=self.request.user,
            expected_version=form.cleaned_data.get("version"),
            reason=self.reason(form),
            **self.changes(form),
        )
        return self.target.protocol_version


class RemoveView(ServiceFormView):
    """Confirm, then remove a visit or criterion through its service (which refuses ones in use)."""

    form_class = pforms.RemoveForm
    remove: Any = None

    def get_title(self) -> str:
        return f"Remove {self.target._meta.verbose_name} {self.target} from {self.target.protocol_version}"

    def get_initial(self) -> dict[str, Any]:
        return {"version": self.target.version}

    def perform(self, form: forms.BaseForm) -> ProtocolVersion:
        type(self).remove(
            self.target,
            actor=self.request.user,
            expected_version=form.cleaned_data["version"],
            reason=form.cleaned_data["reason"],
        )
        return self.target.protocol_version


class VisitRemove(RemoveView):
    target_model = VisitDefinition
    target_related = ("protocol_version__study",)
    remove = staticmethod(services.remove_visit_definition)


class ProcedureCreate(ServiceFormView):
    """Add a procedure to the study of this version (a new row of every grid of the study)."""

    target_model = ProtocolVersion
    target_related = ("study",)
    form_class = pforms.ProcedureForm

    def get_title(self) -> str:
        return f"New procedure for {self.target.study.protocol_number}"

    def get_form_kwargs(self) -> dict[str, Any]:
        instance = Procedure(study=self.target.study)
        return {**super().get_form_kwargs(), "user": self.request.user, "instance": instance}

    def perform(self, form: forms.BaseForm) -> ProtocolVersion:
        services.add_procedure(self.target.study, actor=self.request.user, **self.changes(form))
        return self.target


class ProcedureEdit(ServiceFormView):
    """Edit a procedure; `?from=<version id>` says which version page to return to."""

    target_model = Procedure
    target_related = ("study",)
    form_class = pforms.ProcedureForm

    def get_title(self) -> str:
        return f"Edit procedure {self.target}"

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "user": self.request.user, "instance": self.target}

    def return_version(self) -> ProtocolVersion | None:
        pk = self.request.GET.get("from", "")
        qs = ProtocolVersion.objects.visible_to(self.request.user, "view").filter(study_id=self.target.study_id)
        return (qs.filter(pk=pk) if pk.isdigit() else qs.order_by("-effective_on")).first()

    def back_url(self) -> str:
        pv = self.return_version()
        return pv.get_absolute_url() if pv else reverse("protocols:version_list")

    def perform(self, form: forms.BaseForm) -> Any:
        services.edit_procedure(
            self.target,
            actor=self.request.user,
            expected_version=form.cleaned_data.get("version"),
            **self.changes(form),
        )
        return self.return_version() or _ListTarget()


class _ListTarget:
    def get_absolute_url(self) -> str:
        return reverse("protocols:version_list")


class CriterionCreate(ServiceFormView):
    target_model = ProtocolVersion
    target_related = ("study",)
    form_class = pforms.CriterionForm

    def get_title(self) -> str:
        return f"New eligibility criterion in {self.target}"

    def get_form_kwargs(self) -> dict[str, Any]:
        instance = EligibilityCriterion(protocol_version=self.target)
        return {**super().get_form_kwargs(), "user": self.request.user, "instance": instance}

    def perform(self, form: forms.BaseForm) -> ProtocolVersion:
        services.add_criterion(self.target, actor=self.request.user, reason=self.reason(form), **self.changes(form))
        return self.target


class CriterionEdit(ServiceFormView):
    target_model = EligibilityCriterion
    target_related = ("protocol_version__study",)
    form_class = pforms.CriterionForm

    def get_title(self) -> str:
        return f"Edit criterion {self.target} of {self.target.protocol_version}"

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "user": self.request.user, "instance": self.target}

    def perform(self, form: forms.BaseForm) -> ProtocolVersion:
        services.edit_criterion(
            self.target,
            actor=self.request.user,
            expected_version=form.cleaned_data.get("version"),
            reason=self.reason(form),
            **self.changes(form),
        )
        return self.target.protocol_version


class CriterionRemove(RemoveView):
    target_model = EligibilityCriterion
    target_related = ("protocol_version__study",)
    remove = staticmethod(services.remove_criterion)
