"""The built database: every declared contract, and figures DfE has published."""

from __future__ import annotations

import pytest

from etl.contracts import CONTRACTS, RULES, check_rule, check_table

ENGLAND = "E92000001"


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda c: c.table)
def test_table_contract(db, contract):
    check_table(db, contract)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: f"{r.table}: {r.name}")
def test_rule(db, rule):
    check_rule(db, rule)


def gld(db, code, year, group="all"):
    row = db.execute(
        "SELECT pct FROM gld WHERE area_code=? AND year=? AND pupil_group=?", [code, year, group]
    ).fetchone()
    return None if row is None else row[0]


@pytest.mark.parametrize(
    ("year", "pct"),
    [(2016, 69.3), (2017, 70.7), (2018, 71.5), (2019, 71.8), (2022, 65.2), (2023, 67.2), (2024, 67.7), (2025, 68.3)],
)
def test_england_gld_matches_published(db, year, pct):
    assert gld(db, ENGLAND, year) == pct


@pytest.mark.parametrize(("year", "pct"), [(2022, 49.1), (2023, 51.6), (2024, 51.5), (2025, 51.3)])
def test_england_fsm_gld_matches_published(db, year, pct):
    assert gld(db, ENGLAND, year, "fsm") == pct


def test_birmingham_2025(db):
    assert gld(db, "E08000025", 2025) == 66.3


def test_rotherham_targets(db):
    row = db.execute("SELECT target_all, target_fsm, basis FROM targets_2028 WHERE area_code='E08000018'").fetchone()
    assert row == (73.3, 56.6, "published")


def test_rotherham_published_targets_equal_the_derivation_rule(db):
    # The rule (2023/24 + 9.0) reproduces Rotherham's published targets from the data.
    assert round(gld(db, "E08000018", 2024) + 9.0, 1) == 73.3
    assert round(gld(db, "E08000018", 2024, "fsm") + 9.0, 1) == 56.6


def test_birmingham_target(db):
    row = db.execute("SELECT target_all, basis_all FROM targets_2028 WHERE area_code='E08000025'").fetchone()
    assert row == (74.0, "published")


def test_england_target_is_the_national_ambition(db):
    assert db.execute("SELECT target_all FROM targets_2028 WHERE area_code=?", [ENGLAND]).fetchone()[0] == 75.0


def test_successor_las_start_when_they_existed(db):
    first = dict(db.execute("SELECT area_code, min(year) FROM gld GROUP BY area_code").fetchall())
    assert first["E06000063"] == 2023  # Cumberland
    assert first["E06000061"] == 2022  # North Northamptonshire
    assert first["E06000058"] == 2019  # BCP


def test_former_las_are_kept_not_copied(db):
    cumbria = db.execute("SELECT max(year) FROM gld_former_las WHERE area_code='E10000006'").fetchone()[0]
    assert cumbria == 2022
    dorset_2018_fsm = db.execute(
        "SELECT pct FROM gld_former_las WHERE area_code='E10000009' AND year=2018 AND pupil_group='fsm'"
    ).fetchone()
    assert dorset_2018_fsm is not None


def test_barnsley_has_its_new_code_and_full_series(db):
    years = [
        r[0]
        for r in db.execute(
            "SELECT year FROM gld WHERE area_code='E08000038' AND pupil_group='all' ORDER BY year"
        ).fetchall()
    ]
    assert years == [2013, 2014, 2015, 2016, 2017, 2018, 2019, 2022, 2023, 2024, 2025]


def test_counts_are_published_to_2022_and_estimated_after(db):
    rows = dict(
        db.execute(
            "SELECT year, counts_basis FROM gld WHERE area_code='E08000018' AND pupil_group='all' AND year IN (2022, 2025)"
        ).fetchall()
    )
    assert rows[2022] == "published"
    assert rows[2025].startswith("estimated: ONS mid-2023 population")


def test_sources_agree_where_they_overlap(db):
    # LAIT (2016-2019) and the DfE time series give the same all-pupil values for these LAs.
    assert gld(db, "E08000018", 2018) == 73.1


def test_district_gld_2022_matches_the_official_file(db):
    # Ashford (Kent), 2021/22: 1,093 of 1,594 children reached GLD = 68.6% (EES district row).
    row = db.execute(
        "SELECT pct, children, achieved FROM gld_district_2022 WHERE lad_code='E07000105' AND pupil_group='all'"
    ).fetchone()
    assert row == (68.6, 1594, 1093)
