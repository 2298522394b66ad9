"""Filters whose related-record choices are scoped, for list pages and API endpoints alike."""

from __future__ import annotations

from typing import Any

from django.db import models

from trialsite.core.models import AuditedModel


def scope_filterset(filterset: Any, user: Any) -> Any:
    """Limit every foreign-key filter to the rows `user` may see, so a dropdown never lists, and a
    query parameter never accepts, a record outside the user's scope (it answers like a missing id).

    Labels are loaded with the model's `choice_related` relations, so rendering choices costs one query.
    """
    for flt in filterset.filters.values():
        qs = getattr(flt, "queryset", None)
        if callable(qs) and not isinstance(qs, models.QuerySet):
            continue  # a callable queryset already resolves per request
        if isinstance(qs, models.QuerySet) and issubclass(qs.model, AuditedModel):
            related = getattr(qs.model, "choice_related", ())
            flt.queryset = (qs.select_related(*related) if related else qs).visible_to(user, "view")
    return filterset
