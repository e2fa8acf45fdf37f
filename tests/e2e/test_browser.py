"""Browser tests: the profile renders, the picker switches LA and the URL follows."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import ARTIFACTS

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
CHART = '[data-testid="stVegaLiteChart"]'


def target_label(name: str) -> re.Pattern:
    """The label the trajectory chart puts on this LA's 2028 target (all children), from the database.

    The label has two lines ("2028 target" over the value): two text runs with nothing between them.
    """
    from profiles.areas import picker_options
    from profiles.profile import build_profile

    codes, labels = picker_options()
    code = next(code for code in codes if labels[code].split(" (")[0] == name)
    return re.compile(r"2028 target\s*" + re.escape(build_profile(code).target_text("all")))


def wait_for_profile(page, name: str, timeout: int = 90_000) -> None:
    """Wait until the page is headed with this LA and its trajectory chart shows the LA's target.

    The chart is redrawn in place for each LA and its on-screen title does not name the LA, so
    the data-driven target label is what shows the chart is this LA's.
    """
    page.get_by_role("heading", name=name).first.wait_for(timeout=timeout)
    page.locator(f"{CHART} svg text", has_text=target_label(name)).first.wait_for(timeout=timeout)


def choose_la(page, text: str) -> None:
    picker = page.locator('[data-testid="stSelectbox"]').first
    picker.click()
    page.keyboard.type(text)
    page.get_by_role("option", name=re.compile(text)).first.wait_for(timeout=30_000)
    page.keyboard.press("Enter")  # a mouse click on an option is now and then lost while the list places itself


def test_profile_switch_la_and_url(server, page, artifacts):
    page.goto(f"{server}/profile?la=E08000018")
    wait_for_profile(page, "Rotherham")
    assert page.get_by_text("73.3%").first.is_visible()
    page.screenshot(path=str(artifacts / "profile_rotherham.png"))

    choose_la(page, "Birmingham")
    expect(page).to_have_url(re.compile(r"la=E08000025"), timeout=60_000)
    wait_for_profile(page, "Birmingham")
    assert page.locator('[data-testid="stException"]').count() == 0
    page.locator(CHART).first.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "profile_birmingham.png"))


def test_la_survives_a_page_switch_and_reload(server, page):
    page.goto(f"{server}/profile?la=E08000018")
    wait_for_profile(page, "Rotherham")
    page.get_by_text("About the data").first.click()
    expect(page).to_have_url(re.compile(r"/about\?la=E08000018"), timeout=60_000)
    page.reload()
    page.get_by_role("heading", name="About the data").first.wait_for(timeout=60_000)
    assert "la=E08000018" in page.url
    assert page.locator('[data-testid="stException"]').count() == 0


def test_bad_code_shows_a_notice(server, page):
    page.goto(f"{server}/profile?la=NOT_A_CODE")
    page.get_by_text("is not a local authority code").wait_for(timeout=60_000)
    assert page.locator('[data-testid="stException"]').count() == 0


def test_peer_set_switch_updates_url(server, page, artifacts):
    page.goto(f"{server}/peers?la=E08000018")
    page.locator(f"{CHART} svg text", has_text="The LA beside statistical neighbours (May 2025)").first.wait_for(
        timeout=90_000
    )
    page.get_by_text("All LAs in the region", exact=True).click()
    expect(page).to_have_url(re.compile(r"peers=All(\+|%20)LAs(\+|%20)in(\+|%20)the(\+|%20)region"), timeout=60_000)
    region_chart = page.locator(f"{CHART} svg text", has_text="The LA beside all LAs in the region").first
    region_chart.wait_for(timeout=30_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=str(artifacts / "peers_region.png"))
    # The link holds the setting: a reload keeps it; after another LA, Back returns to Rotherham with
    # it and Forward to the other LA. (A widget's change replaces the page's history entry; choosing
    # an LA or a page adds one.)
    page.reload()
    region_chart.wait_for(timeout=60_000)
    choose_la(page, "Birmingham")
    expect(page).to_have_url(re.compile(r"la=E08000025"), timeout=60_000)
    page.get_by_role("heading", name="Birmingham").first.wait_for(timeout=30_000)
    page.go_back()
    page.get_by_role("heading", name="Rotherham").first.wait_for(timeout=30_000)
    assert "peers=All" in page.url
    region_chart.wait_for(timeout=30_000)
    page.go_forward()
    page.get_by_role("heading", name="Birmingham").first.wait_for(timeout=30_000)
    assert page.locator('[data-testid="stException"]').count() == 0


def test_old_style_link_opens_the_same_view(server, page):
    """A link shared before the settings were bound to the URL (codes, `dec=1-3`) opens the same view."""
    page.goto(f"{server}/wards?la=E08000018&dec=1-3&measure=imd_avg_rank&minkids=1000")
    page.get_by_text(re.compile(r"wards? shown, by IMD average LSOA rank")).first.wait_for(timeout=90_000)
    page.get_by_role("heading", name=re.compile(r"^\d+ wards?$")).filter(has_not_text="25 wards").wait_for(
        timeout=30_000
    )
    page.get_by_text("Copy link to this view").click()
    link = page.locator('[data-testid="stCode"]').first
    link.wait_for(timeout=30_000)
    assert "dec=1&dec=3" in link.inner_text() and "measure=IMD+average+LSOA+rank" in link.inner_text()
    assert page.locator('[data-testid="stException"]').count() == 0


def test_overview_map_renders_and_picker_opens_profile(server, page, artifacts):
    page.goto(f"{server}/")
    page.wait_for_selector('[data-testid="stDeckGlJsonChart"] canvas', timeout=90_000)
    page.locator('[data-testid="stDeckGlJsonChart"]').first.scroll_into_view_if_needed()
    page.wait_for_timeout(1500)
    page.screenshot(path=str(artifacts / "overview_map.png"))
    choose_la(page, "Leeds")
    expect(page).to_have_url(re.compile(r"/profile\?la=E08000035"), timeout=60_000)
    wait_for_profile(page, "Leeds")


def test_ward_map_renders_and_filter_changes_table(server, page, artifacts):
    page.goto(f"{server}/wards?la=E10000016")
    page.wait_for_selector('[data-testid="stDeckGlJsonChart"] canvas', timeout=90_000)
    heading = page.get_by_role("heading", name=re.compile(r"^\d+ wards?$"))
    heading.wait_for(timeout=60_000)
    assert heading.inner_text() == "255 wards"  # Kent's May 2024 wards
    # Where the children are: the running-share chart and the wards that hold half, named.
    page.locator(f"{CHART} svg text", has_text="Wards, those with the most children first").first.wait_for(
        timeout=60_000
    )
    assert (
        page.get_by_text(re.compile(r"of Kent's 255 wards hold half of its [\d,]+ children in relative low")).count()
        == 1
    )
    page.wait_for_timeout(1500)
    page.screenshot(path=str(artifacts / "wards_kent.png"), full_page=True)
    # Keep only wards with at least 3,000 children (typed, as an analyst would).
    _idle(page)
    box = page.get_by_label("At least this many children")
    box.fill("3000")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"minkids=3000"), timeout=60_000)
    page.get_by_role("heading", name=re.compile(r"^\d+ wards?$")).filter(has_not_text="255").wait_for(timeout=30_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    # The first ten by the map's measure are listed; the sortable grid of all opens on request.
    assert page.get_by_text(re.compile(r"^The (first \d+ of the )?\d+ wards? shown, by IDACI")).count() == 1
    assert page.locator('[data-testid="stDataFrame"]').count() == 0
    _idle(page)
    page.get_by_text("All the wards shown, every column, sortable").click()
    page.locator('[data-testid="stDataFrame"] canvas').first.wait_for(timeout=30_000)
    assert page.locator('[data-testid="stException"]').count() == 0


def _map_picture(page):
    """The ward map as drawn, in grey, with the pointer off it (hovering highlights a ward)."""
    import io

    from PIL import Image

    page.mouse.move(5, 5)
    _idle(page)
    canvas = page.locator('[data-testid="stDeckGlJsonChart"] canvas').first
    # Below the app's sticky header, which would otherwise cover the top of the picture.
    canvas.evaluate("c => window.scrollBy(0, c.getBoundingClientRect().top - 150)")
    page.wait_for_timeout(1000)
    picture = Image.open(io.BytesIO(canvas.screenshot())).convert("L")
    return picture.crop((0, 80, picture.width, picture.height))  # below where the sticky header can reach


def _share_different(one, other) -> float:
    """The share of pixels that differ clearly between two pictures of the same size."""
    from PIL import ImageChops

    histogram = ImageChops.difference(one, other).histogram()
    return sum(histogram[40:]) / (one.width * one.height)


def test_ward_map_zoom_stays_across_las_until_reset(server, page, artifacts):
    page.goto(f"{server}/wards?la=E08000038")
    heading = page.get_by_role("heading", name="Barnsley")
    heading.wait_for(timeout=90_000)
    page.wait_for_selector('[data-testid="stDeckGlJsonChart"] canvas', timeout=90_000)
    unhovered = _map_picture(page)
    box = page.locator('[data-testid="stDeckGlJsonChart"] canvas').first.bounding_box()
    centre = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    # The ward last under the pointer stays highlighted after it leaves (deck.gl, as Streamlit runs
    # it): hover where the zoom will happen before the first picture, so all pictures share it.
    page.mouse.move(*centre)
    fitted = _map_picture(page)
    page.mouse.move(*centre)
    for _ in range(3):
        page.mouse.wheel(0, -200)
        page.wait_for_timeout(300)
    page.mouse.down()  # and dragged a little way: the reset must undo a pan as well
    page.mouse.move(centre[0] + 120, centre[1] + 60, steps=8)
    page.mouse.up()
    assert _share_different(fitted, _map_picture(page)) > 0.2  # zoomed in
    # Every LA's map starts from the same view (one redraw per switch), so the zoom stays...
    choose_la(page, "Rotherham")
    page.get_by_role("heading", name="Rotherham").wait_for(timeout=60_000)
    choose_la(page, "Barnsley")
    heading.wait_for(timeout=60_000)
    still_zoomed = _map_picture(page)
    assert _share_different(fitted, still_zoomed) > 0.2
    # ...until the button fits the LA again.
    page.get_by_role("button", name="Reset map view").click()
    page.wait_for_timeout(1000)
    reset = _map_picture(page)  # drawn afresh, fitted, with no ward highlighted: as the first picture
    reset.save(artifacts / "ward_map_reset.png")
    assert _share_different(unhovered, reset) < 0.01
    assert page.locator('[data-testid="stException"]').count() == 0


def _idle(page) -> None:
    page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')", timeout=60_000)


def _click_map_centre_until(page, url_pattern: re.Pattern) -> None:
    """Click the middle of the map until the URL shows the selection (at most four page loads).

    The deck draws, and can pick, a little after its canvas appears, and a click that lands while
    the page script is still running is dropped; so hover until the tooltip shows, wait for the run
    to finish, then click. Now and then the map's frontend drops a click without sending anything
    to the server (about 1 in 14 here): a click after which the page sends no message within 5 s
    is repeated, as a person would click again.
    """
    sent: list[int] = []
    page.on("websocket", lambda socket: socket.on("framesent", lambda frame: sent.append(1)))
    ARTIFACTS.mkdir(exist_ok=True)
    for _attempt in range(4):
        page.reload()  # after the listener, so this page's websocket is watched
        page.wait_for_selector('[data-testid="stDeckGlJsonChart"] canvas', timeout=90_000)
        view = page.locator('[data-testid="stDeckGlJsonChart"] canvas').first  # the deck's (no base map)
        view.scroll_into_view_if_needed()
        box = view.bounding_box()
        centre = {"x": box["width"] / 2, "y": box["height"] / 2}
        for _ in range(30):
            view.hover(position=centre)
            if page.locator(".deck-tooltip").first.is_visible():
                break
            page.wait_for_timeout(500)
        _idle(page)
        page.wait_for_timeout(1000)
        for _click in range(3):
            before = len(sent)
            view.click(position=centre, delay=60)
            for _ in range(25):
                if len(sent) > before:
                    break
                page.wait_for_timeout(200)
            if len(sent) > before:
                break
        try:
            page.wait_for_url(url_pattern, timeout=15_000)
            return
        except Exception:  # Playwright's TimeoutError: try again
            continue
    page.screenshot(path=str(ARTIFACTS / "map_click_failed.png"))
    raise AssertionError(f"clicking the map never led to {url_pattern.pattern}")


def test_clicking_the_la_map_opens_that_profile(server, page):
    page.goto(f"{server}/?la=E92000001")
    # The map is fitted to England: its centre is in Staffordshire.
    _click_map_centre_until(page, re.compile(r"/profile\?la=E10000028"))
    wait_for_profile(page, "Staffordshire")


def test_clicking_a_ward_selects_it(server, page):
    page.goto(f"{server}/wards?la=E08000018")
    _click_map_centre_until(page, re.compile(r"wards=[A-Z]"))  # the ward's name
    page.get_by_role("heading", name="1 ward", exact=True).wait_for(timeout=30_000)


def test_profile_downloads_png_and_csv(server, page, artifacts):
    page.goto(f"{server}/profile?la=E08000018")
    wait_for_profile(page, "Rotherham")
    from profiles.exports import DOC_SCALE, DOC_WIDTH, png_size

    day = r"\d{4}-\d{2}-\d{2}"
    for label, kind in (("PNG for documents", "document"), ("PNG for slides (16:9)", "slide")):
        with page.expect_download(timeout=60_000) as png_download:
            page.get_by_role("button", name=label).first.click()
        name = png_download.value.suggested_filename
        assert re.fullmatch(rf"Rotherham_profile_trajectory_{day}_{kind}\.png", name), name
        png_path = artifacts / f"downloaded_trajectory_{kind}.png"
        png_download.value.save_as(png_path)
        width, height = png_size(png_path.read_bytes())
        if kind == "slide":
            assert (width, height) == (1920, 1080)
        else:  # laid out at most DOC_WIDTH px: reads at 16 cm wide
            assert width <= (DOC_WIDTH + 10) * DOC_SCALE
    with page.expect_download(timeout=60_000) as csv_download:
        page.get_by_role("button", name="Download CSV").first.click()
    assert re.fullmatch(rf"Rotherham_profile_trajectory_{day}\.csv", csv_download.value.suggested_filename)
    csv_path = artifacts / "downloaded_trajectory.csv"
    csv_download.value.save_as(csv_path)
    assert csv_path.read_text(encoding="utf-8-sig").startswith("area,group,year")


def test_the_word_report_follows_a_typed_target(server, page, artifacts):
    """A confirmed target of 70.0 typed on the page is the report's target (Rotherham's published: 73.3)."""
    from docx import Document

    page.goto(f"{server}/profile?la=E08000018")
    wait_for_profile(page, "Rotherham")
    page.get_by_text("Use your own confirmed 2028 target").click()
    box = page.get_by_label("All children (%)")
    box.fill("70")
    box.press("Enter")
    page.get_by_text("Basis: entered by you").first.wait_for(timeout=60_000)
    # the rest of the page, the download buttons included, redrawn by the same run
    page.wait_for_function("() => !document.querySelector('[data-stale=\"true\"]')", timeout=60_000)
    _idle(page)
    with page.expect_download(timeout=120_000) as download:
        page.get_by_role("button", name="Download Word report").click()
    assert re.fullmatch(r"Rotherham_GLD_report_\d{4}-\d{2}-\d{2}\.docx", download.value.suggested_filename)
    path = artifacts / "downloaded_report.docx"
    download.value.save_as(path)
    target = Document(str(path)).tables[0].rows[1].cells[2].text
    assert target.startswith("70.0%") and "entered by you" in target


def test_a_confirmed_target_in_the_link_stays_with_its_la(server, page):
    """?target=70 is Rotherham's confirmed target; Birmingham, chosen next, does not inherit it; Back
    returns to Rotherham with it."""
    page.goto(f"{server}/profile?la=E08000018&target=70")
    page.get_by_text("Basis: entered by you").first.wait_for(timeout=90_000)
    expect(page).to_have_url(re.compile(r"la=E08000018&target=70\.0"), timeout=60_000)
    choose_la(page, "Birmingham")
    wait_for_profile(page, "Birmingham")
    expect(page).to_have_url(re.compile(r"\?la=E08000025$"), timeout=60_000)
    assert page.get_by_text("Basis: entered by you").count() == 0
    page.go_back()
    expect(page).to_have_url(re.compile(r"la=E08000018&target=70\.0"), timeout=60_000)
    page.get_by_text("Basis: entered by you").first.wait_for(timeout=60_000)


def test_presentation_mode_in_the_browser(server, page, artifacts):
    """On a 1280 x 720 projector: the first chart is in view without scrolling, its text at least 18 px."""
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{server}/profile?la=E08000018&present=1")
    wait_for_profile(page, "Rotherham")
    _idle(page)
    assert page.locator('[data-testid="stMainMenu"]').first.is_hidden()
    assert page.get_by_text("Peers", exact=True).first.is_visible()  # page switching stays available
    chart = page.locator(CHART).first
    box = chart.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] * 0.75 <= 720, box  # most of it on the first screen
    sizes = chart.locator("svg text").evaluate_all(
        "texts => texts.filter(t => t.textContent.trim()).map(t => parseFloat(getComputedStyle(t).fontSize))"
    )
    assert sizes and min(sizes) >= 18, sorted(sizes)[:5]
    page.screenshot(path=str(artifacts / "presentation_mode.png"))


# The contrast (WCAG 2) of each matching element's text against the first opaque background behind
# it, as the browser computed them.
CONTRAST_JS = """
(selector) => {
  const rgb = (text) => (text.match(/[\\d.]+/g) || []).map(Number);
  const luminance = ([r, g, b]) => {
    const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  };
  const background = (element) => {
    for (let node = element; node; node = node.parentElement) {
      const colour = rgb(getComputedStyle(node).backgroundColor);
      if (colour.length === 3 || (colour.length === 4 && colour[3] > 0.5)) return colour.slice(0, 3);
    }
    return [255, 255, 255];
  };
  return [...document.querySelectorAll(selector)].map((element) => {
    const text = luminance(rgb(getComputedStyle(element).color).slice(0, 3));
    const back = luminance(background(element));
    return [element.textContent.trim().slice(0, 40),
            (Math.max(text, back) + 0.05) / (Math.min(text, back) + 0.05)];
  });
}
"""


def contrasts(page, selector: str) -> list[tuple[str, float]]:
    found = page.evaluate(CONTRAST_JS, selector)
    assert found, f"nothing matches {selector}"
    return found


def test_focus_page_draws_every_chart_and_flags_unpublished_groups(server, page, artifacts):
    """Rutland's focus page: four charts drawn, each with its sentence as alt text; Chinese children
    (not published in 2024/25) shown as 'not published' in the chart, never as a bare 0."""
    page.goto(f"{server}/focus?la=E06000017")
    page.get_by_role("heading", name="Rutland").first.wait_for(timeout=90_000)
    page.locator(f"{CHART} svg").nth(2).wait_for(timeout=90_000)
    _idle(page)
    assert page.locator(CHART).count() == 3  # the seven-panel trend is drawn when asked for
    page.get_by_text("Show the chart: each area since 2021/22").click()
    page.locator(f"{CHART} svg").nth(3).wait_for(timeout=60_000)
    _idle(page)
    assert page.locator(CHART).count() == 4
    labels = page.locator(f"{CHART} svg text").all_text_contents()
    assert "not published" in labels
    assert page.get_by_text("Not published for Rutland: Chinese").first.is_visible()
    assert page.locator('[data-testid="stException"]').count() == 0
    page.set_viewport_size({"width": 1400, "height": 6000})
    page.screenshot(path=str(artifacts / "focus_rutland.png"))


@pytest.fixture
def dark_page(browser):
    """A tab whose computer asks for dark mode (prefers-color-scheme: dark)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, color_scheme="dark")
    tab = context.new_page()
    yield tab
    context.close()


def test_dark_mode_keeps_every_figure_legible(server, dark_page, artifacts):
    """With the computer in dark mode, the headline figures, the wards panel, the peers table's own
    row and presentation-mode text all keep WCAG AA contrast (4.5:1) against what is behind them."""
    page = dark_page
    assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
    checks = (
        ("/profile?la=E08000018", ".gld-headline .figure, .gld-headline .status, .gld-headline .note", "profile"),
        ("/profile?la=E08000018&present=1", ".gld-headline .figure, [data-testid='stMarkdownContainer'] p", "present"),
        ("/profile?la=E08000018&present=1", "button p", "present_buttons"),
        ("/peers?la=E08000018", ".gld-table tr.own th, .gld-table tr.own td", "peers"),
        ("/wards?la=E08000018", ".gld-headline.compact .figure, .gld-headline.compact th", "wards"),
        ("/focus?la=E08000018", "[data-testid='stMarkdownContainer'] p, .gld-table td, .gld-table th", "focus"),
    )
    for path, selector, name in checks:
        page.goto(f"{server}{path}")
        page.locator(selector.split(",")[0]).first.wait_for(timeout=90_000)
        if "profile" in path:  # the last elements of the page are drawn
            page.get_by_role("button", name="Download plan pack (zip)").wait_for(timeout=60_000)
        if "focus" in path:  # its tables sit below three charts
            page.locator(f"{CHART} svg").nth(2).wait_for(timeout=90_000)
        page.screenshot(path=str(artifacts / f"dark_scheme_{name}.png"))
        low = [(text, round(ratio, 2)) for text, ratio in contrasts(page, selector) if text and ratio < 4.5]
        assert not low, f"{path}: text below 4.5:1 contrast in dark mode: {low[:5]}"


DOCUMENTED_URLS = {
    "/": "Good level of development in England",
    "/overview?la=E08000018": "Good level of development in England",
    "/profile?la=E08000018": "Local authority profile",
    "/focus?la=E08000018": "Focus: what to work on, and for whom",
    "/peers?la=E08000018&peers=All+LAs+in+the+region": "Peers",
    "/wards?la=E10000016&measure=IMD+ward+decile+(1+%3D+most+deprived)": "Wards",
    "/about": "About the data",
}


def test_every_documented_url_opens_directly_on_a_new_server(browser, artifacts):
    """Each URL the README gives, opened as the first request to a server just started.

    Until app.py's first `st.navigation` call a server still treats the `pages/` folder as its legacy
    layout; a page module named like its URL would then run by itself and show an empty page.
    """
    from .conftest import free_port, start_streamlit, wait_healthy

    servers = {path: (port := free_port(), start_streamlit("app.py", port)) for path in DOCUMENTED_URLS}
    try:
        for port, process in servers.values():
            wait_healthy(f"http://127.0.0.1:{port}", process)
        for path, title in DOCUMENTED_URLS.items():
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            tab = context.new_page()
            tab.goto(f"http://127.0.0.1:{servers[path][0]}{path}")
            tab.get_by_role("heading", name=title, exact=True).first.wait_for(timeout=90_000)
            tab.get_by_label("Local authority").first.wait_for(timeout=30_000)  # app.py drew the picker
            tab.wait_for_timeout(1000)
            assert tab.get_by_text("Page not found").count() == 0, path
            assert tab.locator('[data-testid="stException"]').count() == 0, path
            name = path.strip("/").split("?")[0] or "root"
            tab.screenshot(path=str(artifacts / f"direct_{name}.png"))
            context.close()
    finally:
        for _, process in servers.values():
            process.terminate()
        for _, process in servers.values():
            process.wait(timeout=10)


def test_a_ward_name_with_commas_stays_in_the_link(server, page):
    """Names have commas ("Greasby, Frankby and Irby"): choosing one keeps it in the link, with no notice."""
    page.goto(f"{server}/wards?la=E08000015")  # Wirral
    page.get_by_role("heading", name="Wirral").first.wait_for(timeout=90_000)
    _idle(page)
    page.locator('[data-testid="stMultiSelect"]').filter(has_text="Wards by name").click()
    # Typed and chosen with Enter: a mouse click on an option of this long list, which opens above
    # the box, is now and then lost while the list places itself (about 1 in 5 here).
    page.keyboard.type("Greasby")
    page.get_by_role("option", name="Greasby, Frankby and Irby").wait_for(timeout=30_000)
    page.keyboard.press("Enter")
    # The chosen name shows as a tag before the list is closed; under the full parallel run the
    # rerun that writes the link can take many seconds, so the URL is polled.
    chips = page.locator('[data-testid="stMultiSelectTagsContainer"] [data-tag]')
    chips.filter(has_text="Greasby, Frankby and Irby").wait_for(timeout=30_000)
    page.keyboard.press("Escape")  # close the list, as a person would
    expect(page).to_have_url(re.compile(r"wards=Greasby(%2C|,)"), timeout=90_000)
    page.get_by_role("heading", name="1 ward", exact=True).wait_for(timeout=30_000)
    page.reload()
    page.get_by_role("heading", name="1 ward", exact=True).wait_for(timeout=90_000)
    assert page.locator('[data-testid="stAlert"]').filter(has_text="Left out").count() == 0
    assert page.locator('[data-testid="stException"]').count() == 0
