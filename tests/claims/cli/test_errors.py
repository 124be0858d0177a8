"""Domain errors as the CLI says them: the exit code of each, and the message lines, in process."""

from __future__ import annotations

import pytest
import typer

from claims.cli.errors import domain_errors, exit_code
from claims.errors import ClaimNotFound, LetterNotFound, StaleClaim
from claims.service.payments import PaymentNotFound, ProposalNotFound
from workflow.errors import Forbidden, InvalidInput, SpecError, TransitionNotAllowed, WorkflowError


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (InvalidInput({"amount": "ontbreekt"}), 2),
        (Forbidden("nee"), 3),
        (StaleClaim("oud", current_state="melding", current_version=2), 4),
        (TransitionNotAllowed("niet nu"), 5),
        (ClaimNotFound("weg"), 6),
        (ProposalNotFound("geen voorstel"), 6),  # not found, as a claim is
        (PaymentNotFound("geen betaling"), 6),
        (SpecError("x.yaml", "kapot"), 7),
        (LetterNotFound("geen brief"), 1),  # a domain error without a code of its own
    ],
)
def test_each_domain_error_exits_with_its_code(error: WorkflowError, code: int) -> None:
    assert exit_code(error) == code


def test_invalid_input_says_each_field_on_a_line_of_its_own(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(typer.Exit) as exited, domain_errors():
        raise InvalidInput({"amount": "ontbreekt", "date": "geen datum"})
    assert exited.value.exit_code == 2
    assert capsys.readouterr().err.splitlines() == ["fout: amount: ontbreekt", "fout: date: geen datum"]


def test_other_domain_errors_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(typer.Exit) as exited, domain_errors():
        raise ClaimNotFound("Claim CF-2026-999999 bestaat niet.")
    assert exited.value.exit_code == 6
    assert capsys.readouterr().err == "fout: Claim CF-2026-999999 bestaat niet.\n"
