"""A real browser against the real server: Debian's chromium, driven by Playwright, on the app served by
uvicorn on loopback over a freshly seeded SQLite database. A handler reports an unpaid-fee claim and
takes it through coverage, expertise, mitigation with an advance and a settlement a manager approves.
Screenshots land in test-artifacts/e2e/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.loadlib import prepare_database, serve
from claims.kinds.catalog import load_catalog

playwright_api = pytest.importorskip("playwright.sync_api")  # a dev dependency: installed by make test
Page = playwright_api.Page
expect = playwright_api.expect

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
CHROMIUM = "/usr/bin/chromium"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`claimflow init`, `seed` and `serve` as `make run` does them, on a free loopback port."""
    workdir = tmp_path_factory.mktemp("e2e")
    database = f"sqlite:///{workdir / 'claimflow.db'}"
    prepare_database(database)
    with serve(database, workdir, env={"CLAIMFLOW_SECRET_KEY": "e2e-secret-" + "x" * 24}) as servers:
        yield servers.urls[0]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: scripts/ensure_test_tools.sh installs it"
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def page(browser: object) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1360, "height": 1000}, locale="nl-NL")  # type: ignore[attr-defined]
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    context.close()


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def log_in(page: Page, server: str, email: str, password: str) -> None:
    page.goto(f"{server}/login")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(password)
    page.get_by_role("button", name="Inloggen").click()
    expect(page.get_by_role("button", name="Uitloggen")).to_be_visible()


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Uitloggen").click()
    expect(page.get_by_role("heading", name="Inloggen")).to_be_visible()


def payee(page: Page, trigger: str, name: str) -> str:
    """The option value of a party in a transition's payee list, by the party's name."""
    option = page.locator(f"#{trigger}-payee option", has_text=name).first
    return str(option.get_attribute("value"))


def act(page: Page, trigger: str, expect_notice: str = "Uitgevoerd", **fields: str) -> None:
    """Open the action `trigger` on the claim page, fill its fields and submit it."""
    action = page.locator(f"#actie-{trigger}")
    if action.get_attribute("open") is None:  # still folded (a preview leaves it open)
        action.locator("summary").click()
    for name, value in fields.items():
        box = action.locator(f"#{trigger}-{name}")
        if box.evaluate("e => e.tagName") == "SELECT":
            box.select_option(value)
        else:
            box.fill(value)
    action.locator("button[type=submit]:not([name])").click()
    expect(page.locator("p.notice")).to_contain_text(expect_notice)


def state(page: Page) -> str:
    return str(page.locator("#current-state").get_attribute("data-state"))


def test_a_handler_takes_an_unpaid_fee_claim_from_melding_to_an_approved_settlement(
    page: Page, server: str
) -> None:
    log_in(page, server, "sanne.behandelaar@claimflow.test", "demo-behandelaar")
    # a handler lands on their work queue
    expect(page.get_by_role("heading", name="Mijn werk", exact=True)).to_be_visible()
    page.goto(f"{server}/claims")
    expect(page.get_by_role("heading", name="Claims", exact=True)).to_be_visible()
    shot(page, "01-claims-list")

    # the melding, with the policy looked up first
    page.get_by_role("link", name="Nieuwe melding").click()
    page.get_by_label("Polisnummer of verzekerde").fill("Strategie")
    page.get_by_role("button", name="Zoek polis").click()
    page.get_by_role("link", name="Kies").first.click()
    expect(page.locator("p.policy")).to_contain_text("Strategie & IT Advies")
    page.get_by_label("Soort claim").select_option("unpaid_fee")
    page.get_by_label("Benadeelde (opdrachtgever)").fill("Webwinkel Noord B.V.")
    page.get_by_label("Omschrijving").fill(
        "De opdrachtgever betaalt twee facturen niet en stelt de verzekerde aansprakelijk voor vertraging."
    )
    page.get_by_label("Datum van de fout").fill("2026-09-01")
    page.get_by_label("Datum bekend bij verzekerde").fill("2026-10-01")
    page.get_by_label("Geclaimd bedrag").fill("veel")  # wrong first: shown next to the field, input kept
    page.get_by_role("button", name="Melding registreren").click()
    expect(page.locator("#amount_claimed-error")).to_contain_text("ongeldig bedrag")
    expect(page.get_by_label("Benadeelde (opdrachtgever)")).to_have_value("Webwinkel Noord B.V.")
    shot(page, "02-melding-form-with-error")
    page.get_by_label("Geclaimd bedrag").fill("85.000,00")
    page.get_by_role("button", name="Melding registreren").click()
    expect(page.locator("p.notice")).to_contain_text("De melding is geregistreerd")
    reference = page.locator("h1").inner_text().split()[0]
    assert reference.startswith("CF-")
    assert state(page) == "melding"

    act(page, "register_invoice", number="F2026-101", amount="40.000,00", due_date="2026-09-30")
    # the acknowledgement letter: previewed in a new tab with her own paragraph, then sent and stored
    action = page.locator("#actie-start_coverage_check")
    action.locator("summary").click()
    action.locator("#start_coverage_check-paragraph").fill(
        "Wij nemen deze week telefonisch contact met u op."
    )
    with page.expect_popup() as opened:
        action.get_by_role("button", name="Voorbeeld van de brief").click()
    preview = opened.value
    expect(preview.locator("body")).to_contain_text("VOORBEELD")
    expect(preview.locator("body")).to_contain_text("Ontvangstbevestiging van uw melding")
    expect(preview.locator("body")).to_contain_text("Wij nemen deze week telefonisch contact met u op.")
    shot(preview, "02b-letter-preview")
    preview.close()
    assert state(page) == "melding"  # the preview fired nothing
    act(page, "start_coverage_check", paragraph="Wij nemen deze week telefonisch contact met u op.")
    assert state(page) == "dekkingsonderzoek"
    letters = page.locator("#brieven")
    expect(letters).to_contain_text("Ontvangstbevestiging van uw melding")
    with page.expect_download() as downloaded:
        letters.get_by_role("link", name="PDF").first.click()
    pdf = downloaded.value
    # the newest letter first: the acknowledgement to the claimant, sent with the insured's
    assert pdf.suggested_filename.startswith(f"{reference}-ontvangstbevestiging")
    assert pdf.suggested_filename.endswith(".pdf")
    assert Path(pdf.path()).read_bytes().startswith(b"%PDF")
    act(page, "confirm_cover", expert="lars.expert@claimflow.test", reserve_damages="40.000,00")
    assert state(page) == "expertise"
    log_out(page)

    # the expert reports
    log_in(page, server, "lars.expert@claimflow.test", "demo-expert")
    page.goto(f"{server}/claims/{reference}")
    act(
        page,
        "submit_report",
        findings="Vertraging door wijzigingen van de opdrachtgever.",
        assessed_damage="60.000",
    )
    log_out(page)

    # mitigation with an advance on the unpaid invoices, then settlement above the handler's limit
    log_in(page, server, "sanne.behandelaar@claimflow.test", "demo-behandelaar")
    page.goto(f"{server}/claims/{reference}")
    act(
        page,
        "start_mitigation",
        measure="Voorschot zodat het project kan worden afgemaakt.",
        reserve_mitigation="9.000",  # 49,000 reserved in all: within her 50,000
    )
    assert state(page) == "schadebeperking"
    insured = payee(page, "pay_advance", "Strategie & IT Advies")
    act(page, "pay_advance", share_percent="50", deduction="2.000", booked_as="beredding", payee=insured)
    expect(page.locator("#total-paid")).to_have_text("€ 19.000,00")
    expect(page.locator("#payments")).to_contain_text("€ 19.000,00")
    act(page, "to_settlement")
    assert state(page) == "regeling"
    # 19,000 paid and 57,500 now: above her 50,000 on this claim, so it waits for a manager
    act(
        page,
        "settle",
        expect_notice="voorgelegd aan een manager",
        damages="60.000",
        payee=payee(page, "settle", "Strategie & IT Advies"),
        terms="Finale kwijting na betaling.",
    )
    assert state(page) == "regeling"
    expect(page.locator("#voorstellen")).to_contain_text("wacht op een manager")
    shot(page, "03-claim-awaiting-approval")
    log_out(page)

    # the manager sees it waiting on the dashboard and approves
    log_in(page, server, "eva.manager@claimflow.test", "demo-manager")
    page.get_by_role("link", name="Dashboard").click()
    approvals = page.locator("#goedkeuringen")
    expect(approvals).to_contain_text(reference)
    expect(page.locator("svg")).to_have_count(7)
    shot(page, "04-dashboard")
    approvals.get_by_role("link", name=reference).click()
    proposals = page.locator("#voorstellen")
    expect(proposals).to_contain_text("€ 57.500,00")
    proposals.get_by_role("button", name="Goedkeuren en uitvoeren").click()
    expect(page.locator("p.notice")).to_contain_text("goedgekeurd")
    assert state(page) == "gesloten"

    # the timeline tells the whole story, newest first, in Dutch (no trigger codes)
    catalog = load_catalog()
    labels = catalog.trigger_labels("unpaid_fee", catalog.latest_version("unpaid_fee"))
    timeline = page.locator("#h-timeline").locator("..")
    steps = (
        "register_invoice",
        "start_coverage_check",
        "confirm_cover",
        "submit_report",
        "start_mitigation",
        "pay_advance",
        "to_settlement",
        "settle",
    )
    for trigger in steps:
        expect(timeline).to_contain_text(labels[trigger])
    expect(timeline.locator("code", has_text="register_invoice")).to_have_count(0)
    texts = timeline.locator("li .what").all_inner_texts()

    def first(trigger: str) -> int:
        return next(i for i, t in enumerate(texts) if t.startswith(labels[trigger]))

    assert first("settle") < first("to_settlement") < first("pay_advance")
    expect(page.locator("svg [aria-current=step]")).to_have_attribute("data-state", "gesloten")
    shot(page, "05-claim-closed")

    # the manager takes the whole story out: the claim's timeline as PDF and XLSX, the portfolio as CSV
    exports = page.locator("#exporteren")
    with page.expect_download() as downloaded:
        exports.get_by_role("link", name="PDF").click()
    pdf = downloaded.value
    assert pdf.suggested_filename == f"{reference}-tijdlijn.pdf"
    assert Path(pdf.path()).read_bytes().startswith(b"%PDF")
    with page.expect_download() as downloaded:
        exports.get_by_role("link", name="Excel (XLSX)").click()
    assert downloaded.value.suggested_filename == f"{reference}-tijdlijn.xlsx"
    assert Path(downloaded.value.path()).read_bytes().startswith(b"PK")  # a zip: the XLSX container
    page.get_by_role("link", name="Dashboard").click()
    form = page.locator("#exporteren")
    form.get_by_label("Soort").select_option("unpaid_fee")
    form.get_by_label("Rijen").select_option("claims")
    form.get_by_label("Formaat").select_option("csv")
    shot(page, "06-dashboard-export")
    with page.expect_download() as downloaded:
        form.get_by_role("button", name="Exporteren").click()
    portfolio = downloaded.value
    assert portfolio.suggested_filename.startswith("portefeuille-claims-")
    lines = Path(portfolio.path()).read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("Schadenummer,Soort claim,Fase")
    assert any(line.startswith(f"{reference},Onbetaalde vordering,Gesloten,Geregeld") for line in lines)
    form.get_by_label("Gemeld vanaf").fill("2026-12-31")
    form.get_by_label("Gemeld tot en met").fill("2026-01-01")
    form.get_by_role("button", name="Exporteren").click()
    expect(page.locator("#exporteren")).to_contain_text("ligt vóór de begindatum")
    expect(page.locator("#x-to")).to_have_value("2026-01-01")
    shot(page, "07-dashboard-export-refused")

    page.goto(f"{server}/claims")
    shot(page, "08-claims-list-after")
