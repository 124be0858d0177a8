"""E-mail messages from templates/email: each renders a subject, a text part and an HTML part from plain
facts; the HTML part escapes them; a missing fact fails loudly; a message with an HTML part reaches a real
SMTP server (aiosmtpd) as multipart/alternative, one without it as plain text."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from notifications.email import Mail, SmtpConfig, SmtpSender
from notifications.messages import MessageError, MessageRenderer
from tests.smtp_server import SmtpServer

EMAIL = Path(__file__).resolve().parents[2] / "templates" / "email"
LINK = "http://claimflow.test/claims/CF-2025-000001"
# the facts each message's caller gives (claims.notify.outbox.claim_email and its callers)
COMMON = {"name": "Sanne de Vries", "reference": "CF-2025-000001", "message": "Er is nieuws.", "link": LINK}
FACTS: dict[str, dict[str, Any]] = {
    "overgang": COMMON | {"transition": "Dekking bevestigen", "letters": ["Dekkingsbevestiging"]},
    "late_melding": COMMON,
    "termijn_herinnering": COMMON,
    "termijn_verlopen": COMMON,
    "termijn_escalatie": COMMON,
}
SUBJECTS = {
    "overgang": "[CF-2025-000001] Dekking bevestigen",
    "late_melding": "[CF-2025-000001] Late melding (art. 7:941 BW)",
    "termijn_herinnering": "[CF-2025-000001] Herinnering: termijn verloopt binnenkort",
    "termijn_verlopen": "[CF-2025-000001] Termijn verlopen",
    "termijn_escalatie": "[CF-2025-000001] Escalatie: termijn verlopen en niet gehaald",
}


@pytest.fixture(scope="module")
def renderer() -> MessageRenderer:
    return MessageRenderer(EMAIL)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


# a letter to a party outside by e-mail (claims.notify.letters_out): no greeting by first name, no link
LETTER_FACTS = {
    "title": "Standpunt over de aansprakelijkheid",
    "reference": "CF-2025-000001",
    "their_reference": "BA/2025/77",
    "addressee": "Boer Advocaten",
    "copy": False,
    "sender": "Sanne de Vries",
    "insurer": {
        "name": "claimflow Verzekeringen N.V.",
        "department": "Schadeafdeling BAV",
        "email": "schade@x.test",
    },
}


def test_the_messages_are_all_there(renderer: MessageRenderer) -> None:
    assert set(renderer.names()) == set(FACTS) | {"brief"}
    for name in [*FACTS, "brief"]:
        assert (EMAIL / f"{name}.html.j2").is_file(), f"{name} has no HTML part"


@pytest.mark.parametrize("name", sorted(FACTS))
def test_each_message_renders_with_the_facts_its_caller_gives(renderer: MessageRenderer, name: str) -> None:
    message = renderer.render(name, FACTS[name])
    assert message.template == name and message.subject == SUBJECTS[name]
    assert message.text.startswith("Beste Sanne de Vries,\n\nEr is nieuws.\n")
    assert message.text.endswith(
        f"\n\nOpen de claim: {LINK}\n\n"
        "Dit bericht is verstuurd door claimflow; u kunt er niet op antwoorden.\n"
    )
    assert "<p>Beste Sanne de Vries,</p>" in message.html and f'<a href="{LINK}">' in message.html
    assert f"<title>{SUBJECTS[name]}</title>" in message.html
    assert message.html.startswith("<!DOCTYPE html>") and 'lang="nl"' in message.html


def test_a_transition_lists_its_letters_in_both_parts(renderer: MessageRenderer) -> None:
    facts = FACTS["overgang"] | {"letters": ["Opdracht tot expertise", "Dekkingsbevestiging"]}
    message = renderer.render("overgang", facts)
    assert "\n\nBrief: Opdracht tot expertise\nBrief: Dekkingsbevestiging\n\nOpen de claim" in message.text
    assert "<li>Brief: Opdracht tot expertise</li>" in message.html
    bare = renderer.render("overgang", facts | {"letters": []})
    assert "Brief" not in bare.text and "<ul>" not in bare.html
    assert "Er is nieuws.\n\nOpen de claim" in bare.text


def test_the_html_part_escapes_the_facts_and_the_text_part_does_not(renderer: MessageRenderer) -> None:
    hostile = '<script>alert("x")</script> & Zn.'
    facts = FACTS["overgang"] | {"name": hostile, "message": hostile, "transition": hostile}
    facts["letters"] = [hostile]
    message = renderer.render("overgang", facts | {"link": 'http://x/"><script>'})
    assert "<script>" not in message.html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Zn." in message.html
    assert 'href="http://x/&#34;&gt;&lt;script&gt;"' in message.html
    assert message.text.startswith(f"Beste {hostile},\n\n{hostile}\n")  # plain text has nothing to escape
    assert message.subject == f"[CF-2025-000001] {hostile}"


def test_a_missing_fact_fails_loudly(renderer: MessageRenderer) -> None:
    facts = dict(FACTS["overgang"])
    del facts["letters"]
    with pytest.raises(MessageError, match="letters"):
        renderer.render("overgang", facts)
    with pytest.raises(MessageError, match="link"):
        renderer.render("termijn_verlopen", {k: v for k, v in COMMON.items() if k != "link"})


def test_an_unknown_message_or_one_without_a_subject_is_refused(tmp_path: Path) -> None:
    (tmp_path / "kaal.txt.j2").write_text("Hallo {{ name }}\n")
    (tmp_path / "kaal.html.j2").write_text("<p>Hallo {{ name }}</p>\n")
    with pytest.raises(MessageError, match="onderwerp"):
        MessageRenderer(tmp_path).render("kaal", {"name": "x"})
    for name in ("bestaat_niet", "_bericht", "../letters/escalatie"):
        with pytest.raises(MessageError, match="onbekend bericht"):
            MessageRenderer(EMAIL).render(name, COMMON)


def _mail(html: str, text: str = "Beste Sanne,\n") -> Mail:
    return Mail(
        message_id="<outbox-1.1@claimflow.test>",
        sender="claimflow <schade@claimflow.test>",
        to_address="sanne@example.test",
        to_name="Sanne de Vries",
        subject="[CF-2025-000001] Termijn verlopen",
        body=text,
        html=html,
        date=datetime(2025, 10, 23, 14, 0, tzinfo=UTC),
    )


def test_a_rendered_message_reaches_the_server_with_its_text_and_html_parts(
    renderer: MessageRenderer, smtp: SmtpServer
) -> None:
    message = renderer.render("overgang", FACTS["overgang"] | {"name": "Jan & Zn."})
    with SmtpSender(SmtpConfig.from_url(smtp.url + "?timeout=5")) as sender:
        sender.send(_mail(message.html, message.text))
    [got] = smtp.recorder.messages
    assert got.get_content_type() == "multipart/alternative"
    plain, html = got.get_body(("plain",)), got.get_body(("html",))
    assert plain is not None and html is not None
    assert [p.get_content_type() for p in got.iter_parts()] == ["text/plain", "text/html"]  # text first
    assert plain.get_content().replace("\r\n", "\n") == message.text
    assert html.get_content().replace("\r\n", "\n") == message.html
    assert "Jan &amp; Zn." in html.get_content() and "Beste Jan & Zn.," in plain.get_content()


def test_a_message_without_html_is_sent_as_plain_text(smtp: SmtpServer) -> None:
    with SmtpSender(SmtpConfig.from_url(smtp.url + "?timeout=5")) as sender:
        sender.send(_mail(""))
    [got] = smtp.recorder.messages
    assert got.get_content_type() == "text/plain" and got.get_content() == "Beste Sanne,\r\n"


def test_a_letter_by_e_mail_names_both_references_and_says_when_it_is_a_copy(
    renderer: MessageRenderer,
) -> None:
    message = renderer.render("brief", LETTER_FACTS)
    assert message.subject == (
        "Standpunt over de aansprakelijkheid - ons kenmerk CF-2025-000001 - uw kenmerk BA/2025/77"
    )
    assert "Bijgaand ontvangt u onze brief" in message.text and "bijgevoegd als PDF" in message.text
    assert "http" not in message.text  # an outsider has no claimflow account to follow a link to
    copy = renderer.render("brief", LETTER_FACTS | {"copy": True, "their_reference": ""})
    assert copy.subject.endswith("ons kenmerk CF-2025-000001")
    assert "kopie van onze brief" in copy.text and "aan Boer Advocaten" in copy.text


STAMPED = ("name", "reference", "message", "link")


@pytest.mark.parametrize("name", ["termijn_herinnering", "termijn_verlopen", "termijn_escalatie"])
def test_a_stamped_message_writes_what_the_renderer_writes(renderer: MessageRenderer, name: str) -> None:
    stamp = renderer.stamp(name, STAMPED)
    assert stamp is not None
    for facts in (
        COMMON,
        {**COMMON, "name": "Jan <b>& Zn</b>", "message": "termijn '{0}' {{ x }} \"verlopen\" é"},
        {**COMMON, "name": ""},  # an empty fact goes through the renderer
    ):
        assert stamp.fill(*(facts[f] for f in STAMPED)) == renderer.render(name, facts)


def test_a_message_that_does_more_than_print_a_fact_is_not_stamped(tmp_path: Path) -> None:
    (tmp_path / "luid.txt.j2").write_text('{% set subject = "[" ~ reference ~ "]" %}Beste {{ name|upper }}\n')
    (tmp_path / "luid.html.j2").write_text("<p>{{ name }}</p>\n")
    assert MessageRenderer(tmp_path).stamp("luid", ("name", "reference")) is None
