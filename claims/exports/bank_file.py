"""The bank file of the payments list: every approved, unpaid payment as a SEPA credit transfer
(pain.001.001.03, the format a Dutch bank takes) or as a CSV a bank upload can be built from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.engine import Connection

from claims.exports.sepa import Debtor, Transfer, credit_transfer_xml, transfers_csv
from claims.letters.facts import INSURER
from claims.storage.models import PaymentStatus
from claims.storage.records import PaymentListed
from claims.storage.repositories import payments

DEBTOR = Debtor(name=INSURER["name"], iban=INSURER["iban"], bic=INSURER["bic"])


@dataclass(frozen=True)
class BankFile:
    transfers: tuple[Transfer, ...]
    left_out: tuple[str, ...]  # payments that cannot go to the bank, each with why (no IBAN)

    def xml(self) -> bytes:
        return credit_transfer_xml(DEBTOR, self.transfers)

    def csv(self) -> str:
        return transfers_csv(self.transfers)


def to_pay(conn: Connection) -> list[PaymentListed]:
    """The approved payments not yet paid, the oldest first."""
    return payments.listing(conn, (PaymentStatus.approved,))


def bank_file(conn: Connection, execution_date: date) -> BankFile:
    """The approved payments as transfers to be executed on `execution_date`; a payment without an IBAN
    (one made before payees had to have one) is left out and named."""
    transfers: list[Transfer] = []
    left_out: list[str] = []
    for p in to_pay(conn):
        if not p.iban:
            left_out.append(f"{p.reference} ({p.payee_name}): geen IBAN")
            continue
        transfers.append(
            Transfer(
                end_to_end_id=p.reference,
                payee_name=p.account_holder or p.payee_name,
                payee_iban=p.iban,
                amount=p.amount,
                remittance=p.description[:140],  # begins with the claim reference
                execution_date=execution_date,
            )
        )
    return BankFile(tuple(transfers), tuple(left_out))
