"""Panels on the home page: each app contributes what is on a person's plate from its area."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest


@dataclass(frozen=True)
class Panel:
    """`build(request, grants)` returns the panel's template context, or None to hide it."""

    key: str
    title: str
    template: str
    build: Callable[[HttpRequest, Any], dict[str, Any] | None]
    order: int = 50


PANELS: list[Panel] = []


def register(panel: Panel) -> None:
    if all(p.key != panel.key for p in PANELS):
        PANELS.append(panel)
        PANELS.sort(key=lambda p: p.order)


def build_panels(request: HttpRequest, grants: Any) -> list[dict[str, Any]]:
    out = []
    for panel in PANELS:
        ctx = panel.build(request, grants)
        if ctx is not None:
            out.append({"title": panel.title, "template": panel.template, **ctx})
    return out
