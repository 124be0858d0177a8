"""The letter renderer: every template renders to HTML and PDF with Dutch amounts and dates, page numbers
and the letterhead; a missing fact fails loudly; facts are escaped; floats are refused."""

from __future__ import annotations

import subprocess
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from notifications.letters import LetterError, LetterRenderer, to_pdf

LETTERS = Path(__file__).resolve().parents[2] / "templates" / "letters"
EXPECTED = {
    "aanstelling_expert",
    "afwijzing",
    "betalingsbevestiging",
    "dekkingsbevestiging",
    "escalatie",
    "herinnering",
    "ontvangstbevestiging",
    "schadebeperkingsvoorstel",
    "vaststellingsovereenkomst",
    "verzoek_om_informatie",
    # to the claimant or their counsel (specs of version 2)
    "ontvangstbevestiging_benadeelde",
    "standpunt_aansprakelijkheid",
    "schikkingsvoorstel",
    "betalingsbevestiging_benadeelde",
    "eigen_risico_verzoek",
    # a recovery from a liable third party told to the insured (version 5)
    "regres_ontvangen",
    # the complaint track (klachtbehandeling), outside any transition
    "klacht_ontvangstbevestiging",
    "klacht_verlenging",
    "klacht_antwoord",
}


def facts(**extra: Any) -> dict[str, Any]:
    """Case 1 of the domain texts (the ERP project), as the claims side would hand it over."""
    base: dict[str, Any] = {
        "insurer": {
            "name": "claimflow Verzekeringen N.V.",
            "department": "Schadeafdeling BAV",
            "address": "Postbus 1234, 1000 AB Amsterdam",
            "email": "schade@claimflow.test",
            "complaints": "klachten@claimflow.test",
        },
        "recipient": {
            "name": "ERP Solutions B.V.",
            "attention": "de directie",
            "lines": ["ERP Solutions B.V.", "t.a.v. de directie", "Stationsplein 1", "3511 ED  UTRECHT"],
            "email": "info@erp.test",
            "reference": "ERP-17",
            "channel": "post",
            "party_id": 1,
            "role": "insured",
            "role_label": "Verzekerde",
        },
        "copies": [],
        "letter_date": date(2025, 10, 23),
        "claim": {
            "reference": "CF-2025-000001",
            "insured_reference": "ERP-17",
            "kind_label": "Onbetaalde vordering",
            "claimant": "Logistiek Dienstverlener B.V.",
            "date_reported": date(2025, 10, 10),
            "amount_claimed": Decimal("500000.00"),
            "description": "Fasegewijs ERP-project; de opdrachtgever stopte met betalen.",
            "state_label": "Expertise",
        },
        "policy": {
            "number": "BAV-2021-0001",
            "insured": "ERP Solutions B.V.",
            "cover_per_claim": Decimal("1250000.00"),
            "deductible": Decimal("5000.00"),
        },
        "handler": {"name": "Sanne de Vries", "email": "sanne.behandelaar@claimflow.test"},
        "expert": {"name": "Lars Visser", "email": "lars.expert@claimflow.test"},
        "paragraph": "",
        "response_due": datetime(2026, 1, 10, 22, 59, 59, tzinfo=UTC),
        "answer_due": date(2025, 11, 6),
        "complaint": {
            "number": 1,
            "subject": "Trage behandeling",
            "description": "",
            "received_on": date(2025, 10, 23),
        },
        "kifid": {
            "name": "Klachteninstituut Financiële Dienstverlening (Kifid)",
            "address": "Postbus 93257, 2509 AG Den Haag",
            "website": "www.kifid.nl",
            "without_answer_from": date(2025, 12, 18),
            "without_answer_term": "8 weken",
            "after_answer_term": "3 maanden",
        },
        "answer_term": "6 weken",
        "old_answer_due": date(2025, 12, 4),
        "extended_term": "3 maanden",
        "reason": "Wij wachten op het rapport van de expert.",
        "answer": "Wij hadden u eerder moeten informeren.",
        "outcome_label": "deels gegrond",
        "kifid_until": date(2026, 4, 6),
        "kifid_qualifies": None,
        "turnover_limit": "€ 5 miljoen",
        "report_due": date(2025, 11, 20),
        "questions": "De facturen en de correspondentie over de vertraging.",
        "reminder": "De facturen die wij op 23 oktober vroegen.",
        "ground": "Geen BAV-dekking: zaakschade valt onder de AVB",
        "reasons": "De schade is schade aan zaken van de opdrachtgever, geen vermogensschade.",
        "measure": "Voorschot van 50% van de onbetaalde facturen, zodat het project kan worden afgemaakt.",
        "mitigation_reserve": Decimal("125000.00"),
        "unpaid_total": Decimal("250000.00"),
        "amounts": [
            {"label": "Schadevergoeding", "amount": Decimal("125000.00")},
            {"label": "Wettelijke handelsrente", "amount": Decimal("4317.12")},
        ],
        "deductible": Decimal("5000.00"),
        "total": Decimal("129317.12"),
        # the settlement agreement: 130,000 agreed, the deductible off, nothing above the cover
        "damages": Decimal("130000.00"),
        "collection": Decimal("0.00"),
        "covered": Decimal("125000.00"),
        "insured_share": Decimal("0.00"),
        "cover_per_claim": Decimal("1250000.00"),
        "advanced": Decimal("0.00"),
        "advances": [],
        "earlier_payments": [],
        "earlier_total": Decimal("0.00"),
        "deductible_in_full": False,
        "interest_basis": "6:119a",
        "interest_until": date(2025, 10, 23),
        "insurer_iban": "NL93 ABNA 0555 0001 00",
        # a payment confirmation: what went to the addressee, to which account
        "transfers": [
            {
                "name": "ERP Solutions B.V.",
                "iban": "NL67 INGB 0006 4812 27",
                "lines": [{"label": "Beredding / schadebeperking", "amount": Decimal("125000.00")}],
                "total": Decimal("125000.00"),
            }
        ],
        "on_account": False,
        "settled": False,
        "terms": "Finale kwijting over en weer.",
        "payments": [{"label": "Voorschot schadebeperking", "amount": Decimal("125000.00")}],
        "position": "betwist",
        "position_label": "Aansprakelijkheid betwist",
        "offer_amount": Decimal("40000.00"),
        "paid_total": Decimal("125000.00"),
        "paid_to_date": Decimal("125000.00"),
        # a recovery (regres): 25,000 back of the 130,000 paid; the deductible stayed the insured's
        "amount": Decimal("25000.00"),
        "from_whom": "de verzekeraar van de hostingpartij",
        "received_on": date(2025, 10, 20),
        "note": "",
        "paid": Decimal("130000.00"),
        "recovered": Decimal("25000.00"),
        "own_share": Decimal("5000.00"),
        "own_share_what": "eigen risico",
        "deductible_open": Decimal("0.00"),
        "deadline": {
            "label": "Standpunt over dekking",
            "due_at": datetime(2025, 12, 1, 22, 59, 59, tzinfo=UTC),
        },
    }
    return base | extra


@pytest.fixture(scope="module")
def renderer() -> LetterRenderer:
    return LetterRenderer(LETTERS)


def test_the_letters_are_all_there(renderer: LetterRenderer) -> None:
    assert set(renderer.names()) == EXPECTED


def test_a_float_among_the_facts_refuses_the_letter(renderer: LetterRenderer) -> None:
    with pytest.raises(LetterError, match="float"):
        renderer.render("dekkingsbevestiging", facts(policy=dict(facts()["policy"]) | {"deductible": 12.5}))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_letter_renders_with_its_facts(renderer: LetterRenderer, name: str) -> None:
    letter = renderer.render(name, facts())
    first_line = (LETTERS / f"{name}.html.j2").read_text(encoding="utf-8").splitlines()[0]
    assert letter.template == name and first_line == f"{{# versie: {letter.version} #}}"
    assert len(letter.sha256) == 64
    assert "CF-2025-000001" in letter.html and "23 oktober 2025" in letter.html
    assert renderer.render(name, facts()).sha256 == letter.sha256  # the same facts, the same letter


@pytest.mark.parametrize(
    ("name", "phrases"),
    [
        ("ontvangstbevestiging", ["10 januari 2026", "Sanne de Vries", "CF-2025-000001"]),
        ("afwijzing", ["Kifid", "7:942", "drie jaar", "klachtenafdeling", "zaakschade"]),
        ("aanstelling_expert", ["in opdracht en voor rekening van claimflow Verzekeringen N.V.", "contra"]),
        (
            "vaststellingsovereenkomst",
            ["€ 130.000,00", "- € 5.000,00", "€ 125.000,00", "€ 4.317,12", "€ 129.317,12", "6:119a"],
        ),
        ("betalingsbevestiging", ["€ 125.000,00", "NL67 INGB 0006 4812 27", "in totaal € 125.000,00"]),
        ("eigen_risico_verzoek", ["€ 5.000,00", "NL93 ABNA 0555 0001 00", "CF-2025-000001"]),
        ("schadebeperkingsvoorstel", ["€ 250.000,00", "7:957"]),
        ("klacht_ontvangstbevestiging", ["8 weken", "18 december 2025", "Postbus 93257, 2509 AG Den Haag"]),
        ("klacht_verlenging", ["Wij wachten op het rapport van de expert.", "6 november 2025"]),
        (
            "klacht_antwoord",
            ["deels gegrond", "definitieve standpunt", "uiterlijk op 6 april 2026", "www.kifid.nl"],
        ),
    ],
)
def test_the_pdf_has_letterhead_page_numbers_and_the_text(
    renderer: LetterRenderer, name: str, phrases: list[str], tmp_path: Path
) -> None:
    pdf = tmp_path / f"{name}.pdf"
    pdf.write_bytes(to_pdf(renderer.render(name, facts()).html))
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = " ".join(text.split())
    assert "claimflow Verzekeringen N.V." in flat and "pagina 1 van 1" in flat
    for phrase in phrases:
        assert phrase in flat, f"{phrase!r} not in the {name} PDF"


def test_a_missing_fact_fails_loudly(renderer: LetterRenderer) -> None:
    incomplete = facts()
    del incomplete["response_due"]
    with pytest.raises(LetterError, match="response_due"):
        renderer.render("ontvangstbevestiging", incomplete)
    claim = dict(facts()["claim"])
    del claim["claimant"]
    with pytest.raises(LetterError, match="claimant"):
        renderer.render("dekkingsbevestiging", facts(claim=claim))


def test_facts_are_escaped(renderer: LetterRenderer) -> None:
    claim = dict(facts()["claim"]) | {"claimant": '<script>alert("x")</script> & Zn.'}
    html = renderer.render("ontvangstbevestiging", facts(claim=claim)).html
    assert "<script>" not in html and "&lt;script&gt;" in html and "&amp; Zn." in html


def test_a_template_without_a_version_is_refused(tmp_path: Path) -> None:
    (tmp_path / "kaal.html.j2").write_text("<p>{{ x }}</p>")
    with pytest.raises(LetterError, match="versie"):
        LetterRenderer(tmp_path).render("kaal", {"x": 1})
    with pytest.raises(LetterError, match="onbekende brief"):
        LetterRenderer(tmp_path).render("bestaat_niet", {})


# a letter to each kind of outside party: its address block, its own reference, the copies
ADDRESSEES: dict[str, dict[str, Any]] = {
    "insured": {
        "name": "ERP Solutions B.V.",
        "lines": ["ERP Solutions B.V.", "t.a.v. mevrouw K. Jansen", "Stationsplein 1", "3511 ED  UTRECHT"],
        "reference": "ERP/2025/117",
        "role_label": "Verzekerde",
    },
    "claimant": {
        "name": "Logistiek Dienstverlener B.V.",
        "lines": ["Logistiek Dienstverlener B.V.", "t.a.v. G. Dekker", "Havenweg 18", "3013 AK  ROTTERDAM"],
        "reference": "LD-INK-2025-88",
        "role_label": "Benadeelde",
    },
    "counsel": {
        "name": "Boer Advocaten",
        "lines": ["Boer Advocaten", "t.a.v. mr. A. de Boer", "Herengracht 450", "1017 CA  AMSTERDAM"],
        "reference": "BA-2025/0913",
        "role_label": "Advocaat/gemachtigde benadeelde",
    },
    "broker": {
        "name": "Assurantiekantoor De Wit B.V.",
        "lines": ["Assurantiekantoor De Wit B.V.", "Markt 4", "5211 JX  'S-HERTOGENBOSCH"],
        "reference": "DW-88",
        "role_label": "Tussenpersoon",
    },
}


# every letter, each to one of the outside parties in turn (every party gets several letters; the claimant's
# own letters go to the claimant and to counsel both)
_TO_PARTIES = [
    (name, role)
    for i, name in enumerate(sorted(EXPECTED - {"escalatie"}))
    for role in (
        [sorted(ADDRESSEES)[i % len(ADDRESSEES)]]
        if "benadeelde" not in name and name not in ("standpunt_aansprakelijkheid", "schikkingsvoorstel")
        else ["claimant", "counsel"]
    )
]


@pytest.mark.parametrize(("name", "role"), _TO_PARTIES)
def test_every_letter_to_every_outside_party_has_its_address_block_and_kenmerk(
    renderer: LetterRenderer, name: str, role: str, tmp_path: Path
) -> None:
    whom = ADDRESSEES[role] | {"attention": "", "email": "", "channel": "post", "party_id": 7, "role": role}
    copy = {**ADDRESSEES["broker"], "role": "broker", "channel": "post", "party_id": 8}
    letter = renderer.render(name, facts(recipient=whom, copies=[copy] if role != "broker" else []))
    pdf = tmp_path / f"{name}-{role}.pdf"
    pdf.write_bytes(to_pdf(letter.html))
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    lines = [line.strip() for line in text.splitlines()]
    block = [
        next(i for i, line in enumerate(lines) if line.startswith(x.split("  ")[0])) for x in whom["lines"]
    ]
    assert block == sorted(block) and block[-1] - block[0] == len(block) - 1, (whom["lines"], text[:600])
    flat = " ".join(text.split())
    assert f"Uw kenmerk {whom['reference']}" in flat and "Ons kenmerk CF-2025-000001" in flat
    assert ("Polisnummer BAV-2021-0001" in flat) == (role in ("insured", "broker"))
    if role != "broker":
        assert "Kopie aan: Assurantiekantoor De Wit B.V. (tussenpersoon)" in flat
    assert "B.V.." not in flat and "N.V.." not in flat
    # a block tag at a line's end must not glue the words around it together
    if role == "counsel" and name == "ontvangstbevestiging_benadeelde":
        assert "uw cliënt, Logistiek Dienstverlener B.V., haar aansprakelijk" in flat
    if role == "claimant" and name in ("ontvangstbevestiging_benadeelde", "schikkingsvoorstel"):
        assert "dat u haar aansprakelijk" in flat or "doen wij u zonder" in flat
