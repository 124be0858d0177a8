"""Letters addressed to a party: the Dutch address block, their own kenmerk, copies; e-mailed with the PDF
(the very PDF the letter's download gives) to a real SMTP server; posted through the print list; a
letter that comes back is on the letter and the timeline."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session

from claims.notify.delivery import deliver
from claims.reads.queries import claim_letters
from claims.runtime import Runtime
from claims.service.parties import add_party, change_party
from claims.service.post import mark_printed, mark_returned, print_run, to_print
from claims.storage.repositories import claims, events, parties
from claims.storage.tables import LETTERS, OUTBOX
from notifications.email import SmtpConfig
from notifications.letters import to_pdf
from notifications.outbox import DeliveryPolicy
from tests.claims.driver import Driver
from tests.factories import World
from tests.smtp_server import SmtpServer
from workflow.errors import Forbidden

POLICY = DeliveryPolicy(sender="claimflow <schade@claimflow.test>", backoff_seconds=30, max_attempts=8)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


def _insured(engine: Engine, ref: str) -> Any:
    with engine.connect() as conn:
        claim = claims.by_reference(conn, ref)
        assert claim is not None
        return next(p for p in parties.of_claim(conn, claim.id) if p.role == "insured")


def _letters(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(LETTERS).order_by(LETTERS.c.id)))


def _pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "letter.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True)
    return " ".join(out.stdout.split())


def _pages(pdf: bytes, tmp_path: Path) -> list[bytes]:
    """Each page of a PDF as a PDF of its own (pdfseparate, from poppler-utils like pdftotext)."""
    whole = tmp_path / "run.pdf"
    whole.write_bytes(pdf)
    subprocess.run(["pdfseparate", str(whole), str(tmp_path / "page-%d.pdf")], check=True)
    found = sorted(tmp_path.glob("page-*.pdf"), key=lambda p: int(p.stem.split("-")[1]))
    return [p.read_bytes() for p in found]


def _set_up(engine: Engine, rt: Runtime, world: World) -> str:
    """A claim whose insured takes letters by e-mail under their own kenmerk, with a broker copied by post."""
    ref = Driver(engine, rt, world).open("contract_breach").reference
    with Session(engine) as s:
        change_party(
            s,
            rt,
            ref,
            _insured(engine, ref).id,
            {
                "attention": "mevrouw K. Jansen",
                "street": "Stationsplein 1",
                "postcode": "3511ed",
                "city": "Utrecht",
                "email": "schade@insured.example",
                "channel": "email",
                "reference": "ES/2026/117",
            },
            world.handler,
        )
    with Session(engine) as s:
        add_party(
            s,
            rt,
            ref,
            {
                "role": "broker",
                "name": "Assurantiekantoor De Wit B.V.",
                "street": "Markt 4",
                "postcode": "5211 JX",
                "city": "'s-Hertogenbosch",
                "reference": "DW-88",
                "copy_insured": "ja",
            },
            world.handler,
        )
    return ref


def test_a_letter_to_the_insured_goes_by_e_mail_with_its_pdf_and_a_copy_waits_for_the_post(
    engine: Engine, rt: Runtime, world: World, smtp: SmtpServer, tmp_path: Path
) -> None:
    ref = _set_up(engine, rt, world)
    Driver(engine, rt, world).fire(ref, "start_coverage_check")
    letter, to_claimant = _letters(
        engine
    )  # and the acknowledgement to the claimant, with a copy to the insured
    assert (letter.recipient, letter.channel, letter.post_count) == ("insured", "email", 1)
    assert (to_claimant.recipient, to_claimant.channel) == ("claimant", "none")  # no address known yet
    assert [(c["name"], c["channel"]) for c in to_claimant.copies] == [(letter.recipient_name, "email")]
    assert [(c["name"], c["channel"]) for c in letter.copies] == [("Assurantiekantoor De Wit B.V.", "post")]

    text = _pdf_text(to_pdf(letter.html), tmp_path)
    for line in ("t.a.v. mevrouw K. Jansen", "Stationsplein 1", "3511 ED UTRECHT"):
        assert line in text, line
    assert "Uw kenmerk ES/2026/117" in text and f"Ons kenmerk {ref}" in text
    assert "Kopie aan: Assurantiekantoor De Wit B.V. (tussenpersoon)" in text
    assert "per e-mail aan schade@insured.example" in text

    with engine.connect() as conn:
        [row] = [r for r in conn.execute(select(OUTBOX)) if r.letter_id == letter.id]
    assert row.to_address == "schade@insured.example" and "uw kenmerk ES/2026/117" in row.subject
    report = deliver(engine, rt, SmtpConfig.from_url(smtp.url + "?timeout=5"), POLICY)
    assert report.sent >= 1
    mail = next(
        m for m in smtp.recorder.messages if m["To"].addresses[0].addr_spec == "schade@insured.example"
    )
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"{ref}-ontvangstbevestiging-{letter.id}.pdf"
    assert attachment.get_content() == to_pdf(letter.html)  # what the letter's own PDF link serves

    with Session(engine) as s:
        shown = claim_letters(s, ref, world.handler)[0]
    states = [(d["name"], d["copy"], d["state"]) for d in shown["dispatch"]]
    assert states[0] == (letter.recipient_name, False, "per e-mail verstuurd aan schade@insured.example")
    assert states[1] == ("Assurantiekantoor De Wit B.V.", True, "te versturen per post")


def test_the_print_run_prints_each_posted_copy_and_a_returned_letter_is_recorded(
    engine: Engine, rt: Runtime, world: World, tmp_path: Path
) -> None:
    ref = _set_up(engine, rt, world)
    with Session(engine) as s:  # the insured now by post too: two envelopes for one letter
        change_party(s, rt, ref, _insured(engine, ref).id, {"channel": "post"}, world.handler)
    Driver(engine, rt, world).fire(ref, "start_coverage_check")
    letter, to_claimant = _letters(engine)
    assert (letter.channel, letter.post_count) == ("post", 2)
    assert (to_claimant.channel, to_claimant.post_count) == ("none", 1)  # its copy to the insured is posted
    with Session(engine) as s:
        assert [r.id for r in to_print(s.connection(), world.handler)] == [letter.id, to_claimant.id]
        with pytest.raises(Forbidden):
            to_print(s.connection(), world.expert)  # the post desk is the handlers' and managers'
    with Session(engine) as s:
        pdf, ids = print_run(s, rt, world.handler, "web")
    assert ids == [letter.id, to_claimant.id]
    printed = _pdf_text(pdf, tmp_path)
    assert printed.count("Ontvangstbevestiging van uw melding") == 2  # the insured's and the broker's
    assert printed.count("Ontvangstbevestiging van uw aanspraak") == 1  # the insured's copy
    # each copy in its envelope: the copy's own address in the window, marked as a copy of whose letter
    pages = [_pdf_text(page, tmp_path) for page in _pages(pdf, tmp_path)]
    broker = next(p for p in pages if "5211 JX" in p)
    assert "KOPIE van onze brief aan" in broker and "3511 ED UTRECHT" not in broker.split("Datum")[0]
    insured_copy = next(p for p in pages if "Ontvangstbevestiging van uw aanspraak" in p)
    assert "3511 ED UTRECHT" in insured_copy.split("Datum")[0] and "KOPIE van onze brief aan" in insured_copy
    with Session(engine) as s:
        assert mark_printed(s, rt, ids, world.handler) == ids
    with Session(engine) as s:
        assert mark_printed(s, rt, ids, world.handler) == []  # once
        assert to_print(s.connection(), world.handler) == []
    with Session(engine) as s:
        mark_returned(s, rt, letter.id, "adres onbekend", world.handler)
    after = _letters(engine)[0]
    assert after.printed_at is not None and after.returned_note == "adres onbekend"
    with engine.connect() as conn:
        claim = claims.by_reference(conn, ref)
        assert claim is not None
        kinds = [e.kind for e in events.of_claim(conn, claim.id)]
    assert kinds[-3:] == ["letter_printed", "letter_printed", "letter_returned"]
    with Session(engine) as s:
        shown = claim_letters(s, ref, world.handler)[0]
    assert shown["dispatch"][0]["state"] == "retour ontvangen"


def test_a_letter_to_the_expert_carries_the_expert_firms_kenmerk_not_the_insureds(
    engine: Engine, rt: Runtime, world: World
) -> None:
    driver = Driver(engine, rt, world)
    ref = driver.bring_to("contract_breach", "dekkingsonderzoek", insured_reference="ES/2026/9")
    with Session(engine) as s:
        add_party(
            s,
            rt,
            ref,
            {"role": "expert_firm", "name": "Expertisebureau Visser", "reference": "EV-2026-31"},
            world.handler,
        )
    driver.fire(ref, "confirm_cover", {"expert": world.expert.email, "reserve_damages": "1000"})
    to_expert = next(x for x in _letters(engine) if x.recipient == "expert")
    assert "EV-2026-31" in to_expert.html and "ES/2026/9" not in to_expert.html
    assert to_expert.channel == "internal"
    to_insured = next(x for x in _letters(engine) if x.template == "dekkingsbevestiging")
    assert "ES/2026/9" in to_insured.html
    assert "B.V.." not in to_expert.html and "N.V.." not in to_expert.html
