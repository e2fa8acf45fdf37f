"""pydeck choropleths of LAs and wards: no base map, nothing fetched, small payloads.

Geometry comes from the boundary tables the build stores in the database. LA outlines are simplified with
`shapely.coverage_simplify` (shared edges stay shared) for the national map; ward outlines are
sent as built (further simplification damages small wards). Shapes are sent placed in pixels about
the map's centre at the zoom that fits them (`Fit`), so every map starts from the same flat view
and an LA switch redraws the map once (see `choropleth`). Borders are drawn as one network in which
a border two areas share is one line (`outline_paths`), not as each area's own outline: half the
segments for the browser to draw. Sizes and timings: docs/PERFORMANCE.md."""

from __future__ import annotations

import json
import math
import textwrap
from dataclasses import dataclass
from html import escape

import altair as alt
import geopandas as gpd
import numpy as np
import pandas as pd
import pydeck as pdk
import shapely
import streamlit as st

from profiles.db import query

# About 1 km: invisible at national scale, and it keeps the national map's JSON small enough that
# Streamlit keeps its click selections (much larger maps lose them; docs/PERFORMANCE.md).
LA_SIMPLIFY_DEGREES = 0.012
COORD_DECIMALS = 5
LA_COORD_DECIMALS = 3  # about 100 m: plenty for a national map
BORDER_PIXELS = 0.5  # at the fitted zoom: drawn 1 pixel wide, wider only when zoomed in beyond 2x
HIGHLIGHT_PIXELS = 2  # the outline round estimated areas: never thinner than this
# Every map's starting view. Shapes are placed in pixels about the map's centre (see `choropleth`),
# so every map starts from this view, whatever its LA. Zoom is relative to the fit: -1 shows twice
# the width and height, 7 a 128th of the width.
PLANE_VIEW = pdk.ViewState(target=[0, 0, 0], zoom=0, min_zoom=-1, max_zoom=7)
# Map heights in pixels (the views draw them at these heights; the shapes are fitted to them).
LA_MAP_HEIGHT = 620
WARD_MAP_HEIGHT = 560
DISTRICT_MAP_HEIGHT = 480
FIT_WIDTH = 700
FIT_MARGIN = 0.92  # the share of the map the area's bounding box may fill
OUTLINE = [90, 90, 90, 255]
NO_DATA_COLOUR = [210, 210, 210, 255]  # the key's '#d2d2d2'
FONT = "Arial, Liberation Sans, DejaVu Sans, sans-serif"
PALETTES = {
    # ColorBrewer sequential (the 7-class ramps without their two palest steps, so the lightest
    # class still shows on a projector), colour-blind safe. Darker = more of the measure.
    "blues": ["#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c"],
    "oranges": ["#fdd0a2", "#fdae6b", "#fd8d3c", "#e6550d", "#a63603"],
    "purples": ["#dadaeb", "#bcbddc", "#9e9ac8", "#756bb1", "#54278f"],
    "greens": ["#c7e9c0", "#a1d99b", "#74c476", "#31a354", "#006d2c"],
    # Ten classes for national deciles, decile 1 (most deprived) darkest.
    "deciles": [
        "#3f007d",
        "#54278f",
        "#6a51a3",
        "#807dba",
        "#9e9ac8",
        "#bcbddc",
        "#dadaeb",
        "#e5e3f0",
        "#edebf5",
        "#f4f3f9",
    ],
}


class CompactDeck(pdk.Deck):
    """A Deck whose JSON is made once, when it is built, with no indentation.

    Streamlit sends `to_json()` as it is on every run, and pydeck's indented output is almost five
    times larger than the data it carries. Made in the constructor, so a deck returned from a cache
    (shared between sessions) is never changed afterwards.
    """

    def __init__(self, **options) -> None:
        super().__init__(**options)
        self._json = json.dumps(json.loads(super().to_json()), separators=(",", ":"))

    def to_json(self) -> str:
        return self._json


@dataclass(frozen=True)
class Legend:
    """Colour classes of a choropleth: (hex colour, label) pairs, and a title."""

    title: str
    entries: list[tuple[str, str]]


def _hex_to_rgba(colour: str, alpha: int = 255) -> list[int]:
    # Opaque: there is no base map beneath, and the key's swatches and the PNGs use these exact colours.
    colour = colour.lstrip("#")
    return [int(colour[i : i + 2], 16) for i in (0, 2, 4)] + [alpha]


def classify(
    values: pd.Series, palette: str, decimals: int = 1, classes: int = 5, reverse: bool = False
) -> tuple[list[list[int]], Legend]:
    """Quantile classes (about equal numbers of areas per colour); missing values in grey.

    `reverse` gives the darkest colour to the lowest values (for ranks, where 1 = most deprived).
    Returns a colour per value and the legend (ranges rounded to `decimals`).
    """
    colours = PALETTES[palette][::-1] if reverse else PALETTES[palette]
    present = values.dropna()
    if present.empty:
        return [NO_DATA_COLOUR] * len(values), Legend("", [("#d2d2d2", "no data")])
    edges = np.unique(np.quantile(present, np.linspace(0, 1, classes + 1)))
    if len(edges) < 2:
        edges = np.array([present.min(), present.max() + 1e-9])
    index = np.clip(np.searchsorted(edges, values.fillna(np.nan), side="right") - 1, 0, len(edges) - 2)
    step = max(1, (len(colours) - 1) // max(1, len(edges) - 2)) if len(edges) > 2 else 1
    palette_for = [colours[min(len(colours) - 1, i * step)] for i in range(len(edges) - 1)]
    rgba = [NO_DATA_COLOUR if pd.isna(v) else _hex_to_rgba(palette_for[i]) for v, i in zip(values, index)]
    fmt = f"{{:.{decimals}f}}"
    entries = [(palette_for[i], f"{fmt.format(edges[i])} to {fmt.format(edges[i + 1])}") for i in range(len(edges) - 1)]
    if values.isna().any():
        entries.append(("#d2d2d2", "no data"))
    return rgba, Legend("", entries)


def _rings(geometry, decimals: int = COORD_DECIMALS) -> list[list[list[list[float]]]]:
    """Polygons of a (multi)polygon as lists of rings with rounded coordinates."""
    polygons = list(geometry.geoms) if geometry.geom_type == "MultiPolygon" else [geometry]
    out = []
    for polygon in polygons:
        rings = [polygon.exterior, *polygon.interiors]
        out.append([[[round(x, decimals), round(y, decimals)] for x, y in ring.coords] for ring in rings])
    return out


# The build stores the boundaries in the database beside the figures (etl.build.BOUNDARY_TABLES):
# read from there, a map's shapes always come from the same build as its figures.
BOUNDARY_QUERIES = {
    "la": "SELECT * FROM boundaries_la",
    "ward": "SELECT * FROM boundaries_ward",
    "district": "SELECT * FROM boundaries_district",
}


def read_boundaries(kind: str) -> gpd.GeoDataFrame:
    """The build's boundaries of one kind ('la', 'ward' or 'district'), in WGS 84.

    Raises:
        DatabaseMissing: the database cannot be read (see `profiles.db.query`).
    """
    frame = query(BOUNDARY_QUERIES[kind])
    shapes = gpd.GeoSeries.from_wkb(frame.pop("geometry_wkb").map(bytes), crs="EPSG:4326")
    return gpd.GeoDataFrame(frame, geometry=shapes.values, crs="EPSG:4326")


@st.cache_resource(show_spinner=False)
def la_shapes() -> pd.DataFrame:
    """One row per polygon part of each LA: area_code, polygon (rings), simplified for a national view."""
    frame = read_boundaries("la")
    simplified = shapely.coverage_simplify(frame.geometry.values, tolerance=LA_SIMPLIFY_DEGREES)
    rows = [
        {"area_code": code, "polygon": rings}
        for code, geometry in zip(frame["area_code"], simplified)
        for rings in _rings(geometry, LA_COORD_DECIMALS)
    ]
    return pd.DataFrame(rows)


@st.cache_resource(show_spinner=False)
def _geometry(kind: str, key: str) -> gpd.GeoDataFrame:
    """The build's boundaries of one kind, indexed by their code column (read once per build)."""
    return read_boundaries(kind).set_index(key)


def _shapes(kind: str, key: str, codes: tuple[str, ...]) -> pd.DataFrame:
    geometry = _geometry(kind, key)
    present = [code for code in codes if code in geometry.index]
    return pd.DataFrame(
        [{key: code, "polygon": rings} for code in present for rings in _rings(geometry.at[code, "geometry"])]
    )


@st.cache_data(show_spinner=False, max_entries=256)
def ward_shapes(ward_codes: tuple[str, ...]) -> pd.DataFrame:
    """One row per polygon part of the given wards: ward_code, polygon (rings)."""
    return _shapes("ward", "ward_code", ward_codes)


@st.cache_data(show_spinner=False, max_entries=256)
def ward_borders(ward_codes: tuple[str, ...]) -> list[list[list[float]]]:
    """`outline_paths` of the given wards: the same for every measure and filter of an LA's map."""
    return outline_paths(ward_shapes(ward_codes)["polygon"])


@st.cache_data(show_spinner=False, max_entries=128)
def district_shapes(lad_codes: tuple[str, ...]) -> pd.DataFrame:
    """One row per polygon part of the given shire districts (December 2024 boundaries)."""
    return _shapes("district", "lad_code", lad_codes)


@dataclass(frozen=True)
class Fit:
    """Where a map's shapes sit in Web Mercator (the world 0 to 1 across and down) and the zoom at
    which they fit the map: `plane` turns longitude and latitude into pixels from the map's centre."""

    x: float
    y: float
    zoom: float

    def plane(self, lines, decimals: int) -> list[list[list[float]]]:
        """Each line of [longitude, latitude] points as [x, y] pixels from the centre at the fitted zoom."""
        scale = 512 * 2**self.zoom
        out = []
        for line in lines:
            world = mercator(np.asarray(line, dtype=float).reshape(-1, 2))
            out.append(np.round((world - (self.x, self.y)) * scale, decimals).tolist())
        return out


def mercator(points: np.ndarray) -> np.ndarray:
    """[longitude, latitude] rows as Web Mercator [x, y], each 0 to 1 across and down the world."""
    x = (points[:, 0] + 180) / 360
    y = (1 - np.log(np.tan(np.pi / 4 + np.radians(points[:, 1]) / 2)) / np.pi) / 2
    return np.column_stack([x, y])


def fit(shapes: pd.DataFrame, height: int) -> Fit:
    """The centre of the shapes and the zoom that fits them, with a margin, in a map `height` tall.

    The width is not known on the server: the fit assumes `FIT_WIDTH` pixels, about a ward map's
    column on a 1024-pixel screen, so wide screens show more space beside the area, not less of it.
    Zoom 0 is a 512-pixel world, as in deck.gl, and latitude is fitted in Web Mercator, so a tall
    area (Rotherham) is not cut off at the top and bottom.
    """
    points = np.array([point for polygon in shapes["polygon"] for point in polygon[0]], dtype=float).reshape(-1, 2)
    if not len(points):
        raise ValueError("there are no shapes to fit in the map")
    world = mercator(points)
    (west, north), (east, south) = world.min(axis=0), world.max(axis=0)
    zoom = min(
        math.log2(FIT_WIDTH * FIT_MARGIN / (512 * max(east - west, 1e-9))),
        math.log2(height * FIT_MARGIN / (512 * max(south - north, 1e-9))),
    )
    return Fit(x=float(west + east) / 2, y=float(north + south) / 2, zoom=zoom)


def outline_paths(polygons, decimals: int = COORD_DECIMALS) -> list[list[list[float]]]:
    """Every boundary of a set of polygons once, as paths: a border two areas share is one path.

    `polygons` are rings as `_rings` gives them. Drawing each area's own outline draws every shared
    border twice; this network has about half the segments, and the outline layer's cost in the
    browser grows with its segments (with software WebGL, each one is a separately drawn instance).
    """
    lines = [shapely.LineString(ring) for rings in polygons for ring in rings if len(ring) > 1]
    if not lines:
        return []
    network = shapely.line_merge(shapely.union_all(lines))
    return [[[round(x, decimals), round(y, decimals)] for x, y in part.coords] for part in shapely.get_parts(network)]


def _path_layer(
    paths: list, layer_id: str, colour: list[int], width: float, min_pixels: int, max_pixels: int
) -> pdk.Layer:
    """Lines along `paths`, `width` pixels wide at the fitted zoom, wider as one zooms in (never
    under `min_pixels` or over `max_pixels`); not pickable."""
    return pdk.Layer(
        "PathLayer",
        data=pd.DataFrame({"path": paths}),
        id=layer_id,
        get_path="path",
        get_color=colour,
        get_width=width,
        width_min_pixels=min_pixels,
        width_max_pixels=max_pixels,
        pickable=False,
    )


def choropleth(
    shapes: pd.DataFrame,
    tooltip_html: str,
    layer_id: str,
    highlight_key: str | None = None,
    highlighted: set[str] | None = None,
    highlight_colour: list[int] | None = None,
    height: int = WARD_MAP_HEIGHT,
    borders: list[list[list[float]]] | None = None,
    decimals: int = 2,
) -> CompactDeck:
    """A pydeck Deck of filled polygons, their borders and no base map, fitted to a map `height` tall.

    `shapes` must carry `polygon` (rings of longitude and latitude), `fill` (RGBA) and the fields named
    in `tooltip_html`. Three layers: the fills (id `layer_id`, the only pickable one, so a click's
    selection names it), the network of borders drawn once each, and a thicker outline in
    `highlight_colour` round the shapes whose `highlight_key` is in `highlighted`, on top so
    neighbouring borders never cover it. `borders` are the shapes' `outline_paths` when the caller
    has them cached.

    The shapes are sent already placed, in pixels from the map's centre at the zoom that fits them
    (`Fit.plane`, rounded to `decimals`), and drawn in a flat view that starts from `PLANE_VIEW`
    whatever the LA. So when the page moves to another LA only the layers change and the browser
    draws the map once (docs/PERFORMANCE.md). A zoom or pan the user made therefore stays when the
    LA changes, until the page draws the map afresh under a new key ("Reset map view").
    """
    place = fit(shapes, height)
    rings_by_shape = [place.plane(rings, decimals) for rings in shapes["polygon"]]
    layers = [
        pdk.Layer(
            "PolygonLayer",
            data=shapes.assign(polygon=rings_by_shape),
            id=layer_id,
            get_polygon="polygon",
            get_fill_color="fill",
            stroked=False,
            filled=True,
            pickable=True,
            auto_highlight=True,
        ),
        _path_layer(
            place.plane(outline_paths(shapes["polygon"]) if borders is None else borders, decimals),
            f"{layer_id}_borders",
            OUTLINE,
            BORDER_PIXELS,
            1,
            3,
        ),
    ]
    if highlight_key and highlighted:
        rings = [
            ring for key, rings in zip(shapes[highlight_key], rings_by_shape) if key in highlighted for ring in rings
        ]
        layers.append(
            _path_layer(rings, f"{layer_id}_highlight", highlight_colour or [17, 24, 39, 255], 2, HIGHLIGHT_PIXELS, 6)
        )
    # map_provider=None with pydeck's default map_style (its "__MAP_STYLE__" placeholder) is what
    # tells Streamlit's element to draw no base map. With map_style=None, Streamlit puts in Carto's
    # style instead: the browser then asks basemaps.cartocdn.com for it (we serve nothing from the
    # internet) and runs an empty MapLibre map that redraws about 30 frames on every change of view.
    return CompactDeck(
        layers=layers,
        views=[pdk.View(type="OrthographicView", controller=True)],
        initial_view_state=PLANE_VIEW,
        map_provider=None,
        tooltip={"html": tooltip_html, "style": {"fontSize": "15px", "backgroundColor": "#111827", "color": "white"}},
    )


def legend_html(legend: Legend, title: str, note: str | None = None) -> str:
    """A small HTML legend (colour swatches with ranges) to show beside a map, and a note below it."""
    items = "".join(
        f'<span style="display:inline-flex;align-items:center;margin-right:14px;font-size:15px">'
        f'<span style="width:22px;height:16px;background:{colour};border:1px solid #666;margin-right:6px;'
        f'display:inline-block"></span>{escape(label)}</span>'
        for colour, label in legend.entries
    )
    title = escape(title)
    html = (
        f'<div class="gld-map-key" role="img" aria-label="Legend: {title}"><strong>{title}</strong><br/>{items}</div>'
    )
    if note:  # in the same element as the legend: one fewer for the browser to redraw
        html += f'<p style="font-size:0.875rem;color:#5b5e6b;margin:0.4rem 0 0">{escape(note)}</p>'
    return html


def payload_bytes(deck: pdk.Deck) -> int:
    """Size of the JSON a deck sends to the browser."""
    return len(deck.to_json().encode())


def decile_colours(values: pd.Series) -> tuple[list[list[int]], Legend]:
    """Colours for national deciles 1–10 (1 = most deprived, darkest); missing in grey."""
    colours = PALETTES["deciles"]
    rgba = [NO_DATA_COLOUR if pd.isna(v) else _hex_to_rgba(colours[int(v) - 1]) for v in values]
    entries = [
        (colours[i], f"{i + 1}" + (" most deprived" if i == 0 else " least deprived" if i == 9 else ""))
        for i in range(10)
    ]
    return rgba, Legend("", entries)


@st.cache_resource(show_spinner=False)
def la_features() -> list[dict]:
    """GeoJSON features of the 153 LAs (simplified, 3 dp) for static maps."""
    frame = read_boundaries("la")
    simplified = shapely.set_precision(
        shapely.coverage_simplify(frame.geometry.values, tolerance=LA_SIMPLIFY_DEGREES), 0.001
    )
    return [
        {"type": "Feature", "geometry": shapely.geometry.mapping(geometry), "properties": {"area_code": code}}
        for code, geometry in zip(frame["area_code"], simplified)
    ]


def ward_label_points(ward_codes: tuple[str, ...]) -> pd.DataFrame:
    """A point inside each ward (shapely's representative point) and its name, for labels on a PNG."""
    geometry = _geometry("ward", "ward_code")
    present = [code for code in ward_codes if code in geometry.index]
    if not present:
        return pd.DataFrame(columns=["longitude", "latitude", "text"])
    names = query("SELECT ward_code, ward_name FROM wards WHERE list_contains(?, ward_code)", [present])
    name_of = dict(zip(names["ward_code"], names["ward_name"]))
    points = shapely.point_on_surface(geometry.loc[present, "geometry"].values)
    return pd.DataFrame(
        {
            "longitude": shapely.get_x(points),
            "latitude": shapely.get_y(points),
            "text": [name_of.get(code, code) for code in present],
        }
    )


def ward_features(ward_codes: tuple[str, ...]) -> list[dict]:
    """GeoJSON features of the given wards (5 dp) for static maps."""
    geometry = _geometry("ward", "ward_code")
    return [
        {
            "type": "Feature",
            "geometry": shapely.geometry.mapping(shapely.set_precision(geometry.at[code, "geometry"], 0.00001)),
            "properties": {"ward_code": code},
        }
        for code in ward_codes
        if code in geometry.index
    ]


def static_map(
    features: list[dict],
    key: str,
    values: pd.DataFrame,
    fills: list[list[int]],
    legend: Legend,
    title: str,
    legend_title: str,
    outline: set[str] | None = None,
    labels: pd.DataFrame | None = None,
) -> alt.TopLevelMixin:
    """An Altair choropleth with a legend, for PNG export (the same colours as the live map).

    `values` has `key`, `name` and `label` columns in the order of `fills`; `labels` (longitude,
    latitude, text) names some areas on the map, each at a point inside it.
    """
    by_key = {
        row[key]: {
            "name": row["name"],
            "label": row["label"],
            "fill": "#{:02x}{:02x}{:02x}".format(*fill[:3]) if fill[3] > 0 else "#ffffff",
            "outlined": row[key] in (outline or set()),
        }
        for row, fill in zip(values.to_dict("records"), fills)
    }
    shaped = []
    for feature in features:
        code = feature["properties"][key]
        if code in by_key:
            shaped.append({**feature, "properties": {key: code, **by_key[code]}})
    base = alt.Chart(alt.Data(values=shaped)).project("mercator")
    shapes = base.mark_geoshape(stroke="#5a5a5a", strokeWidth=0.5).encode(
        color=alt.Color("properties.fill:N", scale=None)
    )
    edges = base.transform_filter("datum.properties.outlined").mark_geoshape(
        filled=False, stroke="#ea580c", strokeWidth=2.5
    )
    layers = [shapes, edges]
    if labels is not None and not labels.empty:
        named = alt.Chart(labels).encode(longitude="longitude:Q", latitude="latitude:Q", text="text:N")
        text = {"fontSize": 15, "fontWeight": "bold", "font": FONT, "dy": -10}
        layers += [
            alt.Chart(labels)
            .mark_circle(size=40, color="#111827")
            .encode(longitude="longitude:Q", latitude="latitude:Q"),
            named.mark_text(**text, stroke="white", strokeWidth=4, strokeJoin="round"),  # a halo over the fills
            named.mark_text(**text, color="#111827"),
        ]
    map_chart = alt.layer(*layers).properties(width=1000, height=900)
    entries = pd.DataFrame(
        [{"order": i, "colour": colour, "label": label} for i, (colour, label) in enumerate(legend.entries)]
    )
    legend_chart = (
        alt.Chart(entries)
        .mark_square(size=420, stroke="#5a5a5a", opacity=1)  # squares are drawn at 0.7 unless told: paler than the map
        .encode(
            y=alt.Y(
                "label:N",
                sort=alt.SortField("order"),
                title=None,
                axis=alt.Axis(
                    orient="right",
                    labelFontSize=16,
                    titleFontSize=16,
                    domain=False,
                    ticks=False,
                    titleLimit=420,
                    labelLimit=300,
                ),
            ),
            color=alt.Color("colour:N", scale=None),
        )
        .properties(
            width=30,
            height=34 * len(entries),
            # Above the swatches, a few words a line (an axis title would run sideways up the page edge).
            title=alt.Title(textwrap.wrap(legend_title, 24), fontSize=16, anchor="start", fontWeight="bold"),
        )
    )
    return (
        alt.hconcat(map_chart, legend_chart, spacing=30)
        .properties(title=alt.Title(title, fontSize=22, anchor="start"))
        .configure_view(stroke=None)
        .configure_axis(labelFont=FONT, titleFont=FONT)
        .configure_title(font=FONT)
    )
