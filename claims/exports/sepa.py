"""Payments to payees as a bank can take them: a SEPA credit-transfer batch (pain.001.001.03, written by
the sepaxml library and checked against its XSD) and the same transfers as a CSV for a bank's upload form.

Amounts are Decimal euros of whole cents; sepaxml takes integer cents, so each amount is converted exactly
and anything that is not a positive number of cents is refused, naming the payment.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sepaxml import SepaTransfer
from sepaxml.validation import ValidationError as SepaValidationError
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError as NumberInvalid

from claims.exports.files import inert

SCHEMA = "pain.001.001.03"
CENT = Decimal("0.01")
# The EPC's SEPA character set for references (Max35Text EndToEndId): a bank may refuse anything else,
# and a reference is the one field sepaxml does not transliterate.
_REFERENCE = re.compile(r"[A-Za-z0-9/?:().,'+ -]{1,35}")
REMITTANCE_MAX = 140  # Ustrd is Max140Text; sepaxml would cut a longer one without a word

CSV_HEADER = (
    "Betalingskenmerk",
    "Naam begunstigde",
    "IBAN begunstigde",
    "Bedrag",
    "Valuta",
    "Omschrijving",
    "Uitvoeringsdatum",
)


@dataclass(frozen=True)
class Debtor:
    """The account the payments leave from (the insurer's)."""

    name: str
    iban: str
    bic: str | None = None


@dataclass(frozen=True)
class Transfer:
    """One payment to a payee; `end_to_end_id` is the reference that comes back on both bank statements."""

    end_to_end_id: str
    payee_name: str
    payee_iban: str
    amount: Decimal
    remittance: str
    execution_date: date


def amount_in_cents(transfer: Transfer) -> int:
    """The transfer's amount as integer cents; ValueError unless it is a whole, positive number of cents."""
    amount = transfer.amount
    if not isinstance(amount, Decimal):
        # a float has already lost the cents it claims to hold
        raise ValueError(f"payment {transfer.end_to_end_id!r}: amount must be a Decimal, not {amount!r}")
    if not amount.is_finite() or amount <= 0:
        raise ValueError(f"payment {transfer.end_to_end_id!r}: amount must be above zero, not {amount}")
    if amount != amount.quantize(CENT):
        raise ValueError(f"payment {transfer.end_to_end_id!r}: amount {amount} is not whole cents")
    return int(amount.scaleb(2))


def _checked_iban(value: str, whose: str) -> str:
    try:
        compact: str = stdnum_iban.validate(value)
    except NumberInvalid as e:
        raise ValueError(f"{whose}: not a valid IBAN: {value!r}") from e
    return compact


def _check(transfers: Sequence[Transfer]) -> list[tuple[Transfer, str, int]]:
    if not transfers:
        raise ValueError("a batch needs at least one payment")
    seen: set[str] = set()
    checked = []
    for t in transfers:
        if not _REFERENCE.fullmatch(t.end_to_end_id) or t.end_to_end_id.strip() != t.end_to_end_id:
            raise ValueError(
                f"payment {t.end_to_end_id!r}: the reference must be 1 to 35 characters of the SEPA set "
                "(letters, digits, / - ? : ( ) . , ' + and inner spaces)"
            )
        if t.end_to_end_id in seen:
            # the reference is what reconciles a statement line with its payment: it must be unique
            raise ValueError(f"payment {t.end_to_end_id!r} appears twice in the batch")
        seen.add(t.end_to_end_id)
        if not t.payee_name.strip():
            raise ValueError(f"payment {t.end_to_end_id!r}: the payee has no name")
        if len(t.remittance) > REMITTANCE_MAX:
            raise ValueError(
                f"payment {t.end_to_end_id!r}: remittance text is {len(t.remittance)} characters, "
                f"at most {REMITTANCE_MAX}"
            )
        iban = _checked_iban(t.payee_iban, f"payment {t.end_to_end_id!r}")
        checked.append((t, iban, amount_in_cents(t)))
    return checked


def credit_transfer_xml(debtor: Debtor, transfers: Sequence[Transfer]) -> bytes:
    """The transfers as one pain.001.001.03 document (UTF-8 XML), one payment block per execution date,
    validated against the schema. ValueError, naming the payment, for an invalid IBAN, an amount that is
    not a positive number of cents, a bad or repeated reference or an over-long remittance text.

    Names and remittance texts are transliterated to ASCII by sepaxml, names cut at 70 characters; the
    message id and creation time are sepaxml's own (random, local clock), so two runs differ in those."""
    checked = _check(transfers)
    config: dict[str, object] = {
        "name": debtor.name,
        "IBAN": _checked_iban(debtor.iban, "debtor"),
        "currency": "EUR",
        "batch": True,
    }
    if debtor.bic:
        try:
            config["BIC"] = stdnum_bic.validate(debtor.bic)
        except NumberInvalid as e:
            raise ValueError(f"debtor: not a valid BIC: {debtor.bic!r}") from e
    sepa = SepaTransfer(config, schema=SCHEMA)
    for t, iban, cents in checked:
        sepa.add_payment(
            {
                "name": t.payee_name,
                "IBAN": iban,
                "amount": cents,
                "execution_date": t.execution_date,
                "description": t.remittance,
                "endtoend_id": t.end_to_end_id,
            }
        )
    try:
        xml: bytes = sepa.export(validate=True)
    except SepaValidationError as e:
        # xmlschema's report runs to a page; its first line and the element's path say what is wrong
        lines = str(e.__cause__).splitlines() or [str(e)]
        where = next((line for line in lines if line.startswith("Path:")), "")
        raise ValueError(f"the batch does not validate against {SCHEMA}: {lines[0]} {where}".rstrip()) from e
    return xml


def transfers_csv(transfers: Sequence[Transfer]) -> str:
    """The transfers as CSV text (semicolons, Dutch column names, amounts as 1234.50, dates as ISO), checked
    as for the XML; encode it as UTF-8. Text cells a spreadsheet would read as a formula are neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for t, iban, cents in _check(transfers):
        writer.writerow(
            [
                inert(t.end_to_end_id),
                inert(t.payee_name),
                iban,
                # from the cents, so the column always carries two decimals and never an exponent
                f"{cents // 100}.{cents % 100:02d}",
                "EUR",
                inert(t.remittance),
                t.execution_date.isoformat(),
            ]
        )
    return buffer.getvalue()
