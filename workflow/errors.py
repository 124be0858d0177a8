"""Errors of the generic engine. The domain maps them to HTTP and CLI messages in one place each."""

from __future__ import annotations


class WorkflowError(Exception):
    """Base of every refusal the engine gives; `str()` is a message a person can act on."""


class SpecError(WorkflowError):
    """A workflow spec that cannot be used, with the file it came from."""

    def __init__(self, source: str, problem: str) -> None:
        super().__init__(f"{source}: {problem}")
        self.source = source
        self.problem = problem


class TransitionNotAllowed(WorkflowError):
    """The trigger does not exist from the current state, or a guard refused it."""

    def __init__(self, message: str, *, guard: str | None = None) -> None:
        super().__init__(message)
        self.guard = guard


class Forbidden(WorkflowError):
    """The actor's role or relation to the case does not permit this."""


class InvalidInput(WorkflowError):
    """One or more input fields are missing or malformed; `errors` maps field name to message."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))


class CalendarNotCovered(WorkflowError, ValueError):
    """The working-day calendar was asked about a year its data does not cover (for the Dutch one: a year
    without a decree of days put on a par with holidays). No user can fix it, the data must be extended
    (the web answers 503 with this message, the CLI exits 10); `year` is the year asked about."""

    def __init__(self, year: int, remedy: str) -> None:
        super().__init__(f"De kalender kent {year} niet: {remedy}")
        self.year = year
