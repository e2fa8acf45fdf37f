"""Plain-English caveats and methods shown on the About page (and in exports)."""

from __future__ import annotations

CAVEATS: list[tuple[str, str]] = [
    (
        "Framework break",
        "The Early Years Foundation Stage Profile was reformed in September 2021. Results for 2012/13 to "
        "2018/19 are not comparable with 2021/22 onwards, so charts draw them as separate, muted segments "
        "and never join them into one line. There was no assessment in 2019/20 or 2020/21 (COVID-19).",
    ),
    (
        "What “not FSM” means",
        "Up to 2018/19 “not FSM” meant all other children (not eligible or eligibility unknown). From "
        "2021/22 we use DfE's “not eligible” figures (unknown excluded), so the gap is measured one way "
        "within the new framework. England 2021/22: 69.5% (not eligible) against 68.8% (all other).",
    ),
    (
        "2028 targets",
        "DfE has not published every LA's target. Every published target we have seen equals the LA's "
        "2023/24 GLD plus 9.0 percentage points, for all and for FSM children, so we derive targets that way "
        "and label them “derived: 2023/24 + 9.0 pp”. A published target replaces a derived one and is "
        "labelled “published” with its source. Where the rule would exceed 100% or there is no 2023/24 "
        "value (for example City of London's FSM cohort), the target is “not derivable”: enter your own.",
    ),
    (
        "Estimated counts",
        "Cohort sizes by LA come only from DfE's official headline files: the 2021/22 file, and later years "
        "once the multi-year file has been fetched. For years without them we estimate cohorts from ONS "
        "mid-2023 population by single year of age, and the FSM cohort from the LA's FSM share in the latest "
        "year with published counts, scaled by the change in its primary FSM rate. Every such count is "
        "labelled as an estimate, with its basis.",
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
        "Statistics file and LAIT for 2022/23 onwards. FSM values come from Fingertips (2012/13–2014/15), "
        "DfE's SMAPEY data (2015/16–2017/18, one decimal place), LAIT (2018/19, whole numbers) and the "
        "official files after that. Where sources overlap they agree.",
    ),
    (
        "Progress to target",
        "Points to gain = target − latest GLD. Needed a year = points to gain ÷ years left to 2027/28. The "
        "recent rate is the average yearly change since 2021/22. “Needs N× its recent rate” divides the two.",
    ),
    (
        "Children per year group",
        "Points to gain × the estimated 2027/28 Reception cohort (ONS mid-2023 population aged 0), and the "
        "same for the FSM cohort estimate.",
    ),
    ("Intervals", "95% Wilson score intervals from the percentage and the cohort size (published or estimated)."),
]
