"""Shared fixtures: paths to the project's data, and a read-only connection to the built database."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

# AppTest runs pages in this process: no background cache warming here (profiles/warm.py).
os.environ.setdefault("GLD_WARM_CACHES", "0")

PROJECT = Path(__file__).resolve().parents[1]
DATA_DIR = PROJECT / "data"
RAW_DIR = DATA_DIR / "raw"
DB_PATH = DATA_DIR / "gld.duckdb"


@pytest.fixture(scope="session")
def db() -> duckdb.DuckDBPyConnection:
    """The built database (`make test` builds it first)."""
    if not DB_PATH.exists():
        pytest.fail("data/gld.duckdb is missing: run `python -m etl` (make test does this first)")
    con = duckdb.connect(str(DB_PATH), read_only=True)
    yield con
    con.close()


BUILT_OUTPUTS = (
    "gld.duckdb",
    "ward_boundaries.parquet",
    "la_boundaries.parquet",
    "district_boundaries.parquet",
    ".build_stamp",
)


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A copy of data/ (raw files, register, targets and every built output) to break safely."""
    target = tmp_path / "data"
    shutil.copytree(RAW_DIR, target / "raw")
    for name in ("sources.yml", "published_targets.csv", *BUILT_OUTPUTS):
        shutil.copy2(DATA_DIR / name, target / name)
    if (DATA_DIR / "cache").is_dir():  # parsed R files (etl/parsed_cache.py): a rebuild takes 3 s, not 16
        shutil.copytree(DATA_DIR / "cache", target / "cache")
    return target


def etl_cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    """Run `python -m etl --data-dir <data_dir> <args>` as an analyst would; capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "etl", "--data-dir", str(data_dir), *args],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=300,
    )
