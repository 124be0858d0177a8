"""Letters as the service writes them: every template for a real seeded case, read back from its PDF with
pdftotext; linked to its event with version and sha256; previewed without storing anything; a free
paragraph only where the spec allows one; a template missing a fact refuses the transition."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session

from claims.deadlines.sweep import sweep
from claims.errors import StaleClaim
from claims.kinds.catalog import LETTER_DIR, letter_templates
from claims.runtime import Runtime
from claims.service import advance, preview_letters
from claims.service.complaints import LETTERS as COMPLAINT_STEP_LETTERS
from claims.storage.tables import CLAIMS, EVENTS, LETTERS
from notifications.letters import LetterError, LetterRenderer, to_pdf
from seeds.loader import load_seed_file, seed
from tests.claims.driver import Driver
from tests.conftest import snapshot
from tests.factories import World
from workflow.errors import InvalidInput

# For each template: a seeded case that sends it, and what its PDF must say (amounts and dates Dutch).
COMPLAINT_LETTERS = set(COMPLAINT_STEP_LETTERS.values())
SEEDED = {
    "ontvangstbevestiging": (
        "SEED-01",
        [
            "Ontvangstbevestiging van uw melding",
            "Op 10 oktober 2025 ontvingen wij uw melding",
            "Logistiek Dienstverlener B.V.",
            "Sanne de Vries (sanne.behandelaar@claimflow.test)",
            "uiterlijk op 10 januari 2026",  # 3 months after the melding of 10 October (not the receipt)
            "ERP Solutions B.V.",
        ],
    ),
    "verzoek_om_informatie": (
        "SEED-02",
        ["Verzoek om aanvullende informatie", "Het logboek van de update", "15 september 2026"],
    ),
    "herinnering": ("SEED-02", ["Herinnering", "De back-upregeling", "17 september 2026"]),
    "dekkingsbevestiging": ("SEED-01", ["Bevestiging van dekking", "€ 1.250.000,00", "€ 5.000,00"]),
    "aanstelling_expert": (
        "SEED-01",
        ["Opdracht tot expertise", "Lars Visser", "ERP Solutions B.V.", "€ 500.000,00", "13 november 2025"],
    ),
    "afwijzing": (
        "SEED-04",
        [
            "Afwijzing van uw aanspraak op uitkering",
            "Geen BAV-dekking - zaak- of letselschade (AVB)",
            "bedrijfsaansprakelijkheidsverzekering (AVB)",
            "Kifid",
            "7:942",
        ],
    ),
    "schadebeperkingsvoorstel": ("SEED-01", ["Voorstel tot schadebeperking", "€ 125.000,00", "€ 250.000,00"]),
    # case 3: the insured was paid 27,500 (30,000 less the deductible); the expert's fee went to the expert
    "betalingsbevestiging": (
        "SEED-03",
        ["Bevestiging van betaling", "€ 27.500,00", "in totaal € 27.500,00 betaald", "NL38 RABO"],
    ),
    "vaststellingsovereenkomst": ("SEED-11", ["Vaststellingsovereenkomst", "€ 15.000,00", "Direct betaald."]),
    "eigen_risico_verzoek": (
        "SEED-08",
        ["Verzoek om betaling van het eigen risico", "€ 5.000,00", "NL93 ABNA"],
    ),
    # case 9: 25,000 back from the backup's hosting party after 52,000 mitigation and 185,000 damages
    "regres_ontvangen": (
        "SEED-09",
        [
            "Verhaal op een aansprakelijke derde (regres)",
            "€ 25.000,00",
            "14 september 2026",
            # paid 52,000 mitigation + 185,000 less the 5,000 deductible; 25,000 of it came back
            "€ 232.000,00",
            "€ 207.000,00",
            "(€ 5.000,00: eigen risico)",
            "7:962 lid 2",
        ],
    ),
    "ontvangstbevestiging_benadeelde": (
        "SEED-01",
        [
            "Ontvangstbevestiging van uw aanspraak",
            "uw cliënt, Logistiek Dienstverlener B.V.",
            "Boer Advocaten",
        ],
    ),
    "standpunt_aansprakelijkheid": (
        "SEED-03",
        ["Ons standpunt over de aansprakelijkheid", "Aansprakelijkheid erkend"],
    ),
    "schikkingsvoorstel": ("SEED-03", ["Voorstel tot schikking", "€ 30.000,00", "24 april 2026"]),
    "betalingsbevestiging_benadeelde": (
        "SEED-10",
        ["Bevestiging van betaling", "€ 7.000,00", "Callcenter B.V."],
    ),
    "escalatie": (
        "SEED-02",
        ["Escalatie: termijn verstreken", "Schikkingsvoorstel doen", "Teammanager(s) BAV"],
    ),
}

# the seed file's cases by key; their claims carry the insured's own reference
CASE_REFERENCES = {c["key"]: c["melding"]["insured_reference"] for c in load_seed_file()["cases"]}


def pdf_text(html: str, tmp_path: Path) -> str:
    pdf = tmp_path / "brief.pdf"
    pdf.write_bytes(to_pdf(html))
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True)
    return " ".join(out.stdout.split())


def test_every_template_is_sent_for_a_real_seeded_case_and_its_pdf_says_the_facts(
    engine: Engine, base_runtime: Runtime, tmp_path: Path
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("the PDFs are the same on either database; the letters table is covered below")
    seed(engine, base_runtime)
    # SEED-02's settlement offer was due in November 2026 and never made: the sweep escalates it
    sweep(engine, base_runtime, datetime(2026, 11, 23, 9, tzinfo=UTC))
    # the complaint track's letters go out beside any transition: tests/claims/complaints sends them
    assert set(SEEDED) == letter_templates() - COMPLAINT_LETTERS
    with engine.connect() as conn:
        rows = conn.execute(
            select(LETTERS, CLAIMS.c.insured_reference, CLAIMS.c.reference.label("claim_reference"))
            .join(CLAIMS, CLAIMS.c.id == LETTERS.c.claim_id)
            .order_by(LETTERS.c.id)
        ).all()
    for template, (case, phrases) in SEEDED.items():
        insured_reference = CASE_REFERENCES[case]
        letter = next(
            (r for r in rows if r.template == template and r.insured_reference == insured_reference), None
        )
        assert letter is not None, f"{case} has no {template}"
        text = pdf_text(letter.html, tmp_path)
        # the seeded brokers are copied on the insured's letters: their "Kopie aan" can take a second page
        assert "claimflow Verzekeringen N.V." in text and re.search(r"pagina 1 van [12]\b", text)
        assert letter.claim_reference in text
        for phrase in phrases:
            assert phrase in text, f"{phrase!r} not in the {template} of {case}: {text}"
        assert "VOORBEELD" not in text


def test_a_letter_is_stored_with_its_event_template_version_and_hash(
    engine: Engine, rt: Runtime, world: World
) -> None:
    driver = Driver(engine, rt, world)
    ref = driver.open("contract_breach").reference
    outcome = driver.fire(ref, "start_coverage_check", {"paragraph": "Wij bellen u deze week."})
    with engine.connect() as conn:
        # version 2 also acknowledges the claim to the claimant: the insured's letter comes first
        letter, to_claimant = conn.execute(
            select(LETTERS).where(LETTERS.c.event_id == outcome.event_id).order_by(LETTERS.c.id)
        ).all()
        event = conn.execute(select(EVENTS).where(EVENTS.c.id == outcome.event_id)).one()
    assert event.trigger == "start_coverage_check" and letter.claim_id == event.claim_id
    assert (letter.template, letter.template_version, letter.recipient) == (
        "ontvangstbevestiging",
        1,
        "insured",
    )
    assert letter.recipient_name == world.policy.insured
    assert letter.sha256 == hashlib.sha256(letter.html.encode()).hexdigest()
    assert "Wij bellen u deze week." in letter.html
    assert letter.title == "Ontvangstbevestiging van uw melding"
    assert (to_claimant.template, to_claimant.recipient) == ("ontvangstbevestiging_benadeelde", "claimant")
    assert to_claimant.recipient_name == "Opdrachtgever B.V."
    assert "Wij bellen u deze week." not in to_claimant.html  # the paragraph is for the insured's letter


def test_the_preview_is_the_letter_firing_would_store_and_stores_nothing(
    engine: Engine, rt: Runtime, world: World
) -> None:
    driver = Driver(engine, rt, world)
    ref = driver.bring_to("contract_breach", "dekkingsonderzoek")
    inputs = {
        "ground": "uitsluiting",
        "reasons": "Opzet en bewuste roekeloosheid zijn uitgesloten in de polis.",
        "paragraph": "Bel ons <gerust>.",
    }
    before = snapshot(engine)
    with Session(engine) as s:
        [preview] = preview_letters(s, rt, ref, "reject", inputs, world.handler, 2)
    assert snapshot(engine) == before
    assert "VOORBEELD" in preview.html and "Bel ons &lt;gerust&gt;." in preview.html  # escaped
    driver.fire(ref, "reject", inputs)
    with engine.connect() as conn:
        stored = conn.execute(select(LETTERS.c.html).where(LETTERS.c.template == "afwijzing")).scalar_one()
    assert re.sub(r'<div class="voorbeeld">[^<]*</div>\n?', "", preview.html) == stored


def test_a_preview_refuses_what_firing_would_refuse(engine: Engine, rt: Runtime, world: World) -> None:
    driver = Driver(engine, rt, world)
    ref = driver.bring_to("contract_breach", "dekkingsonderzoek")
    with Session(engine) as s:
        with pytest.raises(InvalidInput) as bad:
            preview_letters(s, rt, ref, "reject", {"ground": "uitsluiting"}, world.handler, 2)
        assert "reasons" in bad.value.errors
        with pytest.raises(StaleClaim):
            preview_letters(s, rt, ref, "reject", {"ground": "uitsluiting", "reasons": "x"}, world.handler, 1)


def test_a_free_paragraph_only_where_the_spec_allows_it(engine: Engine, rt: Runtime, world: World) -> None:
    driver = Driver(engine, rt, world)
    ref = driver.bring_to("contract_breach", "regeling")
    with pytest.raises(InvalidInput) as refused:  # to_settlement sends no letter
        driver.fire(ref, "adjust_reserve", {"cost_type": "damages", "amount": "10", "paragraph": "Hallo"})
    assert refused.value.errors == {"paragraph": "onbekend veld"}


def test_a_template_missing_a_fact_refuses_the_transition_and_stores_nothing(
    engine: Engine, rt: Runtime, world: World, tmp_path: Path
) -> None:
    broken = tmp_path / "letters"
    shutil.copytree(LETTER_DIR, broken)
    page = broken / "ontvangstbevestiging.html.j2"
    page.write_text(page.read_text().replace("{{ claim.claimant }}", "{{ claim.opposing_counsel }}", 1))
    strict = replace(rt, letters=LetterRenderer(broken))
    driver = Driver(engine, strict, world)
    ref = driver.open("contract_breach").reference
    before = snapshot(engine)
    with Session(engine) as s, pytest.raises(LetterError) as failed:
        advance(s, strict, ref, "start_coverage_check", {}, world.handler, 1)
    assert "ontvangstbevestiging" in str(failed.value) and "opposing_counsel" in str(failed.value)
    assert snapshot(engine) == before


def test_the_paragraph_goes_only_into_the_letter_that_takes_one(
    engine: Engine, rt: Runtime, world: World
) -> None:
    driver = Driver(engine, rt, world)
    ref = driver.bring_to("contract_breach", "regeling")
    words = "Deze alinea hoort alleen in de vaststellingsovereenkomst."
    payee = driver.payee(ref)  # the claimant
    outcome = driver.fire(
        ref, "settle", {"damages": "10000", "payee": payee, "terms": "Finale kwijting.", "paragraph": words}
    )
    with engine.connect() as conn:
        rows = conn.execute(
            select(LETTERS.c.template, LETTERS.c.html).where(LETTERS.c.event_id == outcome.event_id)
        ).all()
    letters = {template: html for template, html in rows}
    assert words in letters["vaststellingsovereenkomst"]
    assert words not in letters["betalingsbevestiging_benadeelde"]
    # nothing went to the insured: no confirmation of a payment to them
    assert "betalingsbevestiging" not in letters
