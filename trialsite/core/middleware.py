"""Request id and audit actor for every request (standards A1, A4)."""

import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from trialsite.core.context import acting_as

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


class AuditActorMiddleware:
    """Every write in a request is attributed to the logged-in user (never to client input).

    DRF authenticates tokens later, in the view; `trialsite.core.api` re-binds the actor then.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user if request.user.is_authenticated else None
        with acting_as(user, process="web:anonymous", request_id=getattr(request, "request_id", "")):
            return self.get_response(request)
