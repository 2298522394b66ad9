"""Who is acting, and why: carried to every audited write without passing it through every call.

Requests set it in middleware; services and commands set it explicitly with `acting_as`.
A write to an audited model with no actor in context fails loudly (standards A1).
"""

from __future__ import annotations

import contextlib
import contextvars
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True)
class AuditContext:
    user: Any | None = None  # accounts.User, or None for a named system process
    process: str = ""  # e.g. "command:demo", when no user acts
    reason: str = ""
    request_id: str = ""

    @property
    def label(self) -> str:
        if self.user is not None:
            return self.user.get_username()
        return self.process


_current: contextvars.ContextVar[AuditContext | None] = contextvars.ContextVar("audit_context", default=None)


class AuditContextMissing(RuntimeError):
    """An audited record was written with nobody named as the actor."""


def current() -> AuditContext:
    ctx = _current.get()
    if ctx is None or (ctx.user is None and not ctx.process):
        raise AuditContextMissing("No actor: wrap the write in acting_as(user=...) or acting_as(process=...).")
    return ctx


def current_or_none() -> AuditContext | None:
    return _current.get()


@contextlib.contextmanager
def acting_as(
    user: Any | None = None, *, process: str = "", reason: str = "", request_id: str = ""
) -> Iterator[AuditContext]:
    """Name the actor (a user or a system process) for every audited write inside the block."""
    outer = _current.get()
    ctx = AuditContext(
        user=user,
        process=process if user is None else "",
        reason=reason,
        request_id=request_id or (outer.request_id if outer else "") or uuid.uuid4().hex,
    )
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


@contextlib.contextmanager
def reason(text: str) -> Iterator[None]:
    """Attach a reason to the writes inside the block, keeping the actor."""
    ctx = current()
    token = _current.set(replace(ctx, reason=text))
    try:
        yield
    finally:
        _current.reset(token)
