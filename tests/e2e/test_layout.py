"""Layout for the public: a phone's width, printing, the tab title and the toolbar."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
CHART = '[data-testid="stVegaLiteChart"]'
ROTHERHAM = "E08000018"
# Each page: its title, whether it is headed with the LA, and how many charts it draws at least
# (all waited for before measuring).
PAGES = {
    f"/overview?la={ROTHERHAM}": ("Good level of development in England", False, 1),
    f"/profile?la={ROTHERHAM}": ("Local authority profile", True, 2),
    f"/focus?la={ROTHERHAM}": ("Focus: what to work on, and for whom", True, 3),
    f"/peers?la={ROTHERHAM}": ("Peers", True, 2),
    f"/wards?la={ROTHERHAM}": ("Wards", True, 1),
    "/about": ("About the data", False, 0),
}

# What sticks out past the right of the window. Streamlit's main area, not the document, is what
# scrolls, so a too-wide element makes it scroll sideways while the document's own width stays
# the window's. An element inside a box that scrolls sideways (or clips) and itself fits, such as a
# wide table's wrapper or a chart's box, is a deliberate sideways scroller, not a spill.
SPILLS_JS = """
() => {
  const width = window.innerWidth;
  const main = document.querySelector('[data-testid="stMain"]');
  const insideFittingScroller = (element) => {
    for (let node = element.parentElement; node && node !== main; node = node.parentElement) {
      if (['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(node).overflowX)
          && node.getBoundingClientRect().right <= width + 1) return true;
    }
    return false;
  };
  const spills = [];
  for (const element of document.body.querySelectorAll('*')) {
    const box = element.getBoundingClientRect();
    if (box.width && box.height && box.right > width + 1 && !insideFittingScroller(element)) {
      const name = element.getAttribute('data-testid') || String(element.className.baseVal ?? element.className);
      spills.push(`${element.tagName.toLowerCase()} ${name.slice(0, 40)} right=${Math.round(box.right)}`);
    }
  }
  return {document: document.documentElement.scrollWidth, main: main.scrollWidth, window: width, spills};
}
"""


def _idle(page) -> None:
    page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')", timeout=60_000)


def wait_drawn(page, title: str, la_heading: bool, charts: int) -> None:
    """Wait until the page's title, the LA's heading and at least `charts` charts are drawn, and the
    page has finished running."""
    page.get_by_role("heading", name=title, exact=True).first.wait_for(timeout=90_000)
    if la_heading:
        page.get_by_role("heading", name="Rotherham", exact=True).first.wait_for(timeout=90_000)
    if charts:
        page.locator(f"{CHART} svg").nth(charts - 1).wait_for(timeout=90_000)
    _idle(page)
    page.wait_for_function(f"() => [...document.querySelectorAll('{CHART}')].every(c => c.querySelector('svg'))")
    page.wait_for_timeout(500)  # charts settle at the width they were given


@pytest.fixture
def phone(browser):
    """A tab the size of a phone held upright (390 × 844 CSS pixels, an iPhone 12 to 15)."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    tab = context.new_page()
    yield tab
    context.close()


@pytest.mark.parametrize("path", list(PAGES))
def test_nothing_is_wider_than_a_phone(server, phone, artifacts, path):
    phone.goto(f"{server}{path}")
    wait_drawn(phone, *PAGES[path])
    found = phone.evaluate(SPILLS_JS)
    name = path.strip("/").split("?")[0]
    # The whole page, at the phone's width, for a person to look at.
    height = phone.evaluate("document.querySelector('[data-testid=stMain]').scrollHeight")
    phone.set_viewport_size({"width": 390, "height": min(height, 12_000)})
    phone.wait_for_timeout(500)
    phone.screenshot(path=str(artifacts / f"phone_{name}.png"))
    assert found["document"] <= found["window"], f"{path}: the document is {found['document']} px wide"
    assert found["main"] <= found["window"], f"{path}: the page scrolls sideways to {found['main']} px"
    assert not found["spills"], f"{path}: wider than the {found['window']} px window: {found['spills'][:8]}"


# Each chart's heading (the last heading before it) and its own title, as drawn.
CHART_HEADINGS_JS = """
() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')].map((chart) => {
  let heading = null;
  let box = chart.closest('[data-testid="stElementContainer"]').previousElementSibling;
  for (; box && heading === null; box = box.previousElementSibling) {
    const found = box.querySelectorAll('h1, h2, h3, h4');
    if (found.length) heading = found[found.length - 1].textContent;
  }
  const title = chart.querySelector('.role-title-text');
  return [heading, title ? title.textContent : null];
})
"""


def pdf_pages(pdf: bytes, tmp_path) -> list[str]:
    """The text of each page of a PDF (poppler's pdftotext ends each page with a form feed)."""
    assert shutil.which("pdftotext"), "poppler-utils (pdftotext) is needed; .ci/run installs it"
    path = tmp_path / "page.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout
    return [" ".join(page.split()) for page in text.split("\f")[:-1]]


def test_the_profile_prints_whole_pages_with_headings_beside_their_charts(server, page, artifacts, tmp_path):
    """Printed (Chromium's print to PDF, A4): a few pages, none blank, no buttons or inputs, and each
    chart on the same page as its heading."""
    page.goto(f"{server}/profile?la={ROTHERHAM}")
    wait_drawn(page, "Local authority profile", True, 2)
    pairs = page.evaluate(CHART_HEADINGS_JS)
    assert len(pairs) == 2 and all(heading and title for heading, title in pairs), pairs
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", print_background=True)
    (artifacts / "print_profile_rotherham.pdf").write_bytes(pdf)
    pages = pdf_pages(pdf, tmp_path)
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == len(pages)
    assert 2 <= len(pages) <= 5, f"{len(pages)} pages (3 when last looked at)"
    assert all(pages), f"blank pages: {[number + 1 for number, text in enumerate(pages) if not text]}"
    everything = " ".join(pages)
    assert "Rotherham" in everything and "73.3%" in everything
    for control in ("PNG for documents", "Download CSV", "Table of the plotted data", "Use your own confirmed"):
        assert control not in everything, f"{control!r} printed"
    for heading, title in pairs:
        on = [number for number, text in enumerate(pages, 1) if " ".join(heading.split()) in text]
        drawn = [number for number, text in enumerate(pages, 1) if " ".join(title.split()) in text]
        assert on and drawn and on[-1] == drawn[0], f"heading {heading!r} on page {on}, its chart on page {drawn}"


def printed_width(page) -> int:
    """Lay the page out as printed on A4 (210 mm less the style sheet's 12 mm margins: 703 CSS px)."""
    page.emulate_media(media="print")
    width = round((210 - 2 * 12) / 25.4 * 96)
    page.set_viewport_size({"width": width, "height": 1100})
    page.wait_for_timeout(1000)
    return width


def test_wide_tables_fit_the_printed_page(server, page):
    """The peers tables (a dozen columns) wrap to the paper's width instead of being cut at its edge."""
    page.goto(f"{server}/peers?la={ROTHERHAM}")
    wait_drawn(page, "Peers", True, 2)
    width = printed_width(page)
    rights = page.evaluate("() => [...document.querySelectorAll('table')].map(t => t.getBoundingClientRect().right)")
    assert len(rights) >= 2
    assert max(rights) <= width + 1, f"a table reaches {max(rights):.0f} px on a {width} px page"


def test_the_wards_page_prints_its_map_and_table_without_the_controls(server, page):
    page.goto(f"{server}/wards?la={ROTHERHAM}")
    wait_drawn(page, "Wards", True, 1)
    page.locator('[data-testid="stDeckGlJsonChart"] canvas').first.wait_for(timeout=90_000)
    printed_width(page)
    controls = page.locator(
        ", ".join(
            f'[data-testid="{name}"]'
            for name in (
                "stSelectbox",
                "stMultiSelect",
                "stRadio",
                "stNumberInput",
                "stSlider",
                "stCheckbox",
                "stButton",
                "stDownloadButton",
                "stExpander",
                "stHeader",
            )
        )
    )
    assert controls.count() > 0  # they are there on screen
    shown = [control.get_attribute("data-testid") for control in controls.all() if control.is_visible()]
    assert not shown, f"printed: {shown}"
    assert page.locator('[data-testid="stDeckGlJsonChart"]').first.is_visible()
    assert page.locator(".gld-table").first.is_visible()


def test_the_tab_is_titled_with_the_la_and_the_page(server, page):
    for path, title in (
        (f"/profile?la={ROTHERHAM}", "Rotherham · LA profile · GLD explorer"),
        ("/peers?la=E08000025", "Birmingham · Peers · GLD explorer"),
        ("/about", "About the data · GLD explorer"),
    ):
        page.goto(f"{server}{path}")
        page.get_by_label("Local authority").first.wait_for(timeout=90_000)
        expect(page).to_have_title(title, timeout=60_000)


def test_the_public_sees_no_deploy_button_or_main_menu(server, page):
    page.goto(f"{server}/profile?la={ROTHERHAM}")
    page.get_by_role("heading", name="Rotherham").first.wait_for(timeout=90_000)
    _idle(page)
    assert page.get_by_text("Peers", exact=True).first.is_visible()  # page switching stays
    for name in ("stAppDeployButton", "stMainMenu", "stToolbarActions"):
        assert page.locator(f'[data-testid="{name}"]').count() == 0, f"{name} shown"
    assert page.get_by_text("Deploy", exact=True).count() == 0
