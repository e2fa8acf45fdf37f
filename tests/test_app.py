"""Streamlit AppTest: every page loads for several areas; the picker, links and notices behave.

Settings bound to the URL are seeded from a link in AppTest as in a browser, but AppTest does not
write a changed widget back to its query parameters (the browser does): the browser tests check that.
"""

from __future__ import annotations

import html
import re

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from .conftest import PROJECT

PAGES = ["overview", "profile", "focus", "peers", "wards", "about"]
AREAS = {
    "England": "E92000001",
    "Rotherham": "E08000018",
    "Birmingham": "E08000025",
    "City of London": "E09000001",
    "Isles of Scilly": "E06000053",
    "Cumberland": "E06000063",
    "Barnsley": "E08000038",
}


def open_page(app: AppTest, url_path: str) -> AppTest:
    """Go to a page as its link would. AppTest.switch_page finds pages by file, and these pages are
    functions, which Streamlit knows by the hash of their url_path (as `st.Page` computes it)."""
    app._page_hash = calc_hash(url_path)
    return app.run()


def run_page(page: str, la: str | None = None, timeout: int = 60, **params: str | list[str]) -> AppTest:
    """Open the app with `?la=` and any other URL parameters, then go to `page` (as a link would)."""
    app = AppTest.from_file(str(PROJECT / "app.py"), default_timeout=timeout)
    if la is not None:
        app.query_params["la"] = la
    for key, value in params.items():
        app.query_params[key] = value
    app.run()
    if page != "overview":
        open_page(app, page)
    return app


def page_text(app: AppTest) -> str:
    parts = [m.value for m in app.markdown] + [m.value for m in app.caption] + [w.value for w in app.warning]
    parts += [f"{m.label} {m.value}" for m in app.metric] + [h.value for h in app.header] + [t.value for t in app.title]
    parts += [re.sub(r"<[^>]+>", " ", h.proto.body) for h in app.html]  # the profile's headline table
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("name", list(AREAS))
def test_every_page_loads(page, name):
    app = run_page(page, AREAS[name])
    assert not app.exception, app.exception
    assert app.session_state["la"] == AREAS[name]
    assert app.title, "the page drew nothing"


def test_rotherham_profile_shows_targets():
    app = run_page("profile", "E08000018")
    text = page_text(app)
    assert "Rotherham" in text
    assert "73.3%" in text and "56.6%" in text
    assert "published" in text


@pytest.mark.parametrize("bad", ["E99999999", "not-a-code", "'; DROP TABLE gld; --", "E" * 10_000])
def test_bad_la_gives_a_notice_not_a_traceback(bad):
    app = run_page("profile", bad)
    assert not app.exception
    assert app.warning, "expected a notice"
    assert app.selectbox(key="la_picker").value is None


def test_old_barnsley_code_redirects():
    app = run_page("overview", "E08000016")
    assert not app.exception
    assert app.session_state["la"] == "E08000038"
    assert app.query_params["la"] == "E08000038"
    assert "old code" in page_text(app)


def test_reorganised_la_explains_successors():
    app = run_page("profile", "E10000006")
    assert "Cumberland" in page_text(app)


def test_picker_changes_la_and_url():
    app = run_page("profile", "E08000018")
    app.selectbox(key="la_picker").select("E08000025").run()
    assert not app.exception
    assert app.query_params["la"] == "E08000025"
    assert "Birmingham" in page_text(app)


def test_custom_target_recomputes_and_is_kept():
    app = run_page("profile", "E08000018")
    assert not app.number_input  # the box is closed: its inputs are not drawn
    app.session_state["custom_target_open"] = True
    app.run()
    app.number_input(key="custom_target_all_E08000018").set_value(80.0).run()
    text = page_text(app)
    assert "80.0%" in text and "entered by you" in text
    assert app.session_state["custom_target_open"] is True  # typing does not close the box
    # another LA has its own (empty) inputs; back at Rotherham the typed target is still there
    app.selectbox(key="la_picker").select("E08000025").run()
    assert [n.value for n in app.number_input] == [0.0, 0.0]
    assert "entered by you" not in page_text(app)
    app.selectbox(key="la_picker").select("E08000018").run()
    assert app.number_input(key="custom_target_all_E08000018").value == 80.0
    # closing the box keeps the target in use; 0 clears it
    app.session_state["custom_target_open"] = False
    app.run()
    assert not app.number_input and "entered by you" in page_text(app)
    app.session_state["custom_target_open"] = True
    app.run()
    app.number_input(key="custom_target_all_E08000018").set_value(0.0).run()
    assert "entered by you" not in page_text(app) and "73.3%" in page_text(app)


def test_la_survives_page_switch():
    app = run_page("profile", "E08000018")
    open_page(app, "about")
    assert app.session_state["la"] == "E08000018"
    assert app.query_params["la"] == "E08000018"


@pytest.mark.parametrize("peer_set", ["sn2025", "sn2021", "region"])
def test_peers_page_for_each_set(peer_set):
    from profiles.peers import PEER_SETS

    app = run_page("peers", "E08000018", peers=PEER_SETS[peer_set])
    assert not app.exception, app.exception
    assert app.session_state["peers"] == peer_set
    assert "peer average" in page_text(app)


def test_custom_peer_set_from_url():
    app = run_page("peers", "E08000018", peers="A custom set", **{"with": ["Birmingham", "Hartlepool", "Nowhere"]})
    assert not app.exception
    assert app.session_state["with"] == ["E08000025", "E06000001"]  # names not of an LA are dropped
    assert "custom set of 2 LAs" in page_text(app)


def test_old_style_peers_link_opens_the_same_view():
    # AppTest opens the first page (the overview) before any other: the link is rewritten there.
    app = run_page("overview", "E08000018", peers="custom", **{"with": "E08000025,E06000001,nonsense"})
    assert any("Left out 1 item" in w.value for w in app.warning)
    assert app.query_params["peers"] == "A custom set"
    open_page(app, "peers")
    assert not app.exception, app.exception
    assert app.session_state["peers"] == "custom"
    assert app.session_state["with"] == ["E08000025", "E06000001"]


def test_peers_for_la_without_2021_neighbours():
    app = run_page("peers", "E06000063")  # Cumberland did not exist in April 2021
    app.segmented_control(key="peers").set_value("sn2021").run()
    assert not app.exception
    assert "no neighbours in the 2021 set" in page_text(app)


def test_overview_measures():
    app = run_page("overview")
    for measure in ["gld_fsm", "to_gain_all", "change_all"]:
        app.selectbox(key="map").select(measure).run()
        assert not app.exception
        assert any("LAs with a value" in m.value for m in app.markdown)


def open_ward_grid(app: AppTest) -> AppTest:
    """Open the box holding the sortable grid of every ward shown (it is sent only when open)."""
    assert not app.dataframe  # closed until asked for
    app.session_state["ward_grid_open"] = True
    return app.run()


def test_wards_page_with_filters_from_url():
    from profiles.wards import WARD_MEASURES

    app = run_page("wards", "E08000018", dec=["1", "3"], minkids="1000", measure=WARD_MEASURES["imd_avg_rank"].label)
    assert not app.exception, app.exception
    open_ward_grid(app)
    assert app.session_state["dec"] == (1, 3)
    assert app.session_state["measure"] == "imd_avg_rank"
    table = app.dataframe[0].value
    assert len(table) > 0
    from profiles.wards import WARD_COLUMNS

    deciles, children = table[WARD_COLUMNS["idaci_decile"]], table[WARD_COLUMNS["children_0_15"]]
    assert (deciles <= 3).all() and (children >= 1000).all()


def test_old_style_wards_link_opens_the_same_view():
    app = run_page("wards", "E08000018", dec="1-3", minkids="1000", measure="imd_avg_rank")
    assert not app.exception, app.exception
    assert app.session_state["dec"] == (1, 3) and app.session_state["measure"] == "imd_avg_rank"
    assert app.session_state["minkids"] == 1000


def test_wards_selected_by_url_and_bad_codes_dropped():
    app = open_ward_grid(run_page("wards", "E08000018"))
    all_rows = len(app.dataframe[0].value)
    first_two = list(app.dataframe[0].value["Ward code (May 2024)"][:2])
    names = list(app.dataframe[0].value["Ward"][:2])
    by_name = open_ward_grid(run_page("wards", "E08000018", wards=[*names, "Nowhere ward"]))
    assert not by_name.exception
    assert list(by_name.dataframe[0].value["Ward code (May 2024)"]) == first_two
    old_style = run_page("overview", "E08000018", wards=",".join([*first_two, "E05999999"]))
    assert any("Left out 1 item" in w.value for w in old_style.warning)
    old_style = open_ward_grid(open_page(old_style, "wards"))
    assert list(old_style.dataframe[0].value["Ward code (May 2024)"]) == first_two
    assert all_rows > 2


def test_ward_filter_changes_table():
    app = open_ward_grid(run_page("wards", "E10000016"))
    before = len(app.dataframe[0].value)
    app.slider(key="dec").set_value((1, 2)).run()
    after = app.dataframe[0].value
    assert not app.exception
    assert 0 < len(after) < before


def test_wards_chosen_for_one_la_are_not_kept_for_another():
    app = run_page("wards", "E08000018")
    first = app.multiselect(key="wards").options[0]
    app.multiselect(key="wards").select(first).run()
    assert len(app.session_state["wards"]) == 1
    app.selectbox(key="la_picker").select("E08000025").run()
    assert not app.exception and app.session_state["wards"] == []


def test_wards_page_lists_the_most_deprived_first():
    app = run_page("wards", "E08000018", measure="idaci_avg_rank")
    assert not app.exception
    shown = [h.proto.body for h in app.html if "wards shown" in h.proto.body]
    assert len(shown) == 1 and "The first 10 of the 25 wards shown, by IDACI average LSOA rank, IoD2025" in shown[0]
    # The first row is the ward the summary names as the most income-deprived for children.
    first_ward = html.unescape(re.search(r'<th scope="row">([^<]+)</th>', shown[0]).group(1))
    assert f"The most income-deprived for children is {first_ward} " in page_text(app)


def test_ward_map_keeps_its_element_across_las_until_reset():
    app = run_page("wards", "E08000018")

    def map_id() -> str:
        (chart,) = app.get("deck_gl_json_chart")
        return chart.proto.id

    # Every LA's map is the same element (one redraw in the browser: a zoom stays); the reset
    # button gives the map a new element, drawn afresh and fitted.
    first = map_id()
    app.selectbox(key="la_picker").select("E10000016").run()
    assert map_id() == first
    app.button(key="ward_view_reset").click().run()
    assert not app.exception
    assert map_id() != first
    reset = map_id()
    app.selectbox(key="la_picker").select("E08000025").run()
    assert map_id() == reset and "Birmingham" in page_text(app)


def test_presentation_mode_loads_and_persists():
    app = AppTest.from_file(str(PROJECT / "app.py"), default_timeout=60)
    app.query_params["present"] = "1"
    app.query_params["la"] = "E08000018"
    app.run()
    assert not app.exception
    assert app.session_state["present"] is True
    open_page(app, "profile")
    assert not app.exception
    assert app.query_params["present"] == "1"
    assert "Rotherham" in page_text(app)


def test_overview_table_filters_from_url():
    for regions in (["London", "Nowhere"], "London,Nowhere"):  # today's link, and one made before December 2026
        app = run_page("overview", regions=regions, band="Top quarter")
        assert not app.exception
        assert app.session_state["regions"] == ["London"]
        table = app.dataframe[-1].value
        assert set(table["Region"]) == {"London"} and (table["Quartile (all)"] == 1).all()


def test_district_layer_for_a_two_tier_county():
    app = run_page("wards", "E10000016")  # Kent: 12 districts
    app.toggle(key="districts").set_value(True).run()
    assert not app.exception
    districts = app.dataframe[0].value
    assert len(districts) == 12 and "Ashford" in set(districts["District"])
    app.radio(key="dgroup").set_value("fsm").run()
    assert not app.exception


def test_no_district_layer_for_a_unitary():
    app = run_page("wards", "E08000018")
    assert not [t for t in app.toggle if t.key == "districts"]


@pytest.mark.parametrize(
    "params", [{"districts": "true", "dgroup": "FSM-eligible children"}, {"districts": "1", "dgroup": "fsm"}]
)
def test_district_layer_from_url(params):
    app = run_page("wards", "E10000016", **params)
    assert not app.exception
    assert app.session_state["districts"] is True and app.session_state["dgroup"] == "fsm"
    assert len(app.dataframe[0].value) == 12


def test_tables_under_charts_are_sent_only_when_opened():
    app = run_page("profile", "E08000018")
    assert not app.dataframe  # closed: the tables of plotted data and every value are not drawn
    app.session_state["table_open_profile_trajectory"] = True
    app.session_state["every_value_open"] = True
    app.run()
    assert not app.exception
    assert len(app.dataframe) == 2
    assert list(app.dataframe[0].value.columns[:3]) == ["area", "group", "year"]


def test_headline_figures_table_escapes_its_text():
    def page():
        from views.common import figures_table

        figures_table(
            "<b>caption</b>", ["Children", "<i>x</i>"], [("<script>", [("1 < 2", "a & b"), ("ok", "", "status")])]
        )

    app = AppTest.from_function(page).run()
    body = app.html[0].value
    assert "<script>" not in body and "&lt;script&gt;" in body and "<b>" not in body and "<i>" not in body
    assert "1 &lt; 2" in body and "a &amp; b" in body and '<span class="status">ok</span>' in body


def test_frame_table_formats_aligns_and_escapes_a_hand_made_frame():
    def page():
        import pandas as pd

        from views.common import frame_table

        frame = pd.DataFrame(
            {
                "Area <x>": ["A & B", "C"],
                "GLD %": [64.94, None],
                "Children": [1234, 56],
                "Tiny": [False, True],
                "Note": ["<script>", "ok"],
            }
        )
        frame_table(frame, "Caption <b>", highlight=pd.Series([True, False]))

    body = AppTest.from_function(page).run().html[0].value
    assert "<script>" not in body and "&lt;script&gt;" in body and "<b>" not in body
    assert "<caption>Caption &lt;b&gt;</caption>" in body
    assert '<th scope="col">Area &lt;x&gt;</th><th scope="col" class="num">GLD %</th>' in body
    first, second = body.split("<tbody>")[1].split("</tr>")[:2]
    assert (
        first
        == '<tr class="own"><th scope="row">A &amp; B</th><td class="num">64.9</td><td class="num">1,234</td><td></td><td>&lt;script&gt;</td>'
    )
    assert second == '<tr><th scope="row">C</th><td class="num">–</td><td class="num">56</td><td>yes</td><td>ok</td>'


def test_peer_table_is_static_html_with_the_la_highlighted_and_each_target_basis():
    app = run_page("peers", "E08000018")
    assert not app.exception
    assert not app.dataframe  # no grid widgets on the peers page: its tables are static HTML
    table = next(h.proto.body for h in app.html if "Rotherham and its peers" in h.proto.body)
    own = table.split('<tr class="own">')[1].split("</tr>")[0]
    assert '<th scope="row">Rotherham</th>' in own and ">73.3<" in own and ">56.6<" in own and ">published<" in own
    assert table.count("<tr") == 1 + 11  # header row, Rotherham and its 10 May 2025 neighbours
    scilly = run_page("peers", "E06000053")
    table = next(h.proto.body for h in scilly.html if "Isles of Scilly and its peers" in h.proto.body)
    own = table.split('<tr class="own">')[1].split("</tr>")[0]
    assert ">all derived, FSM none<" in own and ">tiny cohort; FSM: low reliability<" in own


def test_warmed_ward_map_is_the_one_the_wards_page_draws(monkeypatch):
    """Warming builds the LA's unfiltered ward map with the page's own arguments: the page builds none."""
    import profiles.wards as wards
    from profiles.warm import warm_all

    built = []
    real = wards.ward_map
    monkeypatch.setattr(wards, "ward_map", lambda code, *args: built.append(code) or real(code, *args))
    wards.ward_map_for.clear()
    assert warm_all(["E08000018"], pause=0) == 1
    assert built == ["E08000018"]
    app = run_page("wards", "E08000018")
    assert not app.exception
    assert len(app.get("deck_gl_json_chart")) == 1
    assert built == ["E08000018"]  # drawn from the warmed cache, not built again
    app.slider(key="dec").set_value((1, 3)).run()
    assert built == ["E08000018", "E08000018"]  # a filtered map is another map: the count can move


def test_focus_page_shows_laits_figures_for_rotherham():
    app = run_page("focus", "E08000018")
    assert not app.exception, app.exception
    app.session_state["table_open_focus_areas_of_learning"] = True  # the tables drawn when opened
    app.session_state["detail_2022_open"] = True
    app.run()
    text = page_text(app)
    # LAIT, Rotherham 2024/25: communication and language 77.7, literacy 67.0, mathematics 74.2;
    # two-year-old take-up January 2025: 83.5% (813 children).
    areas = app.dataframe[0].value.set_index("Area of learning")["Rotherham"]
    published = ("77.7", "67.0", "74.2")  # as LAIT gives them
    assert (areas["Communication and language"], areas["Literacy"], areas["Mathematics"]) == published
    assert "83.5% of eligible two-year-olds in Rotherham (813 children)" in text
    # 2021/22 by characteristic (DfE): England's boys 58.7 and girls 71.9 beside Rotherham's.
    assert re.search(r"Boys\s+57\.5\s+1,663\s+58\.7", text) and re.search(r"Girls\s+72\.1\s+1,529\s+71\.9", text)
    assert "2013" not in " ".join(m.value for m in app.markdown)  # the reformed framework only


def test_focus_page_names_groups_laits_does_not_publish():
    # LAIT 2024/25: '-' for Rutland's Chinese children (a handful at most), a figure for its White children.
    from profiles import focus

    values = focus.context_table()
    rutland = values[(values["area_code"] == "E06000017") & (values["year"] == 2025)]["measure"]
    assert "FSP_Gooddev_Chinese" not in set(rutland) and "FSP_Gooddev_White" in set(rutland)
    app = run_page("focus", "E06000017")
    assert not app.exception, app.exception
    assert "Not published for Rutland: Chinese (too few children, or not collected)." in page_text(app)
    # a flagged 0.0 never stands bare: the sentence gives the group's size (8 children with an EHC plan, EES 2021/22)
    assert "with an EHC plan reached GLD at 0.0% (England 4.0%; a small group: 8 children in 2021/22)" in page_text(app)
    chart = next(c for c in app.get("vega_lite_chart") if "GLD by pupil group" in c.proto.spec)
    assert "not published" in str(chart.proto.datasets)


def test_the_areas_trend_is_drawn_when_asked_for_and_stays_on_the_reformed_framework():
    app = run_page("focus", "E08000018")
    specs = [chart.proto.spec for chart in app.get("vega_lite_chart")]
    assert len(specs) == 3 and not any("Areas of learning since" in spec for spec in specs)
    app.session_state["areas_trend_open"] = True
    app.run()
    trend = next(c for c in app.get("vega_lite_chart") if "Areas of learning since 2021/22" in c.proto.spec)
    plotted = pa.ipc.open_stream(trend.proto.datasets[0].data.data).read_all().to_pandas()
    assert plotted["year"].min() == 2022 and plotted["year"].max() >= 2025  # no point, so no line, before 2021/22


def test_a_two_year_old_target_is_kept_for_the_session():
    app = run_page("focus", "E08000018")
    app.session_state["two_year_target_open"] = True  # the box draws its input only when open
    app.run()
    app.number_input(key="two_year_target_E08000018").set_value(88.1).run()
    assert "Your target of 88.1% is 4.6 percentage points above it" in page_text(app)


def test_the_profile_pack_takes_the_ward_map_and_targets_chosen_in_the_session():
    """Widgets forget what a page not drawn chose: the profile's report reads what the wards page,
    the focus page and its own target box left in the session."""
    from profiles.wards import WARD_MEASURES, WardFilters
    from views.profile import session_choices

    app = run_page("wards", "E08000018", dec=["1", "3"], minkids="1000", measure=WARD_MEASURES["imd_avg_rank"].label)
    assert app.session_state["ward_choice"]["E08000018"] == (
        "imd_avg_rank",
        WardFilters((), "idaci_decile", (1, 3), 1000),
    )
    state = {
        "ward_choice": app.session_state["ward_choice"],
        "custom_targets": {"E08000018": {"all": 70.0, "fsm": None}},
        "two_year_targets": {"E08000018": 88.1},
    }
    import streamlit as st

    saved = dict(st.session_state)
    try:
        st.session_state.update(state)
        choices = session_choices("E08000018")
    finally:
        for key in state:
            st.session_state.pop(key, None)
        st.session_state.update(saved)
    assert (choices.target_all, choices.two_year_target, choices.ward_measure) == (70.0, 88.1, "imd_avg_rank")
    assert choices.ward_filters.min_children == 1000


def test_a_confirmed_target_travels_in_the_link():
    app = run_page("profile", "E08000018", target="70")
    assert not app.exception, app.exception
    text = page_text(app)
    assert "70.0%" in text and "entered by you" in text  # Rotherham's published 73.3% is replaced
    assert app.query_params["target"] == "70.0"
    # a value that is not a percentage is said, not used
    app = run_page("profile", "E08000018", target="abc")
    assert "73.3%" in page_text(app) and "is not a percentage" in page_text(app)
    app = run_page("profile", "E08000018", target="170")
    assert "73.3%" in page_text(app) and "target" not in app.query_params


def test_a_typed_target_goes_into_the_link_and_not_to_the_next_la():
    app = run_page("profile", "E08000018")
    app.session_state["custom_target_open"] = True
    app.run()
    app.number_input(key="custom_target_all_E08000018").set_value(70.0).run()
    assert app.query_params["target"] == "70.0"
    app.selectbox(key="la_picker").select("E08000025").run()  # Birmingham
    assert not app.exception and "target" not in app.query_params
    assert "73.3%" not in page_text(app) and "entered by you" not in page_text(app)
    app.selectbox(key="la_picker").select("E08000018").run()  # back: the session kept Rotherham's
    assert app.query_params["target"] == "70.0"
