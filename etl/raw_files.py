"""Every raw file the build reads, as a path under ``data/raw`` (plain strings, one place).

The source register (``data/sources.yml``) records each file's publisher, origin and sha256; the
readers name these paths in their error messages as ``data/raw/<path>``.
"""

from __future__ import annotations

# GLD by LA: DfE LAIT (long table; current and May 2025 versions), the 2021/22 official EES file,
# the optional multi-year EES file, and the 2013-2019 sources.
LAIT_FILE = "dfe-lait/bds_long_0.parquet"
# An older LAIT snapshot (commit c619cc4c) that still holds 2014/15 values (whole %).
LAIT_2015_FILE = "dfe-lait/older_commit_c619cc4c/bds_long_0.parquet"
LAIT_DICTIONARY_FILE = "dfe-lait/lait_data_dictionary.csv"
EES_2022_FILE = "dfe-send-ap-dashboard/1_eyfsp_headline_measures_2022.csv"
# Optional: the official multi-year headline file (2021/22 onwards, with counts) that
# `python -m etl fetch` downloads from Explore Education Statistics. Used when present.
EES_HEADLINE_FILE = "dfe-ees/eyfsp_headline_measures.csv"
# FSM and all-other GLD 2016-2018 at 1 dp (3-digit LA codes).
SMAPEY_FILE = "dfe-smapey/combined_three_years_data_2018_R_v5_postbeta_sup.csv"
# All-pupil GLD 2013-2019 with counts.
APS_FILE = "nesta-afs-neighbourhood/APS_GLD_ELG_EXP_2013_2019.csv"
# FSM cohort sizes 2013-2019.
FSM_COHORT_FILE = "nesta-afs-neighbourhood/EYFSP_LA_2_com_lit_maths_additional_tables_2013_2019.xlsx"
# 2018/19 district counts by FSM group (summed to upper tier for 1 dp).
DISTRICT_2019_FILE = "psychty-eyfsp-2019/EYFSP_LAD_1_key_measures_additional_tables_2019.xlsx"
# England's 2012/13-2018/19 FSM and all-other counts.
NATIONAL_2019_FILE = "psychty-eyfsp-2019/EYFSP_National_1_key_measures_additional_tables_2013_2019.xlsx"
# Fingertips indicator 90632: FSM GLD 2012/13-2017/18 (pre-2019 ONS codes).
FINGERTIPS_FSM_FILE = "trafford-dashboard-fingertips/school_readiness_fsm.csv"

# Areas and codes.
LAS_FILE = "dfe-published-data-qa/las.csv"
WARD_HIERARCHY_FILE = "dfe-published-data-qa/ward_lad_la_pcon_hierarchy.csv"
# Ward -> LAD -> upper-tier LA (CTYUA), May 2024; still Barnsley's and Sheffield's old codes.
CTYUA_LOOKUP_FILE = "ukmaps/Ward_to_Local_Authority_District_to_CTYUA_to_RGN_to_CTRY_(May_2024)_Lookup_in_UK.csv"
# ONS mid-2023 population by single year of age, districts (for cohort estimates).
POPULATION_FILE = "ons-mye-lad-policyengine/age.csv"

# Statistical neighbours (sheet "LA SN Groups").
SN_2025_FILE = "dfe-lait/sn_may_2025.xlsx"
SN_2021_FILE = "dfe-lait/sn_april_2021.xlsx"

# LA deprivation summaries (Slough's code is mistyped in the 2019 file).
IOD2019_UPPER_FILE = "ysjanonproject/File_11_-_IoD2019_Local_Authority_District_Summaries__upper-tier__.xlsx"
IOD2025_UPPER_FILE = (
    "rcpch-census-platform-2025/File_11_-_IoD2025_Local_Authority_District_Summaries__upper-tier__v2.csv"
)

# Ward layer (May 2024 wards). IoD2025 per 2021 LSOA: IMD ranks, deciles and scores (humaniverse's
# R copy of Files 5/7), IMD and IDACI ranks and deciles (official File 3), the IDACI numerator
# (File 8 indicators); ONS's LSOA 2021 -> ward 2024 -> district best-fit lookup and the LSOA 2021
# polygons (R data files); DWP's children in relative low income (after housing costs) by ward and
# by district; and December 2023 upper-tier LA polygons.
IOD2025_LSOA_FILE = "iod2025-humaniverse/imd2025_england_lsoa21.rda"
IOD2025_INDICATORS_FILE = "iod2025-humaniverse/imd2025_england_lsoa21_indicators.rda"
IOD2025_SUPPLEMENTARY_FILE = "iod2025-sianreilly/File_3_IoD2025_Supplementary_Indices_IDACI_and_IDAOPI.xlsx"
LSOA_WARD_LOOKUP_FILE = "ons-lsoa21-geographr/lookup_lsoa21_ward24_ltla24.rda"
LSOA_POLYGONS_FILE = "ons-lsoa21-geographr/boundaries_lsoa21.rda"
LOW_INCOME_WARD_FILE = "dwp-cilif-sianreilly/4_AHC_Relative_Ward.csv"
LOW_INCOME_DISTRICT_FILE = "dwp-cilif-sianreilly/2_AHC_Relative_LA.csv"
LA_POLYGONS_FILE = "ukmaps/Counties_and_Unitary_Authorities_December_2023_Boundaries_UK_BSC_4952317392296043005.geojson"

# District layer: December 2024 district boundaries.
DISTRICT_BOUNDARIES_FILE = "ukmaps/LAD_DEC_24_UK_BSC_-416161531269609018(1).geojson"
