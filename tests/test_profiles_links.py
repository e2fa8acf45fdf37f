"""Links: old-style settings turned into today's form; today's values, names with commas included, left alone."""

from __future__ import annotations

import pytest

from profiles.areas import all_areas
from profiles.links import clean, modernise, tidy
from profiles.overview import BANDS, MEASURES
from profiles.peers import PEER_SETS
from profiles.wards import DECILE_FILTERS, WARD_MEASURES, ward_labels, ward_table

WIRRAL = "E08000015"  # has "Greasby, Frankby and Irby"


def test_every_value_a_page_writes_is_left_as_it_is(db):
    """Whatever a widget writes to the link passes `tidy` unchanged: every LA and region name, every
    ward label of every LA (171 have commas), every measure, peer set and band."""
    areas = all_areas()
    las = list(areas.loc[areas["level"] == "la", "name"])
    regions = list(areas.loc[areas["level"] == "region", "name"])
    assert "Bristol, City of" in las
    links = [
        {"with": las[:40]},
        *({"with": [name]} for name in las),
        {"regions": regions},
        *({"regions": [name]} for name in regions),
        *({"map": [measure.choice]} for measure in MEASURES.values()),
        *({"peers": [label]} for label in PEER_SETS.values()),
        *({"band": [band]} for band in BANDS),
        *({"measure": [measure.label]} for measure in WARD_MEASURES.values()),
        *({"decby": [label]} for label in DECILE_FILTERS.values()),
        {"dec": ["2", "7"], "minkids": ["1000"], "similar": ["true"], "districts": ["true"]},
    ]
    codes = [row[0] for row in db.execute("SELECT DISTINCT area_code FROM wards ORDER BY 1").fetchall()]
    commas = 0
    for code in codes:
        labels = list(ward_labels(ward_table(code)).values())
        commas += sum("," in label for label in labels)
        links += [{"la": [code], "wards": labels[:400]}, *({"la": [code], "wards": [label]} for label in labels)]
    assert commas > 100
    for link in links:
        la = link.get("la", [None])[0]
        assert tidy(link, la) == (link, []), link


def test_old_style_settings_are_turned_into_todays():
    old = {
        "la": ["E08000018"],
        "map": ["gld_fsm"],
        "regions": ["London,North East"],
        "peers": ["custom"],
        "with": ["E08000025,E06000001,E08000016"],  # Barnsley's old code redirects
        "pupils": ["fsm"],
        "similar": ["1"],
        "dec": ["3-1"],
    }
    new, notices = tidy(old, "E08000018")
    assert new["map"] == ["GLD, FSM-eligible children (%)"]
    assert new["regions"] == ["London", "North East"]
    assert new["peers"] == ["A custom set"] and new["with"] == ["Birmingham", "Hartlepool", "Barnsley"]
    assert new["pupils"] == ["FSM-eligible children"] and new["similar"] == ["true"]
    assert "dec" not in new and any("not a range of deciles" in notice for notice in notices)


def test_old_ward_codes_become_names_and_strangers_are_counted():
    labels = ward_labels(ward_table(WIRRAL))
    code = next(code for code, label in labels.items() if label.startswith("Greasby"))
    new, notices = modernise({"la": [WIRRAL], "wards": [f"{code},E05999999,{code}"]}, WIRRAL)
    assert new["wards"] == ["Greasby, Frankby and Irby"]
    assert notices == ["Left out 1 item(s) of “wards” in the link that are not wards of Wirral."]


@pytest.mark.parametrize(
    ("link", "kept", "notice"),
    [
        ({"band": ["Top quarter", "x"]}, {"band": ["Top quarter"]}, "“band” more than once"),
        ({"dec": ["1", "3", "5"]}, {"dec": ["1", "3"]}, "“dec” more than once"),
        ({"map": ["<b>x</b>"]}, {}, "Ignored “map”"),
        ({"wards": ["x" * 4001]}, {}, "Ignored “wards”"),
        ({"la": ["E08000018", "E08000025"]}, {"la": ["E08000018"]}, None),
    ],
)
def test_clean_keeps_what_a_page_could_have_written(link, kept, notice):
    cleaned, notices = clean(link)
    assert cleaned == kept
    assert (notice is None and not notices) or any(notice in text for text in notices)
