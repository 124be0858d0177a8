"""Domain errors as the CLI says them: one-line messages naming the field, and the one map to exit codes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer

from claims.errors import ClaimNotFound, DocumentDamaged, DocumentNotFound, DocumentTooLarge, StaleClaim
from workflow.errors import (
    CalendarNotCovered,
    Forbidden,
    InvalidInput,
    SpecError,
    TransitionNotAllowed,
    WorkflowError,
)

EXIT_CODES: dict[type[WorkflowError], int] = {
    InvalidInput: 2,
    Forbidden: 3,
    StaleClaim: 4,
    TransitionNotAllowed: 5,
    ClaimNotFound: 6,
    SpecError: 7,
    DocumentTooLarge: 2,  # a bad argument (FILE), like any other input
    DocumentNotFound: 6,
    DocumentDamaged: 9,
    CalendarNotCovered: 10,  # the calendar data lacks a year's decree days: the operator adds them
}
# `workflows migrate`: some claims could not be migrated (listed); the others were
MIGRATION_REFUSED = 8
# `audit verify`: a timeline's hash chain is broken (each broken claim named)
CHAIN_BROKEN = 9


def exit_code(exc: WorkflowError) -> int:
    """The exit code of a domain error: that of the first class in EXIT_CODES it is, else 1."""
    return next((c for t, c in EXIT_CODES.items() if isinstance(exc, t)), 1)


def fail(message: str, code: int = 1) -> NoReturn:
    """Say what went wrong on stderr, prefixed `fout:`, and exit with `code`."""
    typer.echo(f"fout: {message}", err=True)
    raise typer.Exit(code)


@contextmanager
def domain_errors() -> Iterator[None]:
    """The one place domain errors become CLI messages: each field of an InvalidInput on a line of its own."""
    try:
        yield
    except InvalidInput as exc:
        for field, problem in exc.errors.items():
            typer.echo(f"fout: {field}: {problem}", err=True)
        raise typer.Exit(EXIT_CODES[InvalidInput]) from None
    except WorkflowError as exc:
        fail(str(exc), exit_code(exc))
