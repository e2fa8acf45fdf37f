"""Layout pieces every page shares: headline and static tables, charts with their exports, boxes, the copy-link box."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from urllib.parse import urlencode

import pandas as pd
import streamlit as st
from pandas.api.types import is_bool_dtype, is_numeric_dtype
from streamlit.delta_generator import DeltaGenerator

from profiles.exports import Export, csv_bytes, document_png, export_csv, file_stem, presentation_spec, slide_png
from profiles.numbers import cell_text


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
    st.html(  # styled by styles.FIGURES_CSS, sent once per run and never changed
        f'<table class="gld-headline{" compact" if compact else ""}"><caption>{escape(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


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
            cells.append(f"<{tag}{scope}{align[position]}>{escape(cell_text(value, number_format))}</{tag}>")
        mark = ' class="own"' if marked else ""
        rows.append(f"<tr{mark}>{''.join(cells)}</tr>")
    st.html(  # styled by styles.FIGURES_CSS, sent once per run
        f'<div class="gld-table-wrap"><table class="gld-table"><caption>{escape(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def png_buttons(make: Callable[[], Export], stem: str, key: str, what: str = "") -> None:
    """Two PNG downloads, each rendered only when clicked (no rerun): for a document (reads at 16 cm
    wide) and for a 16:9 slide (1920 x 1080); `what` names the picture in the labels ("map")."""
    label = f" {what}" if what else ""
    for kind, text, render in (("document", "for documents", document_png), ("slide", "for slides (16:9)", slide_png)):
        st.download_button(
            f"PNG{label} {text}",
            data=lambda render=render: render(make()),
            file_name=f"{stem}_{kind}.png",
            mime="image/png",
            key=f"{key}_{kind}",
            icon=":material/image:",
            on_click="ignore",
        )


def export_buttons(item: Export, key: str) -> None:
    """PNGs for documents and slides and 'Download CSV' of exactly the plotted data, each made on click;
    files named with the LA, the chart and the date."""
    row = st.container(horizontal=True)
    with row:
        png_buttons(lambda: item, file_stem(item), f"png_{key}")
    row.download_button(
        "Download CSV",
        data=lambda: export_csv(item),  # made on click: no file kept per rerun
        file_name=f"{file_stem(item)}.csv",
        mime="text/csv",
        key=f"csv_{key}",
        icon=":material/table:",
        on_click="ignore",
    )


def csv_button(frame: pd.DataFrame, label: str, file_name: str, key: str) -> None:
    """'Download CSV' of a table as shown (made on click; `profiles.exports.csv_bytes`)."""
    st.download_button(
        label,
        data=lambda: csv_bytes(frame),
        file_name=file_name,
        mime="text/csv",
        key=key,
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
    # Every value of every parameter: a list setting (wards, regions, deciles) is one value per item.
    query = urlencode([(key, value) for key in st.query_params for value in st.query_params.get_all(key)])
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
    spec = presentation_spec(item.display_spec) if st.session_state.get("present") else item.display_spec
    st.vega_lite_chart(spec, width=width, theme=None, alt=item.screen_alt)


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
