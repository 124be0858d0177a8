"""Every page type at a phone's width (390 px) and a laptop's (1366 px), in Debian's chromium: the page never
scrolls sideways (wide tables scroll inside their own card, long text wraps), and log-out is on screen and
is what a click at its centre hits. One claim has a claimant of 5,000 characters. A full-page screenshot
of each lands in test-artifacts/e2e/<page>-<width>.png."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date

import pytest

from tests.e2e.test_browser import ARTIFACTS, browser, log_in, server  # noqa: F401  (fixtures)

playwright_api = pytest.importorskip("playwright.sync_api")
Page = playwright_api.Page
expect = playwright_api.expect

pytestmark = pytest.mark.slow

WIDTHS = (390, 1366)
SEEDED = "CF-2025-000001"  # case 000: money, invoices, payments, letters, proposals
# words, and one run of 400 characters without a space: both must wrap
LONG_NAME = ("Benadeelde met een uitzonderlijk lange naam " * 105)[:4600] + "X" * 400


def fits(page: Page) -> dict[str, object]:
    """The page's scroll and client width, and the outermost elements reaching past its right edge."""
    return page.evaluate(
        """() => { const root = document.documentElement, edge = root.clientWidth;
            const scrolls = e => e.closest(".table-scroll, .diagram") !== null;
            const right = e => e.getBoundingClientRect().right;
            const past = [...document.body.querySelectorAll("*")].filter(e =>
                !scrolls(e) && right(e) > edge + 1 && right(e.parentElement) <= edge + 1);
            const classes = e => typeof e.className === "string" && e.className.trim()
                ? "." + e.className.trim().split(/ +/).join(".") : "";
            const name = e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + classes(e);
            return {scroll: root.scrollWidth, client: edge, past: past.slice(0, 5).map(name)}; }"""
    )


def log_out_is_clickable(page: Page) -> bool:
    """The log-out button is visible and is the element a click at its centre lands on."""
    button = page.get_by_role("button", name="Uitloggen")
    if not button.is_visible():
        return False
    return bool(
        button.evaluate(
            """b => { b.scrollIntoView({block: "center"}); const r = b.getBoundingClientRect();
                const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
                return r.width > 0 && r.height > 0 && (hit === b || b.contains(hit)); }"""
        )
    )


def check(page: Page, url: str, name: str, *, signed_in: bool = True) -> list[str]:
    """Load `url` at each width; what is wrong with it, if anything. Saves its screenshots. `signed_in`:
    the page has the signed-in header (not the log-in page, a letter, or an error page)."""
    wrong = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(url)
        size = fits(page)
        if size["scroll"] > size["client"]:
            wrong.append(
                f"{name} at {width} px scrolls sideways: {size['scroll']} > {size['client']} ({size['past']})"
            )
        if signed_in and not log_out_is_clickable(page):
            wrong.append(f"{name} at {width} px: log-out is not visible and clickable")
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
    return wrong


@pytest.fixture
def new_page(browser: object) -> Iterator[Callable[[], Page]]:  # noqa: F811
    contexts = []

    def make() -> Page:
        context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="nl-NL")  # type: ignore[attr-defined]
        contexts.append(context)
        pg: Page = context.new_page()
        pg.set_default_timeout(15_000)
        return pg

    yield make
    for context in contexts:
        context.close()


def long_named_claim(page: Page, server: str) -> str:  # noqa: F811
    """A claim whose claimant's name is 5,000 characters, with a letter, a document and a complaint."""
    melding = {
        "kind": "contract_breach",
        "policy_number": "BAV-2021-0001",
        "claimant": LONG_NAME,
        "description": "Een omschrijving zonder spaties: " + "y" * 600,
        "date_error": "2026-09-01",
        "date_known": "2026-10-01",
        "amount_claimed": "20000",
        "handler": "sanne.behandelaar@claimflow.test",
    }
    created = page.request.post(f"{server}/api/claims", data=melding)
    assert created.status == 201, created.text()
    reference = str(created.json()["reference"])
    fired = page.request.post(
        f"{server}/api/claims/{reference}/transitions",
        data={"trigger": "start_coverage_check", "version": 1, "data": {}},
    )
    assert fired.ok, fired.text()
    page.goto(f"{server}/claims/{reference}")
    page.locator("#document-toevoegen summary").click()
    page.locator("#doc-title").fill("Een document met een titel zonder einde " + "z" * 150)
    page.locator("#doc-doc_type").select_option(index=1)
    page.locator("#doc-file").set_input_files(
        files=[{"name": "brief-" + "q" * 120 + ".txt", "mimeType": "text/plain", "buffer": b"Hallo.\n"}]
    )
    page.locator("#document-toevoegen button[type=submit]").click()
    expect(page.locator("p.notice")).to_be_visible()
    page.locator("#klacht-registreren summary").click()
    page.locator("#complaint-new-complainant").select_option(index=1)
    page.locator("#complaint-new-subject").fill("Klacht " + "w" * 150)
    page.locator("#complaint-new-received_on").fill(date.today().isoformat())
    page.locator("#klacht-registreren button[type=submit]").click()
    expect(page.locator("p.notice")).to_be_visible()
    return reference


def test_every_page_fits_a_phone_and_a_laptop_and_log_out_stays_clickable(
    new_page: Callable[[], Page],
    server: str,  # noqa: F811
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    wrong: list[str] = []

    anonymous = new_page()
    wrong += check(anonymous, f"{server}/login", "login", signed_in=False)

    handler = new_page()
    log_in(handler, server, "sanne.behandelaar@claimflow.test", "demo-behandelaar")
    long_ref = long_named_claim(handler, server)
    pages = {
        "claims-list": "/claims",
        "claim": f"/claims/{SEEDED}",
        "claim-long-name": f"/claims/{long_ref}",
        "melding": "/claims/new?policy_q=B.V.",
        "inbox": "/berichten",
        "outbox": "/outbox",
        "post": "/post",
        "klachten": "/klachten",
        "werk": "/werk",
    }
    for name, path in pages.items():
        wrong += check(handler, server + path, name)
    # a letter is the document itself, as printed: no header of the app
    handler.goto(f"{server}/claims/{SEEDED}")
    letter = handler.locator("#brieven a[href^='/letters/']").first.get_attribute("href")
    wrong += check(handler, f"{server}{letter}", "letter", signed_in=False)
    # an error page is drawn without knowing who asks: a menu, no log-out
    wrong += check(handler, f"{server}/claims/CF-1999-999999", "error", signed_in=False)
    menu = handler.get_by_role("navigation", name="Hoofdmenu")
    if not menu.get_by_role("link", name="Overzicht").is_visible():
        wrong.append("the error page has no menu")

    manager = new_page()
    log_in(manager, server, "eva.manager@claimflow.test", "demo-manager")
    for name, path in {"dashboard": "/dashboard", "payments": "/payments"}.items():
        wrong += check(manager, server + path, name)

    admin = new_page()
    log_in(admin, server, "admin@claimflow.test", "demo-admin")
    wrong += check(admin, f"{server}/admin/users", "users")

    assert not wrong, "\n".join(wrong)


def test_the_menu_folds_on_a_phone_and_opens_without_javascript_after_a_skip_link(
    browser: object,  # noqa: F811
    server: str,  # noqa: F811
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 900}, java_script_enabled=False)  # type: ignore[attr-defined]
    try:
        page: Page = context.new_page()
        log_in(page, server, "sanne.behandelaar@claimflow.test", "demo-behandelaar")
        menu = page.get_by_role("navigation", name="Hoofdmenu")
        expect(menu.get_by_role("link", name="Klachten")).to_be_hidden()
        page.keyboard.press("Tab")
        expect(page.get_by_role("link", name="Naar de inhoud")).to_be_focused()
        expect(page.get_by_role("link", name="Naar de inhoud")).to_be_visible()
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")  # past the brand, onto the folded menu
        expect(page.locator("details.menu > summary")).to_be_focused()
        page.keyboard.press("Enter")
        expect(menu.get_by_role("link", name="Klachten")).to_be_visible()
        menu.get_by_role("link", name="Klachten").click()
        expect(page.get_by_role("heading", name="Klachten", level=1)).to_be_visible()
        page.set_viewport_size({"width": 1366, "height": 900})  # a wide screen: the links as a bar
        expect(page.locator("details.menu > summary")).to_be_hidden()
        expect(menu.get_by_role("link", name="Claims")).to_be_visible()
    finally:
        context.close()
