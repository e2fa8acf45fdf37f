"""GLD by area, year and pupil group: stage each source, then keep the best value for each key.

Every source becomes a frame of *candidates* (area_code, year, pupil_group, pct, children,
achieved, source, priority). For each key the candidate with the lowest priority number wins, so
which source is preferred where is written in one place (the PRIORITY table below) rather than
spread through the code. Counts are attached afterwards: published counts where a source has
them, otherwise estimates for 2023 onwards, each labelled with its basis.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from etl import raw_files, readers
from etl.ambition import TARGET_YEAR
from etl.areas import AreaResolver
from etl.errors import BuildError
from etl.reorganisations import ENGLAND_CODE, FIRST_YEAR, FORMER_LAS

# The ONS mid-year population estimate in `ons-mye-lad-policyengine/age.csv`. Cohorts are estimated
# up to the year of the national ambition (TARGET_YEAR, 2027/28).
POPULATION_YEAR = 2023

CANDIDATE_COLUMNS = [
    "area_code",
    "year",
    "pupil_group",
    "pct",
    "decimals",
    "children",
    "achieved",
    "source",
    "priority",
]

# Pupil groups. "all_other" (not known to be eligible: not eligible or eligibility unknown) is the
# group DfE's published FSM gap compares with; "not_eligible" (unknown excluded) is all LAIT has
# from 2021/22 on. They are different measures and never share a series.
PUPIL_GROUPS = ("all", "fsm", "all_other", "not_eligible")

# Lower wins. Official files with 1 dp values and counts first; LAIT's whole-number old-framework
# FSM values last. The 2018/19 district tables count pupils by where they live, so their sums
# differ from the published LA figures (up to 1.8 points): they are used only where no LA figure
# exists.
PRIORITY = {
    "ees_headline": 0,
    "ees_headline_derived": 0,
    "national_2019": 0,
    "ees_2022": 1,
    "aps": 1,
    "smapey": 2,
    "fingertips": 3,
    "lait": 4,
    "district_2019": 5,
    "lait_2015": 6,
}

SOURCE_LABELS = {
    "ees_headline": "DfE EYFSP headline measures by characteristics (Explore Education Statistics, multi-year file)",
    "ees_headline_derived": "DfE EYFSP headline measures (all other = not eligible + unknown, from published counts)",
    "national_2019": "DfE EYFSP 2018/19 national additional tables (1 dp from published counts)",
    "ees_2022": "DfE EYFSP 2021/22 headline measures (Explore Education Statistics)",
    "aps": "DfE EYFSP 2013 to 2019 time series (APS/GLD file)",
    "smapey": "DfE SMAPEY dashboard data (2016–2018, 1 dp)",
    "district_2019": "DfE EYFSP 2018/19 district tables, summed to upper tier",
    "fingertips": "OHID Fingertips indicator 90632 (FSM GLD)",
    "lait": "DfE LAIT",
    "lait_2015": "DfE LAIT (version of May 2025, 2014/15 values)",
}

LAIT_GROUPS = {"FSP_NEW_GOODDEV": "all", "FSP_Gooddev_FSM": "fsm", "FSP_Gooddev_FSM_Other": "non_fsm"}
# LAIT's FSM and non-FSM values up to 2018/19 are whole numbers (its all-pupil values have 1 dp).
LAIT_WHOLE_NUMBERS_UNTIL = 2019


def _candidates(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """A staged frame as candidates of one source; `decimals` defaults to 1 (the value's precision)."""
    out = frame.copy()
    for column in ("children", "achieved"):
        if column not in out:
            out[column] = np.nan
    if "decimals" not in out:
        out["decimals"] = 1
    out["source"] = source
    out["priority"] = PRIORITY[source]
    out = out[out["area_code"].notna() & out["pct"].notna()]
    return out[CANDIDATE_COLUMNS]


def stage_lait(lait: pd.DataFrame, resolver: AreaResolver, file: str, source: str) -> pd.DataFrame:
    """LAIT GLD measures → candidates, with the known Dorset 2018 misfiling fixed.

    LAIT's non-FSM measure is "all other" pupils up to 2018/19 and "not eligible" (unknown
    excluded) from 2021/22. Its old-framework FSM and non-FSM values are whole numbers.
    """
    frame = lait[lait["measure"].isin(LAIT_GROUPS)].copy()
    old = frame["year"] <= LAIT_WHOLE_NUMBERS_UNTIL
    group = frame["measure"].map(LAIT_GROUPS)
    frame["pupil_group"] = np.where(group == "non_fsm", np.where(old, "all_other", "not_eligible"), group)
    frame["decimals"] = np.where(old & (group != "all"), 0, 1)
    frame["area_code"] = resolver.map_numbers(frame["la_number"], file, "LA Number")
    frame = fix_lait_dorset(frame)
    frame = frame.rename(columns={"value": "pct"})
    if source == "lait_2015":
        frame = frame[frame["year"] == 2015]
    return _candidates(frame, source)


def fix_lait_dorset(frame: pd.DataFrame) -> pd.DataFrame:
    """LAIT files pre-2019 Dorset values under the new Dorset (838) where "Dorset (Pre LG)" is empty.

    A value for the unitary Dorset before it existed belongs to the former county (835), and is
    kept there only if the county has no value of its own for that year and group.
    """
    dorset_new, dorset_old = "E06000059", "E10000009"
    early = (frame["area_code"] == dorset_new) & (frame["year"] < FIRST_YEAR[dorset_new])
    moved = frame[early & frame["value"].notna()].assign(area_code=dorset_old)
    kept = frame[~early]
    has_own = kept[(kept["area_code"] == dorset_old) & kept["value"].notna()][["year", "pupil_group"]]
    moved = moved.merge(has_own, on=["year", "pupil_group"], how="left", indicator=True)
    moved = moved[moved["_merge"] == "left_only"].drop(columns="_merge")
    return pd.concat([kept, moved], ignore_index=True)


def stage_aps(aps: pd.DataFrame, resolver: AreaResolver) -> pd.DataFrame:
    """The 2013–2019 file → all-pupil candidates with published counts (LAs, regions, England)."""
    file = raw_files.APS_FILE
    level = aps["geographic_level"]
    code = np.where(
        level == "National",
        ENGLAND_CODE,
        np.where(level == "Regional", aps["region_code"], aps["new_la_code"]),
    )
    frame = pd.DataFrame(
        {
            "code": code,
            "year": aps["year"].to_numpy(),
            "pct": aps["gld_percent"].to_numpy(),
            "children": aps["number_of_children"].to_numpy(),
            "achieved": aps["gld_number"].to_numpy(),
        }
    )
    # Inner and Outer London (E13) are sub-regions, not areas of this product.
    frame = frame[~frame["code"].str.startswith("E13")]
    frame["area_code"] = resolver.map_ons(frame["code"], file, "new_la_code")
    frame["pupil_group"] = "all"
    return _candidates(frame, "aps")


def stage_ees(ees: pd.DataFrame, resolver: AreaResolver, file: str, source: str) -> pd.DataFrame:
    """An official headline-measures file → all/FSM/all-other/not-eligible candidates with counts.

    Where a file splits "all other" into "not eligible" and "unknown" (as files after 2021/22 do),
    "all other" is derived from their published counts: DfE's FSM gap compares with it.
    """
    ees = ees[ees["geographic_level"] != "Local authority district"]
    level = ees["geographic_level"]
    code = np.where(
        level == "National",
        ENGLAND_CODE,
        np.where(level == "Regional", ees["region_code"], ees["new_la_code"]),
    )
    frame = pd.DataFrame(
        {
            "code": code,
            "year": ees["year"].to_numpy(),
            "pupil_group": ees["pupil_group"].to_numpy(),
            "pct": ees["gld_percentage"].round(1).to_numpy(),
            "children": ees["children_number"].to_numpy(),
            "achieved": ees["gld_number"].to_numpy(),
        }
    )
    frame = frame[~frame["code"].str.startswith("E13")]
    frame["area_code"] = resolver.map_ons(frame["code"], file, "new_la_code")
    derived = derive_all_other(frame)
    staged = _candidates(frame[frame["pupil_group"] != "unknown"], source)
    if derived.empty:
        return staged
    return pd.concat([staged, _candidates(derived, f"{source}_derived")], ignore_index=True)


def derive_all_other(frame: pd.DataFrame) -> pd.DataFrame:
    """'All other' = not eligible + unknown, summed from published counts, where a file has no such row.

    Returns rows (area_code, year, pupil_group='all_other', pct, children, achieved) only where
    both parts have counts; empty when the file gives "all other" itself.
    """
    parts = frame[frame["pupil_group"].isin(["not_eligible", "unknown"])]
    if parts.empty:
        return frame.iloc[0:0]
    summed = parts.groupby(["area_code", "year"], as_index=False).agg(
        parts=("pupil_group", "nunique"),
        children=("children", lambda s: s.sum(min_count=len(s))),
        achieved=("achieved", lambda s: s.sum(min_count=len(s))),
    )
    given = frame.loc[frame["pupil_group"] == "all_other", ["area_code", "year"]].assign(given=True)
    summed = summed.merge(given, on=["area_code", "year"], how="left")
    summed = summed[(summed["parts"] == 2) & summed["given"].isna() & (summed["children"] > 0)]
    summed = summed.dropna(subset=["children", "achieved"])
    summed["pct"] = (100 * summed["achieved"] / summed["children"]).round(1)
    summed["pupil_group"] = "all_other"
    return summed[["area_code", "year", "pupil_group", "pct", "children", "achieved"]]


def stage_national_2019(national: pd.DataFrame) -> pd.DataFrame:
    """England's FSM and all-other GLD 2012/13–2018/19, at 1 dp from the published counts.

    The file's own percentages are whole numbers; LAIT's too. England FSM 2018/19: 50,732 of
    89,742 children = 56.5%.
    """
    frame = national.assign(
        area_code=ENGLAND_CODE,
        children=national["number_of_pupils"],
        achieved=national["gld_number"],
        pct=(100 * national["gld_number"] / national["number_of_pupils"]).round(1),
    )
    return _candidates(frame[frame["children"] > 0], "national_2019")


def stage_smapey(smapey: pd.DataFrame, resolver: AreaResolver) -> pd.DataFrame:
    """SMAPEY → all/FSM/all-other candidates for 2016–2018 (1 dp), with 2018 cohort sizes."""
    file = raw_files.SMAPEY_FILE
    area = resolver.map_numbers(smapey["LA_Code"].str.zfill(3), file, "LA_Code")
    groups = {"All": "all", "FSM": "fsm", "All_Other": "all_other"}
    parts = []
    for prefix, group in groups.items():
        for year in (2016, 2017, 2018):
            children = smapey[f"{prefix}_Number_GLD_2018_LA"] if year == 2018 else np.nan
            parts.append(
                pd.DataFrame(
                    {
                        "area_code": area,
                        "year": year,
                        "pupil_group": group,
                        "pct": smapey[f"{prefix}_Percent_GLD_{year}_LA"],
                        "children": children,
                    }
                )
            )
    return _candidates(pd.concat(parts, ignore_index=True), "smapey")


def stage_fingertips(fingertips: pd.DataFrame, resolver: AreaResolver) -> pd.DataFrame:
    """Fingertips 90632 → FSM candidates 2013–2018 (England and LAs; combined authorities dropped)."""
    file = raw_files.FINGERTIPS_FSM_FILE
    frame = fingertips[~fingertips["area_code"].str.startswith("E47")].copy()
    frame["area_code"] = resolver.map_ons(frame["area_code"], file, "area_code")
    frame["pupil_group"] = "fsm"
    frame = frame.rename(columns={"value": "pct"})
    return _candidates(frame, "fingertips")


def district_to_la_2019(hierarchy: pd.DataFrame, resolver: AreaResolver) -> dict[str, str]:
    """Map each 2019 district code to its upper-tier LA (as the LA then existed)."""
    file = raw_files.WARD_HIERARCHY_FILE
    first = pd.to_numeric(hierarchy["first_available_year_included"], errors="coerce")
    last = pd.to_numeric(hierarchy["most_recent_year_included"], errors="coerce")
    english = hierarchy["new_la_code"].str.startswith("E")
    # A district that ended before 2019 (e.g. West Somerset) still appears in the 2018/19 file:
    # take, for each district, its LA in the latest year up to 2019 in which it is listed.
    rows = hierarchy[english & (first <= 2019)].assign(last=last.clip(upper=2019))
    in_2019 = (
        rows.sort_values("last")[["lad_code", "new_la_code", "last"]]
        .drop_duplicates("lad_code", keep="last")
        .drop(columns="last")
    )
    in_2019 = in_2019.assign(area_code=resolver.map_ons(in_2019["new_la_code"], file, "new_la_code"))
    return dict(zip(in_2019["lad_code"], in_2019["area_code"]))


def stage_districts_2019(districts: pd.DataFrame, lad_to_la: dict[str, str]) -> pd.DataFrame:
    """Sum the 2018/19 district rows to upper tier: FSM/all-other/all candidates with counts.

    The `No match` row (pupils whose district was not known) belongs to no LA and is dropped.
    """
    file = raw_files.DISTRICT_2019_FILE
    rows = districts[districts["geographic_level"].str.strip() == "Local Authority district"].copy()
    rows = rows[rows["LAD_Number"].str.startswith("E")]
    unknown = ~rows["LAD_Number"].isin(lad_to_la.keys())
    if unknown.any():
        example = rows.loc[unknown, "LAD_Number"].iloc[0]
        raise BuildError(f"data/raw/{file}: column 'LAD_Number' has an unknown district {example!r}")
    rows["area_code"] = rows["LAD_Number"].map(lad_to_la)
    rows["pupil_group"] = rows["fsm"].str.strip().map({"Total": "all", "FSM": "fsm", "All_other": "all_other"})
    if rows["pupil_group"].isna().any():
        example = rows.loc[rows["pupil_group"].isna(), "fsm"].iloc[0]
        raise BuildError(f"data/raw/{file}: column 'fsm' has an unexpected value {example!r}")
    summed = rows.groupby(["area_code", "pupil_group"], as_index=False)[["number_of_pupils", "gld_number"]].sum(
        min_count=1
    )
    summed = summed[summed["number_of_pupils"] > 0]
    summed["year"] = 2019
    summed["children"] = summed["number_of_pupils"]
    summed["achieved"] = summed["gld_number"]
    summed["pct"] = (100 * summed["achieved"] / summed["children"]).round(1)
    return _candidates(summed, "district_2019")


def pick_best(candidates: pd.DataFrame) -> pd.DataFrame:
    """Keep, for each (area, year, group), the candidate with the lowest priority number."""
    ordered = candidates.sort_values(["area_code", "year", "pupil_group", "priority"], kind="stable")
    return ordered.drop_duplicates(["area_code", "year", "pupil_group"], keep="first").reset_index(drop=True)


def stage_published_cohorts(cohorts: pd.DataFrame, resolver: AreaResolver) -> pd.DataFrame:
    """2013–2019 published cohort sizes by FSM group: area_code, year, pupil_group, children."""
    file = raw_files.FSM_COHORT_FILE
    level = cohorts["geographic_level"]
    code = np.where(
        level == "National",
        ENGLAND_CODE,
        np.where(level == "Regional", cohorts["region_code"], cohorts["new_la_code"]),
    )
    frame = pd.DataFrame(
        {
            "code": code,
            "year": cohorts["year"].to_numpy(),
            "pupil_group": cohorts["fsm"].map({"Total": "all", "FSM": "fsm", "All other pupils": "all_other"}),
            "cohort_children": cohorts["number_of_pupils"].to_numpy(),
        }
    )
    frame = frame[~frame["code"].str.startswith("E13") & frame["pupil_group"].notna()]
    frame["area_code"] = resolver.map_ons(frame["code"], file, "new_la_code")
    return frame.drop(columns="code").drop_duplicates(["area_code", "year", "pupil_group"])


def attach_counts(best: pd.DataFrame, cohorts: pd.DataFrame) -> pd.DataFrame:
    """Fill cohort sizes from the published cohort table where the winning source had none."""
    merged = best.merge(cohorts, on=["area_code", "year", "pupil_group"], how="left")
    merged["children"] = merged["children"].fillna(merged["cohort_children"])
    merged["counts_basis"] = np.where(merged["children"].notna(), "published", None)
    return merged.drop(columns="cohort_children")


def drop_empty_cohorts(gld: pd.DataFrame) -> pd.DataFrame:
    """Drop values for a published cohort of no children (LAIT gives 0% for them: Isles of Scilly
    and City of London FSM in 2017/18–2018/19). A share of no children is undefined, not 0%."""
    return gld[~(gld["children"] == 0)].reset_index(drop=True)


def stage_population(population: pd.DataFrame, ctyua: pd.DataFrame, resolver: AreaResolver) -> pd.DataFrame:
    """ONS mid-2023 population by single year of age, summed from districts to current upper-tier LAs.

    Returns:
        area_code, age, population (LAs only; regions and England are summed where needed).
    """
    file = raw_files.POPULATION_FILE
    english = population[population["code"].str.startswith("E")]
    lad_to_la = dict(zip(ctyua["LAD24CD"], ctyua["CTYUA24CD"]))
    unknown = ~english["code"].isin(lad_to_la.keys())
    if unknown.any():
        example = english.loc[unknown, "code"].iloc[0]
        raise BuildError(f"data/raw/{file}: column 'code' has a district not in the May 2024 lookup: {example!r}")
    english = english.assign(area_code=resolver.map_ons(english["code"].map(lad_to_la), file, "code"))
    ages = [column for column in english.columns if column.isdigit()]
    long = english.melt(id_vars=["area_code"], value_vars=ages, var_name="age", value_name="population")
    long["age"] = long["age"].astype(int)
    return long.groupby(["area_code", "age"], as_index=False)["population"].sum()


def population_of_every_area(population: pd.DataFrame, areas: pd.DataFrame) -> pd.DataFrame:
    """Population by age for each LA, region, England, and each former LA whose successors came
    from it alone (Northamptonshire, Cumbria: the sum of their successors).

    Returns:
        area_code, age, population.
    """
    level = areas.set_index("area_code")["level"]
    las = population[population["area_code"].map(level) == "la"]
    region_of = areas.set_index("area_code")["region_code"]
    regions = (
        las.assign(area_code=las["area_code"].map(region_of))
        .groupby(["area_code", "age"], as_index=False)["population"]
        .sum()
    )
    england = las.groupby("age", as_index=False)["population"].sum().assign(area_code=ENGLAND_CODE)
    formers = []
    for former in whole_former_las():
        part = las[las["area_code"].isin(former.successors)]
        formers.append(part.groupby("age", as_index=False)["population"].sum().assign(area_code=former.area_code))
    return pd.concat([las, regions, england, *formers], ignore_index=True)


def whole_former_las() -> list:
    """Former LAs whose successors were made from them alone (so their area is the successors')."""
    shared = {}
    for former in FORMER_LAS:
        for successor in former.successors:
            shared[successor] = shared.get(successor, 0) + 1
    return [former for former in FORMER_LAS if all(shared[s] == 1 for s in former.successors)]


def _age_at_population_year(year: int) -> int:
    """The single year of age, at mid-POPULATION_YEAR, of the cohort at the end of Reception in summer `year`."""
    return POPULATION_YEAR + 5 - year


def cohort_anchors(published: pd.DataFrame, population: pd.DataFrame, base_year: int) -> pd.DataFrame:
    """Each area's published cohort in `base_year`, the anchor its estimates are moved from.

    An area with no published count of its own in that year but whose predecessor has one (Cumberland,
    Westmorland and Furness from Cumbria's 2021/22 count) gets the predecessor's count shared by the
    ONS population of that age group.

    Args:
        published: area_code, pupil_group ('all' | 'fsm'), children — published counts in `base_year`.
        population: `population_of_every_area`.

    Returns:
        area_code, children_all, fsm_share (null where no FSM count), anchored_on (the area whose
        count is used).
    """
    wide = published.pivot_table(index="area_code", columns="pupil_group", values="children", aggfunc="first")
    wide = wide.reindex(columns=["all", "fsm"])
    own = pd.DataFrame(
        {
            "area_code": wide.index,
            "children_all": wide["all"].to_numpy(),
            "fsm_share": (wide["fsm"] / wide["all"]).to_numpy(),
            "anchored_on": wide.index,
        }
    ).dropna(subset=["children_all"])
    base_age = _age_at_population_year(base_year)
    at_base = population[population["age"] == base_age].set_index("area_code")["population"]
    shared = []
    for former in whole_former_las():
        if former.area_code not in set(own["area_code"]):
            continue
        anchor = own[own["area_code"] == former.area_code].iloc[0]
        for successor in former.successors:
            if successor in set(own["area_code"]) or successor not in at_base.index:
                continue
            share = at_base[successor] / at_base[former.area_code]
            shared.append(
                {
                    "area_code": successor,
                    "children_all": anchor["children_all"] * share,
                    "fsm_share": anchor["fsm_share"],
                    "anchored_on": former.area_code,
                }
            )
    return pd.concat([own, pd.DataFrame(shared)], ignore_index=True) if shared else own


def estimate_cohorts(
    published: pd.DataFrame,
    population: pd.DataFrame,
    primary_fsm: pd.DataFrame,
    base_year: int,
    years: list[int],
    names: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Estimated Reception cohorts for `years`, anchored on the published cohorts of `base_year`.

    All children: the area's published `base_year` cohort × the ONS change in the year group, i.e.
    mid-2023 population at the later cohort's age ÷ at the base cohort's age (same date, so the
    ratio is the difference in size between the two year groups). ONS population alone runs high
    (England +6.6% against the 2021/22 assessed cohort, some London boroughs +34–40%) because not
    every resident child is assessed in a state-funded school there; the ratio cancels that.
    FSM children: that × the area's FSM share of its `base_year` cohort, scaled by the square root of
    the change in its primary FSM rate since that January (England's share, scaled by the LA's rate
    against England's, where the LA has no FSM count). The square root because Reception's FSM share
    rises more slowly than the rate of all primary pupils, who keep their eligibility as they move
    up: in back-tests over 2015/16→2018/19 and 2018/19→2021/22 it gave a median error of 8.5% and
    8.4%, against 9.5% and 14.0% for the full change and 11.8% and 22.9% for none. No estimate where
    an area has no anchor or no FSM rate.

    Args:
        published: area_code, pupil_group ('all' | 'fsm'), children in `base_year`.
        population: `population_of_every_area`.
        primary_fsm: area_code, year, pct_primary_fsm.
        names: area names, for the basis of estimates anchored on a predecessor.

    Returns:
        area_code, year, pupil_group ('all' | 'fsm'), children (float), counts_basis.
    """
    names = names or {}
    anchors = cohort_anchors(published, population, base_year)
    base_age = _age_at_population_year(base_year)
    by_age = population.set_index(["area_code", "age"])["population"]
    fsm_rate = primary_fsm.dropna(subset=["pct_primary_fsm"]).set_index(["area_code", "year"])["pct_primary_fsm"]
    latest_rate_year = int(primary_fsm["year"].max())
    rate_base_year = min(base_year, latest_rate_year)  # the January census may not yet cover the base year
    england = anchors[anchors["area_code"] == ENGLAND_CODE]
    england_share = float(england["fsm_share"].iloc[0]) if not england.empty else np.nan
    england_rate_base = fsm_rate.get((ENGLAND_CODE, rate_base_year), np.nan)
    base_label = f"{base_year - 1}/{base_year % 100:02d}"
    rows = []
    for year in years:
        age = _age_at_population_year(year)
        rate_year = min(year, latest_rate_year)
        for anchor in anchors.itertuples(index=False):
            code = anchor.area_code
            then, now = by_age.get((code, base_age), np.nan), by_age.get((code, age), np.nan)
            if not then or pd.isna(then) or pd.isna(now):
                continue
            children = anchor.children_all * now / then
            origin = (
                f"{base_label} published cohort"
                if anchor.anchored_on == code
                else f"{names.get(anchor.anchored_on, anchor.anchored_on)}'s {base_label} published cohort shared "
                "by ONS population"
            )
            moved = f"× ONS change in the year group (mid-{POPULATION_YEAR} population aged {age} ÷ aged {base_age})"
            rows.append((code, year, "all", children, f"estimated: {origin} {moved}"))
            rate_now = fsm_rate.get((code, rate_year), np.nan)
            rate_base = fsm_rate.get((code, rate_base_year), np.nan)
            share, share_text = anchor.fsm_share * np.sqrt(rate_now / rate_base), f"{base_label} FSM share"
            if not np.isfinite(share):  # no FSM count, or no rate in the base January (an LA created since)
                england_now = fsm_rate.get((ENGLAND_CODE, rate_year), np.nan)
                share = england_share * np.sqrt(england_now / england_rate_base) * rate_now / england_now
                share_text = f"England's {base_label} FSM share × the LA's primary FSM rate relative to England's"
            if np.isfinite(share):
                rows.append(
                    (
                        code,
                        year,
                        "fsm",
                        children * share,
                        f"estimated: all-children estimate × {share_text}, scaled by the square root of the "
                        f"change in primary FSM rate to January {rate_year}",
                    )
                )
    return pd.DataFrame(rows, columns=["area_code", "year", "pupil_group", "children", "counts_basis"])


def published_counts(gld: pd.DataFrame, year: int) -> pd.DataFrame:
    """Published cohort sizes (all and FSM) of every area in one year: area_code, pupil_group, children."""
    rows = gld[(gld["year"] == year) & gld["pupil_group"].isin(["all", "fsm"]) & (gld["counts_basis"] == "published")]
    return rows[["area_code", "pupil_group", "children"]].dropna(subset=["children"])


def backtest_cohorts(
    gld_all_areas: pd.DataFrame,
    population: pd.DataFrame,
    primary_fsm: pd.DataFrame,
    areas: pd.DataFrame,
    base_year: int = 2019,
    test_year: int = 2022,
) -> pd.DataFrame:
    """Estimate `test_year`'s cohorts from `base_year`'s published counts and compare with the published ones.

    The estimate uses exactly the production method (`estimate_cohorts`); raw ONS population at the
    cohort's age (the method it replaced) is given beside it.

    Args:
        gld_all_areas: GLD rows of current and former areas (with counts_basis).

    Returns:
        area_code, pupil_group, published, estimated, ons_population, error_pct, ons_error_pct — one
        row per LA (current, or former in `test_year`) with a published count in both years.
    """
    estimates = estimate_cohorts(
        published_counts(gld_all_areas, base_year), population, primary_fsm, base_year, [test_year]
    )
    actual = published_counts(gld_all_areas, test_year).rename(columns={"children": "published"})
    compared = actual.merge(estimates[["area_code", "pupil_group", "children"]], on=["area_code", "pupil_group"])
    compared = compared.rename(columns={"children": "estimated"})
    not_las = set(areas.loc[areas["level"] != "la", "area_code"])
    compared = compared[~compared["area_code"].isin(not_las)]
    ons = population[population["age"] == _age_at_population_year(test_year)].set_index("area_code")["population"]
    compared["ons_population"] = compared["area_code"].map(ons).where(compared["pupil_group"] == "all")
    compared["estimated"] = compared["estimated"].round()
    compared["error_pct"] = (100 * (compared["estimated"] - compared["published"]) / compared["published"]).round(1)
    compared["ons_error_pct"] = (
        100 * (compared["ons_population"] - compared["published"]) / compared["published"]
    ).round(1)
    return compared.sort_values(["pupil_group", "area_code"]).reset_index(drop=True)


def apply_estimates(gld: pd.DataFrame, estimates: pd.DataFrame) -> pd.DataFrame:
    """Give all and FSM rows with no published count an estimated cohort and achieved count, labelled so."""
    merged = gld.merge(
        estimates.rename(columns={"children": "est_children", "counts_basis": "est_basis"}),
        on=["area_code", "year", "pupil_group"],
        how="left",
    )
    use = merged["children"].isna() & merged["est_children"].notna()
    merged.loc[use, "children"] = merged.loc[use, "est_children"]
    merged.loc[use, "achieved"] = (merged.loc[use, "est_children"] * merged.loc[use, "pct"] / 100).round()
    merged.loc[use, "counts_basis"] = merged.loc[use, "est_basis"]
    return merged.drop(columns=["est_children", "est_basis"])


def finish(gld: pd.DataFrame) -> pd.DataFrame:
    """Final column order and types for the `gld` table."""
    out = gld.copy()
    out["framework"] = np.where(out["year"] <= 2019, "2013-2019", "2022 onwards")
    out["source"] = out["source"].map(SOURCE_LABELS)
    out["pct"] = out["pct"].round(1)
    out["decimals"] = out["decimals"].astype("int64")
    out["children"] = readers.as_int_or_nan(out["children"])
    out["achieved"] = readers.as_int_or_nan(out["achieved"])
    out["year"] = out["year"].astype("int64")
    columns = [
        "area_code",
        "year",
        "pupil_group",
        "pct",
        "decimals",
        "children",
        "achieved",
        "counts_basis",
        "framework",
        "source",
    ]
    return out[columns].sort_values(["area_code", "pupil_group", "year"]).reset_index(drop=True)


def split_former(gld: pd.DataFrame, areas: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Separate rows of former LAs (kept in their own table) from current areas."""
    former_codes = {former.area_code for former in FORMER_LAS}
    is_former = gld["area_code"].isin(former_codes)
    return gld[~is_former].reset_index(drop=True), gld[is_former].reset_index(drop=True)


def build_gld(
    raw_dir: Path,
    resolver: AreaResolver,
    areas: pd.DataFrame,
    primary_fsm: pd.DataFrame,
    lait: pd.DataFrame,
    ees: pd.DataFrame,
    newer_ees: list[pd.DataFrame] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Build the `gld`, `gld_former_las`, `cohort_estimates` and `cohort_backtest` tables.

    Args:
        ees: the 2021/22 file's all-pupil and FSM rows (`readers.headline_rows` of `readers.read_ees_2022`).
        newer_ees: the multi-year headline file when it has been fetched (else empty); it is
            preferred to every other source for the years it covers.

    Returns:
        (gld, gld_former_las, cohort_estimates, cohort_backtest).
    """
    newer_ees = newer_ees or []
    lait_2015 = readers.read_lait(raw_dir, raw_files.LAIT_2015_FILE, list(LAIT_GROUPS))
    hierarchy = readers.read_ward_hierarchy(raw_dir)
    candidates = pd.concat(
        [
            stage_lait(lait, resolver, raw_files.LAIT_FILE, "lait"),
            stage_lait(lait_2015, resolver, raw_files.LAIT_2015_FILE, "lait_2015"),
            stage_aps(readers.read_aps(raw_dir), resolver),
            stage_national_2019(readers.read_national_2019(raw_dir)),
            stage_ees(ees, resolver, raw_files.EES_2022_FILE, "ees_2022"),
            *[stage_ees(frame, resolver, raw_files.EES_HEADLINE_FILE, "ees_headline") for frame in newer_ees],
            stage_smapey(readers.read_smapey(raw_dir), resolver),
            stage_fingertips(readers.read_fingertips_fsm(raw_dir), resolver),
            stage_districts_2019(readers.read_districts_2019(raw_dir), district_to_la_2019(hierarchy, resolver)),
        ],
        ignore_index=True,
    )
    best = pick_best(candidates)
    best = attach_counts(best, stage_published_cohorts(readers.read_fsm_cohorts(raw_dir), resolver))
    best = drop_empty_cohorts(best)
    current, former = split_former(best, areas)
    ladder = stage_population(readers.read_population(raw_dir), readers.read_ctyua_lookup(raw_dir), resolver)
    population = population_of_every_area(ladder, areas)
    # The latest year with published FSM cohorts (2021/22 from the 2022 file alone; later when the
    # multi-year headline file has been fetched) is the anchor of every estimate.
    with_counts = best[(best["counts_basis"] == "published") & (best["pupil_group"] == "fsm")]
    base_year = int(with_counts["year"].max())
    names = {former_la.area_code: former_la.name for former_la in FORMER_LAS}
    estimates = estimate_cohorts(
        published_counts(best, base_year),
        population,
        primary_fsm,
        base_year,
        list(range(base_year + 1, TARGET_YEAR + 1)),
        names,
    )
    estimates = estimates[~estimates["area_code"].isin(names)]
    current = apply_estimates(current, estimates)
    backtest = backtest_cohorts(best, population, primary_fsm, areas)
    former_named = finish(former).merge(
        pd.DataFrame([{"area_code": f.area_code, "name": f.name} for f in FORMER_LAS]), on="area_code"
    )
    cohort_estimates = estimates.assign(children=readers.as_int_or_nan(estimates["children"]))
    return finish(current), former_named, cohort_estimates, backtest
