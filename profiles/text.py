"""Plain-English caveats and methods shown on the About page (and in exports)."""

from __future__ import annotations

from profiles.groups import TARGET_GROUPS, in_sentence

CAVEATS: list[tuple[str, str]] = [
    (
        "Framework break",
        "The Early Years Foundation Stage Profile was reformed in September 2021. Results for 2012/13 to "
        "2018/19 are not comparable with 2021/22 onwards, so charts draw them as separate, muted segments "
        "and never join them into one line. There was no assessment in 2019/20 or 2020/21 (COVID-19).",
    ),
    (
        "Which children the FSM gap compares with",
        "DfE's published FSM gap compares FSM-eligible children with all other children (not known to be "
        "eligible: not eligible, or eligibility unknown). We use that wherever the files have it: England "
        "2012/13–2018/19 (DfE's national tables), LAs and regions 2014/15–2018/19, and every area in 2021/22 "
        "(the official 2021/22 file). From 2022/23 the files give only children known not to be eligible "
        "(LAIT, unknown excluded), which usually gives a larger gap: England 2021/22 is 19.7 percentage points "
        "against all other children and 20.4 against not eligible; Hackney 2.0 and 7.9. Charts draw the two "
        "as separate lines (solid and dashed), 2021/22 shows both, and every table, CSV and sentence names the "
        "comparison group.",
    ),
    (
        "Precision",
        "Each value is shown as its source published it. LAIT's FSM and non-FSM values up to 2018/19 are "
        "whole numbers (“56%”); every other GLD value has one decimal place, England's 2012/13–2018/19 FSM "
        "figures computed from DfE's published counts (2018/19: 50,732 of 89,742 = 56.5%). A gap takes the "
        "precision of its less precise value. Targets published as whole numbers (Birmingham's 74%) stay whole.",
    ),
    (
        "2028 targets",
        "DfE has not published every LA's target. Every published target we have seen equals the LA's "
        "2023/24 GLD plus 9.0 percentage points, for all and for FSM children, so we derive targets that way "
        "and label them “derived: 2023/24 + 9.0 percentage points”. A published target replaces a derived one "
        "and is labelled “published” with its citation (Rotherham, Birmingham, Gloucestershire, Telford and "
        "Wrekin). Where the rule would exceed 100% or there is no 2023/24 value (for example City of London's "
        "FSM cohort), the target is “not derivable”: enter your own. A target derived from a 2023/24 year "
        "group of under 100 children (for example City of London and the Isles of Scilly) is flagged low "
        "reliability: at that size one year's value can be 9 percentage points from the underlying level by "
        "chance, as much as the uplift itself.",
    ),
    (
        "Estimated counts",
        "Cohort sizes by LA are published only in DfE's official headline files: the 2021/22 file, and later "
        "years once the multi-year file has been fetched. For later years we move each LA's 2021/22 "
        "published cohort by the ONS change in that year group (mid-2023 population at the later cohort's age "
        "divided by that at the 2021/22 cohort's age). ONS population alone runs high: 6.6% above the assessed "
        "cohort for England in 2021/22 and 34–40% in some London boroughs, because not every resident child is "
        "assessed there. FSM cohorts: the LA's 2021/22 FSM share, scaled by the square root of the change in "
        "its primary FSM rate. Every such count is labelled as an estimate, with its basis; the back-test "
        "below shows how far off it can be.",
    ),
    (
        "Small numbers",
        "City of London and the Isles of Scilly assess 15–80 children a year; their FSM results swing between "
        "0 and 100%. We show them, flag any value from fewer than 30 children (or suppressed) as low "
        "reliability, and give 95% intervals.",
    ),
    (
        "Reorganised LAs",
        "Bournemouth, Christchurch and Poole and the new Dorset (2019), North and West Northamptonshire "
        "(2021) and Cumberland and Westmorland and Furness (2023) have no results from before they existed. "
        "We never copy a predecessor's values into a successor.",
    ),
]

METHODS: list[tuple[str, str]] = [
    (
        "Sources",
        "GLD for all children comes from DfE's 2013–2019 time series, the 2021/22 Explore Education "
        "Statistics file and LAIT for 2022/23 onwards. FSM values come from DfE's national tables (England "
        "2012/13–2018/19, computed from counts), Fingertips (2012/13–2014/15), DfE's SMAPEY data "
        "(2015/16–2017/18, one decimal place), LAIT (2018/19, whole numbers) and the official files after "
        "that. Where sources overlap they agree.",
    ),
    (
        "Progress to target",
        "Percentage points to gain = target − latest GLD. Needed a year = that ÷ years left to 2027/28. The "
        "recent change is the average yearly change since 2021/22. A change of less than half a percentage "
        "point a year either way is “barely changed” (within an LA's year-to-year noise); only a real "
        "improvement is compared as a ratio (“needs 2.1 times its recent rate”). A need larger than any LA's "
        "average gain since 2021/22 is said to be so.",
    ),
    (
        "Children per year group",
        "Percentage points to gain × the estimated 2027/28 Reception cohort, separately for each target: the "
        "FSM figure is not part of the all-children one, and FSM-eligible children count towards both.",
    ),
    ("Intervals", "95% Wilson score intervals from the percentage and the cohort size (published or estimated)."),
    (
        "Wards",
        "May 2024 wards. Deprivation: IoD2025 ranks and deciles of the LSOAs (2021) that ONS's best-fit lookup puts "
        "in each ward, averaged with each LSOA counting equally, since the files give no population to weight by; "
        "done the same way for each LA, this reproduces IoD2025's published share of LSOAs in England's most "
        "deprived 10% exactly, and its population-weighted average rank to within about 1,000 places (median "
        "160). Children in income-deprived families: IoD2025's IDACI numerator summed over those LSOAs. Children "
        "in relative low income after housing costs: DWP, FYE 2025 and FYE 2024, rounded and open to revision; "
        "each LA's ward figures add up to its published total within DWP's rounding. Ward shapes are the LSOAs "
        "joined together. IoD2019 is shown only for the LA as a whole, to compare its rank with 2025.",
    ),
]


EVERY_VALUE_NOTE = (
    "95% Wilson intervals from the cohort size; counts marked 'estimated' are not published and come from the "
    "2021/22 published cohort moved by ONS population change. Low reliability: FSM cohort under 30 or suppressed."
)


def plan_pack_text(name: str) -> str:
    """What the report and the plan pack hold, said above their buttons."""
    return (
        f"A Word report for {name}: the summary and headline figures, every chart of the profile, focus, peers "
        "and wards pages with its summary sentence (also the picture's alt text) and its data, then sources and "
        "caveats. The plan pack zips the report with each chart as PNG and its data as CSV. Both follow what you "
        "chose this session: confirmed targets, the two-year-old target and the peer set last chosen on Peers."
    )


def backtest_summary(backtest) -> list[str]:
    """Sentences on the cohort-estimate back-test (2018/19 counts → 2021/22), from `cohort_backtest` rows."""
    sentences = []
    for group, label in ((group, in_sentence(group)) for group in TARGET_GROUPS):
        rows = backtest[backtest["pupil_group"] == group]
        if rows.empty:
            continue
        errors = rows["error_pct"].abs()
        worst = rows.loc[errors.idxmax()]
        text = (
            f"For {label}, estimating 2021/22 from 2018/19's published cohorts by the same method and comparing "
            f"with the published 2021/22 counts of {len(rows)} LAs: median error {errors.median():.1f}%, "
            f"{(errors <= 10).mean():.0%} within 10%, worst {worst['error_pct']:+.1f}% ({worst['name']}, "
            f"{int(worst['published']):,} children published)."
        )
        if group == "all" and rows["ons_error_pct"].notna().any():
            text += f" ONS population alone, the method it replaced: median error {rows['ons_error_pct'].abs().median():.1f}%."
        usual = rows[rows["published"] >= 100]
        if len(usual) < len(rows):
            worst_usual = usual.loc[usual["error_pct"].abs().idxmax()]
            text += (
                f" Among the {len(usual)} LAs with 100 or more such children the worst is "
                f"{worst_usual['error_pct']:+.1f}% ({worst_usual['name']})."
            )
        sentences.append(text)
    return sentences


def backtest_table(backtest):
    """The back-test as a readable table, worst error first."""
    shown = backtest.assign(order=backtest["error_pct"].abs()).sort_values("order", ascending=False)
    return shown.rename(
        columns={
            "name": "LA",
            "pupil_group": "Children",
            "published": "Published 2021/22",
            "estimated": "Estimated from 2018/19",
            "error_pct": "Error %",
            "ons_population": "ONS population (old method)",
            "ons_error_pct": "Old method error %",
        }
    )[
        [
            "LA",
            "Children",
            "Published 2021/22",
            "Estimated from 2018/19",
            "Error %",
            "ONS population (old method)",
            "Old method error %",
        ]
    ].replace({"Children": {"all": "all children", "fsm": "FSM-eligible"}})
