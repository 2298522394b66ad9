"""Errors that services raise and every interface (UI, API, commands) turns into a clear answer."""

from django.core.exceptions import ValidationError


class ConflictError(Exception):
    """The record changed since the caller read it (optimistic concurrency, standards F1)."""

    def __init__(
        self,
        message: str = "This record was changed by someone else since you loaded it. "
        "Reload it and apply your change again.",
    ) -> None:
        super().__init__(message)
        self.message = message


def field_error(field: str, message: str, code: str = "invalid") -> ValidationError:
    """A ValidationError that names the field, so the API says which input is wrong."""
    return ValidationError({field: [ValidationError(message, code=code)]})


__all__ = ["ConflictError", "ValidationError", "field_error"]
