"""`python -m etl fetch`: bring the raw files up to date from the official sources, then rebuild.

For every register entry with a `url` (data/sources.yml), download the file into a staging folder
beside data/raw, check it (size limit, not an HTML error page, the file type's signature), and
compare its sha256 with the register. Unchanged files are left alone. Changed or new files are
moved into data/raw atomically, registered (new sha256, date, URL) and the database is rebuilt.
If that build fails, every replaced file and the register are put back, so a bad release never
leaves the project half-updated; the previous database is untouched either way.

An entry whose `url` is an Explore Education Statistics API listing of a publication's data sets
also names `ees_data_set` (words in the data set's title); the matching data set's CSV is taken
from the same API, so each November's release is found without editing the register.

Only this command touches the network; the app never does. With no network it stops at the first
connection and changes nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests

from etl.errors import BuildError
from etl.register import RegisteredFile, load_register, sha256_of, update_registration, verify_raw_files

TIMEOUT = (10.0, 60.0)  # seconds: to connect, and between bytes received
RETRIES = 3  # attempts per file for server errors, timeouts and broken transfers
BACKOFF = 2.0  # seconds before the second attempt, doubled each time
DEFAULT_MAX_MB = 200.0
CHUNK = 1 << 16
USER_AGENT = "gld-profile-explorer-fetch/1.0 (python-requests)"
RETRY_STATUSES = {429, 500, 502, 503, 504}


class FetchError(BuildError):
    """A download that cannot be used; the message names the file and the URL."""


class Offline(FetchError):
    """No connection could be made at all: stop at once, nothing changed."""


@dataclass
class Outcome:
    """What happened to one registered file."""

    path: str
    url: str
    status: str  # 'unchanged' | 'changed' | 'new' | 'failed'
    detail: str = ""
    staged: Path | None = None
    size: int = 0


def fetch(
    data_dir: Path,
    dry_run: bool = False,
    only: list[str] | None = None,
    session: requests.Session | None = None,
    echo: Callable[[str], None] = print,
    timeout: tuple[float, float] = TIMEOUT,
    retries: int = RETRIES,
    backoff: float = BACKOFF,
) -> int:
    """Download the newest official files, register them and rebuild. Returns an exit code.

    Args:
        data_dir: the folder holding raw/, sources.yml and the database.
        dry_run: download and compare only; list what would change; change nothing.
        only: register paths to fetch (default: every entry with a URL).

    Returns:
        0 when every file was fetched (changed or not) and any rebuild succeeded; 1 when a file
        could not be fetched (the others still land) or the rebuild failed (everything restored).

    Raises:
        Offline: no connection at all; nothing was changed.
        BuildError: the raw folder did not match the register before fetching.
    """
    data_dir = Path(data_dir)
    raw_dir, register_path = data_dir / "raw", data_dir / "sources.yml"
    verify_raw_files(raw_dir, register_path)  # start from a consistent folder
    entries = [entry for entry in load_register(register_path) if entry.url]
    if only:
        unknown = sorted(set(only) - {entry.path for entry in entries})
        if unknown:
            raise FetchError(f"{unknown[0]}: not a register entry with a url in {register_path.name}")
        entries = [entry for entry in entries if entry.path in only]
    if not entries:
        echo("No register entry has a url; nothing to fetch.")
        return 0

    session = session or _session()
    staging = data_dir / ".fetch"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        outcomes = []
        for entry in entries:
            outcome = _fetch_one(entry, raw_dir, staging, session, timeout, retries, backoff)
            outcomes.append(outcome)
            echo(_describe(outcome, dry_run))
        to_land = [o for o in outcomes if o.status in ("changed", "new")]
        failed = [o for o in outcomes if o.status == "failed"]
        if dry_run:
            echo(f"Dry run: {len(to_land)} file(s) would change; nothing was written.")
            return 1 if failed else 0
        if not to_land:
            echo("Every file is up to date; the database was not rebuilt.")
            return 1 if failed else 0
        if not _land_and_build(to_land, raw_dir, register_path, staging, data_dir, echo):
            return 1
        echo("Commit data/raw and data/sources.yml to share the update.")
        return 1 if failed else 0
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _session() -> requests.Session:
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    return session


def _describe(outcome: Outcome, dry_run: bool) -> str:
    verb = {
        "unchanged": "unchanged",
        "changed": "would replace" if dry_run else "replace",
        "new": "would add" if dry_run else "add",
        "failed": "FAILED",
    }[outcome.status]
    size = f" ({outcome.size / 1e6:.1f} MB)" if outcome.size else ""
    detail = f": {outcome.detail}" if outcome.detail else ""
    return f"  {verb:<14} data/raw/{outcome.path}{size}{detail}"


def _fetch_one(
    entry: RegisteredFile,
    raw_dir: Path,
    staging: Path,
    session: requests.Session,
    timeout: tuple[float, float],
    retries: int,
    backoff: float,
) -> Outcome:
    """Download one entry into the staging folder and classify it; never touches data/raw."""
    url = entry.url
    try:
        if entry.ees_data_set:
            url = resolve_ees_data_set(entry, session, timeout)
        target = staging / entry.path
        target.parent.mkdir(parents=True, exist_ok=True)
        max_bytes = int((entry.max_mb or DEFAULT_MAX_MB) * 1e6)
        download(url, target, session, timeout, retries, backoff, max_bytes)
        check_content(target, entry.path)
    except Offline:
        raise
    except FetchError as error:
        return Outcome(entry.path, url, "failed", str(error))
    digest = sha256_of(target)
    size = target.stat().st_size
    if not entry.present or not (raw_dir / entry.path).exists():
        return Outcome(entry.path, url, "new", f"sha256 {digest[:12]}…", target, size)
    if digest == entry.sha256:
        return Outcome(entry.path, url, "unchanged")
    return Outcome(entry.path, url, "changed", f"sha256 {entry.sha256[:12]}… → {digest[:12]}…", target, size)


def _get(
    url: str,
    session: requests.Session,
    timeout: tuple[float, float],
    attempt_label: str,
    stream: bool = False,
) -> requests.Response:
    """One GET; connection failures become Offline (no retry: offline must fail fast)."""
    try:
        return session.get(url, timeout=timeout, stream=stream, allow_redirects=True)
    except requests.exceptions.ConnectTimeout as error:
        raise Offline(f"cannot connect to {urlsplit(url).netloc} ({attempt_label}): timed out") from error
    except requests.exceptions.ConnectionError as error:
        # Name resolution failures and refused connections arrive here before any byte is read.
        raise Offline(f"cannot connect to {urlsplit(url).netloc} ({attempt_label}): {_why(error)}") from error


def download(
    url: str,
    target: Path,
    session: requests.Session,
    timeout: tuple[float, float],
    retries: int,
    backoff: float,
    max_bytes: int,
) -> None:
    """Stream `url` into `target`, retrying server errors and broken transfers.

    Raises:
        Offline: the host cannot be reached at all.
        FetchError: a client error (e.g. 404), too large, or still broken after `retries` attempts.
    """
    last_problem = ""
    for attempt in range(1, retries + 1):
        if attempt > 1:
            time.sleep(backoff * 2 ** (attempt - 2))
        response = _get(url, session, timeout, f"attempt {attempt}", stream=True)
        with response:
            if response.status_code in RETRY_STATUSES:
                last_problem = f"HTTP {response.status_code} from {url}"
                continue
            if response.status_code >= 400:
                raise FetchError(f"HTTP {response.status_code} {response.reason} from {url}")
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise FetchError(f"{url} is {int(declared) / 1e6:.1f} MB, over the {max_bytes / 1e6:g} MB limit")
            if "text/html" in response.headers.get("Content-Type", "").lower():
                raise FetchError(f"{url} returned a web page (text/html), not a data file")
            try:
                received = _stream_to(response, target, max_bytes, url)
            except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ReadTimeout) as error:
                last_problem = f"incomplete download from {url}: the transfer broke off ({_short(error)})"
                continue
            if declared and declared.isdigit() and received != int(declared):
                last_problem = f"incomplete download from {url}: {received} of {declared} bytes"
                continue
            return
    target.unlink(missing_ok=True)
    raise FetchError(f"{last_problem}; gave up after {retries} attempts")


def _stream_to(response: requests.Response, target: Path, max_bytes: int, url: str) -> int:
    received = 0
    with target.open("wb") as handle:
        for block in response.iter_content(CHUNK):
            received += len(block)
            if received > max_bytes:
                handle.close()
                target.unlink(missing_ok=True)
                raise FetchError(f"{url} is over the {max_bytes / 1e6:g} MB limit; download stopped")
            handle.write(block)
    return received


def resolve_ees_data_set(entry: RegisteredFile, session: requests.Session, timeout: tuple[float, float]) -> str:
    """Find the CSV URL of the data set whose title contains `entry.ees_data_set` in an EES listing.

    The listing is `…/v1/publications/{publicationId}/data-sets`; the CSV of a data set's latest
    version is `…/v1/data-sets/{dataSetId}/csv`.

    Raises:
        FetchError: the listing cannot be read, or no single data set matches.
    """
    listing_url = entry.url
    response = _get(listing_url, session, timeout, "data set listing")
    with response:
        if response.status_code >= 400:
            raise FetchError(f"HTTP {response.status_code} {response.reason} from {listing_url}")
        try:
            listing = response.json()
        except (ValueError, json.JSONDecodeError) as error:
            raise FetchError(f"{listing_url} did not return a JSON list of data sets") from error
    results = listing.get("results") if isinstance(listing, dict) else None
    if not isinstance(results, list):
        raise FetchError(f"{listing_url}: no 'results' list in the response")
    wanted = entry.ees_data_set.lower()
    matches = [item for item in results if wanted in str(item.get("title", "")).lower()]
    if len(matches) != 1:
        titles = "; ".join(str(item.get("title")) for item in results) or "none"
        raise FetchError(
            f"{listing_url}: {len(matches)} data sets have {entry.ees_data_set!r} in their title "
            f"(expected 1; titles: {titles})"
        )
    api_base = listing_url.split("/publications/")[0]
    return f"{api_base}/data-sets/{matches[0]['id']}/csv"


def check_content(path: Path, relative_path: str) -> None:
    """Check that a downloaded file is the kind of file its name says, not an error page.

    Raises:
        FetchError: empty, an HTML page, or the wrong file signature for its extension.
    """
    size = path.stat().st_size
    if size == 0:
        raise FetchError(f"{relative_path}: the download is empty")
    with path.open("rb") as handle:
        head = handle.read(4096)
        handle.seek(max(0, size - 8))
        tail = handle.read()
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith((b"<!doctype html", b"<html", b"<head", b"<?xml")):
        raise FetchError(f"{relative_path}: the download is a web page, not a data file ({_first_line(head)})")
    suffix = relative_path.lower().rsplit(".", 1)[-1]
    if suffix == "parquet" and not (head.startswith(b"PAR1") and tail.endswith(b"PAR1")):
        raise FetchError(f"{relative_path}: not a complete Parquet file (no PAR1 marker at both ends)")
    if suffix == "xlsx" and not _is_xlsx(path):
        raise FetchError(f"{relative_path}: not a complete Excel workbook")
    if suffix in ("geojson", "json") and not start.startswith(b"{"):
        raise FetchError(f"{relative_path}: not JSON ({_first_line(head)})")
    if suffix == "csv":
        try:
            first = head.decode("utf-8-sig", errors="strict").splitlines()[0]
        except (UnicodeDecodeError, IndexError):
            first = ""
        if first.count(",") < 1:
            raise FetchError(f"{relative_path}: not a CSV file (first line {first[:60]!r})")


def _is_xlsx(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            return "[Content_Types].xml" in archive.namelist() and archive.testzip() is None
    except zipfile.BadZipFile:
        return False


def _first_line(head: bytes) -> str:
    return head.decode("utf-8", errors="replace").strip().splitlines()[0][:60] if head.strip() else ""


def _why(error: Exception) -> str:
    """The cause of a connection failure in plain words."""
    text = str(error)
    if "NameResolution" in text or "Failed to resolve" in text or "Name or service not known" in text:
        return "the host name could not be resolved"
    if "Connection refused" in text:
        return "the connection was refused"
    if "Network is unreachable" in text:
        return "the network is unreachable"
    return _short(text)


def _short(error: object) -> str:
    text = str(error)
    return text if len(text) <= 160 else text[:157] + "…"


def _land_and_build(
    to_land: list[Outcome],
    raw_dir: Path,
    register_path: Path,
    staging: Path,
    data_dir: Path,
    echo: Callable[[str], None],
) -> bool:
    """Move the new files into data/raw, register them and rebuild; undo everything on failure."""
    from etl.build import build

    register_before = register_path.read_bytes()
    backups: dict[Path, Path | None] = {}
    backup_dir = staging / ".previous"
    try:
        for outcome in to_land:
            destination = raw_dir / outcome.path
            backup = None
            if destination.exists():
                backup = backup_dir / outcome.path
                backup.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(destination, backup)
            backups[destination] = backup
            destination.parent.mkdir(parents=True, exist_ok=True)
            os.replace(outcome.staged, destination)  # same file system: atomic
            update_registration(
                raw_dir,
                register_path,
                outcome.path,
                changes="none: downloaded unmodified by `python -m etl fetch`",
                downloaded_from=outcome.url,
            )
        echo("Rebuilding the database from the updated files")
        build(data_dir, echo=echo)
        return True
    except BaseException as error:
        for destination, backup in backups.items():
            if backup is None:
                destination.unlink(missing_ok=True)
            else:
                os.replace(backup, destination)
        register_path.write_bytes(register_before)
        if isinstance(error, BuildError):
            echo(f"The updated files do not build: {error}")
            echo("data/raw and data/sources.yml are restored; the database is unchanged.")
            return False
        raise
