"""The built database: every declared contract, and figures DfE has published."""

from __future__ import annotations

import duckdb
import pytest

from etl.contracts import CONTRACTS, RULES, check_rule, check_table
from etl.errors import BuildError

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


def test_england_fsm_2018_19_is_dfe_s_one_decimal_figure(db):
    # DfE's national tables: 50,732 of 89,742 FSM-eligible children = 56.5% (LAIT rounds it to 57).
    row = db.execute(
        "SELECT pct, decimals, children, achieved FROM gld WHERE area_code=? AND year=2019 AND pupil_group='fsm'",
        [ENGLAND],
    ).fetchone()
    assert row == (56.5, 1, 89742, 50732)


@pytest.mark.parametrize(("year", "pct"), [(2015, 68.9), (2016, 71.7), (2017, 73.0), (2018, 73.8), (2019, 74.3)])
def test_england_all_other_2015_2019_published(db, year, pct):
    assert gld(db, ENGLAND, year, "all_other") == pct


def test_england_2021_22_gap_is_dfe_s_19_7(db):
    # DfE's published gap compares with all other children: 68.8 − 49.1 = 19.7 percentage points.
    assert round(gld(db, ENGLAND, 2022, "all_other") - gld(db, ENGLAND, 2022, "fsm"), 1) == 19.7
    # LAIT's "not eligible" (unknown excluded) is a different group, kept apart.
    assert gld(db, ENGLAND, 2022, "not_eligible") == 69.5


def test_hackney_2021_22_all_other_is_69(db):
    assert gld(db, "E09000012", 2022, "all_other") == 69.0
    assert gld(db, "E09000012", 2022, "fsm") == 67.0


def test_lait_whole_numbers_keep_their_precision(db):
    # LAIT's 2018/19 FSM values by LA are whole numbers: Rotherham 56.
    row = db.execute(
        "SELECT pct, decimals FROM gld WHERE area_code='E08000018' AND year=2019 AND pupil_group='fsm'"
    ).fetchone()
    assert row[1] == 0 and row[0] == round(row[0])


@pytest.mark.parametrize(
    ("code", "group", "target", "decimals", "citation"),
    [
        ("E08000018", "all", 73.3, 1, "Rotherham Health and Wellbeing Board briefing"),
        ("E08000018", "fsm", 56.6, 1, "10 June 2026, para 1.12"),
        ("E08000025", "all", 74.0, 0, "Birmingham Best Start in Life Local Plan, draft version March 2026, section 2"),
        ("E10000013", "all", 77.2, 1, "Best Start Family Hub funding and webinar"),
        ("E10000013", "fsm", 60.0, 0, "Gloucestershire Alliance website, early 2026"),
        ("E06000020", "all", 78.0, 0, "Shropshire Star, 8 February 2026"),
    ],
)
def test_published_targets_carry_their_citation(db, code, group, target, decimals, citation):
    row = db.execute(
        f"SELECT target_{group}, decimals_{group}, basis_{group}, source_{group} FROM targets_2028 WHERE area_code=?",
        [code],
    ).fetchone()
    assert row[:3] == (target, decimals, "published")
    assert citation in row[3]


def test_targets_from_tiny_cohorts_are_flagged(db):
    flagged = dict(
        db.execute(
            "SELECT area_code, low_reliability_all FROM targets_2028 WHERE area_code IN (?, ?, ?)",
            ["E09000001", "E06000053", "E08000018"],
        ).fetchall()
    )
    assert flagged == {"E09000001": True, "E06000053": True, "E08000018": False}


def test_cohort_backtest_within_stated_tolerance(db):
    # The estimate method, anchored on 2018/19's published cohorts, against 2021/22's published ones.
    # Tolerance: for all children a median error under 4% and nine LAs in ten within 10% (raw ONS
    # population: median 5.9%); for FSM children, whose share moves with eligibility rules, a median
    # under 12%.
    errors = db.execute(
        "SELECT pupil_group, median(abs(error_pct)), avg((abs(error_pct) <= 10)::int), count(*) "
        "FROM cohort_backtest GROUP BY pupil_group"
    ).fetchall()
    by_group = {group: (median, share, n) for group, median, share, n in errors}
    assert by_group["all"][2] >= 150 and by_group["all"][0] < 4 and by_group["all"][1] >= 0.9
    assert by_group["fsm"][2] >= 140 and by_group["fsm"][0] < 12
    ons = db.execute("SELECT median(abs(ons_error_pct)) FROM cohort_backtest WHERE pupil_group='all'").fetchone()[0]
    assert ons > by_group["all"][0]


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
    assert rows[2025].startswith("estimated: 2021/22 published cohort × ONS change in the year group")


def test_sources_agree_where_they_overlap(db):
    # LAIT (2016-2019) and the DfE time series give the same all-pupil values for these LAs.
    assert gld(db, "E08000018", 2018) == 73.1


def test_district_gld_2022_matches_the_official_file(db):
    # Ashford (Kent), 2021/22: 1,093 of 1,594 children reached GLD = 68.6% (EES district row).
    row = db.execute(
        "SELECT pct, children, achieved FROM gld_district_2022 WHERE lad_code='E07000105' AND pupil_group='all'"
    ).fetchone()
    assert row == (68.6, 1594, 1093)


def test_wards_are_the_may_2024_best_fit_wards(db):
    # DATA_GUIDE section 8: ONS's best-fit lookup puts the 33,755 English LSOAs in 6,784 wards;
    # each ward maps to one of the 153 LAs.
    best_fit, lsoas, las = db.execute(
        "SELECT count(*) FILTER (WHERE method = 'best_fit'), sum(lsoas), count(DISTINCT area_code) FROM wards"
    ).fetchone()
    assert (best_fit, lsoas, las) == (6784, 33755, 153)


def test_birmingham_children_in_low_income_are_dwp_s_published_figures(db):
    # DATA_GUIDE section 8: 69 wards, 115,184 children summed over wards vs 115,183 in the LA table;
    # Alum Rock has the most (5,107, 66.0%).
    wards, summed = db.execute(
        "SELECT count(*), sum(low_income_children_2025) FROM wards WHERE area_code = 'E08000025'"
    ).fetchone()
    assert (wards, summed) == (69, 115_184)
    la = db.execute("SELECT children FROM low_income_la WHERE area_code = 'E08000025' AND fye = 2025").fetchone()
    assert la == (115_183,)
    most = db.execute(
        "SELECT ward_name, low_income_children_2025, pct_low_income_2025 FROM wards WHERE area_code = 'E08000025' "
        "ORDER BY low_income_children_2025 DESC LIMIT 1"
    ).fetchone()
    assert most == ("Alum Rock", 5107, 66.0)


# Each ward rule, and a one-row change to the built tables that it must catch.
WARD_RULE_BREAKS = [
    (
        "every ward is mapped to one of the 153 LAs",
        "UPDATE wards SET area_code = 'E08000016' WHERE ward_code = '{ward}'",
    ),
    (
        "every English LSOA of the lookup is counted in exactly one ward",
        "UPDATE ward_lsoas SET ward_code = '{other}' WHERE lsoa_code = (SELECT min(lsoa_code) FROM ward_lsoas "
        "WHERE ward_code = '{ward}')",
    ),
    ("best_fit wards have LSOAs", "UPDATE wards SET method = 'no_lsoa' WHERE ward_code = '{ward}'"),
    (
        "ward sums of income-deprived children",
        "UPDATE wards SET income_deprived_children = income_deprived_children + 1 WHERE ward_code = '{ward}'",
    ),
    (
        "ward sum of children in low income",
        "UPDATE wards SET low_income_children_2025 = low_income_children_2025 + 100 WHERE ward_code = '{ward}'",
    ),
    ("every LA and England has both years", "DELETE FROM low_income_la WHERE area_code = 'E92000001' AND fye = 2024"),
]


@pytest.mark.parametrize(("rule_name", "change"), WARD_RULE_BREAKS, ids=[name for name, _ in WARD_RULE_BREAKS])
def test_ward_rules_catch_a_broken_row(db, rule_name, change):
    rule = next(rule for rule in RULES if rule_name in rule.name)
    copy = duckdb.connect()
    for table in ("areas", "wards", "ward_lsoas", "low_income_la"):
        copy.register("frame", db.execute(f'SELECT * FROM "{table}"').df())  # noqa: S608 - names listed above
        copy.execute(f'CREATE TABLE "{table}" AS SELECT * FROM frame')
        copy.unregister("frame")
    check_rule(copy, rule)  # the built tables pass
    # Alum Rock (Birmingham, 13 LSOAs) and a neighbouring Birmingham ward.
    ward, other = "E05011120", "E05011121"
    copy.execute(change.format(ward=ward, other=other))
    with pytest.raises(BuildError, match="contract failed"):
        check_rule(copy, rule)


@pytest.mark.parametrize(
    ("measure", "value", "decimals"),
    [
        ("FSP_NEW_COMMS", 77.7, 1),
        ("FSP_NEW_LIT", 67.0, 0),  # LAIT's text is "67": DfE's 67.0 without its trailing zero
        ("FSP_NEW_MATHS", 74.2, 1),
        ("%_2yr_olds", 83.5, 1),
        ("No_2yr_olds", 813.0, 0),
    ],
)
def test_rotherham_2024_25_context_is_laits(db, measure, value, decimals):
    # DATA_GUIDE section 4: Rotherham 2024/25 communication and language 77.7, literacy 67.0,
    # mathematics 74.2; two-year-old take-up 83.5 (813 children, January 2025).
    row = db.execute(
        "SELECT value, decimals FROM context_measures WHERE area_code='E08000018' AND year=2025 AND measure=?",
        [measure],
    ).fetchone()
    assert row == (value, decimals)


def test_old_framework_areas_of_learning_are_dfes_2015_16_results(db):
    # DfE's 2013-2019 tables: Rotherham 2015/16, 2,687 of 3,317 children at least at the expected level
    # in communication and language (81.0%), 2,389 in literacy (72.0%): LAIT's year 2016.
    rows = dict(
        db.execute(
            "SELECT measure, value FROM context_measures WHERE area_code='E08000018' AND year=2016 "
            "AND measure IN ('FSP_NEW_COMMS', 'FSP_NEW_LIT')"
        ).fetchall()
    )
    assert rows == {"FSP_NEW_COMMS": round(100 * 2687 / 3317, 1), "FSP_NEW_LIT": round(100 * 2389 / 3317, 1)}


def test_lait_s_2021_22_gld_of_chinese_children_is_under_2022(db):
    # The official 2021/22 file: England 2,362 of 3,153 Chinese children reached GLD = 74.9%.
    years = dict(
        db.execute(
            "SELECT year, value FROM context_measures WHERE area_code=? AND measure='FSP_Gooddev_Chinese' "
            "AND year IN (2021, 2022)",
            [ENGLAND],
        ).fetchall()
    )
    assert years == {2022: round(100 * 2362 / 3153, 1)}


def characteristic(db, code, characteristic, group):
    return db.execute(
        "SELECT gld_pct, children, gld_children, former FROM gld_characteristics_2022 "
        "WHERE area_code=? AND characteristic=? AND pupil_group=?",
        [code, characteristic, group],
    ).fetchone()


def test_england_2021_22_gld_by_sex_is_dfes(db):
    assert characteristic(db, ENGLAND, "Total", "Total")[:2] == (65.2, 622583)
    assert characteristic(db, ENGLAND, "Sex", "Boys")[0] == 58.7
    assert characteristic(db, ENGLAND, "Sex", "Girls")[0] == 71.9


def test_rotherham_2021_22_girls(db):
    assert characteristic(db, "E08000018", "Sex", "Girls")[:2] == (72.1, 1529)


def test_cumbria_2021_22_is_a_former_la_and_not_its_successors(db):
    assert characteristic(db, "E10000006", "Total", "Total") == (61.5, 4571, 2812, True)
    present = {
        code
        for (code,) in db.execute(
            "SELECT DISTINCT area_code FROM gld_characteristics_2022 WHERE area_code IN "
            "('E06000063', 'E06000064', 'E10000023', 'E06000065', 'E10000027', 'E06000066', 'E08000016', 'E08000038')"
        ).fetchall()
    }
    # North Yorkshire, Somerset and Barnsley: same areas under today's codes; no Cumberland, no Westmorland.
    assert present == {"E06000065", "E06000066", "E08000038"}


FOCUS_TABLES = ("areas", "former_las", "context_measures", "gld_characteristics_2022")
# Each rule of the focus page's tables, and a one-row change that it must catch.
FOCUS_RULE_BREAKS = [
    ("every area is England, a region", "UPDATE context_measures SET area_code = 'E13000001' WHERE {rotherham}"),
    (
        "no LA has a value for a year before it existed",
        "UPDATE context_measures SET area_code = 'E06000063' WHERE area_code = 'E08000018' AND year = 2022 "
        "AND measure = 'FSP_NEW_COMMS'",  # Cumberland in 2021/22, before it existed
    ),
    ("no EYFSP value in 2020 or 2021", "UPDATE context_measures SET year = 2021 WHERE {rotherham}"),
    ("a percentage is within 0-100", "UPDATE context_measures SET value = 100.1 WHERE {rotherham}"),
    (
        "no more decimal places",
        "UPDATE context_measures SET value = 813.5 WHERE {rotherham} AND measure = 'No_2yr_olds'",
    ),
    (
        "cover England, the 9 regions and the 153 LAs",
        "DELETE FROM context_measures WHERE {rotherham} AND measure = 'FSP_NEW_PHY'",
    ),
    (
        "LAIT's 2021/22 values equal",
        "UPDATE context_measures SET value = value + 0.1 WHERE area_code = 'E08000018' AND year = 2022 "
        "AND measure = 'FSP_NEW_ALL-ELGS'",
    ),
    ("England's 2021/22 GLD", "UPDATE gld_characteristics_2022 SET gld_pct = 58.8 WHERE {england} AND {boys}"),
    ("every area has all its groups", "DELETE FROM gld_characteristics_2022 WHERE {girls_of_rotherham}"),
    (
        "boys + girls = all children",
        "UPDATE gld_characteristics_2022 SET gld_children = gld_children - 1 WHERE {girls_of_rotherham}",
    ),
    (
        "add up to all children",
        "UPDATE gld_characteristics_2022 SET children = children + 1 WHERE area_code = 'E08000018' "
        "AND pupil_group = 'Summer-born'",
    ),
    (
        "All SEN = SEN support + EHC plan",
        "UPDATE gld_characteristics_2022 SET children = children + 1 WHERE {england} AND pupil_group = 'All SEN'",
    ),
    (
        "gld_pct is gld_children / children",
        "UPDATE gld_characteristics_2022 SET gld_pct = gld_pct + 0.1 WHERE {girls_of_rotherham}",
    ),
    ("exactly where a group has no children", "UPDATE gld_characteristics_2022 SET status = 'published'"),
    ("flagged former", "UPDATE gld_characteristics_2022 SET former = false WHERE area_code = 'E10000006'"),
]
WHERE = {
    "rotherham": "area_code = 'E08000018' AND year = 2025",
    "england": f"area_code = '{ENGLAND}'",
    "boys": "pupil_group = 'Boys'",
    "girls_of_rotherham": "area_code = 'E08000018' AND pupil_group = 'Girls'",
}


@pytest.mark.parametrize(("rule_name", "change"), FOCUS_RULE_BREAKS, ids=[name for name, _ in FOCUS_RULE_BREAKS])
def test_focus_rules_catch_a_broken_row(db, rule_name, change):
    rule = next(rule for rule in RULES if rule_name in rule.name)
    copy = duckdb.connect()
    for table in FOCUS_TABLES:
        copy.register("frame", db.execute(f'SELECT * FROM "{table}"').df())  # noqa: S608 - names listed above
        copy.execute(f'CREATE TABLE "{table}" AS SELECT * FROM frame')
        copy.unregister("frame")
    check_rule(copy, rule)  # the built tables pass
    copy.execute(change.format(**WHERE))
    with pytest.raises(BuildError, match="contract failed"):
        check_rule(copy, rule)
