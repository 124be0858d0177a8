"""The claim page's timeline in pages: a long timeline shows its newest (or oldest) 100 events with a line
saying so and a link to all of them, the notes, letters and header still told from every event; an
expert's window and count leave out what their timeline leaves out."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from claims.reads.queries import TIMELINE_SHOWN, page_timeline, timeline
from claims.runtime import Runtime
from claims.service import advance, open_claim
from claims.service.notes import add_note
from claims.storage.repositories import claims, events
from tests.factories import World, melding

NOTES = TIMELINE_SHOWN + 10


def _timeline_section(page: str) -> str:
    start = page.index('id="h-timeline"')
    return page[start : page.index("</section>", start)]


def _shown(section: str) -> list[str]:
    """What each shown event is or says, in the order shown: a note's text, else its label."""
    items = re.findall(r'<li class="event (\w+)">(.*?)</li>', section, re.S)
    out = []
    for kind, body in items:
        note = re.search(r'<p class="pre">(.*?)</p>', body, re.S)
        what = re.search(r'<span class="what">(.*?)</span>', body, re.S)
        out.append(note.group(1) if kind == "note" and note else (what.group(1) if what else kind))
    return out


@pytest.fixture
def long_claim(engine: Engine, rt: Runtime, world: World) -> tuple[str, int]:
    """A claim with NOTES notes after its melding; its reference and how many events it has."""
    with Session(engine, expire_on_commit=False) as s:
        ref = open_claim(s, rt, melding("unpaid_fee"), world.handler).reference
    for i in range(1, NOTES + 1):
        with Session(engine, expire_on_commit=False) as s:
            add_note(s, rt, ref, f"Notitie {i}", world.handler)
    with Session(engine) as s:
        return ref, len(timeline(s, ref))


def test_a_long_timeline_shows_its_newest_100_events_and_a_link_to_all(
    handler: TestClient, long_claim: tuple[str, int]
) -> None:
    ref, total = long_claim
    page = handler.get(f"/claims/{ref}").text
    section = _timeline_section(page)
    shown = _shown(section)
    assert len(shown) == 100 and total > 100
    assert shown[0] == f"Notitie {NOTES}" and shown[-1] == f"Notitie {NOTES - 99}"
    assert "Melding geregistreerd" not in shown
    assert f"De 100 nieuwste van {total} gebeurtenissen" in section
    assert f'<a href="/claims/{ref}?alles=1#h-timeline">Toon alle {total} gebeurtenissen</a>' in section
    # the notes beside the timeline are all of them, newest first, the older ones folded away
    notes = page[page.index('id="notities"') : page.index('id="h-letters"')]
    assert len(re.findall(r"<blockquote>", notes)) == NOTES
    folded = notes[notes.index('<details class="older-notes"') :]
    assert (
        f"{NOTES - 10} oudere notities" in folded and len(re.findall(r"<blockquote>", folded)) == NOTES - 10
    )
    assert notes.index(f">Notitie {NOTES}<") < notes.index(f">Notitie {NOTES - 9}<") < notes.index(folded)
    assert folded.index(f">Notitie {NOTES - 10}<") < folded.index(">Notitie 1<")


def test_the_link_shows_every_event_and_leads_back_to_the_newest(
    handler: TestClient, long_claim: tuple[str, int]
) -> None:
    ref, total = long_claim
    section = _timeline_section(handler.get(f"/claims/{ref}?alles=1").text)
    shown = _shown(section)
    assert len(shown) == total and shown[0] == f"Notitie {NOTES}" and shown[-1] == "Melding geregistreerd"
    assert f"Alle {total} gebeurtenissen" in section and f"Toon alle {total}" not in section
    assert f'<a href="/claims/{ref}#h-timeline">Toon alleen de 100 nieuwste</a>' in section
    # turning the order round keeps every event shown
    assert f'<a href="/claims/{ref}?tijdlijn=oud&amp;alles=1#h-timeline">oudste eerst</a>' in section


def test_with_every_event_shown_the_older_notes_are_read_in_the_timeline(
    handler: TestClient, long_claim: tuple[str, int]
) -> None:
    ref, _ = long_claim
    page = handler.get(f"/claims/{ref}?alles=1").text
    # the ten newest beside it; the older ones only in the timeline, which holds every note in full
    notes = page[page.index('id="notities"') : page.index('id="h-letters"')]
    assert len(re.findall(r"<blockquote>", notes)) == 10 and "<details" not in notes
    assert notes.index(f">Notitie {NOTES}<") < notes.index(f">Notitie {NOTES - 9}<")
    assert f">Notitie {NOTES - 10}<" not in notes
    assert f'De {NOTES - 10} oudere notities staan in de <a href="#h-timeline">tijdlijn</a>.' in notes
    shown = _shown(_timeline_section(page))
    assert all(f"Notitie {i}" in shown for i in range(1, NOTES + 1))


def test_oldest_first_pages_from_the_melding_on(handler: TestClient, long_claim: tuple[str, int]) -> None:
    ref, total = long_claim
    section = _timeline_section(handler.get(f"/claims/{ref}?tijdlijn=oud").text)
    shown = _shown(section)
    assert len(shown) == 100 and shown[0] == "Melding geregistreerd"
    assert f"Notitie {NOTES}" not in shown and shown[-1] == f"Notitie {100 - (total - NOTES)}"
    assert f"De 100 oudste van {total} gebeurtenissen" in section
    link = f'<a href="/claims/{ref}?tijdlijn=oud&amp;alles=1#h-timeline">Toon alle {total} gebeurtenissen</a>'
    assert link in section
    assert f'<a href="/claims/{ref}#h-timeline">nieuwste eerst</a>' in section
    every = _shown(_timeline_section(handler.get(f"/claims/{ref}?tijdlijn=oud&alles=1").text))
    assert len(every) == total and every[0] == "Melding geregistreerd" and every[-1] == f"Notitie {NOTES}"


def test_a_short_timeline_is_shown_whole_without_a_link(
    handler: TestClient, engine: Engine, rt: Runtime, world: World
) -> None:
    with Session(engine, expire_on_commit=False) as s:
        ref = open_claim(s, rt, melding("unpaid_fee"), world.handler).reference
        add_note(s, rt, ref, "Verzekerde gebeld.", world.handler)
    for url in (f"/claims/{ref}", f"/claims/{ref}?tijdlijn=oud", f"/claims/{ref}?alles=1"):
        section = _timeline_section(handler.get(url).text)
        assert "Verzekerde gebeld." in _shown(section) and "Melding geregistreerd" in _shown(section)
        assert (
            "timeline-paging" not in section and "Toon alle" not in section and "Toon alleen" not in section
        )


def test_the_late_notice_flag_and_the_letters_come_from_events_the_page_does_not_show(
    handler: TestClient, engine: Engine, rt: Runtime, world: World
) -> None:
    # reported two months after the insured knew: a late notice, flagged when the melding is made
    with Session(engine, expire_on_commit=False) as s:
        ref = open_claim(
            s,
            rt,
            melding(
                "unpaid_fee", date_error="2026-08-01", date_known="2026-09-01", date_reported="2026-11-16"
            ),
            world.handler,
        ).reference
        advance(s, rt, ref, "start_coverage_check", {}, world.handler, 1)
    with Session(engine, expire_on_commit=False) as s:
        letters = [x for e in timeline(s, ref) for x in e["letters"]]
    assert letters, "the melding or the coverage check writes a letter"
    for i in range(NOTES):
        with Session(engine, expire_on_commit=False) as s:
            add_note(s, rt, ref, f"Notitie {i}", world.handler)
    page = handler.get(f"/claims/{ref}").text
    assert "Late melding (art. 7:941 BW)" in page[page.index('id="claim-flags"') :]
    assert "Melding geregistreerd" not in _shown(_timeline_section(page))
    # the flag leads to the timeline oldest first, where the melding is shown
    flags = page[page.index('id="claim-flags"') :]
    assert '<a class="mark near" href="?tijdlijn=oud#h-timeline">Late melding' in flags
    oldest = handler.get(f"/claims/{ref}?tijdlijn=oud").text
    assert "Melding geregistreerd" in _shown(_timeline_section(oldest))
    table = page[page.index('id="brieven"') : page.index("</table>", page.index('id="brieven"'))]
    assert all(f'href="/letters/{x["id"]}"' in table for x in letters)
    # every event read (?alles=1): the notes, the count and the flag told from them are the same
    with Session(engine) as s:
        window = page_timeline(s, ref, world.handler)
        for order in (False, True):
            every = page_timeline(s, ref, world.handler, oldest_first=order, limit=None)
            assert (every.notes, every.total, every.late_notice) == (window.notes, window.total, True)
    assert "Late melding (art. 7:941 BW)" in handler.get(f"/claims/{ref}?alles=1").text


def test_an_experts_window_and_count_leave_out_what_their_timeline_leaves_out(
    engine: Engine, rt: Runtime, world: World
) -> None:
    with Session(engine, expire_on_commit=False) as s:
        ref = open_claim(s, rt, melding("unpaid_fee"), world.handler).reference
        advance(s, rt, ref, "start_coverage_check", {}, world.handler, 1)
        advance(
            s,
            rt,
            ref,
            "confirm_cover",
            {"expert": world.expert.email, "reserve_damages": "10000"},
            world.handler,
            2,
        )
        conn = s.connection()
        found = claims.by_reference(conn, ref)
        assert found is not None
        now = rt.clock()
        # the newest events: an internal document, a shared one, a complaint, the internal one again
        for kind, data in (
            ("document", {"visibility": "internal", "title": "Intern memo"}),
            ("document", {"visibility": "shared", "title": "Gedeeld rapport"}),
            ("complaint_registered", {}),
            ("document", {"visibility": "internal", "title": "Nog een memo"}),
        ):
            events.append(
                conn,
                claim_id=found.id,
                claim_version=3,
                at=now,
                actor_id=world.handler.id,
                kind=kind,
                data=data,
            )
        s.commit()
    with Session(engine) as s:
        theirs = [e["id"] for e in timeline(s, ref, world.expert)]
        window = page_timeline(s, ref, world.expert, limit=2)
        assert [e["id"] for e in window.events] == theirs[::-1][:2]
        assert window.events[0]["data"]["title"] == "Gedeeld rapport"
        assert window.total == len(theirs) and not window.complete
        everything = page_timeline(s, ref, world.handler, limit=None)
        assert everything.total == len(theirs) + 3 and everything.complete
        # all of theirs: the count told from the events read is theirs too
        assert page_timeline(s, ref, world.expert, limit=None).total == len(theirs) == window.total
