"""Declared contracts for every public table, checked at the end of each build and in tests.

A contract lists a table's key, required columns, accepted values, ranges and minimum rows;
cross-table rules are SQL queries that return the offending rows. A failure names the table,
the rule, the number of offending rows and an example.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from etl.characteristics import CHARACTERISTICS
from etl.errors import BuildError


@dataclass(frozen=True)
class TableContract:
    """What one table must satisfy."""

    table: str
    key: tuple[str, ...]
    required: tuple[str, ...] = ()
    accepted: dict[str, tuple] = field(default_factory=dict)
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    min_rows: int = 1


@dataclass(frozen=True)
class Rule:
    """A cross-table rule: `sql` returns one row per offence (first column shown as the example)."""

    table: str
    name: str
    sql: str


PUPIL_GROUPS = ("all", "fsm", "all_other", "not_eligible")
TARGET_BASES = ("published", "derived: 2023/24 + 9.0 percentage points", "not derivable")
# IoD2025 ranks 33,755 English 2021 LSOAs; ONS's best-fit lookup puts each in one May 2024 ward.
ENGLAND_LSOAS = 33_755
LOW_INCOME_FYES = (2024, 2025)
# DWP rounds (perturbs) each published figure, so an LA's ward sum drifts from its district sum like
# the square root of its number of wards: measured on FYE 2024 and 2025, |difference| / sqrt(wards)
# is at most 5.2 (Trafford FYE 2024: 8,161 over 21 wards vs 8,185; the largest difference is Essex's
# +43 of 64,782 in FYE 2025; Birmingham FYE 2025: 115,184 vs 115,183). A ward shown as [low] adds
# nothing to the ward sum but a few children to the district's (Isles of Scilly: 30 vs 35).
LOW_INCOME_TOLERANCE_PER_ROOT_WARD = 7
LOW_INCOME_TOLERANCE_PER_MISSING_WARD = 5

# Take-up of funded early education can pass 100%: children are counted where they take their place
# and the eligible or resident population is an estimate (City of London 2-year-olds 2025: 233.3).
TAKE_UP_MEASURES = ("%_2yr_olds", "%_3&4yr_olds")
# LAIT measures whose 2021/22 value is also in the official 2021/22 file, and the file's column and
# group that holds it ("SEN without statement/EHCP" is SEN support, not children without SEN).
LAIT_IN_EES_2022 = (
    ("FSP_NEW_ALL-ELGS", "elg_pct", "Total", "Total"),
    ("FSPAVEPreChild", "average_elgs", "Total", "Total"),
    ("FSP_Gooddev_White", "gld_pct", "Ethnic group: major", "White"),
    ("FSP_Gooddev_Black", "gld_pct", "Ethnic group: major", "Black/African/Caribbean/Black British"),
    ("FSP_Gooddev_Asian", "gld_pct", "Ethnic group: major", "Asian/Asian British"),
    ("FSP_Gooddev_Mixed", "gld_pct", "Ethnic group: major", "Mixed/multiple ethnic groups"),
    ("FSP_Gooddev_Other", "gld_pct", "Ethnic group: major", "Other ethnic group"),
    ("FSP_Gooddev_Chinese", "gld_pct", "Ethnic group: minor", "Chinese"),
    ("FSP_Gooddev_With_SENSTATE", "gld_pct", "SEN provision", "EHC plan"),
    ("FSP_Gooddev_Without_SENSTATE", "gld_pct", "SEN provision", "SEN support"),
)


def _lait_in_ees_2022_sql() -> str:
    """One query per LAIT_IN_EES_2022 entry (fixed names from this module), joined by UNION ALL."""
    parts = [
        f"SELECT c.area_code || ' ' || c.measure || ': ' || c.value || ' vs ' || coalesce(g.{column}::VARCHAR, 'none') "
        f"FROM context_measures c JOIN gld_characteristics_2022 g ON g.area_code = c.area_code "
        f"AND g.characteristic = '{characteristic}' AND g.pupil_group = '{group}' "
        f"WHERE c.measure = '{measure}' AND c.year = 2022 AND g.{column} IS DISTINCT FROM c.value"
        for measure, column, characteristic, group in LAIT_IN_EES_2022
    ]
    return " UNION ALL ".join(parts)


CONTRACTS: tuple[TableContract, ...] = (
    TableContract(
        "areas", ("area_code",), ("name", "level", "la_number"), {"level": ("england", "region", "la")}, min_rows=163
    ),
    TableContract(
        "area_code_history",
        ("old_code", "current_code"),
        ("year", "change", "note"),
        {"change": ("code change", "reorganisation")},
    ),
    TableContract(
        "gld",
        ("area_code", "year", "pupil_group"),
        ("pct", "framework", "source"),
        {"pupil_group": PUPIL_GROUPS, "framework": ("2013-2019", "2022 onwards"), "decimals": (0, 1)},
        {"pct": (0, 100), "year": (2013, 2100), "children": (0, 1_000_000), "achieved": (0, 1_000_000)},
        min_rows=3000,
    ),
    TableContract(
        "gld_former_las",
        ("area_code", "year", "pupil_group"),
        ("pct", "name"),
        {"pupil_group": PUPIL_GROUPS},
        {"pct": (0, 100)},
    ),
    TableContract(
        "targets_2028",
        ("area_code",),
        ("basis", "basis_all", "basis_fsm", "decimals_all", "decimals_fsm", "low_reliability_all"),
        {
            "basis_all": TARGET_BASES,
            "basis_fsm": TARGET_BASES,
            "basis": (*TARGET_BASES, "mixed"),
            "decimals_all": (0, 1),
            "decimals_fsm": (0, 1),
        },
        {"target_all": (0, 100), "target_fsm": (0, 100)},
        min_rows=154,
    ),
    TableContract(
        "statistical_neighbours",
        ("area_code", "sn_set", "neighbour_rank"),
        ("neighbour_code", "closeness"),
        {"sn_set": ("2025", "2021")},
        {"neighbour_rank": (1, 10)},
        min_rows=1500,
    ),
    TableContract(
        "fsm_eligibility",
        ("area_code", "year"),
        (),
        {},
        {"pct_primary_fsm": (0, 100), "pct_secondary_fsm": (0, 100)},
        1000,
    ),
    TableContract(
        "context_measures",
        ("area_code", "year", "measure"),
        ("label", "unit", "value", "decimals"),
        {},
        {"decimals": (0, 10), "year": (2016, 2100)},
        25_000,
    ),
    TableContract(
        "deprivation_la",
        ("area_code", "edition"),
        ("imd_avg_rank",),
        {"edition": ("IoD2019", "IoD2025")},
        {"imd_prop_lsoas_most_deprived_10pct": (0, 1)},
        290,
    ),
    TableContract(
        "cohort_estimates",
        ("area_code", "year", "pupil_group"),
        ("children", "counts_basis"),
        {"pupil_group": ("all", "fsm")},
        {"children": (0, 1_000_000)},
        400,
    ),
    TableContract(
        "cohort_backtest",
        ("area_code", "pupil_group"),
        ("published", "estimated", "error_pct"),
        {"pupil_group": ("all", "fsm")},
        {"published": (1, 1_000_000)},
        250,
    ),
    TableContract(
        "wards",
        ("ward_code",),
        ("ward_name", "lad_code", "lad_name", "area_code", "lsoas", "income_deprived_suppressed", "method"),
        {"method": ("best_fit", "no_lsoa")},
        {
            "lsoas": (0, 100),
            "imd_avg_rank": (1, ENGLAND_LSOAS),
            "idaci_avg_rank": (1, ENGLAND_LSOAS),
            "imd_decile": (1, 10),
            "idaci_decile": (1, 10),
            "pct_lsoas_imd_decile1": (0, 100),
            "pct_lsoas_idaci_decile1": (0, 100),
            "income_deprived_children": (0, 100_000),
            "income_deprived_suppressed": (0, 100),
            "low_income_children_2025": (0, 100_000),
            "low_income_children_2024": (0, 100_000),
            "pct_low_income_2025": (0, 100),
            "pct_low_income_2024": (0, 100),
            "children_0_15": (0, 100_000),
        },
        6700,
    ),
    TableContract(
        "ward_lsoas",
        ("lsoa_code",),
        ("ward_code", "lad_code", "imd_rank", "imd_decile", "imd_score", "idaci_rank", "idaci_decile"),
        {},
        {
            "imd_rank": (1, ENGLAND_LSOAS),
            "idaci_rank": (1, ENGLAND_LSOAS),
            "imd_decile": (1, 10),
            "idaci_decile": (1, 10),
            "income_deprived_children": (0, 10_000),
        },
        ENGLAND_LSOAS,
    ),
    TableContract(
        "low_income_la",
        ("area_code", "fye"),
        ("children", "pct"),
        {"fye": LOW_INCOME_FYES},
        {"pct": (0, 100), "children": (0, 5_000_000)},
        2 * 154,
    ),
    TableContract(
        "gld_district_2022",
        ("lad_code", "pupil_group"),
        ("lad_name", "area_code", "year"),
        {"pupil_group": ("all", "fsm")},
        {"pct": (0, 100), "children": (0, 100_000)},
        300,
    ),
    TableContract(
        "gld_characteristics_2022",
        ("area_code", "characteristic", "pupil_group"),
        ("level", "former", "children", "gld_children", "status"),
        {
            "level": ("national", "regional", "la"),
            "characteristic": CHARACTERISTICS,  # the 2021/22 file's, and 'Sex' (its boys and girls)
            "status": ("published", "not applicable (z)"),
        },
        {
            "children": (0, 1_000_000),
            "gld_children": (0, 1_000_000),
            "gld_pct": (0, 100),
            "elg_pct": (0, 100),
            "comm_lang_lit_pct": (0, 100),
            "average_elgs": (0, 17),
        },
        3900,
    ),
    TableContract("sources", ("path",), ("title", "publisher", "licence", "sha256")),
    # The maps' shapes (etl.build.BOUNDARY_TABLES): every LA, May 2024 ward and December 2024 district.
    TableContract("boundaries_la", ("area_code",), ("name", "geometry_wkb"), min_rows=153),
    TableContract("boundaries_ward", ("ward_code",), ("geometry_wkb",), min_rows=6700),
    TableContract("boundaries_district", ("lad_code",), ("lad_name", "geometry_wkb"), min_rows=164),
)

RULES: tuple[Rule, ...] = (
    Rule(
        "boundaries_la",
        "a shape for every LA, and only LAs",
        "SELECT coalesce(b.area_code, a.area_code) FROM boundaries_la b "
        "FULL JOIN (SELECT area_code FROM areas WHERE level = 'la') a ON a.area_code = b.area_code "
        "WHERE a.area_code IS NULL OR b.area_code IS NULL",
    ),
    Rule(
        "boundaries_ward",
        "every shape is a ward in the wards table",
        "SELECT b.ward_code FROM boundaries_ward b LEFT JOIN wards w ON w.ward_code = b.ward_code "
        "WHERE w.ward_code IS NULL",
    ),
    Rule(
        "areas",
        "exactly 153 LAs, 9 regions and England",
        "SELECT level || ': ' || n FROM (SELECT level, count(*) n FROM areas GROUP BY level) "
        "WHERE (level='la' AND n<>153) OR (level='region' AND n<>9) OR (level='england' AND n<>1)",
    ),
    Rule(
        "gld",
        "every area_code is a known area",
        "SELECT DISTINCT g.area_code FROM gld g LEFT JOIN areas a USING (area_code) WHERE a.area_code IS NULL",
    ),
    Rule(
        "gld",
        "153 LAs with all-pupil GLD in each year from 2023 (the current LA set) to the latest",
        "SELECT y.year || ': ' || count(g.area_code) FROM "
        "(SELECT unnest(range(2023, (SELECT max(year) FROM gld) + 1)) AS year) y "
        "LEFT JOIN gld g ON g.year = y.year AND g.pupil_group = 'all' AND g.pct IS NOT NULL "
        "AND g.area_code IN (SELECT area_code FROM areas WHERE level = 'la') GROUP BY y.year "
        "HAVING count(g.area_code) <> 153",
    ),
    Rule(
        "gld",
        "at least 140 LAs with a value in every assessed year from the first to the latest, for all and FSM "
        "children (a file cut short shows up here)",
        "SELECT y.year || ' ' || y.pupil_group || ': ' || count(g.area_code) FROM "
        "(SELECT year, pupil_group FROM "
        "(SELECT unnest(range((SELECT min(year) FROM gld), (SELECT max(year) FROM gld) + 1)) AS year) "
        "CROSS JOIN (SELECT unnest(['all', 'fsm']) AS pupil_group) WHERE year NOT IN (2020, 2021)) y "
        "LEFT JOIN gld g ON g.year = y.year AND g.pupil_group = y.pupil_group AND g.pct IS NOT NULL "
        "AND g.area_code IN (SELECT area_code FROM areas WHERE level = 'la') "
        "GROUP BY y.year, y.pupil_group HAVING count(g.area_code) < 140 ORDER BY y.year, y.pupil_group",
    ),
    Rule(
        "gld",
        "at least 140 LAs with a published count in every year and group that has published counts",
        "SELECT g.year || ' ' || g.pupil_group || ': ' || count(*) FROM gld g JOIN areas a USING (area_code) "
        "WHERE a.level = 'la' AND g.counts_basis = 'published' GROUP BY g.year, g.pupil_group HAVING count(*) < 140 "
        "ORDER BY g.year, g.pupil_group",
    ),
    Rule(
        "cohort_estimates",
        "at least 140 LAs with an estimate in every estimated year and group",
        "SELECT e.year || ' ' || e.pupil_group || ': ' || count(*) FROM cohort_estimates e "
        "JOIN areas a USING (area_code) WHERE a.level = 'la' GROUP BY e.year, e.pupil_group HAVING count(*) < 140",
    ),
    Rule(
        "gld",
        "no LA has values for years before it existed",
        "SELECT g.area_code || ' ' || g.year FROM gld g JOIN areas a USING (area_code) "
        "WHERE a.first_year IS NOT NULL AND g.year < a.first_year",
    ),
    Rule(
        "gld",
        "a value published as a whole number is a whole number",
        "SELECT area_code || ' ' || year || ' ' || pupil_group FROM gld WHERE decimals = 0 AND pct <> round(pct)",
    ),
    Rule(
        "gld",
        "all other (DfE's FSM comparison group) and not eligible are never both missing where FSM has a value",
        "SELECT f.area_code || ' ' || f.year FROM gld f JOIN areas a ON a.area_code = f.area_code AND a.level <> 'la' "
        "WHERE f.pupil_group = 'fsm' AND NOT EXISTS (SELECT 1 FROM gld o WHERE o.area_code = f.area_code "
        "AND o.year = f.year AND o.pupil_group IN ('all_other', 'not_eligible'))",
    ),
    Rule("gld", "no year 2020 or 2021 (no assessment)", "SELECT area_code FROM gld WHERE year IN (2020, 2021)"),
    Rule(
        "gld", "achieved never exceeds children", "SELECT area_code || ' ' || year FROM gld WHERE achieved > children"
    ),
    Rule(
        "gld",
        "no percentage of a cohort of no children",
        "SELECT area_code || ' ' || year || ' ' || pupil_group FROM gld WHERE children = 0",
    ),
    Rule(
        "gld",
        "estimated counts only where none are published, and labelled",
        "SELECT area_code || ' ' || year FROM gld WHERE children IS NOT NULL AND counts_basis IS NULL",
    ),
    Rule(
        "targets_2028",
        "every LA and England has a row",
        "SELECT a.area_code FROM areas a LEFT JOIN targets_2028 t USING (area_code) "
        "WHERE a.level IN ('la', 'england') AND t.area_code IS NULL",
    ),
    Rule(
        "targets_2028",
        "every published target has its citation",
        "SELECT area_code FROM targets_2028 WHERE (basis_all = 'published' AND source_all IS NULL) "
        "OR (basis_fsm = 'published' AND source_fsm IS NULL)",
    ),
    Rule(
        "targets_2028",
        "a low-reliability target says why",
        "SELECT area_code FROM targets_2028 WHERE (low_reliability_all AND note_all IS NULL) "
        "OR (low_reliability_fsm AND note_fsm IS NULL)",
    ),
    Rule(
        "statistical_neighbours",
        "every LA has 10 neighbours in the 2025 set",
        "SELECT a.area_code FROM areas a LEFT JOIN statistical_neighbours s ON s.area_code = a.area_code "
        "AND s.sn_set = '2025' WHERE a.level = 'la' GROUP BY a.area_code HAVING count(s.neighbour_code) <> 10",
    ),
    Rule(
        "statistical_neighbours",
        "2025 neighbours are current LAs",
        "SELECT s.neighbour_code FROM statistical_neighbours s LEFT JOIN areas a ON a.area_code = s.neighbour_code "
        "WHERE s.sn_set = '2025' AND a.area_code IS NULL",
    ),
    Rule(
        "wards",
        "every ward is mapped to one of the 153 LAs",
        "SELECT w.ward_code FROM wards w LEFT JOIN areas a ON a.area_code = w.area_code AND a.level = 'la' "
        "WHERE a.area_code IS NULL",
    ),
    Rule(
        "wards",
        f"every English LSOA of the lookup is counted in exactly one ward ({ENGLAND_LSOAS:,} in all)",
        f"SELECT 'LSOAs counted in wards: ' || sum(lsoas) FROM wards HAVING sum(lsoas) <> {ENGLAND_LSOAS} "
        "OR sum(lsoas) <> (SELECT count(*) FROM ward_lsoas) "
        "UNION ALL SELECT w.ward_code FROM wards w LEFT JOIN "
        "(SELECT ward_code, count(*) AS n FROM ward_lsoas GROUP BY ward_code) l ON l.ward_code = w.ward_code "
        "WHERE w.lsoas <> coalesce(l.n, 0) "
        "UNION ALL SELECT l.lsoa_code FROM ward_lsoas l LEFT JOIN wards w ON w.ward_code = l.ward_code "
        "WHERE w.ward_code IS NULL",
    ),
    Rule(
        "wards",
        "best_fit wards have LSOAs and deprivation figures; no_lsoa wards have neither",
        "SELECT ward_code FROM wards WHERE (method = 'best_fit') <> (lsoas > 0) OR (method = 'best_fit' AND "
        "(imd_avg_rank IS NULL OR idaci_avg_rank IS NULL OR imd_decile IS NULL OR idaci_decile IS NULL "
        "OR pct_lsoas_imd_decile1 IS NULL OR pct_lsoas_idaci_decile1 IS NULL)) OR (method = 'no_lsoa' AND "
        "(imd_avg_rank IS NOT NULL OR idaci_avg_rank IS NOT NULL OR imd_decile IS NOT NULL "
        "OR idaci_decile IS NOT NULL OR income_deprived_children IS NOT NULL OR income_deprived_suppressed <> 0))",
    ),
    Rule(
        "wards",
        "each LA's ward sums of income-deprived children (and of suppressed LSOAs) equal its LSOAs' "
        "(nothing counted twice)",
        "WITH by_ward AS (SELECT area_code, sum(income_deprived_children) AS children, "
        "sum(income_deprived_suppressed) AS suppressed FROM wards GROUP BY area_code), "
        "by_lsoa AS (SELECT w.area_code, sum(l.income_deprived_children) AS children, "
        "count(*) - count(l.income_deprived_children) AS suppressed "
        "FROM ward_lsoas l JOIN wards w ON w.ward_code = l.ward_code GROUP BY w.area_code) "
        "SELECT coalesce(a.area_code, b.area_code) FROM by_ward a FULL JOIN by_lsoa b ON a.area_code = b.area_code "
        "WHERE a.children IS DISTINCT FROM b.children OR a.suppressed IS DISTINCT FROM b.suppressed",
    ),
    Rule(
        "wards",
        f"each LA's ward sum of children in low income is within {LOW_INCOME_TOLERANCE_PER_ROOT_WARD:g} x "
        f"sqrt(wards) + {LOW_INCOME_TOLERANCE_PER_MISSING_WARD:g} per ward without a figure of low_income_la "
        "(DWP rounds each figure)",
        "WITH by_ward AS (SELECT area_code, 2025 AS fye, sum(low_income_children_2025) AS children, count(*) AS n, "
        "count(*) - count(low_income_children_2025) AS missing FROM wards GROUP BY area_code "
        "UNION ALL SELECT area_code, 2024, sum(low_income_children_2024), count(*), "
        "count(*) - count(low_income_children_2024) FROM wards GROUP BY area_code) "
        "SELECT w.area_code || ' FYE ' || w.fye || ': wards ' || w.children || ', LA ' || coalesce(l.children, -1) "
        "FROM by_ward w LEFT JOIN low_income_la l ON l.area_code = w.area_code AND l.fye = w.fye "
        "WHERE l.children IS NULL OR abs(w.children - l.children) > "
        f"{LOW_INCOME_TOLERANCE_PER_ROOT_WARD} * sqrt(w.n) + {LOW_INCOME_TOLERANCE_PER_MISSING_WARD} * w.missing",
    ),
    Rule(
        "low_income_la",
        "every LA and England has both years, and nothing else",
        "SELECT a.area_code || ' FYE ' || f.fye FROM areas a CROSS JOIN (SELECT unnest([2024, 2025]) AS fye) f "
        "LEFT JOIN low_income_la l ON l.area_code = a.area_code AND l.fye = f.fye "
        "WHERE a.level IN ('la', 'england') AND l.area_code IS NULL "
        "UNION ALL SELECT l.area_code FROM low_income_la l LEFT JOIN areas a ON a.area_code = l.area_code "
        "AND a.level IN ('la', 'england') WHERE a.area_code IS NULL",
    ),
    Rule(
        "gld_district_2022",
        "every district belongs to one of the 153 LAs or to a former county (Cumbria, North Yorkshire, Somerset)",
        "SELECT d.lad_code FROM gld_district_2022 d WHERE d.area_code NOT IN "
        "(SELECT area_code FROM areas WHERE level = 'la' UNION SELECT area_code FROM former_las)",
    ),
    Rule(
        "context_measures",
        "every area is England, a region or one of the 153 LAs",
        "SELECT DISTINCT c.area_code FROM context_measures c LEFT JOIN areas a USING (area_code) WHERE a.area_code IS NULL",
    ),
    Rule(
        "context_measures",
        "no LA has a value for a year before it existed (DWP's child poverty, back-cast on current boundaries, "
        "excepted)",
        "SELECT c.area_code || ' ' || c.measure || ' ' || c.year FROM context_measures c JOIN areas a USING (area_code) "
        "WHERE a.first_year IS NOT NULL AND c.year < a.first_year AND c.measure <> 'ChildPov'",
    ),
    Rule(
        "context_measures",
        "no EYFSP value in 2020 or 2021 (no assessment)",
        "SELECT area_code || ' ' || measure || ' ' || year FROM context_measures "
        "WHERE measure LIKE 'FSP%' AND year IN (2020, 2021)",
    ),
    Rule(
        "context_measures",
        "a percentage is within 0-100 (take-up of funded places: at least 0)",
        "SELECT area_code || ' ' || measure || ' ' || year || ': ' || value FROM context_measures "
        "WHERE unit LIKE '\\%%' ESCAPE '\\' AND (value < 0 OR (value > 100 AND measure NOT IN "
        f"({', '.join(repr(m) for m in TAKE_UP_MEASURES)})))",
    ),
    Rule(
        "context_measures",
        "a value has no more decimal places than it was published with; counts of children are whole",
        "SELECT area_code || ' ' || measure || ' ' || year FROM context_measures "
        "WHERE abs(value - round(value, decimals::INTEGER)) > 1e-9 OR (unit = 'children' AND decimals <> 0)",
    ),
    Rule(
        "context_measures",
        "areas of learning, all goals and take-up cover England, the 9 regions and the 153 LAs in the latest year",
        "SELECT m.measure || ': ' || count(c.area_code) FROM (SELECT measure, max(year) AS year FROM context_measures "
        "WHERE measure LIKE 'FSP\\_NEW\\_%' ESCAPE '\\' OR measure IN ('%_2yr_olds', 'No_2yr_olds', '%_3&4yr_olds') "
        "GROUP BY measure) m LEFT JOIN context_measures c ON c.measure = m.measure AND c.year = m.year "
        "GROUP BY m.measure HAVING count(c.area_code) <> 163",
    ),
    Rule(
        "context_measures",
        "LAIT's 2021/22 values equal the official 2021/22 file's (LAIT's year is the academic year's end)",
        _lait_in_ees_2022_sql(),
    ),
    Rule(
        "gld_characteristics_2022",
        "England's 2021/22 GLD is DfE's published 65.2 (boys 58.7, girls 71.9)",
        "SELECT p.pupil_group || ': ' || coalesce(g.gld_pct::VARCHAR, 'missing') FROM (VALUES ('Total', 'Total', 65.2), "
        "('Sex', 'Boys', 58.7), ('Sex', 'Girls', 71.9)) p(characteristic, pupil_group, pct) "
        "LEFT JOIN gld_characteristics_2022 g ON g.area_code = 'E92000001' AND g.characteristic = p.characteristic "
        "AND g.pupil_group = p.pupil_group WHERE g.gld_pct IS DISTINCT FROM p.pct",
    ),
    Rule(
        "gld_characteristics_2022",
        "every area has all its groups (LAs 22; England and regions 54, with minor ethnic groups and primary needs)",
        "SELECT area_code || ': ' || count(*) FROM gld_characteristics_2022 GROUP BY area_code, level "
        "HAVING count(*) <> CASE level WHEN 'la' THEN 22 ELSE 54 END",
    ),
    Rule(
        "gld_characteristics_2022",
        "boys + girls = all children (and all reaching GLD) in every area",
        "SELECT t.area_code FROM gld_characteristics_2022 t LEFT JOIN (SELECT area_code, count(*) AS k, "
        "sum(children) AS n, sum(gld_children) AS g FROM gld_characteristics_2022 WHERE characteristic = 'Sex' "
        "GROUP BY area_code) s ON s.area_code = t.area_code WHERE t.characteristic = 'Total' "
        "AND (s.k IS DISTINCT FROM 2 OR s.n <> t.children OR s.g <> t.gld_children)",
    ),
    Rule(
        "gld_characteristics_2022",
        "the groups of FSM, ethnic group (major; minor), first language, term of birth and SEN provision "
        "(no identified SEN + SEN support + EHC plan + unclassified) add up to all children and all reaching GLD",
        "SELECT s.area_code || ' ' || s.characteristic FROM (SELECT area_code, characteristic, sum(children) AS n, "
        "sum(gld_children) AS g FROM gld_characteristics_2022 WHERE characteristic NOT IN ('Total', 'Sex', "
        "'SEN primary need') AND pupil_group <> 'All SEN' GROUP BY area_code, characteristic) s "
        "JOIN gld_characteristics_2022 t ON t.area_code = s.area_code AND t.characteristic = 'Total' "
        "WHERE s.n <> t.children OR s.g <> t.gld_children",
    ),
    Rule(
        "gld_characteristics_2022",
        "All SEN = SEN support + EHC plan; the primary needs add up to no more than All SEN",
        "WITH sen AS (SELECT area_code, sum(children) FILTER (WHERE pupil_group = 'All SEN') AS all_sen, "
        "sum(children) FILTER (WHERE pupil_group IN ('SEN support', 'EHC plan')) AS parts "
        "FROM gld_characteristics_2022 WHERE characteristic = 'SEN provision' GROUP BY area_code), "
        "need AS (SELECT area_code, sum(children) AS n FROM gld_characteristics_2022 "
        "WHERE characteristic = 'SEN primary need' GROUP BY area_code) "
        "SELECT sen.area_code FROM sen LEFT JOIN need USING (area_code) "
        "WHERE sen.all_sen IS DISTINCT FROM sen.parts OR need.n > sen.all_sen",
    ),
    Rule(
        "gld_characteristics_2022",
        "gld_children never exceeds children, and gld_pct is gld_children / children to 1 dp",
        "SELECT area_code || ' ' || characteristic || ' ' || pupil_group FROM gld_characteristics_2022 "
        "WHERE gld_children > children OR abs(gld_pct - 100.0 * gld_children / children) > 0.05 + 1e-9",
    ),
    Rule(
        "gld_characteristics_2022",
        "'not applicable (z)' exactly where a group has no children (no shares); published rows have every share",
        "SELECT area_code || ' ' || characteristic || ' ' || pupil_group FROM gld_characteristics_2022 "
        "WHERE (status = 'not applicable (z)') <> (children = 0) OR (status = 'not applicable (z)' AND "
        "coalesce(gld_pct, elg_pct, comm_lang_lit_pct, average_elgs) IS NOT NULL) OR (status = 'published' "
        "AND (gld_pct IS NULL OR elg_pct IS NULL OR comm_lang_lit_pct IS NULL OR average_elgs IS NULL))",
    ),
    Rule(
        "gld_characteristics_2022",
        "areas are England, the 9 regions, Inner and Outer London and the LAs of 2021/22 (current codes; a former "
        "LA flagged former); every LA that existed then is there",
        "SELECT g.area_code FROM (SELECT DISTINCT area_code, level, former FROM gld_characteristics_2022) g "
        "LEFT JOIN areas a ON a.area_code = g.area_code LEFT JOIN former_las f ON f.area_code = g.area_code "
        "WHERE g.former <> (f.area_code IS NOT NULL) "
        "OR (g.level = 'national' AND g.area_code <> 'E92000001') "
        "OR (g.level = 'regional' AND a.level IS DISTINCT FROM 'region' AND g.area_code NOT IN ('E13000001', 'E13000002')) "
        "OR (g.level = 'la' AND a.level IS DISTINCT FROM 'la' AND f.area_code IS NULL) "
        "OR (a.first_year > 2022) "
        "UNION ALL SELECT a.area_code FROM areas a LEFT JOIN gld_characteristics_2022 g "
        "ON g.area_code = a.area_code AND g.characteristic = 'Total' "
        "WHERE (a.first_year IS NULL OR a.first_year <= 2022) AND g.area_code IS NULL",
    ),
    Rule(
        "deprivation_la",
        "IoD2025 covers all 153 LAs",
        "SELECT a.area_code FROM areas a LEFT JOIN deprivation_la d ON d.area_code = a.area_code "
        "AND d.edition = 'IoD2025' WHERE a.level = 'la' AND d.area_code IS NULL",
    ),
)


def _fail(table: str, rule: str, count: int, example: object) -> BuildError:
    return BuildError(f"contract failed: table {table}, rule '{rule}': {count} offending rows (e.g. {example!r})")


def check_table(con: duckdb.DuckDBPyConnection, contract: TableContract) -> None:
    """Check one table's declared contract; raise BuildError on the first broken rule."""
    table = contract.table
    exists = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]).fetchone()[0]
    if not exists:
        raise _fail(table, "table exists", 1, table)
    columns = {row[0] for row in con.execute(f'DESCRIBE "{table}"').fetchall()}
    for column in (*contract.key, *contract.required, *contract.accepted, *contract.ranges):
        if column not in columns:
            raise _fail(table, f"has column {column}", 1, column)
    rows = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
    if rows < contract.min_rows:
        raise _fail(table, f"at least {contract.min_rows} rows", rows, rows)
    key = ", ".join(f'"{c}"' for c in contract.key)
    null_key = " OR ".join(f'"{c}" IS NULL' for c in contract.key)
    offenders = con.execute(f'SELECT {key} FROM "{table}" WHERE {null_key}').fetchall()
    if offenders:
        raise _fail(table, "key not null", len(offenders), offenders[0])
    offenders = con.execute(f'SELECT {key}, count(*) FROM "{table}" GROUP BY {key} HAVING count(*) > 1').fetchall()
    if offenders:
        raise _fail(table, f"key ({', '.join(contract.key)}) unique", len(offenders), offenders[0])
    for column in contract.required:
        offenders = con.execute(f'SELECT {key} FROM "{table}" WHERE "{column}" IS NULL').fetchall()
        if offenders:
            raise _fail(table, f"{column} not null", len(offenders), offenders[0])
    for column, values in contract.accepted.items():
        offenders = con.execute(
            f'SELECT DISTINCT "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL '
            f'AND NOT list_contains(?, "{column}")',
            [list(values)],
        ).fetchall()
        if offenders:
            raise _fail(table, f"{column} in {list(values)}", len(offenders), offenders[0][0])
    for column, (low, high) in contract.ranges.items():
        offenders = con.execute(
            f'SELECT "{column}" FROM "{table}" WHERE "{column}" < ? OR "{column}" > ?', [low, high]
        ).fetchall()
        if offenders:
            raise _fail(table, f"{column} within {low}–{high}", len(offenders), offenders[0][0])


def check_rule(con: duckdb.DuckDBPyConnection, rule: Rule) -> None:
    """Run one cross-table rule; raise BuildError if it returns any row."""
    offenders = con.execute(rule.sql).fetchall()
    if offenders:
        raise _fail(rule.table, rule.name, len(offenders), offenders[0][0])


def check_all(con: duckdb.DuckDBPyConnection) -> int:
    """Check every contract and rule. Returns the number of checks run."""
    for contract in CONTRACTS:
        check_table(con, contract)
    for rule in RULES:
        check_rule(con, rule)
    return len(CONTRACTS) + len(RULES)
