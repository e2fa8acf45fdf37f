"""The data folder (override with GLD_DATA_DIR); `etl.build.BuildPaths` derives every path from it."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = Path(os.environ.get("GLD_DATA_DIR", PROJECT_ROOT / "data"))
