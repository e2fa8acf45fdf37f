"""The app's style sheets: printing, phones, the headline and static tables, and presentation mode."""

from __future__ import annotations

import streamlit as st

PRESENT_CSS = """
<style>
/* Presentation mode: large type and high contrast for a projector; no toolbar chrome. */
html, body, [data-testid="stAppViewContainer"] { font-size: 22px !important; }
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li { font-size: 1.25rem !important;
  line-height: 1.5 !important; color: #000 !important; }
/* A button's label keeps the button's own colour (black on the red primary button was 4:1). */
button [data-testid="stMarkdownContainer"] p { color: inherit !important; }
[data-testid="stMetricValue"], .gld-headline .figure { font-size: 3.2rem !important; color: #000 !important; }
.gld-headline .status, .gld-headline tbody th { font-size: 1.5rem !important; }
.gld-headline .note, .gld-headline caption { font-size: 1.1rem !important; color: #111827 !important; }
[data-testid="stMetricLabel"] p { font-size: 1.2rem !important; }
h1 { font-size: 3rem !important; } h2 { font-size: 2.4rem !important; } h3 { font-size: 1.9rem !important; }
[data-testid="stToolbarActions"], [data-testid="stMainMenu"], [data-testid="stAppDeployButton"],
[data-testid="stDecoration"], [data-testid="stSidebar"], [data-testid="stStatusWidget"], footer {
  display: none !important; }
[data-testid="stTopNavLink"] p, [data-testid="stTopNavLink"] span { font-size: 1.2rem !important; }
[data-testid="stMainBlockContainer"] { max-width: 100% !important; padding-top: 3.5rem !important; }
*:focus-visible { outline: 4px solid #f59e0b !important; outline-offset: 2px !important; }
/* the map key (HTML beside the map); the charts' own text is enlarged in their specs */
.gld-map-key, .gld-map-key span { font-size: 22px !important; }
</style>
"""

PRINT_CSS = """
<style>
/* Printing a page: one clean column of headings, figures, charts, maps and tables; no navigation,
   widgets or buttons (a printed control says nothing the headings and sentences do not). */
@page { margin: 12mm; }
@media print {
  header, [data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stSidebar"],
  [data-testid="stTopNav"], [data-testid="stDecoration"], [data-testid="stStatusWidget"],
  [data-testid="stElementToolbar"], [data-testid="stSkipToContent"], .no-print,
  [data-testid="stElementContainer"]:has(:is([data-testid="stSelectbox"], [data-testid="stMultiSelect"],
    [data-testid="stRadio"], [data-testid="stCheckbox"], [data-testid="stSlider"], [data-testid="stNumberInput"],
    [data-testid="stTextInput"], [data-testid="stButtonGroup"], [data-testid="stButton"],
    [data-testid="stDownloadButton"], [data-testid="stCode"])),
  [data-testid="stLayoutWrapper"]:has(> [data-testid="stExpander"]) { display: none !important; }
  [data-testid="stMainBlockContainer"] { max-width: 100% !important; padding: 0 !important; }
  [data-testid="stHorizontalBlock"] { flex-direction: column !important; }
  [data-testid="stColumn"] { width: 100% !important; flex: 1 1 100% !important; }
  /* Charts drawn for the screen's width shrink to the paper's. */
  [data-testid="stVegaLiteChart"], [data-testid="stVegaLiteChart"] svg { max-width: 100% !important;
    height: auto !important; }
  /* A heading stays with what follows it, and a chart, map or table with the heading or sentence
     before it. Charts, maps and short tables are never cut; a long table or the tall headline
     table only between rows (moved on whole, it would leave half a page empty). */
  [data-testid="stHeadingWithActionElements"],
  [data-testid="stElementContainer"]:has([data-testid="stHeadingWithActionElements"]:last-child) {
    break-after: avoid; }
  [data-testid="stElementContainer"]:has([data-testid="stVegaLiteChart"], [data-testid="stDeckGlJsonChart"], table) {
    break-before: avoid; }
  [data-testid="stElementContainer"]:has([data-testid="stVegaLiteChart"], [data-testid="stDeckGlJsonChart"],
    [data-testid="stHeadingWithActionElements"]), [data-testid="stAlert"], tr,
  .gld-table-wrap:not(:has(tbody tr:nth-child(15))) { break-inside: avoid; }
  caption, thead { break-after: avoid; }
  /* Wide tables wrap to the paper's width rather than being cut at its edge: the peers table's 14
     columns fit A4 at this size with about 30 px to spare, and anything wider runs into the margin. */
  .gld-table-wrap { overflow: visible !important; }
  .gld-table { width: 100%; font-size: 0.7rem; }
  .gld-table th, .gld-table td { padding: 0.2rem 0.25rem; }
}
</style>
"""


PHONE_CSS = """
<style>
/* Phones (Streamlit's own 640 px breakpoint): nothing wider than the screen. */
@media screen and (max-width: 640px) {
  /* A chart keeps a readable width and scrolls sideways in its own box, not the page. The box's top
     padding holds the chart's toolbar (full screen), which sits above the chart and would be cut.
     Screens only: on paper the chart shrinks to the page instead. */
  [data-testid="stElementContainer"]:has([data-testid="stVegaLiteChart"]) { overflow-x: auto;
    padding-top: 2.75rem; margin-top: -1rem; }
  [data-testid="stVegaLiteChart"] { min-width: 520px; }
}
@media (max-width: 640px) {
  /* A headline table of three or more figures a row: each group's label on a line, its figures two
     a row beneath, in the same places as the headings at the top. */
  .gld-headline:has(td ~ td ~ td), .gld-headline:has(td ~ td ~ td) :is(caption, thead, tbody) {
    display: block; }
  .gld-headline:has(td ~ td ~ td) tr { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr));
    column-gap: 0.9rem; border-top: 1px solid #d1d5db; padding: 0.3rem 0; }
  .gld-headline:has(td ~ td ~ td) thead tr { border-top: none; }
  .gld-headline:has(td ~ td ~ td) :is(th, td) { border-top: none; padding: 0.3rem 0; width: auto; }
  .gld-headline:has(td ~ td ~ td) tr > :first-child { grid-column: 1 / -1; }
  /* "Children" over the row labels is plain from the labels themselves: kept for screen readers only. */
  .gld-headline:has(td ~ td ~ td) thead th:first-child { position: absolute; width: 1px; height: 1px;
    overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
  .gld-headline .figure { font-size: 1.9rem; }
}
</style>
"""


FIGURES_CSS = """
<style>
.gld-headline { border-collapse: collapse; width: 100%; margin: 0.25rem 0 1rem; }
.gld-headline caption { caption-side: top; text-align: left; font-size: 0.9rem; color: #4b5563; padding-bottom: 0.4rem; }
.gld-headline th, .gld-headline td { text-align: left; vertical-align: top; padding: 0.6rem 0.9rem 0.6rem 0;
  border-top: 1px solid #d1d5db; }
.gld-headline thead th { font-size: 0.95rem; font-weight: 600; color: #374151; border-top: none; }
.gld-headline tbody th { font-size: 1.15rem; font-weight: 700; width: 16%; }
.gld-headline .figure { display: block; font-size: 2.2rem; line-height: 1.15; color: #111827; white-space: nowrap; }
.gld-headline .status { display: block; font-size: 1.05rem; font-weight: 700; color: #111827; }
.gld-headline .note { display: block; font-size: 0.85rem; color: #4b5563; margin-top: 0.2rem; }
.gld-headline.compact tbody th { font-size: 0.95rem; font-weight: 600; width: 55%; }
.gld-headline.compact .figure { font-size: 1.8rem; }
.gld-table-wrap { overflow-x: auto; margin: 0.25rem 0 0.75rem; }
.gld-table { border-collapse: collapse; font-size: 0.9rem; min-width: 100%; }
.gld-table caption { caption-side: top; text-align: left; font-size: 0.85rem; color: #4b5563; padding-bottom: 0.4rem; }
.gld-table th, .gld-table td { padding: 0.3rem 0.6rem; border-bottom: 1px solid #e5e7eb; text-align: left;
  vertical-align: top; }
.gld-table thead th { font-weight: 600; color: #374151; border-bottom: 2px solid #9ca3af; vertical-align: bottom; }
.gld-table tbody th { font-weight: 600; }
.gld-table .num { text-align: right; font-variant-numeric: tabular-nums; }
.gld-table td.num { white-space: nowrap; }  /* headers may wrap; figures never do */
.gld-table tr.own { background: #eff6ff; }
.gld-table tr.own th, .gld-table tr.own td { font-weight: 700; }
</style>
"""


def apply_styles(present: bool) -> None:
    """Figures-table, phone and print styles always; presentation styles when `?present=1`.

    Styles live here, in one element whose content does not change between reruns: a style sheet
    inside an element that is redrawn for each LA would make the browser restyle the whole page.
    """
    # Later sheets win ties: phone and print rules override the figures tables' own.
    st.html(FIGURES_CSS + PHONE_CSS + PRINT_CSS + (PRESENT_CSS if present else ""))
