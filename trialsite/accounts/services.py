"""Account actions: roles granted and revoked, temporary passwords, API tokens, deactivation.

One atomic function per action, attributed to `actor` and audited. Tokens are not audited
records themselves (their key is a secret), so their creation and revocation is recorded as
an audit event on the user, without the key.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth import password_validation
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from trialsite.accounts.models import RoleAssignment, User
from trialsite.core.context import acting_as
from trialsite.core.exceptions import ConflictError, field_error
from trialsite.core.models import write_audit_entries
from trialsite.core.services import check_can_write, save_record

security_log = logging.getLogger("trialsite.security")


def grant_role(
    *, actor: Any, user: User, role: str, site: Any = None, study_site: Any = None, reason: str = ""
) -> RoleAssignment:
    """Give a user a role at the network, a site or a study at a site (validated by RoleAssignment.clean)."""
    assignment = RoleAssignment(user=user, role=role, site=site, study_site=study_site, is_active=True)
    return save_record(assignment, actor=actor, reason=reason)


@transaction.atomic
def set_role_active(
    assignment: RoleAssignment, *, actor: Any, active: bool, expected_version: int, reason: str = ""
) -> RoleAssignment:
    """Revoke (deactivate) or restore a role assignment; assignments are never deleted."""
    with acting_as(actor, reason=reason):
        locked = RoleAssignment.objects.select_for_update().get(pk=assignment.pk)
        check_can_write(actor, locked)
        if expected_version != locked.version:
            raise ConflictError()
        if not active and not reason.strip():
            raise field_error("reason", "Say why the role is revoked.")
        if locked.is_active == active:
            return locked
        locked.is_active = active
        locked.full_clean()
        locked.save_with_reason(reason, event="role.revoked" if not active else "role.restored")
        return locked


@transaction.atomic
def set_temporary_password(user: User, *, actor: Any, password: str, reason: str = "") -> User:
    """An administrator sets a temporary password; the user's other sessions end with it."""
    with acting_as(actor, reason=reason or "temporary password set by an administrator"):
        locked = User.objects.select_for_update().get(pk=user.pk)
        check_can_write(actor, locked)
        try:
            password_validation.validate_password(password, locked)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from exc
        locked.set_password(password)
        locked.save_with_reason(reason or "temporary password set by an administrator", event="user.password_set")
        end_sessions(locked)
        return locked


def end_sessions(user: User) -> int:
    """Delete every stored session of this user (standards U2). Returns how many ended."""
    ended = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            ended.append(session.session_key)
    Session.objects.filter(session_key__in=ended).delete()
    return len(ended)


def _token_event(user: User, event: str, change: list[str]) -> None:
    write_audit_entries([(user, "update", {"api_token": change})], event=event)


@transaction.atomic
def issue_token(user: User, *, actor: Any) -> str:
    """Create (or replace) the user's API token. The key is returned once and never recorded."""
    with acting_as(actor, reason="API token issued"):
        user = User.objects.select_for_update().get(pk=user.pk)  # serializes concurrent issuance
        if actor.pk != user.pk:
            check_can_write(actor, user)
        had = Token.objects.filter(user=user).delete()[0] > 0
        token = Token.objects.create(user=user)
        _token_event(
            user, "token.regenerated" if had else "token.created", ["(revoked)" if had else "(none)", "(issued)"]
        )
        security_log.info("api token issued user=%s by=%s", user.pk, actor.pk)
        return token.key


@transaction.atomic
def revoke_token(user: User, *, actor: Any, reason: str = "") -> bool:
    with acting_as(actor, reason=reason or "API token revoked"):
        user = User.objects.select_for_update().get(pk=user.pk)
        if actor.pk != user.pk:
            check_can_write(actor, user)
        removed = Token.objects.filter(user=user).delete()[0] > 0
        if removed:
            _token_event(user, "token.revoked", ["(issued)", "(revoked)"])
            security_log.info("api token revoked user=%s by=%s", user.pk, actor.pk)
        return removed


def end_access(user: User) -> tuple[int, int]:
    """A deactivated user keeps no way in: sessions and API tokens end (standards U2, P4)."""
    sessions = end_sessions(user)
    tokens = Token.objects.filter(user=user).delete()[0]
    if tokens:
        _token_event(user, "token.revoked", ["(issued)", "(revoked: account deactivated)"])
    security_log.info("access ended for deactivated user=%s sessions=%s tokens=%s", user.pk, sessions, tokens)
    return sessions, tokens
