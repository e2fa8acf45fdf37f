"""The national ambition, shared by the build and the pages: 75% of children at a good level of
development by the end of Reception in 2027/28 (the year written 2028 here, as the summer term ends)."""

from __future__ import annotations

TARGET_YEAR = 2028
ENGLAND_AMBITION = 75.0  # published as "75%"
ENGLAND_AMBITION_SOURCE = (
    "Giving every child the best start in life (HM Government, July 2025): national ambition 75% by 2028"
)
