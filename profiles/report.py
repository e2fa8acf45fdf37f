"""The LA's Word report: the plan pack's lead document, made with python-docx.

Headings use Word's built-in Heading styles (the navigation pane lists them), the headline figures
are a real table, each chart is a document-size picture whose description is its summary
sentence, and its plotted data follows as a table (or a pointer to the CSV when it is long).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.shared import Cm, Pt

from profiles.exports import FRAMEWORK_NOTE, Export, document_png, file_stem, png_size
from profiles.numbers import cell_text

PICTURE_WIDTH = Cm(16)  # A4 less 2.5 cm margins: the width document_png is laid out for
MAX_PICTURE_HEIGHT = Cm(21)  # with its heading and sentence, one chart to a page at most
LONG_TABLE = 30  # rows, and columns: larger plotted data is left to its CSV in the pack (unreadable on a page)
WIDE_TABLE = 8


@dataclass(frozen=True)
class Headline:
    """The profile's headline table: column headings, then (row label, [(value, note), ...]) rows."""

    headings: list[str]
    rows: list[tuple[str, list[tuple[str, ...]]]]


def chart_title(item: Export) -> str:
    """The chart's own title as the PNG shows it (the LA's name included)."""
    title = item.spec.get("title", item.name)
    text = title.get("text", item.name) if isinstance(title, dict) else title
    return " ".join(text) if isinstance(text, list) else str(text)


def add_table(doc, headings: list[str], rows: list[list[str]]) -> None:
    table = doc.add_table(rows=1, cols=len(headings))
    table.style = "Table Grid"
    for cell, heading in zip(table.rows[0].cells, headings, strict=True):
        cell.text = heading
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for values in rows:
        for cell, value in zip(table.add_row().cells, values, strict=True):
            cell.text = value
    for row in table.rows:  # small type: tables of many columns must fit the page
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                paragraph.paragraph_format.space_after = Pt(0)
                for run in paragraph.runs:
                    run.font.size = Pt(8.5)


def add_picture(doc, item: Export, png: bytes) -> None:
    """The chart at document size, its summary sentence as the picture's description (alt text)."""
    width, height = png_size(png)
    if PICTURE_WIDTH * height / width > MAX_PICTURE_HEIGHT:  # a tall chart (many LAs) fits the page by height
        doc.add_picture(io.BytesIO(png), height=MAX_PICTURE_HEIGHT)
    else:
        doc.add_picture(io.BytesIO(png), width=PICTURE_WIDTH)
    picture = doc.inline_shapes[-1]
    properties = picture._inline.docPr  # python-docx has no API for alt text yet
    properties.set("descr", item.alt_text)
    properties.set("title", chart_title(item))


def add_chart(doc, item: Export, png: bytes) -> None:
    doc.add_heading(chart_title(item), level=2)
    lead = doc.add_paragraph(item.alt_text)
    lead.paragraph_format.keep_with_next = True
    add_picture(doc, item, png)
    data = item.data
    if len(data) > LONG_TABLE or data.shape[1] > WIDE_TABLE:
        doc.add_paragraph(
            f"The plotted data ({len(data):,} rows, {data.shape[1]} columns) is in {file_stem(item)}.csv, beside "
            "this report in the plan pack."
        )
        return
    caption = doc.add_paragraph("Table of the plotted data", style="Caption")
    caption.paragraph_format.keep_with_next = True
    add_table(
        doc, [str(c) for c in data.columns], [[cell_text(v) for v in row] for row in data.itertuples(index=False)]
    )


def report_docx(
    area_name: str,
    summary: str,
    headline: Headline,
    notes: list[str],
    sections: list[tuple[str, list[Export]]],
    choices: list[str],
    pictures: dict[str, bytes] | None = None,
) -> bytes:
    """The report for one LA. `sections`: (heading, exports) per page; `choices`: what the user set
    (a typed target, the peer set), said at the top so a reader knows what the figures assume.
    `pictures`: document PNGs already made, by export name (the plan pack makes them once for both)."""
    pictures = pictures if pictures is not None else {}
    doc = Document()
    page = doc.sections[0]
    page.orientation = WD_ORIENT.PORTRAIT
    page.page_width, page.page_height = Cm(21), Cm(29.7)
    page.left_margin = page.right_margin = Cm(2.5)
    page.top_margin = page.bottom_margin = Cm(2)
    doc.styles["Normal"].font.name = "Arial"
    doc.styles["Normal"].font.size = Pt(10.5)
    doc.core_properties.title = f"{area_name}: good level of development"
    doc.core_properties.author = "GLD data profile explorer"

    doc.add_heading(f"{area_name}: good level of development", level=0)
    doc.add_paragraph(
        f"Children reaching a good level of development at the end of Reception, against the 2028 target. "
        f"Made on {date.today():%d %B %Y} by the GLD data profile explorer from DfE's published figures."
    )
    doc.add_heading("Summary", level=1)
    doc.add_paragraph(summary)
    for note in notes:
        doc.add_paragraph(note, style="Intense Quote")
    for choice in choices:
        doc.add_paragraph(choice, style="List Bullet")
    doc.add_heading("Headline figures", level=2)
    add_table(
        doc,
        headline.headings,
        [[label] + ["\n".join(part for part in cell[:2] if part) for cell in cells] for label, cells in headline.rows],
    )
    for heading, items in sections:
        if not items:
            continue
        doc.add_heading(heading, level=1)
        for item in items:
            add_chart(doc, item, pictures.get(item.name) or document_png(item))

    doc.add_heading("Sources and caveats", level=1)
    sources = list(dict.fromkeys(line for _, items in sections for item in items for line in item.footer))
    for line in [line for line in sources if line.startswith("Source:")] + [FRAMEWORK_NOTE]:
        doc.add_paragraph(line, style="List Bullet")
    doc.add_paragraph(
        "Figures are shown at the precision each source publishes them; estimates are labelled as estimates. "
        "Each chart's own notes are under its picture."
    )
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
