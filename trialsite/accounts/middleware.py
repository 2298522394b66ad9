"""Session limits and refused-access logging (standards U2, P3).

Idle timeout: a session unused for SESSION_IDLE_TIMEOUT_SECONDS ends. Absolute age: a session
older than SESSION_ABSOLUTE_SECONDS since log-in ends however busy it is. Refused attempts
(403, and 404 for a logged-in user, which is how out-of-scope records answer) are logged with
user, path and request id to the "trialsite.security" logger.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

from trialsite.accounts.signals import SESSION_STARTED_KEY

SESSION_KEY = "trialsite_last_seen"
# Refresh the idle stamp at most this often, so most requests do not rewrite the session.
TOUCH_EVERY_SECONDS = 30

security_log = logging.getLogger("trialsite.security")


def absolute_limit() -> int:
    return int(getattr(settings, "SESSION_ABSOLUTE_SECONDS", settings.SESSION_COOKIE_AGE))


class IdleTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and request.session.session_key:
            now = int(time.time())
            last = request.session.get(SESSION_KEY, now)
            started = request.session.get(SESSION_STARTED_KEY)
            if now - last > settings.SESSION_IDLE_TIMEOUT_SECONDS:
                security_log.info("session ended: idle user=%s", request.user.pk)
                logout(request)
            elif started is not None and now - started > absolute_limit():
                security_log.info("session ended: absolute age user=%s", request.user.pk)
                logout(request)
            else:
                if started is None:
                    request.session[SESSION_STARTED_KEY] = now
                if SESSION_KEY not in request.session or now - last >= TOUCH_EVERY_SECONDS:
                    request.session[SESSION_KEY] = now
        return self.get_response(request)


class RefusedAccessLogMiddleware:
    """Log refused access attempts of logged-in users (API users too: DRF sets request.user)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code in (401, 403, 404):
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                security_log.warning(
                    "access refused status=%s user=%s method=%s path=%s request_id=%s",
                    response.status_code,
                    user.pk,
                    request.method,
                    request.path[:300],
                    getattr(request, "request_id", ""),
                )
        return response
