"""The build as a whole: skipping, registration and bad input leaving the previous database intact."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from etl.build import build
from etl.errors import BuildError
from etl.raw_files import FINGERTIPS_FSM_FILE, LAIT_FILE, SMAPEY_FILE
from etl.register import sha256_of, update_registration

from .conftest import BUILT_OUTPUTS, etl_cli


def assert_fails_cleanly(data_dir: Path, *expected: str) -> None:
    before = sha256_of(data_dir / "gld.duckdb")
    result = etl_cli(data_dir, "--force")
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.startswith("Build failed")]
    assert len(lines) == 1, result.stderr
    for text in expected:
        assert text in lines[0], lines[0]
    assert sha256_of(data_dir / "gld.duckdb") == before
    assert not list(data_dir.glob("*.tmp-*")), "temporary files left behind"


def test_unchanged_inputs_skip_the_build(data_copy):
    # How long a skipped rebuild takes is the benchmark's to report (`python -m bench`).
    before = {name: sha256_of(data_copy / name) for name in BUILT_OUTPUTS}
    result = etl_cli(data_copy)
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout and "Built" not in result.stdout
    assert {name: sha256_of(data_copy / name) for name in BUILT_OUTPUTS} == before


def test_unregistered_file_is_refused(data_copy):
    (data_copy / "raw" / "extra.csv").write_text("a,b\n1,2\n")
    assert_fails_cleanly(data_copy, "data/raw/extra.csv", "not registered")


def test_changed_file_is_refused(data_copy):
    path = data_copy / "raw" / FINGERTIPS_FSM_FILE
    path.write_text(path.read_text() + "\n")
    assert_fails_cleanly(data_copy, "school_readiness_fsm.csv", "sha256")


def test_missing_file_is_named(data_copy):
    (data_copy / "raw" / SMAPEY_FILE).unlink()
    assert_fails_cleanly(data_copy, "combined_three_years_data_2018_R_v5_postbeta_sup.csv", "missing")


def _replace_and_register(data_copy: Path, relative: str, text: str) -> None:
    (data_copy / "raw" / relative).write_text(text)
    update_registration(data_copy / "raw", data_copy / "sources.yml", relative, today="2026-11-22")


def test_renamed_column_is_named(data_copy):
    relative = FINGERTIPS_FSM_FILE
    text = (data_copy / "raw" / relative).read_text().replace("area_code,", "AreaCode,", 1)
    _replace_and_register(data_copy, relative, text)
    assert_fails_cleanly(data_copy, relative, "'area_code'")


def test_unknown_suppression_marker_is_named(data_copy):
    relative = FINGERTIPS_FSM_FILE
    frame = pd.read_csv(data_copy / "raw" / relative, dtype=str, keep_default_na=False)
    frame.loc[5, "value"] = "SUPP"
    _replace_and_register(data_copy, relative, frame.to_csv(index=False))
    assert_fails_cleanly(data_copy, relative, "'value'", "'SUPP'")


def test_unknown_la_code_is_named(data_copy):
    relative = FINGERTIPS_FSM_FILE
    frame = pd.read_csv(data_copy / "raw" / relative, dtype=str, keep_default_na=False)
    frame.loc[5, "area_code"] = "E06999999"
    _replace_and_register(data_copy, relative, frame.to_csv(index=False))
    assert_fails_cleanly(data_copy, relative, "'E06999999'")


def test_truncated_file_is_reported(data_copy):
    relative = LAIT_FILE
    path = data_copy / "raw" / relative
    path.write_bytes(path.read_bytes()[:200_000])
    update_registration(data_copy / "raw", data_copy / "sources.yml", relative, today="2026-11-22")
    assert_fails_cleanly(data_copy, relative, "Parquet")


def test_check_reruns_contracts(data_copy):
    result = etl_cli(data_copy, "--check")
    assert result.returncode == 0 and "contract checks passed" in result.stdout


def test_build_refuses_missing_register(tmp_path):
    (tmp_path / "raw").mkdir()
    with pytest.raises(BuildError, match="source register is missing"):
        build(tmp_path)


def test_a_cohort_of_no_children_has_no_percentage():
    from etl.gld import drop_empty_cohorts

    frame = pd.DataFrame(
        {
            "area_code": ["A", "A", "B"],
            "year": [2018, 2019, 2018],
            "pupil_group": ["fsm"] * 3,
            "pct": [0.0, 50.0, 40.0],
            "children": [0, 4, None],
        }
    )
    kept = drop_empty_cohorts(frame)
    assert list(zip(kept["area_code"], kept["year"], strict=True)) == [("A", 2019), ("B", 2018)]
