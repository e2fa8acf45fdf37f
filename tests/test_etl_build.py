"""The build as a whole: skipping, registration, bad input and unwritable folders leaving the previous database
intact, each told in one line; and the leftovers of killed builds removed."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from etl.build import build
from etl.errors import BuildError
from etl.raw_files import (
    FINGERTIPS_FSM_FILE,
    LA_POLYGONS_FILE,
    LAIT_FILE,
    LSOA_POLYGONS_FILE,
    LSOA_WARD_LOOKUP_FILE,
    SMAPEY_FILE,
)
from etl.register import sha256_of, update_registration

from .conftest import BUILT_OUTPUTS, PROJECT, etl_cli


def assert_fails_cleanly(data_dir: Path, *expected: str, args: tuple[str, ...] = ("--force",)) -> str:
    """Run a build that must fail; return its one 'Build failed' line after checking that nothing changed."""
    before = {name: sha256_of(data_dir / name) for name in BUILT_OUTPUTS}
    result = etl_cli(data_dir, *args)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    lines = [line for line in result.stderr.splitlines() if line.startswith("Build failed")]
    assert len(lines) == 1, result.stderr
    for text in expected:
        assert text in lines[0], lines[0]
    assert str(data_dir) not in lines[0], lines[0]
    assert {name: sha256_of(data_dir / name) for name in BUILT_OUTPUTS} == before
    assert not list(data_dir.glob("*.tmp-*")), "temporary files left behind"
    return lines[0]


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


@pytest.mark.slow
@pytest.mark.parametrize(
    ("relative", "kind"),
    [(LSOA_POLYGONS_FILE, "an R data file"), (LSOA_WARD_LOOKUP_FILE, "an R data file"), (LA_POLYGONS_FILE, "GeoJSON")],
    ids=["lsoa-rda", "lookup-rda", "counties-geojson"],
)
def test_a_cut_boundary_file_fails_the_build_in_one_line(data_copy, relative, kind):
    path = data_copy / "raw" / relative
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    registered = etl_cli(data_copy, "register", relative)  # as an analyst would after replacing the file
    assert registered.returncode == 0, registered.stderr
    assert_fails_cleanly(data_copy, f"Build failed: data/raw/{relative}: cannot be read as {kind} (")


# A line of data/published_targets.csv rewritten by hand (it has 10: line 5 is Rotherham's "all" target,
# 6 its FSM one; line 11 is a new row), and the one line the build must then fail with.
TARGET_EDITS = [
    (5, "E08000018,all,abc,Briefing", "line 5 (E08000018 all): target 'abc' is not a number"),
    (5, "E08000018,all,,Briefing", "line 5 (E08000018 all): target is empty"),
    (5, "E08000018,all,130,Briefing", "line 5 (E08000018 all): target '130' is not a percentage"),
    (6, "E08000018,FSM,56.6,Briefing", "line 6 (E08000018 FSM): pupil_group must be 'all' or 'fsm', found 'FSM'"),
    (5, "E08000018,all,73.3,", "line 5 (E08000018 all): source is empty"),
    (11, "E08000025,all,70,Draft plan", "line 11 (E08000025 all): a second target for this LA and pupil group"),
]


def test_a_bad_published_target_fails_the_build_in_one_line(data_copy):
    path = data_copy / "published_targets.csv"
    original = path.read_text().splitlines()
    assert len(original) == 10 and original[4].startswith("E08000018,all,73.3,")
    for number, line, expected in TARGET_EDITS:
        edited = original[: number - 1] + [line] + original[number:]
        path.write_text("\n".join(edited) + "\n")
        assert_fails_cleanly(data_copy, f"Build failed: data/published_targets.csv {expected}")


def folder_listing(data_dir: Path) -> dict[str, str]:
    return {path.name: sha256_of(path) for path in data_dir.iterdir() if path.is_file()}


def set_writable(data_dir: Path, writable: bool) -> None:
    for path in [data_dir, *data_dir.rglob("*")]:
        mode = path.stat().st_mode
        path.chmod(mode | stat.S_IWUSR if writable else mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def without_write_permission(data_dir: Path) -> list[str]:
    """The command prefix under which the read-only `data_dir` really refuses writes, or skip the test.

    root writes despite the mode bits (CAP_DAC_OVERRIDE): `setpriv` drops that capability for the
    build, so the folder is as read-only for it as for anyone else. A probe checks that writes fail.
    """
    prefix = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: a read-only folder cannot be made to refuse writes")
        prefix = ["setpriv", "--bounding-set=-dac_override", "--"]
    probe = subprocess.run([*prefix, sys.executable, "-c", "import sys; open(sys.argv[1], 'x')", data_dir / "probe"])
    if probe.returncode == 0:
        (data_dir / "probe").unlink()
        pytest.skip("this machine writes into a read-only folder")
    return prefix


def test_a_read_only_data_folder_fails_in_one_line_and_changes_nothing(data_copy):
    (data_copy / ".build_stamp").write_text("from other inputs\n")  # so that a plain `python -m etl` builds
    before = folder_listing(data_copy)
    set_writable(data_copy, False)
    try:
        prefix = without_write_permission(data_copy)
        for args in ([], ["--force"]):
            command = [*prefix, sys.executable, "-m", "etl", "--data-dir", str(data_copy), *args]
            result = subprocess.run(command, cwd=PROJECT, capture_output=True, text=True, timeout=300)
            assert result.returncode != 0 and "Traceback" not in result.stderr, result.stderr[-2000:]
            assert [line for line in result.stderr.splitlines() if "failed" in line] == [
                "Build failed: cannot write to data/: Permission denied"
            ], result.stderr
        assert folder_listing(data_copy) == before
    finally:
        set_writable(data_copy, True)


def test_leftovers_of_killed_builds_are_removed_and_those_of_a_running_build_kept(data_copy):
    finished = subprocess.Popen([sys.executable, "-c", ""])
    finished.wait()  # its id now belongs to no process, like that of a build that was killed
    dead, running = finished.pid, os.getpid()  # this test process plays a build running in another terminal
    killed = [f"gld.duckdb.tmp-{dead}", f"gld.duckdb.tmp-{dead}.wal", f"ward_boundaries.parquet.tmp-{dead}"]
    kept = [f"gld.duckdb.tmp-{running}", f"notes.tmp-{dead}"]  # the second is not a build's
    for name in killed + kept:
        (data_copy / name).write_bytes(b"partial")
    result = etl_cli(data_copy)  # cleaning comes first, whether or not the build is then skipped
    assert result.returncode == 0, result.stderr
    assert [line for line in result.stdout.splitlines() if "interrupted" in line] == [
        f"  removed 3 temporary files left by interrupted builds ({', '.join(sorted(killed))})"
    ]
    assert not [name for name in killed if (data_copy / name).exists()]
    assert all((data_copy / name).exists() for name in kept)
    again = etl_cli(data_copy)
    assert again.returncode == 0 and "interrupted" not in again.stdout, again.stdout
