"""Build `data/gld.duckdb` and the boundary GeoParquet files, atomically.

Steps: verify the register → read and stage every source → write a temporary database → run the
contracts → rename into place. A failure at any step leaves the previous database untouched.
A rebuild whose inputs (register, raw hashes, build code, published targets) are unchanged is
skipped.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from etl.errors import BuildError
from etl.register import verify_raw_files

STAMP_TABLE = "build_info"


@dataclass(frozen=True)
class BuildPaths:
    """Every path a build reads or writes, so tests can build into a temporary folder."""

    data_dir: Path

    @property
    def raw_dir(self) -> Path:
        return self.data_dir / "raw"

    @property
    def register(self) -> Path:
        return self.data_dir / "sources.yml"

    @property
    def database(self) -> Path:
        return self.data_dir / "gld.duckdb"

    @property
    def ward_geometry(self) -> Path:
        return self.data_dir / "ward_boundaries.parquet"

    @property
    def la_geometry(self) -> Path:
        return self.data_dir / "la_boundaries.parquet"

    @property
    def district_geometry(self) -> Path:
        return self.data_dir / "district_boundaries.parquet"

    @property
    def published_targets(self) -> Path:
        return self.data_dir / "published_targets.csv"

    @property
    def stamp(self) -> Path:
        return self.data_dir / ".build_stamp"


def input_stamp(paths: BuildPaths) -> str:
    """A hash of everything a build depends on: the register (with raw hashes), targets and code."""
    digest = hashlib.sha256()
    code_dir = Path(__file__).resolve().parent
    for path in [paths.register, paths.published_targets, *sorted(code_dir.glob("*.py"))]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes() if path.exists() else b"<missing>")
    return digest.hexdigest()


def is_up_to_date(paths: BuildPaths, stamp: str) -> bool:
    """True when the database and geometry exist and were built from exactly these inputs."""
    outputs = (paths.database, paths.ward_geometry, paths.la_geometry, paths.district_geometry, paths.stamp)
    return all(p.exists() for p in outputs) and paths.stamp.read_text().strip() == stamp


class StepTimer:
    """Prints one line per step with its time."""

    def __init__(self, echo: Callable[[str], None] = print) -> None:
        self.echo = echo
        self.started = time.perf_counter()
        self.step_started = self.started

    def step(self, message: str) -> None:
        now = time.perf_counter()
        self.echo(f"  {message:<58} {now - self.step_started:6.2f} s")
        self.step_started = now

    def total(self) -> float:
        return time.perf_counter() - self.started


def build(data_dir: Path, force: bool = False, echo: Callable[[str], None] = print) -> str:
    """Build the database if inputs changed (or `force`). Returns 'built' or 'skipped'.

    Raises:
        BuildError: bad input or a broken contract; the previous outputs are left untouched.
    """
    paths = BuildPaths(Path(data_dir))
    progress = StepTimer(echo)
    register = verify_raw_files(paths.raw_dir, paths.register)
    stamp = input_stamp(paths)
    progress.step(f"verified {len(register)} registered raw files")
    if not force and is_up_to_date(paths, stamp):
        echo(f"Database is up to date ({paths.database}); nothing to do. Use --force to rebuild.")
        return "skipped"

    tables, geometry = stage_everything(paths, register, progress)
    write_outputs(paths, tables, geometry, stamp, progress)
    echo(f"Built {paths.database} in {progress.total():.1f} s")
    return "built"


def stage_everything(paths: BuildPaths, register, progress: StepTimer):
    """Read and stage all sources into the public tables (pandas) and geometry (geopandas)."""
    import pandas as pd

    from etl import raw_files, readers
    from etl.areas import build_areas, build_code_history, build_former_las
    from etl.context import (
        CONTEXT_MEASURES,
        build_context_measures,
        build_deprivation,
        build_fsm_eligibility,
        build_neighbours,
        derive_targets,
        read_published_targets,
    )
    from etl.gld import LAIT_GROUPS, build_gld

    raw = paths.raw_dir
    areas, resolver = build_areas(readers.read_las(raw))
    la_codes = areas.loc[areas["level"] == "la", "area_code"].tolist()
    progress.step(f"areas: {len(la_codes)} LAs")

    lait = readers.read_lait(raw, raw_files.LAIT_FILE, [*LAIT_GROUPS, "PriFSM", "SecFSM", *CONTEXT_MEASURES])
    fsm = build_fsm_eligibility(lait, resolver)
    context = build_context_measures(lait, readers.read_lait_dictionary(raw), resolver)
    progress.step(f"LAIT: FSM eligibility {len(fsm)} rows, context {len(context)} rows")

    ees_2022 = readers.read_ees_2022(raw)  # read once: upper-tier GLD and the district layer both use it
    present = {entry.path for entry in register if entry.present}  # includes optional files once fetched
    newer_ees = (
        [readers.read_ees_headline(raw, raw_files.EES_HEADLINE_FILE)] if raw_files.EES_HEADLINE_FILE in present else []
    )
    gld, gld_former, cohort_estimates, cohort_backtest = build_gld(raw, resolver, areas, fsm, lait, ees_2022, newer_ees)
    progress.step(f"GLD: {len(gld)} rows ({len(gld_former)} for former LAs)")

    targets = derive_targets(gld, la_codes, read_published_targets(paths.published_targets))
    neighbours = build_neighbours(raw, resolver, set(la_codes))
    deprivation = build_deprivation(raw, resolver)
    progress.step("targets, statistical neighbours, LA deprivation")

    from etl.districts import build_district_gld, read_district_boundaries
    from etl.wards import build_ward_outputs

    ward_outputs = build_ward_outputs(raw)
    progress.step(f"wards: {len(ward_outputs.wards)} wards, {len(ward_outputs.la_geometry)} LA boundaries")

    district_gld = build_district_gld(ees_2022, resolver)
    district_geometry = read_district_boundaries(raw)
    progress.step(f"districts: 2021/22 GLD for {district_gld['lad_code'].nunique()} shire districts")

    sources = pd.DataFrame(
        [
            {
                "path": entry.path,
                "title": entry.title,
                "publisher": entry.publisher,
                "repository": entry.origin.get("repository"),
                "origin_path": entry.origin.get("path"),
                "commit": str(entry.origin["commit"]) if entry.origin.get("commit") else None,
                "downloaded_from": entry.origin.get("downloaded_from"),
                "licence": entry.licence,
                "retrieved": str(entry.retrieved),
                "sha256": entry.sha256,
                "changes": entry.changes,
            }
            for entry in register
            if entry.present
        ]
    )
    tables = {
        "areas": areas,
        "area_code_history": build_code_history(),
        "former_las": build_former_las(),
        "gld": gld,
        "gld_former_las": gld_former,
        "cohort_estimates": cohort_estimates,
        "cohort_backtest": cohort_backtest,
        "targets_2028": targets,
        "statistical_neighbours": neighbours,
        "fsm_eligibility": fsm,
        "context_measures": context,
        "deprivation_la": deprivation,
        "wards": ward_outputs.wards,
        "gld_district_2022": district_gld,
        "sources": sources,
    }
    geometry = {"ward": ward_outputs.ward_geometry, "la": ward_outputs.la_geometry, "district": district_geometry}
    return tables, geometry


def write_outputs(paths: BuildPaths, tables: dict, geometry: dict, stamp: str, progress: StepTimer) -> None:
    """Write a temporary database and GeoParquet files, check contracts, then rename into place."""
    import duckdb

    from etl.contracts import check_all

    suffix = f".tmp-{os.getpid()}"
    tmp_db = paths.database.with_name(paths.database.name + suffix)
    tmp_ward = paths.ward_geometry.with_name(paths.ward_geometry.name + suffix)
    tmp_la = paths.la_geometry.with_name(paths.la_geometry.name + suffix)
    tmp_district = paths.district_geometry.with_name(paths.district_geometry.name + suffix)
    temporaries = (tmp_db, tmp_ward, tmp_la, tmp_district)
    try:
        for tmp in temporaries:
            tmp.unlink(missing_ok=True)
        con = duckdb.connect(str(tmp_db))
        try:
            for name, frame in tables.items():
                con.register("frame_view", frame)
                con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM frame_view')
                con.unregister("frame_view")
            con.execute(f"CREATE TABLE {STAMP_TABLE} AS SELECT ? AS input_stamp, now() AS built_at", [stamp])
            progress.step(f"wrote {len(tables)} tables to a temporary database")
            checks = check_all(con)
        finally:
            con.close()
        progress.step(f"contracts: {checks} checks passed")
        geometry["ward"].to_parquet(tmp_ward, index=False, compression="zstd")
        geometry["la"].to_parquet(tmp_la, index=False, compression="zstd")
        geometry["district"].to_parquet(tmp_district, index=False, compression="zstd")
        progress.step("wrote ward and LA boundaries (GeoParquet)")
        os.replace(tmp_ward, paths.ward_geometry)
        os.replace(tmp_la, paths.la_geometry)
        os.replace(tmp_district, paths.district_geometry)
        os.replace(tmp_db, paths.database)
        paths.stamp.write_text(stamp + "\n")
    except BaseException:
        for tmp in temporaries:
            tmp.unlink(missing_ok=True)
        raise


def check_existing(data_dir: Path, echo: Callable[[str], None] = print) -> int:
    """Re-run the contracts on the existing database. Returns the number of checks run."""
    import duckdb

    from etl.contracts import check_all

    paths = BuildPaths(Path(data_dir))
    if not paths.database.exists():
        raise BuildError(f"{paths.database}: no database to check; build it with `python -m etl`")
    con = duckdb.connect(str(paths.database), read_only=True)
    try:
        checks = check_all(con)
    finally:
        con.close()
    echo(f"{paths.database}: all {checks} contract checks passed")
    return checks
