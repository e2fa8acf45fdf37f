"""2028 target derivation, the published override, and the checks on the hand-edited list of published targets."""

from __future__ import annotations

import pandas as pd
import pytest

from etl.context import derive_targets, read_published_targets
from etl.errors import BuildError

NO_PUBLISHED = pd.DataFrame(columns=["area_code", "pupil_group", "target", "decimals", "source"])


def gld_2024(rows):
    return pd.DataFrame(rows, columns=["area_code", "year", "pupil_group", "pct"])


def test_derived_target_is_2023_24_plus_nine_points():
    gld = gld_2024(
        [("E08000018", 2024, "all", 64.3), ("E08000018", 2024, "fsm", 47.6), ("E08000018", 2025, "all", 64.9)]
    )
    targets = derive_targets(gld, ["E08000018"], NO_PUBLISHED)
    row = targets.set_index("area_code").loc["E08000018"]
    assert (row["target_all"], row["target_fsm"]) == (73.3, 56.6)
    assert row["basis"] == "derived: 2023/24 + 9.0 percentage points"


def test_published_target_overrides_and_keeps_citation():
    gld = gld_2024([("E08000025", 2024, "all", 64.0), ("E08000025", 2024, "fsm", 59.3)])
    published = pd.DataFrame(
        [{"area_code": "E08000025", "pupil_group": "all", "target": 74.0, "decimals": 0, "source": "Plan"}]
    )
    row = derive_targets(gld, ["E08000025"], published).set_index("area_code").loc["E08000025"]
    assert (row["target_all"], row["basis_all"], row["source_all"]) == (74.0, "published", "Plan")
    assert (row["decimals_all"], row["decimals_fsm"]) == (0, 1)  # "74" was published as a whole number
    assert (row["target_fsm"], row["basis_fsm"]) == (68.3, "derived: 2023/24 + 9.0 percentage points")
    assert row["basis"] == "mixed"


def test_over_100_or_missing_is_not_derivable_and_never_capped():
    gld = gld_2024([("E09000001", 2024, "all", 84.2), ("E09000001", 2024, "fsm", 100.0)])
    row = derive_targets(gld, ["E09000001", "E06000053"], NO_PUBLISHED)
    city = row.set_index("area_code").loc["E09000001"]
    assert city["target_all"] == 93.2
    assert pd.isna(city["target_fsm"]) and city["basis_fsm"] == "not derivable"
    scilly = row.set_index("area_code").loc["E06000053"]
    assert pd.isna(scilly["target_all"]) and scilly["basis"] == "not derivable"


def test_england_is_75():
    targets = derive_targets(gld_2024([]), [], NO_PUBLISHED)
    assert targets.set_index("area_code").loc["E92000001", "target_all"] == 75.0


def test_target_from_a_tiny_cohort_is_flagged_with_a_reason():
    gld = pd.DataFrame(
        [("E09000001", 2024, "all", 84.2, 27), ("E08000018", 2024, "all", 64.3, 3047)],
        columns=["area_code", "year", "pupil_group", "pct", "children"],
    )
    targets = derive_targets(gld, ["E09000001", "E08000018"], NO_PUBLISHED).set_index("area_code")
    assert targets.at["E09000001", "low_reliability_all"]
    assert "about 27 children" in targets.at["E09000001", "note_all"]
    assert not targets.at["E08000018", "low_reliability_all"] and pd.isna(targets.at["E08000018", "note_all"])


HEADER = "area_code,pupil_group,target,source\n"
ROTHERHAM, BIRMINGHAM = "E08000018", "E08000025"


def published_file(tmp_path, *rows: str):
    path = tmp_path / "published_targets.csv"
    path.write_text("# comment lines and blank lines are skipped\n\n" + HEADER + "".join(row + "\n" for row in rows))
    return path


def test_published_targets_keep_their_precision_and_line(tmp_path):
    path = published_file(
        tmp_path,
        f'{ROTHERHAM},all,73.3,"Briefing, para 1.12"',
        f"{BIRMINGHAM},all,74,Local Plan",
        f"{BIRMINGHAM},fsm, 60 ,Local Plan #2",
    )
    published = read_published_targets(path, [ROTHERHAM, BIRMINGHAM])
    assert published.to_dict("records") == [
        dict(area_code=ROTHERHAM, pupil_group="all", target=73.3, decimals=1, source="Briefing, para 1.12", line=4),
        dict(area_code=BIRMINGHAM, pupil_group="all", target=74.0, decimals=0, source="Local Plan", line=5),
        dict(area_code=BIRMINGHAM, pupil_group="fsm", target=60.0, decimals=0, source="Local Plan #2", line=6),
    ]


# Each bad row (line 5 of the file, after a good row on line 4) and what the one error must say.
BAD_ROWS = [
    pytest.param(f"{BIRMINGHAM},all,abc,Plan", "target 'abc' is not a number", id="not-a-number"),
    pytest.param(f"{BIRMINGHAM},all,,Plan", "target is empty", id="empty-target"),
    pytest.param(f"{BIRMINGHAM},all,7.4e1,Plan", "target '7.4e1' is not a number", id="exponent"),
    pytest.param(f"{BIRMINGHAM},all,74%,Plan", "target '74%' is not a number", id="percent-sign"),
    pytest.param(f"{BIRMINGHAM},all,130,Plan", "target '130' is not a percentage", id="over-100"),
    pytest.param(f"{BIRMINGHAM},all,0,Plan", "target '0' is not a percentage", id="zero"),
    pytest.param(f"{BIRMINGHAM},all,74,", "source is empty", id="empty-source"),
    pytest.param(f"{BIRMINGHAM},all,74,  ", "source is empty", id="blank-source"),
    pytest.param(f"{BIRMINGHAM},FSM,60,Plan", "pupil_group must be 'all' or 'fsm', found 'FSM'", id="unknown-group"),
    pytest.param(f"{ROTHERHAM},all,70,Another plan", "a second target for this LA and pupil group", id="duplicate"),
    pytest.param("E06999999,all,70,Plan", "unknown area_code 'E06999999'", id="unknown-area"),
    pytest.param("E92000001,all,75,Plan", "England's ambition is set in etl/ambition.py", id="england"),
    pytest.param(f"{BIRMINGHAM},all,74,Plan, section 2", "5 fields, the header has 4", id="unquoted-comma"),
    pytest.param(f'{BIRMINGHAM},all,74,"Plan', "not valid CSV", id="unclosed-quote"),
]


@pytest.mark.parametrize(("row", "expected"), BAD_ROWS)
def test_a_bad_published_target_is_one_error_naming_the_file_line_and_problem(tmp_path, row, expected):
    path = published_file(tmp_path, f"{ROTHERHAM},all,73.3,Briefing", row)
    with pytest.raises(BuildError) as error:
        read_published_targets(path, [ROTHERHAM, BIRMINGHAM])
    message = str(error.value)
    assert message.startswith("data/published_targets.csv line 5"), message
    assert expected in message and "\n" not in message, message


def test_a_duplicate_names_both_lines(tmp_path):
    path = published_file(
        tmp_path, f"{BIRMINGHAM},all,74,Plan", f"{ROTHERHAM},all,73.3,Briefing", f"{BIRMINGHAM},all,70,Draft"
    )
    with pytest.raises(BuildError, match=r"line 6 \(E08000025 all\): a second target .* first is on line 4"):
        read_published_targets(path, [ROTHERHAM, BIRMINGHAM])


def test_a_list_that_is_not_utf8_or_lacks_a_column_is_named(tmp_path):
    path = tmp_path / "published_targets.csv"
    path.write_bytes(HEADER.encode() + b"E08000018,all,73.3,Briefing \xa7 1.12\n")
    with pytest.raises(BuildError, match=r"^data/published_targets.csv: not UTF-8 text"):
        read_published_targets(path, [ROTHERHAM])
    path.write_text("area_code,group,target,source\n")
    with pytest.raises(BuildError, match=r"^data/published_targets.csv line 1: column 'pupil_group' is missing"):
        read_published_targets(path, [ROTHERHAM])
