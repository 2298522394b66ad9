"""Security events: deactivation ends access; log-in failures and lock-outs are logged (U1, U2)."""

from __future__ import annotations

import logging
from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save
from django.dispatch import receiver

from trialsite.accounts.models import User

security_log = logging.getLogger("trialsite.security")
SESSION_STARTED_KEY = "trialsite_started"


@receiver(post_save, sender=User, dispatch_uid="accounts.deactivation_ends_access")
def deactivation_ends_access(sender: type[User], instance: User, created: bool, **kwargs: Any) -> None:
    if not created and not instance.is_active:
        from trialsite.accounts.services import end_access

        end_access(instance)


def _ip(request: Any) -> str:
    return getattr(request, "META", {}).get("REMOTE_ADDR", "") if request is not None else ""


@receiver(user_logged_in, dispatch_uid="accounts.logged_in")
def logged_in(sender: Any, request: Any, user: User, **kwargs: Any) -> None:
    import time

    if request is not None and hasattr(request, "session"):
        request.session[SESSION_STARTED_KEY] = int(time.time())
    security_log.info("login user=%s ip=%s", user.pk, _ip(request))


@receiver(user_logged_out, dispatch_uid="accounts.logged_out")
def logged_out(sender: Any, request: Any, user: User | None, **kwargs: Any) -> None:
    security_log.info("logout user=%s", getattr(user, "pk", None))


@receiver(user_login_failed, dispatch_uid="accounts.login_failed")
def login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    security_log.warning("login failed username=%r ip=%s", str(credentials.get("username", ""))[:150], _ip(request))


@receiver(user_locked_out, dispatch_uid="accounts.locked_out")
def locked_out(
    sender: Any, request: Any, username: str | None = None, ip_address: str | None = None, **kwargs: Any
) -> None:
    security_log.warning("login locked out username=%r ip=%s", (username or "")[:150], ip_address or _ip(request))
