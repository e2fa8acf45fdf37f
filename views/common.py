"""Layout pieces every page shares: export buttons, the copy-link box, presentation and print styles."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from urllib.parse import urlencode

import numpy as np
import pandas as pd
import streamlit as st
from pandas.api.types import is_bool_dtype, is_numeric_dtype
from streamlit.delta_generator import DeltaGenerator

from profiles.exports import Export, export_csv, export_png

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
</style>
"""

PRINT_CSS = """
<style>
/* Printing a page: one clean column, no navigation, widgets or buttons. */
@media print {
  header, [data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stSidebar"],
  [data-testid="stTopNav"], [data-testid="stSelectbox"], [data-testid="stDownloadButton"],
  [data-testid="stExpander"], [data-testid="stButton"], [data-testid="stNumberInput"],
  [data-testid="stCode"], .no-print { display: none !important; }
  [data-testid="stMainBlockContainer"] { max-width: 100% !important; padding: 0 !important; }
  [data-testid="stHorizontalBlock"] { flex-direction: column !important; }
  [data-testid="stColumn"] { width: 100% !important; flex: 1 1 100% !important; }
  [data-testid="stVegaLiteChart"], [data-testid="stDeckGlJsonChart"] { break-inside: avoid; }
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


def figures_table(
    caption: str, headings: list[str], rows: list[tuple[str, list[tuple[str, ...]]]], compact: bool = False
) -> None:
    """Headline figures as one HTML table: a row per group of children, a big figure and a note per cell.

    Each cell is (figure, note) or (figure, note, "status") for a figure in words. One table rather
    than a grid of metric widgets: a few elements for the browser to redraw on an LA switch instead
    of dozens, and it pastes into a document as a table. All text is escaped. `compact` suits a
    narrow column (smaller figures, wider labels).
    """

    def cell(figure: str, note: str, kind: str = "figure") -> str:
        note_html = f'<span class="note">{escape(note)}</span>' if note else ""
        return f'<td><span class="{kind}">{escape(figure)}</span>{note_html}</td>'

    head = "".join(f'<th scope="col">{escape(heading)}</th>' for heading in headings)
    body = "".join(
        f'<tr><th scope="row">{escape(label)}</th>{"".join(cell(*c) for c in cells)}</tr>' for label, cells in rows
    )
    st.html(  # styled by FIGURES_CSS, which page_styles sends once per run and never changes
        f'<table class="gld-headline{" compact" if compact else ""}"><caption>{escape(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def _cell_text(value: object, number_format: str) -> str:
    """A value as table text: missing values '–', true flags 'yes', whole numbers with thousands commas."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "–"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else ""
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        return number_format.format(float(value))
    return str(value)


def frame_table(
    frame: pd.DataFrame, caption: str, highlight: pd.Series | None = None, number_format: str = "{:.1f}"
) -> None:
    """A small table as static HTML: a caption, column headers, the first column as row headers.

    For tables of a few dozen rows that people read, print and paste rather than sort: a grid
    widget is drawn on a canvas, costs the browser far more on every rerun, and neither a screen
    reader nor a word processor sees its cells. Numbers are right-aligned (`number_format` for
    decimals, thousands separators for whole numbers), missing values are '–', true flags 'yes'.
    `highlight` (a boolean per row) marks rows in bold, e.g. the chosen LA. All text is escaped.
    """
    marks = [False] * len(frame) if highlight is None else list(highlight)

    # right-aligned: numeric columns other than the first (the row headers), and columns of numbers
    # written as text at their published precision ('74', '73.3')
    def numeric(column: pd.Series) -> bool:
        if is_bool_dtype(column.dtype):
            return False
        if is_numeric_dtype(column.dtype):
            return True
        values = column.dropna().astype(str)
        return not values.empty and bool(values.str.fullmatch(r"-?\d+(\.\d+)?").all())

    align = [
        ' class="num"' if position and numeric(frame.iloc[:, position]) else "" for position in range(frame.shape[1])
    ]
    head = "".join(f'<th scope="col"{kind}>{escape(str(column))}</th>' for column, kind in zip(frame.columns, align))
    rows = []
    for values, marked in zip(frame.itertuples(index=False), marks):
        cells = []
        for position, value in enumerate(values):
            tag = "th" if position == 0 else "td"
            scope = ' scope="row"' if position == 0 else ""
            cells.append(f"<{tag}{scope}{align[position]}>{escape(_cell_text(value, number_format))}</{tag}>")
        mark = ' class="own"' if marked else ""
        rows.append(f"<tr{mark}>{''.join(cells)}</tr>")
    st.html(  # styled by FIGURES_CSS, sent once per run by page_styles
        f'<div class="gld-table-wrap"><table class="gld-table"><caption>{escape(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def page_styles(present: bool) -> None:
    """Print and figures-table styles always; presentation styles when `?present=1`.

    Styles live here, in one element whose content does not change between reruns: a style sheet
    inside an element that is redrawn for each LA would make the browser restyle the whole page.
    """
    st.html(PRINT_CSS + FIGURES_CSS + (PRESENT_CSS if present else ""))


def png_button(make: Callable[[], Export], file_name: str, key: str, label: str = "Download PNG") -> None:
    """A PNG download rendered only when clicked (slide resolution, with its footer); no rerun on click."""
    st.download_button(
        label,
        data=lambda: export_png(make()),
        file_name=file_name,
        mime="image/png",
        key=key,
        icon=":material/image:",
        on_click="ignore",
    )


def export_buttons(item: Export, key: str) -> None:
    """'Download PNG' (rendered on click, at slide resolution) and 'Download CSV' of exactly the plotted data."""
    row = st.container(horizontal=True)
    with row:
        png_button(lambda: item, f"{item.name}.png", f"png_{key}")
    row.download_button(
        "Download CSV",
        data=lambda: export_csv(item),  # made on click: no file kept per rerun
        file_name=f"{item.name}.csv",
        mime="text/csv",
        key=f"csv_{key}",
        icon=":material/table:",
        on_click="ignore",
    )


def lazy_expander(label: str, key: str, **options) -> DeltaGenerator | None:
    """An expander whose content is sent only while it is open; returns it then, else None.

    Opening or closing it reruns the page. Content in a closed expander is still drawn by the
    browser on every rerun, so tables nobody has opened would slow every LA switch.
    """
    box = st.expander(label, key=key, on_change="rerun", **options)
    return box if box.open else None


def copy_link() -> None:
    """A box holding the link to exactly this view, with a copy button."""
    box = lazy_expander("Copy link to this view", "copy_link_open", icon=":material/link:")
    if box is None:
        return
    url = st.context.url or ""  # empty when there is no browser (tests)
    query = urlencode(st.query_params.to_dict(), safe=",")
    base = url.split("?")[0]
    link = f"{base}?{query}" if query else base
    box.code(link, language=None)
    box.caption("Opening this link shows this page with the same LA, peer set, measure and filters.")


def data_table(item: Export) -> None:
    """'Table of the plotted data' under a chart, drawn only when opened."""
    box = lazy_expander("Table of the plotted data", f"table_open_{item.name}")
    if box is not None:
        box.dataframe(item.data, hide_index=True, width="stretch")


def show_chart(item: Export, width: str = "stretch") -> None:
    """Draw an export's stored Vega-Lite spec (no Altair work on a rerun), with its alt text."""
    st.vega_lite_chart(item.display_spec, width=width, theme=None, alt=item.screen_alt)


def section(heading: str, text: str = "", level: int = 3) -> None:
    """A heading and the sentence under it, as one element (`level` 2 = header, 3 = subheader).

    The page reads and looks the same as a heading element followed by a text element; one element
    instead of two is less for the browser to redraw on every LA switch.
    """
    st.markdown(f"{'#' * level} {heading}" + (f"\n\n{text}" if text else ""))


def chart_block(heading: str, item: Export, summarise: bool = True) -> None:
    """A chart as every page shows it: heading, one-sentence summary, chart, its table and exports.

    `summarise=False` leaves out the summary when the page has just shown the same text.
    """
    section(heading, item.alt_text if summarise else "")
    show_chart(item)
    data_table(item)
    export_buttons(item, item.name)


def url_to_widget(param: str, key: str, allowed: dict[str, object]) -> None:
    """Before a widget is drawn: load its value from `?param=` when the link is new to this session."""
    value = st.query_params.get(param)
    if value is not None and value != st.session_state.get(f"_url_{param}") and value in allowed:
        st.session_state[key] = allowed[value]
    st.session_state[f"_url_{param}"] = value


def set_query_param(param: str, value: str | None) -> None:
    """Write one URL parameter if it changed (None removes it)."""
    if value is None:
        if param in st.query_params:
            del st.query_params[param]
    elif st.query_params.get(param) != value:
        st.query_params[param] = value


def widget_to_url(param: str, value: str | None) -> None:
    """After a widget is drawn: keep its value in the URL (None removes the parameter)."""
    set_query_param(param, value)
    st.session_state[f"_url_{param}"] = value
