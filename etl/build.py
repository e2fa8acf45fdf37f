"""Build `data/gld.duckdb` (figures and the app's boundaries) and the boundary GeoParquet files, atomically.

Steps: remove what killed builds left behind → verify the register → read and stage every source →
write a temporary database → run the contracts → rename into place. A failure at any step leaves
the previous database untouched. A rebuild whose inputs (register, raw hashes, build code,
published targets) are unchanged is skipped.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from etl.errors import BuildError
from etl.register import verify_raw_files

if TYPE_CHECKING:
    import pandas as pd

STAMP_TABLE = "build_info"
# The app's boundaries live in the database (WKB, WGS 84) as well as in the GeoParquet files for
# analysts: renaming the database into place is then the one switch from one build to the next, so
# a running app never reads one build's figures beside another's shapes.
BOUNDARY_TABLES = {"la": "boundaries_la", "ward": "boundaries_ward", "district": "boundaries_district"}


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

    @property
    def outputs(self) -> tuple[Path, ...]:
        """What a build writes: each is written as `<name>.tmp-<pid>` first, then renamed."""
        return (self.database, self.ward_geometry, self.la_geometry, self.district_geometry, self.stamp)

    def label(self, path: Path) -> str:
        """How messages name a path in the data folder: `data/<path inside it>`, not an absolute path."""
        try:
            inside = Path(path).relative_to(self.data_dir).as_posix()
        except ValueError:
            return str(path)
        return "data/" if inside == "." else f"data/{inside}"

    def relabel(self, text: str) -> str:
        """`text` with the data folder's absolute path written as `data` (for messages quoting a path)."""
        for folder in {str(self.data_dir.resolve()), str(self.data_dir.absolute())}:
            text = text.replace(folder, "data")
        return text


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
    return all(p.exists() for p in paths.outputs) and paths.stamp.read_text().strip() == stamp


def is_running(pid: int) -> bool:
    """True if a process with this id exists (signal 0 checks without sending anything)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:  # it exists but belongs to another user
        return True
    return True


def remove_leftovers(paths: BuildPaths) -> list[str]:
    """Remove the temporary outputs of builds that were killed, and return their names.

    A build writes `<output>.tmp-<pid>` (DuckDB adds `.wal`, and `.tmp` when it spills to disk)
    and removes them if it fails, but a killed build cannot. Those of a process still running (a
    build in another terminal) are kept. Only on POSIX, where signal 0 only checks a process.

    Raises:
        BuildError: a leftover cannot be removed (read-only folder), naming it.
    """
    if os.name != "posix" or not paths.data_dir.is_dir():
        return []
    names = "|".join(re.escape(output.name) for output in paths.outputs)
    pattern = re.compile(rf"(?:{names})\.tmp-(?P<pid>[0-9]+)(?:\.wal|\.tmp)?")
    removed = []
    for leftover in sorted(paths.data_dir.iterdir()):
        match = pattern.fullmatch(leftover.name)
        if match is None or is_running(int(match["pid"])):
            continue
        with writing(paths, leftover, "remove"):
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover)
            else:
                leftover.unlink(missing_ok=True)
        removed.append(leftover.name)
    return removed


@contextmanager
def writing(
    paths: BuildPaths, path: Path, action: str = "write to", errors: tuple[type[Exception], ...] = (OSError,)
) -> Iterator[None]:
    """Turn a failed write of `path` (read-only folder, full disk) into one BuildError naming it.

    Parameters:
        errors: what a failed write raises; DuckDB's IOException is not an OSError.
    """
    try:
        yield
    except errors as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise BuildError(f"cannot {action} {paths.label(path)}: {paths.relabel(reason)}") from error


def check_writable(paths: BuildPaths) -> None:
    """Fail now, not after staging, if the data folder cannot take new files (read-only, say).

    Raises:
        BuildError: `cannot write to data/: <reason>`.
    """
    with writing(paths, paths.data_dir), tempfile.TemporaryFile(dir=paths.data_dir):
        pass  # an unnamed file, gone when closed, so a killed build leaves nothing


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
    leftovers = remove_leftovers(paths)
    if leftovers:
        echo(f"  removed {len(leftovers)} temporary files left by interrupted builds ({', '.join(leftovers)})")
    register = verify_raw_files(paths.raw_dir, paths.register)
    stamp = input_stamp(paths)
    progress.step(f"verified {len(register)} registered raw files")
    if not force and is_up_to_date(paths, stamp):
        echo(f"Database is up to date ({paths.database}); nothing to do. Use --force to rebuild.")
        return "skipped"
    check_writable(paths)

    tables, geometry = stage_everything(paths, register, progress)
    write_outputs(paths, tables, geometry, stamp, progress)
    echo(f"Built {paths.database} in {progress.total():.1f} s")
    return "built"


def stage_everything(paths: BuildPaths, register, progress: StepTimer):
    """Read and stage all sources into the public tables (pandas) and geometry (geopandas)."""
    import pandas as pd

    from etl import raw_files, readers
    from etl.areas import build_areas, build_code_history, build_former_las
    from etl.characteristics import build_gld_characteristics_2022
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
    published_targets = read_published_targets(paths.published_targets, la_codes)  # hand-edited: checked first
    progress.step(f"areas: {len(la_codes)} LAs; {len(published_targets)} published targets")

    lait = readers.read_lait(raw, raw_files.LAIT_FILE, [*LAIT_GROUPS, "PriFSM", "SecFSM", *CONTEXT_MEASURES])
    fsm = build_fsm_eligibility(lait, resolver)
    context = build_context_measures(lait, readers.read_lait_dictionary(raw), resolver)
    progress.step(f"LAIT: FSM eligibility {len(fsm)} rows, context {len(context)} rows")

    # Read once: upper-tier GLD and the district layer use its all-pupil and FSM rows, the
    # characteristics table every row.
    ees_2022 = readers.read_ees_2022(raw)
    ees_2022_headline = readers.headline_rows(ees_2022, raw_files.EES_2022_FILE)
    present = {entry.path for entry in register if entry.present}  # includes optional files once fetched
    newer_ees = (
        [readers.read_ees_headline(raw, raw_files.EES_HEADLINE_FILE)] if raw_files.EES_HEADLINE_FILE in present else []
    )
    gld, gld_former, cohort_estimates, cohort_backtest = build_gld(
        raw, resolver, areas, fsm, lait, ees_2022_headline, newer_ees
    )
    characteristics = build_gld_characteristics_2022(ees_2022, resolver)
    progress.step(f"GLD: {len(gld)} rows ({len(gld_former)} former LAs); 2021/22 by group {len(characteristics)} rows")

    targets = derive_targets(gld, la_codes, published_targets)
    neighbours = build_neighbours(raw, resolver, set(la_codes))
    deprivation = build_deprivation(raw, resolver)
    progress.step("targets, statistical neighbours, LA deprivation")

    from etl.districts import build_district_gld, read_district_boundaries
    from etl.wards import build_ward_outputs

    ward_outputs = build_ward_outputs(raw, progress=progress.step)

    district_gld = build_district_gld(ees_2022_headline, resolver)
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
        "ward_lsoas": ward_outputs.ward_lsoas,
        "low_income_la": ward_outputs.low_income_la,
        "gld_district_2022": district_gld,
        "gld_characteristics_2022": characteristics,
        "sources": sources,
    }
    geometry = {"ward": ward_outputs.ward_geometry, "la": ward_outputs.la_geometry, "district": district_geometry}
    return tables, geometry


def boundary_table(frame) -> pd.DataFrame:
    """A GeoDataFrame as a plain table: its columns, and its shapes as WKB in `geometry_wkb`."""
    import pandas as pd

    if frame.crs is None or frame.crs.to_epsg() != 4326:
        raise BuildError(f"boundaries must be in WGS 84 (EPSG:4326), not {frame.crs}")
    table = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    table["geometry_wkb"] = frame.geometry.to_wkb()
    return table


def write_outputs(paths: BuildPaths, tables: dict, geometry: dict, stamp: str, progress: StepTimer) -> None:
    """Write a temporary database and GeoParquet files, check contracts, then rename into place.

    Raises:
        BuildError: a broken contract, or a file that cannot be written (named); the temporary
            files are removed and the previous outputs left as they were.
    """
    import duckdb

    from etl.contracts import check_all

    suffix = f".tmp-{os.getpid()}"
    tmp_db, tmp_ward, tmp_la, tmp_district, tmp_stamp = (
        output.with_name(output.name + suffix) for output in paths.outputs
    )
    temporaries = (tmp_db, tmp_db.with_name(tmp_db.name + ".wal"), tmp_ward, tmp_la, tmp_district, tmp_stamp)
    try:
        for tmp in temporaries:
            with writing(paths, tmp, "remove"):
                tmp.unlink(missing_ok=True)
        with writing(paths, tmp_db, errors=(OSError, duckdb.IOException)):
            con = duckdb.connect(str(tmp_db))
        try:
            with writing(paths, tmp_db, errors=(OSError, duckdb.IOException)):
                for name, frame in tables.items():
                    con.register("frame_view", frame)
                    con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM frame_view')
                    con.unregister("frame_view")
                for key, frame in geometry.items():
                    con.register("frame_view", boundary_table(frame))
                    con.execute(f'CREATE TABLE "{BOUNDARY_TABLES[key]}" AS SELECT * FROM frame_view')
                    con.unregister("frame_view")
                con.execute(f"CREATE TABLE {STAMP_TABLE} AS SELECT ? AS input_stamp, now() AS built_at", [stamp])
            progress.step(f"wrote {len(tables)} tables and {len(geometry)} boundary tables to a temporary database")
            checks = check_all(con)
        finally:
            con.close()
        progress.step(f"contracts: {checks} checks passed")
        for key, tmp in (("ward", tmp_ward), ("la", tmp_la), ("district", tmp_district)):
            with writing(paths, tmp):
                geometry[key].to_parquet(tmp, index=False, compression="zstd")
        progress.step("wrote ward and LA boundaries (GeoParquet)")
        with writing(paths, tmp_stamp):
            tmp_stamp.write_text(stamp + "\n")
        # Geometry, then the database, then the stamp: a stamp never vouches for outputs not yet in place.
        renames = (
            (tmp_ward, paths.ward_geometry),
            (tmp_la, paths.la_geometry),
            (tmp_district, paths.district_geometry),
            (tmp_db, paths.database),
            (tmp_stamp, paths.stamp),
        )
        for tmp, output in renames:
            with writing(paths, output):
                os.replace(tmp, output)
    except BaseException:
        for tmp in temporaries:
            with suppress(OSError):  # keep the error that stopped the build; the next build removes these
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
