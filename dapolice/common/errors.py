"""Errors services raise when a rule refuses a change."""

from __future__ import annotations

from django.core.exceptions import ValidationError


class DomainError(Exception):
    """A business rule refused the change. The message is safe to show to the user.

    ``field`` names the form field the message belongs to, when there is one, so a form can put
    the message beside it and keep what was typed.
    """

    def __init__(self, message: str, *, code: str = "invalid", field: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field

    @classmethod
    def from_validation(cls, exc: ValidationError, *, field: str) -> DomainError:
        """A field validator's refusal (``incidents.validators``), for a service to raise."""
        return cls(" ".join(str(m) for m in exc.messages), field=field)


class Conflict(DomainError):
    """The record changed under the user (a state transition already happened)."""

    def __init__(self, message: str, *, code: str = "conflict", field: str | None = None):
        super().__init__(message, code=code, field=field)
