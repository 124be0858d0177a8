"""The SEPA credit-transfer batch (pain.001.001.03 by sepaxml, validated against its XSD) read back with
xml.etree: control sums, counts, IBANs, amounts and references as given; amounts that are not whole
positive cents and invalid IBANs refused by payment; and the CSV a bank upload is built from."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from claims.exports.sepa import (
    CSV_HEADER,
    Debtor,
    Transfer,
    amount_in_cents,
    credit_transfer_xml,
    transfers_csv,
)

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}
D = Decimal

INSURER = Debtor("Verzekeraar BAV N.V.", "NL91 ABNA 0417 1643 00", "ABNANL2A")
TRANSFERS = [
    Transfer(
        "CF-2025-0001-1",
        "Jansen Software B.V.",
        "NL20INGB0001234567",
        D("1250.10"),
        "Schade 2025-0001",
        date(2026, 3, 2),
    ),
    Transfer(
        "CF-2025-0001-2",
        "Mr. K. de Vries",
        "nl18 rabo 0123 4598 76",
        D("0.01"),
        "Kosten van verweer",
        date(2026, 3, 2),
    ),
    Transfer(
        "CF-2025-0002-1",
        "Müller & Söhne GmbH",
        "DE89370400440532013000",
        D("98765.43"),
        "Schadevergoeding, finale kwijting",
        date(2026, 3, 5),
    ),
]
# 1,250.10 + 0.01 + 98,765.43 = 100,015.54; on 2 March 1,250.10 + 0.01 = 1,250.11, on 5 March 98,765.43
TOTAL = D("100015.54")


def _parse(xml: bytes) -> ET.Element:
    return ET.fromstring(xml)


def test_the_batch_reads_back_with_its_sums_counts_and_payments() -> None:
    root = _parse(credit_transfer_xml(INSURER, TRANSFERS))
    header = root.find("p:CstmrCdtTrfInitn/p:GrpHdr", NS)
    assert header is not None
    assert header.findtext("p:NbOfTxs", namespaces=NS) == "3"
    assert D(header.findtext("p:CtrlSum", namespaces=NS) or "") == TOTAL == sum(t.amount for t in TRANSFERS)

    blocks = root.findall("p:CstmrCdtTrfInitn/p:PmtInf", NS)
    by_date = {b.findtext("p:ReqdExctnDt", namespaces=NS): b for b in blocks}
    assert set(by_date) == {"2026-03-02", "2026-03-05"}
    assert by_date["2026-03-02"].findtext("p:NbOfTxs", namespaces=NS) == "2"
    assert by_date["2026-03-02"].findtext("p:CtrlSum", namespaces=NS) == "1250.11"
    assert by_date["2026-03-05"].findtext("p:CtrlSum", namespaces=NS) == "98765.43"
    for block in blocks:
        assert block.findtext("p:DbtrAcct/p:Id/p:IBAN", namespaces=NS) == "NL91ABNA0417164300"
        assert block.findtext("p:DbtrAgt/p:FinInstnId/p:BIC", namespaces=NS) == "ABNANL2A"
        assert block.findtext("p:PmtTpInf/p:SvcLvl/p:Cd", namespaces=NS) == "SEPA"

    payments = {
        tx.findtext("p:PmtId/p:EndToEndId", namespaces=NS): tx
        for tx in root.iterfind("p:CstmrCdtTrfInitn/p:PmtInf/p:CdtTrfTxInf", NS)
    }
    assert list(payments) == ["CF-2025-0001-1", "CF-2025-0001-2", "CF-2025-0002-1"]
    expected = {
        "CF-2025-0001-1": ("NL20INGB0001234567", "1250.10", "Jansen Software B.V.", "Schade 2025-0001"),
        # the IBAN compacted and upper-cased; the smallest amount keeps its leading zero
        "CF-2025-0001-2": ("NL18RABO0123459876", "0.01", "Mr. K. de Vries", "Kosten van verweer"),
        # sepaxml transliterates names to ASCII (ü -> u, ö -> o)
        "CF-2025-0002-1": (
            "DE89370400440532013000",
            "98765.43",
            "Muller & Sohne GmbH",
            "Schadevergoeding, finale kwijting",
        ),
    }
    for ref, (iban, amount, name, text) in expected.items():
        tx = payments[ref]
        assert tx.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=NS) == iban
        instructed = tx.find("p:Amt/p:InstdAmt", NS)
        assert instructed is not None and instructed.get("Ccy") == "EUR" and instructed.text == amount
        assert tx.findtext("p:Cdtr/p:Nm", namespaces=NS) == name
        assert tx.findtext("p:RmtInf/p:Ustrd", namespaces=NS) == text


def test_a_debtor_without_a_bic_still_validates() -> None:
    root = _parse(credit_transfer_xml(Debtor("Verzekeraar BAV N.V.", "NL91ABNA0417164300"), TRANSFERS[:1]))
    block = root.find("p:CstmrCdtTrfInitn/p:PmtInf", NS)
    assert block is not None and block.find("p:DbtrAgt/p:FinInstnId/p:BIC", NS) is None
    assert root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", namespaces=NS) == "1250.10"


@pytest.mark.parametrize(
    ("amount", "cents"),
    [(D("0.01"), 1), (D("1250.1"), 125010), (D("98765.43"), 9876543), (D("1000000.00"), 100000000)],
)
def test_amounts_reach_sepaxml_as_exact_integer_cents(amount: Decimal, cents: int) -> None:
    converted = amount_in_cents(replace(TRANSFERS[0], amount=amount))
    assert converted == cents and type(converted) is int


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (D("0"), "above zero"),
        (D("-5.00"), "above zero"),
        (D("10.005"), "not whole cents"),
        (D("NaN"), "above zero"),
        (0.1, "must be a Decimal"),
    ],
)
def test_an_amount_that_is_not_positive_whole_cents_is_refused_naming_the_payment(
    amount: Decimal, message: str
) -> None:
    bad = replace(TRANSFERS[1], amount=amount)
    for build in (lambda: credit_transfer_xml(INSURER, [TRANSFERS[0], bad]), lambda: transfers_csv([bad])):
        with pytest.raises(ValueError, match=message) as caught:
            build()
        assert "'CF-2025-0001-2'" in str(caught.value)


def test_an_invalid_payee_iban_is_refused_naming_the_payment() -> None:
    bad = replace(TRANSFERS[2], payee_iban="NL91ABNA0417164301")  # check digits do not match
    with pytest.raises(ValueError, match=r"payment 'CF-2025-0002-1': not a valid IBAN"):
        credit_transfer_xml(INSURER, [TRANSFERS[0], bad])


def test_an_invalid_debtor_iban_or_bic_is_refused() -> None:
    with pytest.raises(ValueError, match="debtor: not a valid IBAN"):
        credit_transfer_xml(replace(INSURER, iban="NL02RABO0123456789"), TRANSFERS)
    with pytest.raises(ValueError, match="debtor: not a valid BIC"):
        credit_transfer_xml(replace(INSURER, bic="ABNA"), TRANSFERS)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"end_to_end_id": "X" * 36}, "1 to 35 characters"),
        ({"end_to_end_id": ""}, "1 to 35 characters"),
        ({"end_to_end_id": "CF_1"}, "SEPA set"),
        ({"end_to_end_id": " CF-1"}, "SEPA set"),
        ({"remittance": "x" * 141}, "at most 140"),
        ({"payee_name": "  "}, "no name"),
    ],
)
def test_fields_a_bank_would_refuse_or_cut_are_refused(changes: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        credit_transfer_xml(INSURER, [replace(TRANSFERS[0], **changes)])  # type: ignore[arg-type]


def test_a_reference_used_twice_and_an_empty_batch_are_refused() -> None:
    with pytest.raises(ValueError, match="appears twice"):
        credit_transfer_xml(INSURER, [TRANSFERS[0], replace(TRANSFERS[1], end_to_end_id="CF-2025-0001-1")])
    with pytest.raises(ValueError, match="at least one payment"):
        credit_transfer_xml(INSURER, [])


def test_the_csv_has_dutch_headers_dot_decimals_and_the_same_payments() -> None:
    text = transfers_csv(
        [*TRANSFERS, replace(TRANSFERS[0], end_to_end_id="CF-9", payee_name="=HYPERLINK(1)")]
    )
    assert text.splitlines()[0] == (
        "Betalingskenmerk;Naam begunstigde;IBAN begunstigde;Bedrag;Valuta;Omschrijving;Uitvoeringsdatum"
    )
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert tuple(rows[0]) == CSV_HEADER
    assert rows[1:] == [
        [
            "CF-2025-0001-1",
            "Jansen Software B.V.",
            "NL20INGB0001234567",
            "1250.10",
            "EUR",
            "Schade 2025-0001",
            "2026-03-02",
        ],
        [
            "CF-2025-0001-2",
            "Mr. K. de Vries",
            "NL18RABO0123459876",
            "0.01",
            "EUR",
            "Kosten van verweer",
            "2026-03-02",
        ],
        # the name kept as written (no transliteration in the CSV), UTF-8 when encoded
        [
            "CF-2025-0002-1",
            "Müller & Söhne GmbH",
            "DE89370400440532013000",
            "98765.43",
            "EUR",
            "Schadevergoeding, finale kwijting",
            "2026-03-05",
        ],
        # a name a spreadsheet would run as a formula is made inert
        ["CF-9", "'=HYPERLINK(1)", "NL20INGB0001234567", "1250.10", "EUR", "Schade 2025-0001", "2026-03-02"],
    ]
    # 1,250.10 + 0.01 + 98,765.43 + 1,250.10 = 101,265.64, read back from the text to the cent
    assert sum(D(r[3]) for r in rows[1:]) == D("101265.64")
    assert "Müller".encode() in text.encode("utf-8")


@pytest.mark.parametrize(
    ("debtor", "amount", "where"),
    [
        # the schema wants a name of at least one character, which nothing before sepaxml checks
        (replace(INSURER, name=""), D("1250.10"), "Path: /Document/CstmrCdtTrfInitn/GrpHdr/InitgPty/Nm"),
        # 18 digits at most in an amount (ActiveOrHistoricCurrencyAndAmount); this one has 20
        (INSURER, D("999999999999999999.99"), "Path: /Document/CstmrCdtTrfInitn/GrpHdr/CtrlSum"),
    ],
)
def test_the_schema_is_checked(debtor: Debtor, amount: Decimal, where: str) -> None:
    with pytest.raises(ValueError, match=r"does not validate against pain\.001\.001\.03") as caught:
        credit_transfer_xml(debtor, [replace(TRANSFERS[0], amount=amount)])
    assert str(caught.value).endswith(where) and "\n" not in str(caught.value)
