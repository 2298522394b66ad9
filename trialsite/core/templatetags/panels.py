"""Render a home-page panel with its own context (its keys at top level, and as `panel`)."""

from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag(takes_context=True)
def render_panel(context: template.Context, panel: dict[str, Any]) -> SafeString:
    flat = context.flatten()
    return render_to_string(panel["template"], {**flat, **panel, "panel": panel}, request=context.get("request"))
