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

from etl import readers
from etl.areas import AreaResolver
from etl.errors import BuildError
from etl.reorganisations import ENGLAND_CODE, FIRST_YEAR, FORMER_LAS

# The ONS mid-year population estimate in `ons-mye-lad-policyengine/age.csv`, and the year of the
# national ambition (2027/28), up to which cohorts are estimated.
POPULATION_YEAR = 2023
TARGET_YEAR = 2028

CANDIDATE_COLUMNS = ["area_code", "year", "pupil_group", "pct", "children", "achieved", "source", "priority"]

# Lower wins. Official files with 1 dp values and counts first; LAIT's whole-number old-framework
# FSM values last. For 2022 non-FSM LAIT comes first: it uses the "not eligible" definition of
# 2022–2025, so the new-framework FSM gap is measured one way throughout. The 2018/19 district
# tables count pupils by where they live, so their sums differ from the published LA figures
# (up to 1.8 points): they are used only where no LA figure exists.
PRIORITY = {
    "ees_headline": 0,
    "ees_2022": 1,
    "aps": 1,
    "lait_non_fsm_2022": 1,
    "smapey": 2,
    "fingertips": 3,
    "lait": 4,
    "district_2019": 5,
    "ees_2022_not_known": 5,
    "ees_headline_not_known": 5,
    "lait_2015": 6,
}

SOURCE_LABELS = {
    "ees_headline": "DfE EYFSP headline measures by characteristics (Explore Education Statistics, multi-year file)",
    "ees_headline_not_known": "DfE EYFSP headline measures (not known to be eligible for FSM)",
    "ees_2022": "DfE EYFSP 2021/22 headline measures (Explore Education Statistics)",
    "aps": "DfE EYFSP 2013 to 2019 time series (APS/GLD file)",
    "lait_non_fsm_2022": "DfE LAIT (FSP_Gooddev_FSM_Other: not eligible for FSM)",
    "smapey": "DfE SMAPEY dashboard data (2016–2018, 1 dp)",
    "district_2019": "DfE EYFSP 2018/19 district tables, summed to upper tier",
    "fingertips": "OHID Fingertips indicator 90632 (FSM GLD)",
    "lait": "DfE LAIT",
    "ees_2022_not_known": "DfE EYFSP 2021/22 (not known to be eligible for FSM)",
    "lait_2015": "DfE LAIT (version of May 2025, 2014/15 values)",
}

LAIT_GROUPS = {"FSP_NEW_GOODDEV": "all", "FSP_Gooddev_FSM": "fsm", "FSP_Gooddev_FSM_Other": "non_fsm"}


def _candidates(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    out = frame.copy()
    for column in ("children", "achieved"):
        if column not in out:
            out[column] = np.nan
    out["source"] = source
    out["priority"] = PRIORITY[source]
    out = out[out["area_code"].notna() & out["pct"].notna()]
    return out[CANDIDATE_COLUMNS]


def stage_lait(lait: pd.DataFrame, resolver: AreaResolver, file: str, source: str) -> pd.DataFrame:
    """LAIT GLD measures → candidates, with the known Dorset 2018 misfiling fixed."""
    frame = lait[lait["measure"].isin(LAIT_GROUPS)].copy()
    frame["pupil_group"] = frame["measure"].map(LAIT_GROUPS)
    frame["area_code"] = resolver.map_numbers(frame["la_number"], file, "LA Number")
    frame = fix_lait_dorset(frame)
    frame = frame.rename(columns={"value": "pct"})
    if source == "lait":
        non_fsm_2022 = (frame["pupil_group"] == "non_fsm") & (frame["year"] == 2022)
        return pd.concat(
            [
                _candidates(frame[~non_fsm_2022], "lait"),
                _candidates(frame[non_fsm_2022], "lait_non_fsm_2022"),
            ],
            ignore_index=True,
        )
    return _candidates(frame[frame["year"] == 2015], source)


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
    file = readers.APS_FILE
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
    """An official headline-measures file → all/FSM/non-FSM candidates with published counts.

    'All other' (not known to be eligible, the 2021/22 non-FSM definition) becomes a fallback
    candidate, so the "not eligible" definition wins wherever a source has it.
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
            "pupil_group": ees["pupil_group"].replace({"all_other": "non_fsm"}).to_numpy(),
            "all_other": (ees["pupil_group"] == "all_other").to_numpy(),
            "pct": ees["gld_percentage"].round(1).to_numpy(),
            "children": ees["children_number"].to_numpy(),
            "achieved": ees["gld_number"].to_numpy(),
        }
    )
    frame = frame[~frame["code"].str.startswith("E13")]
    frame["area_code"] = resolver.map_ons(frame["code"], file, "new_la_code")
    return pd.concat(
        [
            _candidates(frame[~frame["all_other"]], source),
            _candidates(frame[frame["all_other"]], f"{source}_not_known"),
        ],
        ignore_index=True,
    )


def stage_smapey(smapey: pd.DataFrame, resolver: AreaResolver) -> pd.DataFrame:
    """SMAPEY → all/FSM/all-other candidates for 2016–2018 (1 dp), with 2018 cohort sizes."""
    file = readers.SMAPEY_FILE
    area = resolver.map_numbers(smapey["LA_Code"].str.zfill(3), file, "LA_Code")
    groups = {"All": "all", "FSM": "fsm", "All_Other": "non_fsm"}
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
    file = readers.FINGERTIPS_FSM_FILE
    frame = fingertips[~fingertips["area_code"].str.startswith("E47")].copy()
    frame["area_code"] = resolver.map_ons(frame["area_code"], file, "area_code")
    frame["pupil_group"] = "fsm"
    frame = frame.rename(columns={"value": "pct"})
    return _candidates(frame, "fingertips")


def district_to_la_2019(hierarchy: pd.DataFrame, resolver: AreaResolver) -> dict[str, str]:
    """Map each 2019 district code to its upper-tier LA (as the LA then existed)."""
    file = readers.WARD_HIERARCHY_FILE
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
    file = readers.DISTRICT_2019_FILE
    rows = districts[districts["geographic_level"].str.strip() == "Local Authority district"].copy()
    rows = rows[rows["LAD_Number"].str.startswith("E")]
    unknown = ~rows["LAD_Number"].isin(lad_to_la.keys())
    if unknown.any():
        example = rows.loc[unknown, "LAD_Number"].iloc[0]
        raise BuildError(f"data/raw/{file}: column 'LAD_Number' has an unknown district {example!r}")
    rows["area_code"] = rows["LAD_Number"].map(lad_to_la)
    rows["pupil_group"] = rows["fsm"].str.strip().map({"Total": "all", "FSM": "fsm", "All_other": "non_fsm"})
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
    file = readers.FSM_COHORT_FILE
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
            "pupil_group": cohorts["fsm"].map({"Total": "all", "FSM": "fsm", "All other pupils": "non_fsm"}),
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
    """ONS mid-2023 population aged 0–5 summed from districts to current upper-tier LAs and England.

    Returns:
        area_code, age, population.
    """
    file = readers.POPULATION_FILE
    english = population[population["code"].str.startswith("E")]
    lad_to_la = dict(zip(ctyua["LAD24CD"], ctyua["CTYUA24CD"]))
    unknown = ~english["code"].isin(lad_to_la.keys())
    if unknown.any():
        example = english.loc[unknown, "code"].iloc[0]
        raise BuildError(f"data/raw/{file}: column 'code' has a district not in the May 2024 lookup: {example!r}")
    english = english.assign(area_code=resolver.map_ons(english["code"].map(lad_to_la), file, "code"))
    long = english.melt(
        id_vars=["area_code"], value_vars=[str(a) for a in range(6)], var_name="age", value_name="population"
    )
    long["age"] = long["age"].astype(int)
    by_la = long.groupby(["area_code", "age"], as_index=False)["population"].sum()
    england = by_la.groupby("age", as_index=False)["population"].sum().assign(area_code=ENGLAND_CODE)
    return pd.concat([by_la, england], ignore_index=True)


def estimate_cohorts(
    gld: pd.DataFrame, population: pd.DataFrame, primary_fsm: pd.DataFrame, areas: pd.DataFrame
) -> pd.DataFrame:
    """Estimated Reception cohorts for the years after the last published counts, up to 2027/28.

    The cohort reaching the end of Reception in year Y was aged about (2028 − Y) at mid-2023,
    so all children = ONS mid-2023 population of that age (school and residence populations differ
    a little). FSM children = that × the LA's FSM share of its Reception cohort in the latest year
    with published FSM counts (the base year: 2021/22 unless a newer official file is present),
    scaled by the change in its primary FSM rate since that January; England's share is used where
    the LA has no base-year cohort of its own. Years are taken from the data, not fixed.

    Returns:
        area_code, year, pupil_group ('all' | 'fsm' | 'non_fsm'), children, counts_basis.
    """
    with_counts = gld[gld["children"].notna()]
    # The latest year with published FSM cohorts (2021/22 from the 2022 file alone; later when the
    # multi-year headline file has been fetched) is the base of the FSM share.
    base_year = int(with_counts.loc[with_counts["pupil_group"] == "fsm", "year"].max())
    base_label = f"{base_year - 1}/{base_year % 100:02d}"
    published = with_counts[with_counts["year"] == base_year]
    share_base = (
        published.pivot_table(index="area_code", columns="pupil_group", values="children", aggfunc="first")
        .pipe(lambda wide: (wide["fsm"] / wide["all"]).rename("fsm_share_base"))
        .reset_index()
    )
    fsm_rate = primary_fsm.set_index(["area_code", "year"])["pct_primary_fsm"]
    latest_fsm_year = int(primary_fsm["year"].max())
    england_share = float(share_base.loc[share_base["area_code"] == ENGLAND_CODE, "fsm_share_base"].iloc[0])
    rows = []
    for year in range(int(with_counts["year"].max()) + 1, TARGET_YEAR + 1):
        # The cohort at the end of Reception in summer `year` was aged POPULATION_YEAR + 5 − year
        # at mid-POPULATION_YEAR.
        age = POPULATION_YEAR + 5 - year
        if age not in set(population["age"]):
            continue
        pop = population[population["age"] == age][["area_code", "population"]]
        frame = pop.merge(share_base, on="area_code", how="left")
        rate_year = min(year, latest_fsm_year)
        rate_now = pd.Series([fsm_rate.get((code, rate_year), np.nan) for code in frame["area_code"]])
        # The January census may not yet cover the base year: compare like with like.
        rate_base_year = min(base_year, latest_fsm_year)
        rate_base = pd.Series([fsm_rate.get((code, rate_base_year), np.nan) for code in frame["area_code"]])
        england_rate_base = fsm_rate.get((ENGLAND_CODE, rate_base_year), np.nan)
        own = frame["fsm_share_base"] * rate_now / rate_base
        fallback = england_share * rate_now / england_rate_base
        frame["fsm_children"] = (frame["population"] * own.fillna(fallback)).round()
        basis_all = f"estimated: ONS mid-{POPULATION_YEAR} population aged {age}"
        basis_fsm = (
            f"estimated: ONS mid-{POPULATION_YEAR} population aged {age} × {base_label} FSM share of Reception, "
            f"scaled by the change in primary FSM rate to January {rate_year}"
        )
        for group, children, basis in (
            ("all", frame["population"], basis_all),
            ("fsm", frame["fsm_children"], basis_fsm),
            (
                "non_fsm",
                frame["population"] - frame["fsm_children"],
                f"estimated: ONS mid-{POPULATION_YEAR} population aged {age} minus the FSM estimate",
            ),
        ):
            rows.append(
                pd.DataFrame(
                    {
                        "area_code": frame["area_code"],
                        "year": year,
                        "pupil_group": group,
                        "children": children,
                        "counts_basis": basis,
                    }
                )
            )
    # No estimate where the LA's FSM rate is suppressed (e.g. Isles of Scilly): better none than a guess.
    estimates = pd.concat(rows, ignore_index=True).dropna(subset=["children"])
    # Regions: the sum of their LAs.
    region_of = areas.set_index("area_code")["region_code"]
    las = estimates[estimates["area_code"].map(areas.set_index("area_code")["level"]) == "la"]
    regions = (
        las.assign(area_code=las["area_code"].map(region_of))
        .groupby(["area_code", "year", "pupil_group", "counts_basis"], as_index=False)["children"]
        .sum(min_count=1)
    )
    return pd.concat([estimates, regions], ignore_index=True)


def apply_estimates(gld: pd.DataFrame, estimates: pd.DataFrame) -> pd.DataFrame:
    """Give rows with no published count an estimated cohort and achieved count, labelled so."""
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
    out["children"] = readers.as_int_or_nan(out["children"])
    out["achieved"] = readers.as_int_or_nan(out["achieved"])
    out["year"] = out["year"].astype("int64")
    columns = ["area_code", "year", "pupil_group", "pct", "children", "achieved", "counts_basis", "framework", "source"]
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
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Build the `gld`, `gld_former_las` and `cohort_estimates` tables from every GLD source.

    Args:
        ees: the 2021/22 headline file (`readers.read_ees_2022`).
        newer_ees: the multi-year headline file when it has been fetched (else empty); it is
            preferred to every other source for the years it covers.

    Returns:
        (gld, gld_former_las, cohort_estimates).
    """
    newer_ees = newer_ees or []
    lait_2015 = readers.read_lait(raw_dir, readers.LAIT_2015_FILE, list(LAIT_GROUPS))
    hierarchy = readers.read_ward_hierarchy(raw_dir)
    candidates = pd.concat(
        [
            stage_lait(lait, resolver, readers.LAIT_FILE, "lait"),
            stage_lait(lait_2015, resolver, readers.LAIT_2015_FILE, "lait_2015"),
            stage_aps(readers.read_aps(raw_dir), resolver),
            stage_ees(ees, resolver, readers.EES_2022_FILE, "ees_2022"),
            *[stage_ees(frame, resolver, readers.EES_HEADLINE_FILE, "ees_headline") for frame in newer_ees],
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
    population = stage_population(readers.read_population(raw_dir), readers.read_ctyua_lookup(raw_dir), resolver)
    estimates = estimate_cohorts(current, population, primary_fsm, areas)
    current = apply_estimates(current, estimates)
    former_named = finish(former).merge(
        pd.DataFrame([{"area_code": f.area_code, "name": f.name} for f in FORMER_LAS]), on="area_code"
    )
    cohort_estimates = estimates.assign(children=readers.as_int_or_nan(estimates["children"]))
    return finish(current), former_named, cohort_estimates
