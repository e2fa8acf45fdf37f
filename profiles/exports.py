"""Plan-ready exports: chart PNGs with a footer, static map PNGs, CSVs and the LA plan pack (zip).

PNGs are rendered on the server by vl-convert (no browser, no network) in two sizes: for a
document (reads at 16 cm wide) and for a 16:9 slide (1920 x 1080). Every PNG carries its title,
the LA, the data years, a source line, the framework-break note where relevant and the date it
was generated.
"""

from __future__ import annotations

import copy
import io
import json
import struct
import textwrap
import zipfile
from dataclasses import dataclass, field
from datetime import date

import altair as alt
import pandas as pd
import vl_convert as vlc

FONT_STACK = "Arial, Liberation Sans, DejaVu Sans, sans-serif"
# Each chart names exactly its own sources (a pasted PNG travels without the page around it).
GLD_SOURCE = (
    "Source: DfE Early Years Foundation Stage Profile: 2012/13–2018/19 national tables and time series, "
    "2021/22 Explore Education Statistics, LAIT from 2022/23; FSM 2012/13–2017/18 also OHID Fingertips and DfE SMAPEY."
)
REFORMED_SOURCE = (
    "Source: DfE Early Years Foundation Stage Profile: 2021/22 Explore Education Statistics, LAIT from 2022/23."
)
TARGET_SOURCE = "2028 targets: as each LA published it (cited on the profile), or derived as 2023/24 GLD + 9.0 points."
NEIGHBOURS_SOURCE = "Statistical neighbours: DfE children's services statistical neighbours (May 2025)."
BOUNDARY_SOURCE = "LA boundaries: ONS, counties and unitary authorities, December 2023 (generalised)."
SOURCE_LINE = f"{GLD_SOURCE} {TARGET_SOURCE}"  # the profile's trajectory: results and targets
FRAMEWORK_NOTE = (
    "The EYFS profile changed in September 2021: 2012/13–2018/19 results are not comparable with 2021/22 onwards; "
    "no assessment in 2019/20 or 2020/21."
)


@dataclass
class Export:
    """One chart (or map) ready to show and export: its Vega-Lite spec, the data behind it, its alt text.

    An Altair chart given as `spec` is converted to its Vega-Lite dict once, here. Building and
    validating Altair charts is most of a page's time, so pages cache their Exports and draw the
    stored spec with `st.vega_lite_chart`.
    """

    name: str  # file stem, e.g. "profile_trajectory"
    spec: dict | alt.TopLevelMixin
    data: pd.DataFrame
    alt_text: str
    footer: list[str] = field(default_factory=list)
    # The chart's title on the page, without the LA's name (the page's heading names the LA). When
    # set, the page draws a spec that differs between LAs only in its data: see `screen_spec`.
    screen_title: str | None = None

    display_spec: dict = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.spec, dict):
            self.spec = self.spec.to_dict()
        if self.screen_title:
            shown = screen_spec(self.spec, self.screen_title)
        else:  # the page gives `alt` (screen_alt): a description too makes Streamlit log a warning each run
            shown = {key: value for key, value in self.spec.items() if key != "description"}
        self.display_spec = arrow_datasets(shown)

    @property
    def screen_alt(self) -> str:
        """The chart's accessible label on the page: its summary sentence is the text just above it."""
        if not self.screen_title:
            return self.alt_text
        return f"Chart: {self.screen_title}. Summarised in the sentence above; its data is in the table below."


def screen_spec(spec: dict, title: str) -> dict:
    """The spec as a page draws it: one LA's differs from another's only in its datasets.

    Streamlit redraws a chart in place when only its data change, but builds a new Vega view
    (parse, compile, lay out: most of a switch's time in the browser) when anything else in the
    spec does. So the on-screen spec has a title without the LA's name, no description (Streamlit
    sets it from the `alt` text, which is `screen_alt`) and datasets named by position rather
    than by a hash of their content (`dataset_N`: Vega-Lite itself uses `data_N` and `source_N`).
    The PNG export keeps the full spec.
    """
    text = json.dumps({key: value for key, value in spec.items() if key not in ("datasets", "description")})
    datasets = {}
    for position, (name, rows) in enumerate(spec.get("datasets", {}).items()):
        text = text.replace(json.dumps(name), json.dumps(f"dataset_{position}"))
        datasets[f"dataset_{position}"] = rows
    shown = json.loads(text)
    heading = shown.get("title")
    shown["title"] = {**heading, "text": title} if isinstance(heading, dict) else title
    if datasets:
        shown["datasets"] = datasets
    return shown


def arrow_datasets(spec: dict) -> dict:
    """The spec with its named tables already as Arrow tables (pyarrow), made once, here.

    `st.vega_lite_chart` turns a pandas-like dataset into Arrow on every run; an Arrow table it only
    has to write out, so converting before the Export is cached takes most of that off every page
    rerun. The JSON `spec` is kept for PNG export.
    """
    if not spec.get("datasets"):
        return spec
    import pyarrow as pa

    def flat(rows: list) -> bool:  # a table, not GeoJSON features (maps keep theirs as JSON)
        return isinstance(rows, list) and all(
            isinstance(row, dict) and not any(isinstance(v, (dict, list)) for v in row.values()) for row in rows
        )

    datasets = {
        name: pa.Table.from_pandas(pd.DataFrame(rows), preserve_index=False) if flat(rows) else rows
        for name, rows in spec["datasets"].items()
    }
    return {**spec, "datasets": datasets}


def footer_lines(
    area_name: str, years: str, framework_break: bool, extra: str | None = None, source: str = SOURCE_LINE
) -> list[str]:
    """The footer every exported chart carries; `source` names the sources of what the chart shows."""
    lines = [f"{area_name} · data {years}"]
    if extra:
        lines.append(extra)
    lines.append(source)
    if framework_break:
        lines.append(FRAMEWORK_NOTE)
    lines.append(f"Generated {date.today():%d %B %Y} by the GLD data profile explorer.")
    return lines


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) of a PNG from its header; raises ValueError if it is not a PNG."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    return struct.unpack(">II", png[16:24])


# Document size: the whole figure is DOC_WIDTH px wide, so pasted 16 cm wide (a Word page with
# 2.5 cm margins) its 13-14 px text prints at 10-11 pt; drawn at DOC_SCALE for about 300 dpi.
DOC_WIDTH = 600
DOC_SCALE = 3
DOC_PLOT_HEIGHT = 300
SLIDE_SIZE = (1280, 720)  # laid out; drawn at SLIDE_SCALE: full HD
SLIDE_SCALE = 1.5
PAGE_TEXT_PT = 453.5  # 16 cm in points


def sized_spec(spec: dict, plot_width: int, plot_height: int, stack: bool) -> dict:
    """The chart part of a spec with its plot(s) `plot_width` by `plot_height` px; `stack` puts
    side-by-side panels one above the other (a page is narrower than a slide)."""
    spec = copy.deepcopy(spec)
    for key in ("autosize", "padding"):
        spec.pop(key, None)
    if "layer" in spec or "mark" in spec:
        spec["width"] = plot_width
        if isinstance(spec.get("height"), int):
            spec["height"] = plot_height
    elif "facet" in spec and "spec" in spec:
        inner = spec["spec"]
        if "column" in spec["facet"]:  # panels side by side (peers: all, FSM); their height follows the LAs
            if stack:
                spec["facet"] = {"row": spec["facet"]["column"]}
                inner["width"] = plot_width
            else:
                inner["width"] = plot_width // 2
        elif "columns" in spec:  # small multiples: two a row on a page, four on a slide
            columns = 2 if stack else 4
            spec["columns"] = columns
            inner["width"] = plot_width // columns
            if not stack:  # seven panels: two rows on a slide, each with its header
                inner["height"] = max(110, (plot_height - 60) // 2)
    elif "hconcat" in spec:  # a map with its legend beside it: as wide as it can be, as tall as it fits
        main = spec["hconcat"][0]
        if isinstance(main.get("width"), int) and isinstance(main.get("height"), int):
            ratio = (
                plot_width / main["width"] if stack else min(plot_width / main["width"], plot_height / main["height"])
            )
            main["width"], main["height"] = round(main["width"] * ratio), round(main["height"] * ratio)
    return spec


def wrapped_title(title: str | dict, width: int) -> dict:
    """A title and subtitle broken into lines that fit `width` px (20 px and 14 px Arial)."""
    title = {"text": title} if isinstance(title, str) else dict(title)
    for key, px in (("text", 11), ("subtitle", 7.5)):
        value = title.get(key)
        if value:
            lines = [value] if isinstance(value, str) else list(value)
            title[key] = [part for line in lines for part in textwrap.wrap(line, width=int(width / px)) or [line]]
    return title


def sized_figure(item: Export, total_width: int, plot_width: int, plot_height: int, stack: bool) -> dict:
    """The export's chart, title and footer as one figure for a page (`stack`) or a slide."""
    chart = sized_spec(item.spec, plot_width, plot_height, stack)
    top = {key: chart.pop(key) for key in ("$schema", "config", "datasets") if key in chart}
    if stack:  # legends one entry a line: a page is narrower than a slide
        config = top.setdefault("config", {})
        config["legend"] = {**config.get("legend", {}), "columns": 1, "labelLimit": total_width - 120}
    title = {"title": wrapped_title(chart.pop("title"), total_width - 48)} if "title" in chart else {}
    # The footer as a bottom title of the chart's group: a title starts at the group's left edge,
    # axis labels included, where a concatenated footer would start at the plot's. Long lines wrap
    # (about 8 px a character at 15 px Arial), never end in "…".
    lines = [part for line in item.footer for part in textwrap.wrap(line, width=(total_width - 48) // 8) or [""]]
    footer = {
        "text": lines,
        "orient": "bottom",
        "anchor": "start",
        "fontSize": 15,
        "fontWeight": "normal",
        "font": FONT_STACK,
        "color": "#374151",
        "lineHeight": 22,
        "offset": 16,
    }
    return {**top, **title, "vconcat": [{"vconcat": [chart], "title": footer}], "padding": 24, "background": "white"}


def fitted_png(item: Export, size: tuple[int, int | None], stack: bool, scale: float) -> bytes:
    """Render at `size` logical px (height None: as tall as it comes). Axis labels, legends, titles
    and the footer take room that depends on the data, so a first layout measures them and the
    plot is sized to what is left."""
    width, height = size
    trial_width, trial_height = 400, 300
    trial = sized_figure(item, width, trial_width, trial_height, stack)
    # the chart alone for the width (the title and footer wrap to any width), all of it for the height
    chart_alone = {**{k: v for k, v in trial.items() if k != "title"}, "vconcat": trial["vconcat"][0]["vconcat"]}
    chart_width = png_size(vlc.vegalite_to_png(chart_alone, scale=1))[0]
    plot_width = max(200, trial_width + width - chart_width)
    plot_height = DOC_PLOT_HEIGHT
    if height is not None:
        plot_height = max(150, trial_height + height - png_size(vlc.vegalite_to_png(trial, scale=1))[1])
    return vlc.vegalite_to_png(sized_figure(item, width, plot_width, plot_height, stack), scale=scale)


def document_png(item: Export) -> bytes:
    """The PNG of one export for a document: DOC_WIDTH px laid out, drawn at DOC_SCALE, with its footer."""
    return fitted_png(item, (DOC_WIDTH, None), stack=True, scale=DOC_SCALE)


def slide_png(item: Export) -> bytes:
    """The PNG of one export for a 16:9 slide: exactly 1920 x 1080 (1280 x 720 laid out, drawn at 1.5),
    a chart that cannot shrink to fit (a tall list of LAs) scaled down onto a white slide."""
    from PIL import Image

    png = fitted_png(item, SLIDE_SIZE, stack=False, scale=SLIDE_SCALE)
    target = (round(SLIDE_SIZE[0] * SLIDE_SCALE), round(SLIDE_SIZE[1] * SLIDE_SCALE))
    if png_size(png) == target:
        return png
    image = Image.open(io.BytesIO(png)).convert("RGB")
    image.thumbnail(target, Image.LANCZOS)
    slide = Image.new("RGB", target, "white")
    slide.paste(image, ((target[0] - image.width) // 2, (target[1] - image.height) // 2))
    buffer = io.BytesIO()
    slide.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


PRESENT_MIN_FONT = 18  # px: chart text on a projector (axis labels, legends, value labels)
PRESENT_PLOT_HEIGHT = 300
FONT_KEYS = ("fontSize", "labelFontSize", "titleFontSize", "subtitleFontSize")


def presentation_spec(spec: dict) -> dict:
    """The on-screen spec with every font at least PRESENT_MIN_FONT px (larger ones a third larger),
    for presentation mode. Datasets are shared, not copied: the cached spec is never changed."""

    def grown(node: object, key: str = "") -> object:
        if key == "datasets":
            return node
        if isinstance(node, dict):
            return {k: grown(v, k) for k, v in node.items()}
        if isinstance(node, list):
            return [grown(v) for v in node]
        if key in FONT_KEYS and isinstance(node, (int, float)):
            return max(PRESENT_MIN_FONT, round(node * 4 / 3))
        return node

    shown = grown(spec)
    if isinstance(shown.get("height"), int):  # room for the larger text on a 720-px-high screen
        shown["height"] = min(shown["height"], PRESENT_PLOT_HEIGHT)
    config = shown.setdefault("config", {})  # Vega's defaults (11 px axis labels) where the spec sets none
    for part, keys in (("axis", ("labelFontSize", "titleFontSize")), ("legend", ("labelFontSize", "titleFontSize"))):
        config[part] = {**{k: PRESENT_MIN_FONT for k in keys}, **config.get(part, {})}
    config["header"] = {
        "labelFontSize": PRESENT_MIN_FONT,
        "titleFontSize": PRESENT_MIN_FONT,
        **config.get("header", {}),
    }
    config["text"] = {"fontSize": PRESENT_MIN_FONT, **config.get("text", {})}
    return shown


def file_stem(item: Export, kind: str = "") -> str:
    """'Rotherham_profile_trajectory_2026-12-01': the LA (from the footer's first line), the chart
    and the date, so files from several LAs and days can sit in one folder."""
    area = item.footer[0].split(" · ")[0] if item.footer else ""
    parts = [safe_name(area), item.name + (f"_{kind}" if kind else ""), f"{date.today():%Y-%m-%d}"]
    return "_".join(part for part in parts if part)


def safe_name(text: str) -> str:
    """A name usable in a file name on every system: letters, digits and '-' kept, others '_'."""
    cleaned = "".join(char if char.isalnum() or char == "-" else "_" for char in text)
    return "_".join(part for part in cleaned.split("_") if part)


# A spreadsheet runs a cell that starts with one of these as a formula (a name in the data, or one
# typed into a link, must never become one): such text cells get a leading apostrophe.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A table as CSV for spreadsheets: UTF-8 with BOM (so Excel reads it), text that a spreadsheet
    would run as a formula written as text. Numbers, negative ones included, stay numbers."""
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column].dtype):
            safe[column] = safe[column].map(
                lambda value: "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value
            )
    return safe.to_csv(index=False).encode("utf-8-sig")


def export_csv(item: Export) -> bytes:
    """Exactly the data behind one export, as CSV (`csv_bytes`)."""
    return csv_bytes(item.data)


def plan_pack(area_name: str, report: bytes, items: list[Export], documents: dict[str, bytes]) -> bytes:
    """A zip of the LA's Word report (the lead document) and every export's PNGs (for documents, as in
    the report, and for 16:9 slides) and CSV, each file named with the LA, the chart and the date."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{safe_name(area_name)}_GLD_report_{date.today():%Y-%m-%d}.docx", report)
        for item in items:
            stem = file_stem(item)
            archive.writestr(f"{stem}_document.png", documents.get(item.name) or document_png(item))
            archive.writestr(f"{stem}_slide.png", slide_png(item))
            archive.writestr(f"{stem}.csv", export_csv(item))
    return buffer.getvalue()
