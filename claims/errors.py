"""Every error the claims domain raises for a person to act on, in one module; the web maps them to
HTTP answers (claims.web.errors) and the CLI to exit codes (claims.cli.errors), each in one place. The
engine's own errors (InvalidInput, Forbidden, TransitionNotAllowed, SpecError) are in workflow.errors."""

from __future__ import annotations

from workflow.errors import InvalidInput, WorkflowError


class ClaimNotFound(WorkflowError):
    """No claim has this schadenummer."""


class PartyNotFound(InvalidInput):
    """A party id that is none of the claim's parties: a wrong field (`party`) to the CLI and the service's
    callers, a 404 to the API (the id is part of the address there)."""

    def __init__(self, message: str) -> None:
        super().__init__({"party": message})


class StaleClaim(WorkflowError):
    """Someone else changed the claim since the caller read it (or the caller's version is one the
    claim never had); nothing was applied."""

    def __init__(self, message: str, *, current_state: str, current_version: int) -> None:
        super().__init__(message)
        self.current_state = current_state
        self.current_version = current_version


class LetterNotFound(WorkflowError):
    """No letter has this number (or the asker may not read its claim)."""


class LetterFailed(WorkflowError):
    """A letter could not be written (a template lacks a fact): our fault, not the user's; nothing was
    stored."""


class LoginRefused(WorkflowError):
    """Wrong e-mail address or password, or too many attempts; `retry_after` seconds when throttled."""

    def __init__(self, message: str, retry_after: int = 0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class NotAnIncident(WorkflowError):
    """Only an incident is sent again: this message is pending, in flight or already sent."""


class OutboxNotFound(WorkflowError):
    """No outbox message has this number."""


class CannotAnswer(InvalidInput):
    """A document cannot be marked as the answer to a request as things stand (it is no received
    correspondence, it answers one already, the request is answered or does not exist): the form's
    field to a form, a conflict (409) to the API, where the request itself was well formed."""


class DocumentNotFound(WorkflowError):
    """No document has this number on this claim (or the asker may not see it: an expert asking for an
    internal one is told the same, so its existence is not given away)."""


class DocumentTooLarge(WorkflowError):
    """An upload above the configured size limit: refused while it streamed in, nothing stored."""

    def __init__(self, message: str, *, limit: int) -> None:
        super().__init__(message)
        self.limit = limit


class DocumentDamaged(WorkflowError):
    """A stored document's content no longer has the sha256 it was stored under (or is gone): it is not
    served; an incident is on record."""


class ComplaintNotFound(ClaimNotFound):
    """No complaint has this number on this claim."""
