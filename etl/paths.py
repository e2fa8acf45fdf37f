"""Where the build reads and writes. Every path is relative to the project root."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = Path(os.environ.get("GLD_DATA_DIR", PROJECT_ROOT / "data"))
RAW_DIR = DATA_DIR / "raw"
REGISTER_PATH = DATA_DIR / "sources.yml"
DB_PATH = DATA_DIR / "gld.duckdb"
WARD_GEOMETRY_PATH = DATA_DIR / "ward_boundaries.parquet"
LA_GEOMETRY_PATH = DATA_DIR / "la_boundaries.parquet"
PUBLISHED_TARGETS_PATH = DATA_DIR / "published_targets.csv"
