"""Keep the parsed form of slow-to-read raw files between builds, in ``data/cache/``.

The R data files are parsed object by object in Python (``rdata``): the LSOA 2021 polygons take
about 9 s, the other R files about 3 s, most of a build. A rebuild after a new GLD release or a
register fix reads them unchanged, so the data frame read from each is kept as Parquet (geometry
as WKB) under a name holding a hash of the raw file's bytes, of the code that parses it and of
the ``rdata`` version: any change to either misses the cache and parses afresh. The cache is a
convenience only: one that cannot be read is parsed afresh, one that cannot be written (read-only
folder, full disk) is skipped, and deleting ``data/cache/`` is always safe.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import shapely

CACHE_FOLDER = "cache"
_META_KEY = b"gld_parsed_cache"


def cache_path(raw_dir: Path, file: str, parser_files: list[Path], versions: list[str]) -> Path:
    """Where the parsed form of ``raw_dir/file`` is kept: ``data/cache/<file>.<hash>.parquet``.

    Parameters:
        parser_files: the source files of the code that parses it (their bytes are in the hash).
        versions: versions of the libraries that parse it.
    """
    digest = hashlib.sha256()
    for path in [raw_dir / file, *parser_files]:
        digest.update(Path(path).read_bytes())
    for version in versions:
        digest.update(version.encode())
    return raw_dir.parent / CACHE_FOLDER / f"{file.replace('/', '__')}.{digest.hexdigest()[:20]}.parquet"


def load(path: Path) -> tuple[pd.DataFrame, dict] | None:
    """The frame and its extra information kept at ``path``, or None if it is missing or unreadable."""
    try:
        table = pq.read_table(path)
        extra = json.loads(table.schema.metadata[_META_KEY])
        frame = table.to_pandas()
        for column in extra["geometry_columns"]:
            frame[column] = list(shapely.from_wkb(frame[column].to_numpy()))
    except Exception:  # noqa: BLE001 - any damage to a cache file means: parse the raw file again
        return None
    return frame, extra["extra"]


def store(path: Path, frame: pd.DataFrame, extra: dict) -> None:
    """Keep ``frame`` (shapely geometry columns allowed) and ``extra`` (JSON) at ``path``; never raises.

    Written as ``<name>.tmp-<pid>`` and renamed, so a reader never sees half a file; older
    versions for the same raw file, and temporary files of killed builds, are removed.
    """
    geometry_columns = [
        column
        for column in frame.columns
        if frame[column].dtype == object and len(frame) and isinstance(frame[column].iloc[0], shapely.Geometry)
    ]
    temporary = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    try:
        path.parent.mkdir(exist_ok=True)
        flat = frame.copy()
        for column in geometry_columns:
            flat[column] = shapely.to_wkb(flat[column].to_numpy())
        table = pa.Table.from_pandas(flat, preserve_index=False)
        meta = json.dumps({"geometry_columns": geometry_columns, "extra": extra}).encode()
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), _META_KEY: meta})
        pq.write_table(table, temporary)
        os.replace(temporary, path)
        prefix = path.name.rsplit(".", 2)[0] + "."
        for old in path.parent.glob(f"{prefix}*"):
            pid = old.name.rpartition(".tmp-")[2]
            if old != path and not (pid.isdigit() and _is_running(int(pid))):
                old.unlink(missing_ok=True)
    except Exception:  # noqa: BLE001 - a cache that cannot be written is simply not kept
        temporary.unlink(missing_ok=True)


def _is_running(pid: int) -> bool:
    """True if a process with this id exists (its temporary file is still being written)."""
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:
        return True
    return True


def cached(path: Path, parse: Callable[[], tuple[pd.DataFrame, dict]]) -> tuple[pd.DataFrame, dict]:
    """The parsed frame kept at ``path``, or ``parse()``'s result, kept there for the next build."""
    kept = load(path)
    if kept is not None:
        return kept
    frame, extra = parse()
    store(path, frame, extra)
    return frame, extra
