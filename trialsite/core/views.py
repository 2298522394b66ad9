"""Generic, scoped UI views: list (search, filters, sorting, paging), detail, create/edit.

Every queryset goes through `visible_to(user, ...)`; anything out of scope is a 404.
Domain apps subclass these and declare columns and fields; templates are shared.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Q
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.html import format_html
from django.views import generic

from trialsite.accounts.scoping import grants_for
from trialsite.core.exceptions import ConflictError
from trialsite.core.filtering import scope_filterset
from trialsite.core.models import AuditedModel
from trialsite.core.services import can_write, save_record


@dataclass
class Column:
    """A list column: `attr` is a dotted attribute path or a callable(obj); `sort` an ORM ordering key."""

    label: str
    attr: str | Callable[[Any], Any]
    sort: str | None = None
    link: bool = False

    def value(self, obj: Any) -> Any:
        if callable(self.attr):
            return self.attr(obj)
        value: Any = obj
        for part in self.attr.split("."):
            if value is None:
                return ""
            display = getattr(value, f"get_{part}_display", None)
            value = display() if display else getattr(value, part, "")
            if callable(value) and not isinstance(value, models.Model):
                value = value()
        return "" if value is None else value


class ScopedMixin(LoginRequiredMixin):
    model: type[AuditedModel]
    queryset: models.QuerySet | None = None

    def get_queryset(self) -> models.QuerySet:
        qs = self.queryset if self.queryset is not None else self.model.objects.all()
        return qs.all().visible_to(self.request.user, "view")

    @property
    def grants(self):  # noqa: ANN201
        return grants_for(self.request.user)


class RecordListView(ScopedMixin, generic.ListView):
    template_name = "core/list.html"
    paginate_by = 25
    columns: list[Column] = []
    search_fields: list[str] = []
    filterset_class: Any = None
    default_ordering: str | None = None
    title: str = ""
    create_url_name: str | None = None
    csv_export: bool = False

    def get_queryset(self) -> models.QuerySet:
        qs = super().get_queryset()
        self.filterset = None
        if self.filterset_class is not None:
            self.filterset = scope_filterset(
                self.filterset_class(self.request.GET or None, queryset=qs, request=self.request), self.request.user
            )
            qs = self.filterset.qs if self.filterset.is_bound and self.filterset.is_valid() else qs
        term = self.request.GET.get("q", "").strip()[:100]
        if term and self.search_fields:
            cond = Q()
            for field in self.search_fields:
                cond |= Q(**{f"{field}__icontains": term})
            qs = qs.filter(cond)
        sort = self.request.GET.get("sort", "")
        allowed = {c.sort for c in self.columns if c.sort}
        key = sort.lstrip("-")
        if key in allowed:
            qs = qs.order_by(sort, "pk")
        elif self.default_ordering:
            qs = qs.order_by(self.default_ordering, "pk")
        return qs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        sort = self.request.GET.get("sort", "")
        params = self.request.GET.copy()
        params.pop("page", None)
        headers = []
        for col in self.columns:
            if col.sort:
                p = params.copy()
                p["sort"] = f"-{col.sort}" if sort == col.sort else col.sort
                arrow = " ▲" if sort == col.sort else (" ▼" if sort == f"-{col.sort}" else "")
                headers.append({"label": col.label + arrow, "url": "?" + p.urlencode()})
            else:
                headers.append({"label": col.label, "url": None})
        rows = []
        for obj in ctx["object_list"]:
            cells = []
            for col in self.columns:
                val = col.value(obj)
                if col.link and hasattr(obj, "get_absolute_url"):
                    val = format_html('<a href="{}">{}</a>', obj.get_absolute_url(), val)
                cells.append(val)
            rows.append(cells)
        page_params = params.copy()
        page_params.pop("page", None)
        model = self.model
        grants = self.grants
        can_create = bool(self.create_url_name) and model.can_create(grants)
        ctx.update(
            title=self.title or model._meta.verbose_name_plural.capitalize(),
            headers=headers,
            rows=rows,
            filterset=self.filterset,
            q=self.request.GET.get("q", ""),
            searchable=bool(self.search_fields),
            page_query=page_params.urlencode(),
            create_url=reverse(self.create_url_name) if can_create else None,
            csv_url=("?" + (page_params.urlencode() + "&" if page_params else "") + "format=csv")
            if self.csv_export
            else None,
        )
        return ctx

    def render_to_response(self, context: dict[str, Any], **kwargs: Any) -> HttpResponse:
        if self.csv_export and self.request.GET.get("format") == "csv":
            return self.export_csv()
        return super().render_to_response(context, **kwargs)

    def export_csv(self) -> HttpResponse:
        import csv

        response = HttpResponse(content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="{self.model._meta.model_name}s.csv"'
        writer = csv.writer(response)
        writer.writerow([c.label for c in self.columns])
        for obj in (
            self.get_queryset().iterator(chunk_size=2000)
            if not self.get_queryset()._prefetch_related_lookups
            else self.get_queryset()
        ):
            writer.writerow([str(c.value(obj)) for c in self.columns])
        return response


class RecordDetailView(ScopedMixin, generic.DetailView):
    template_name = "core/detail.html"
    fields: list[tuple[str, str | Callable[[Any], Any]]] = []
    edit_url_name: str | None = None

    def related_sections(self) -> list[dict[str, Any]]:
        """Subclasses return [{"title", "columns", "rows" or "objects", "add_url"}]."""
        return []

    def actions(self) -> list[dict[str, Any]]:
        """Extra buttons: [{"label", "url"}]."""
        return []

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        obj = self.object
        details = [(label, Column(label, attr).value(obj)) for label, attr in self.fields]
        sections = []
        for section in self.related_sections():
            cols = section["columns"]
            rows = []
            for item in section.get("objects", []):
                cells = []
                for col in cols:
                    val = col.value(item)
                    if col.link and hasattr(item, "get_absolute_url"):
                        val = format_html('<a href="{}">{}</a>', item.get_absolute_url(), val)
                    cells.append(val)
                rows.append(cells)
            sections.append({**section, "headers": [c.label for c in cols], "rows": rows})
        ctx.update(
            details=details,
            sections=sections,
            can_edit=bool(self.edit_url_name) and can_write(self.request.user, obj),
            edit_url=reverse(self.edit_url_name, args=[obj.pk]) if self.edit_url_name else None,
            history_url=history_url(obj),
            extra_actions=self.actions(),
            title=str(obj),
        )
        return ctx


def history_url(obj: models.Model) -> str:
    return reverse("audit:history", args=[obj._meta.label_lower, obj.pk])


class ScopedModelForm(forms.ModelForm):
    """Model form whose related-record choices are limited to what the user may see."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        for field in self.fields.values():
            qs = getattr(field, "queryset", None)
            if qs is not None and issubclass(qs.model, AuditedModel):
                field.queryset = qs.visible_to(user, "view")
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version


class RecordFormView(ScopedMixin, generic.FormView):
    """Create (no pk) or edit (pk) a record through `save_record`."""

    template_name = "core/form.html"
    form_class: type[ScopedModelForm]
    title: str = ""

    def get_object(self) -> AuditedModel | None:
        pk = self.kwargs.get("pk")
        if pk is None:
            return None
        obj = get_object_or_404(self.get_queryset(), pk=pk)
        if not can_write(self.request.user, obj):
            raise PermissionDenied("You may read this record but not change it.")
        return obj

    def dispatch(self, request, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN201
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.object = self.get_object()
        if self.object is None and not self.model.can_create(grants_for(request.user)):
            raise PermissionDenied("Your roles do not allow creating this kind of record.")
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self) -> dict[str, Any]:
        initial = super().get_initial()
        for key, value in self.request.GET.items():
            if key in self.form_class.base_fields:
                initial[key] = value
        return initial

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        kwargs["instance"] = self.object
        return kwargs

    def form_valid(self, form: ScopedModelForm) -> HttpResponse:
        instance = form.save(commit=False)
        if self.object is not None:
            instance.version = form.cleaned_data.get("version") or instance.version
        try:
            save_record(instance, actor=self.request.user, reason=form.cleaned_data.get("reason", ""))
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.error_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc)
            return self.form_invalid(form)
        except ConflictError as exc:
            form.add_error(None, exc.message)
            return self.form_invalid(form)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
            return self.form_invalid(form)
        messages.success(self.request, f"Saved {instance._meta.verbose_name} “{instance}”.")
        return HttpResponseRedirect(self.get_success_url(instance))

    def get_success_url(self, instance: AuditedModel | None = None) -> str:
        return instance.get_absolute_url()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        verbose = self.model._meta.verbose_name
        ctx["title"] = self.title or (f"Edit {self.object}" if self.object else f"New {verbose}")
        ctx["object"] = self.object
        ctx["cancel_url"] = (
            self.object.get_absolute_url() if self.object else self.request.META.get("HTTP_REFERER", "/")
        )
        return ctx
