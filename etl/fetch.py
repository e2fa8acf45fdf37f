"""`python -m etl fetch`: bring the raw files up to date from the official sources, then rebuild.

For every register entry with a `url` (data/sources.yml), download the file into a staging folder
beside data/raw, check it (size limit, not an HTML error page, the file type's signature), and
compare its sha256 with the register. Unchanged files are left alone. Changed or new files are
moved into data/raw atomically, registered (new sha256, date, URL) and the database is rebuilt.
If that build fails, every replaced file and the register are put back, so a bad release never
leaves the project half-updated; the previous database is untouched either way.

An entry whose `url` is an Explore Education Statistics API listing of a publication's data sets
also names `ees_data_set` (words in the data set's title). The listing is paged: every page up to
its `paging.totalPages` is read (at most LISTING_MAX_PAGES), and the matching data set's CSV is
taken from the same API, so each November's release is found without editing the register.

Every request goes through urllib3's `Retry` (mounted with requests' `HTTPAdapter`): HTTP 429,
500, 502, 503 and 504, a server silent past the read timeout and a connection dropped before the
headers are tried `retries` times in all, with exponential backoff, waiting as long as a
`Retry-After` header asks (up to RETRY_AFTER_MAX). A transfer that breaks off or stalls after the
headers is started again, up to `retries` times. A host that cannot be connected to is not retried.

A file that still cannot be fetched (or a redirect loop, a redirect to a non-web address, a
malformed listing) is reported in one line naming its register path; the other files still land.
Only this command touches the network; the app never does. With no network (no host reached at
all) it stops and changes nothing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from requests.exceptions import (
    ChunkedEncodingError,
    ConnectTimeout,
    InvalidSchema,
    InvalidURL,
    MissingSchema,
    RequestException,
    SSLError,
    Timeout,
    TooManyRedirects,
)
from urllib3.exceptions import MaxRetryError, NewConnectionError, ReadTimeoutError
from urllib3.util.retry import Retry

from etl.errors import BuildError
from etl.register import RegisteredFile, load_register, raw_path, sha256_of, update_registration, verify_raw_files

TIMEOUT = (10.0, 60.0)  # seconds: to connect, and between bytes received
RETRIES = 3  # attempts per request (server errors, silence) and per transfer that breaks off
# Seconds: urllib3 tries again at once, then waits BACKOFF, 2×BACKOFF…; a broken transfer waits
# BACKOFF, 2×BACKOFF… before starting again.
BACKOFF = 2.0
RETRY_AFTER_MAX = 120  # seconds: a server asking for a longer wait is tried again after this
DEFAULT_MAX_MB = 200.0
LISTING_MAX_MB = 5.0  # a page of an EES data-set listing is a few kB of JSON
# The most data sets the EES API gives per page: it answers a larger pageSize with HTTP 400.
LISTING_PAGE_SIZE = 20
# 1,000 data sets, far more than any publication has: a longer listing is the wrong URL or a broken
# server, and is refused rather than read for minutes.
LISTING_MAX_PAGES = 50
LISTING_TITLES_SHOWN = 10  # titles quoted when no single data set matches
CHUNK = 1 << 16
USER_AGENT = "gld-profile-explorer-fetch/1.0 (python-requests)"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class FetchError(BuildError):
    """A download that cannot be used; the message names the file and the URL."""


class Offline(FetchError):
    """No host could be reached at all: stop, nothing changed."""


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
        session: the requests session to use (the retrying adapter is mounted on it).
        timeout, retries, backoff: see TIMEOUT, RETRIES and BACKOFF.

    Returns:
        0 when every file was fetched (changed or not) and any rebuild succeeded; 1 when a file
        could not be fetched (the others still land) or the rebuild failed (everything restored).

    Raises:
        Offline: no host could be reached at all; nothing was changed.
        BuildError: the raw folder did not match the register before fetching, a register path
            leads outside data/raw, or the download folder cannot be made.
    """
    data_dir = Path(data_dir)
    raw_dir, register_path = data_dir / "raw", data_dir / "sources.yml"
    verify_raw_files(raw_dir, register_path)  # start from a consistent folder, every path inside raw/
    entries = [entry for entry in load_register(register_path) if entry.url]
    if only:
        unknown = sorted(set(only) - {entry.path for entry in entries})
        if unknown:
            raise FetchError(f"{unknown[0]}: not a register entry with a url in {register_path.name}")
        entries = [entry for entry in entries if entry.path in only]
    if not entries:
        echo("No register entry has a url; nothing to fetch.")
        return 0

    client = Client(_retrying(session or _session(), retries, backoff), timeout, retries, backoff)
    with _staging_folder(data_dir, dry_run) as staging:
        outcomes = []
        for entry in entries:
            outcome = _fetch_one(entry, raw_dir, staging, client)
            outcomes.append(outcome)
            echo(_describe(outcome, dry_run))
        if client.unreachable and not client.reached:
            raise Offline(next(iter(client.unreachable.values())))
        to_land = [o for o in outcomes if o.status in ("changed", "new")]
        failed = [o for o in outcomes if o.status == "failed"]
        not_fetched = f"{len(failed)} file(s) could not be fetched (see above)" if failed else ""
        if dry_run:
            echo(f"Dry run: {len(to_land)} file(s) would change; nothing was written. {not_fetched}".rstrip())
        elif to_land:
            if not _land_and_build(to_land, raw_dir, register_path, staging, data_dir, echo):
                return 1
            echo(f"Commit data/raw and data/sources.yml to share the update. {not_fetched}".rstrip())
        elif failed:
            echo(f"{not_fetched}; nothing changed and the database was not rebuilt.")
        else:
            echo("Every file is up to date; the database was not rebuilt.")
        return 1 if failed else 0


def _session() -> requests.Session:
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    return session


def _retrying(session: requests.Session, retries: int, backoff: float) -> requests.Session:
    """Mount urllib3's Retry on `session`: `retries` attempts for server errors and silence."""
    policy = Retry(
        total=retries - 1,
        connect=0,  # cannot connect: no network or host down, which seconds of backoff do not mend
        other=0,  # e.g. a certificate error: the same next time
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET"}),
        backoff_factor=backoff / 2,  # urllib3 waits factor × 2^(n−1) after n failures in a row
        respect_retry_after_header=True,
        retry_after_max=RETRY_AFTER_MAX,
        raise_on_status=False,  # give back the last 503 so its status is reported
    )
    adapter = HTTPAdapter(max_retries=policy)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


@contextmanager
def _staging_folder(data_dir: Path, dry_run: bool) -> Iterator[Path]:
    """A fresh folder for downloads, removed afterwards.

    Beside data/raw (data/.fetch) so that changed files land by an atomic rename; for a dry run in
    the system's temporary folder, so that a read-only data/ can still be checked.
    """
    staging = data_dir / ".fetch"
    try:
        if dry_run:
            staging = Path(tempfile.mkdtemp(prefix="gld-fetch-"))
        else:
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir()
    except OSError as error:
        where = "the system's temporary folder" if dry_run else f"{data_dir.name}/{staging.name}"
        raise FetchError(f"cannot make a download folder in {where}: {_os_words(error)}") from error
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _describe(outcome: Outcome, dry_run: bool) -> str:
    verb = {
        "unchanged": "unchanged",
        "changed": "would replace" if dry_run else "replace",
        "new": "would add" if dry_run else "add",
        "failed": "FAILED",
    }[outcome.status]
    size = f" ({outcome.size / 1e6:.1f} MB)" if outcome.size else ""
    detail = f": {' '.join(outcome.detail.split())}" if outcome.detail else ""  # one line
    return f"  {verb:<14} data/raw/{outcome.path}{size}{detail}"


def _fetch_one(entry: RegisteredFile, raw_dir: Path, staging: Path, client: Client) -> Outcome:
    """Download one entry into the staging folder and classify it; never touches data/raw."""
    url = entry.url
    target = staging / entry.path  # the register loader has checked the path stays inside
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if entry.ees_data_set:
            url = resolve_ees_data_set(entry, client, target.with_name(target.name + ".listing"))
        client.download(url, target, int((entry.max_mb or DEFAULT_MAX_MB) * 1e6))
        check_content(target, entry.path)
        digest, size = sha256_of(target), target.stat().st_size
    except FetchError as error:
        return Outcome(entry.path, url, "failed", str(error))
    except OSError as error:
        return Outcome(entry.path, url, "failed", f"cannot save the download: {_os_words(error)}")
    if not entry.present or not (raw_dir / entry.path).exists():
        return Outcome(entry.path, url, "new", f"sha256 {digest[:12]}…", target, size)
    if digest == entry.sha256:
        return Outcome(entry.path, url, "unchanged")
    return Outcome(entry.path, url, "changed", f"sha256 {entry.sha256[:12]}… → {digest[:12]}…", target, size)


@dataclass
class Client:
    """The network side of one fetch: a retrying session, and the hosts that could not be reached."""

    session: requests.Session
    timeout: tuple[float, float]
    retries: int
    backoff: float
    unreachable: dict[str, str] = field(default_factory=dict)  # host → why, in plain words
    reached: bool = False  # some host answered during this fetch

    def get(self, url: str) -> requests.Response:
        """GET `url` (streamed), urllib3 retrying server errors and silence.

        Raises:
            FetchError: the request failed for good (the message says why in plain words); the
                host is remembered as unreachable when no connection could be made.
        """
        host = urlsplit(url).netloc
        if host in self.unreachable:
            raise FetchError(f"not tried: {host} could not be reached (above)")
        try:
            response = self.session.get(url, timeout=self.timeout, stream=True, allow_redirects=True)
        except RequestException as error:
            why = _in_words(error, url, self.timeout[1])
            if _cannot_connect(error):
                self.unreachable.setdefault(_host(error, url), why)
            elif isinstance(error.args[0] if error.args else None, MaxRetryError):
                why += f"; gave up after {self.retries} attempts"
            raise FetchError(why) from error
        self.reached = True
        return response

    def download(self, url: str, target: Path, max_bytes: int) -> None:
        """Stream `url` into `target`, starting again when the transfer breaks off or stalls.

        Raises:
            FetchError: an HTTP error (after urllib3's retries for 429 and 5xx), too large, a web
                page, or still broken after `retries` transfers.
        """
        problem = ""
        for attempt in range(1, self.retries + 1):
            if attempt > 1:
                time.sleep(self.backoff * 2 ** (attempt - 2))
            with self.get(url) as response:
                declared = _check_response(response, url, max_bytes, self.retries)
                try:
                    received = _stream_to(response, target, max_bytes, url)
                except RequestException as error:  # broken off, or silent past the timeout
                    problem = _in_words(error, url, self.timeout[1])
                    continue
            # A compressed body is counted after decoding; urllib3 checks its length on the wire.
            if declared is not None and received != declared and not response.headers.get("Content-Encoding"):
                problem = f"{received} of {declared} bytes"
                continue
            return
        target.unlink(missing_ok=True)
        raise FetchError(f"incomplete download from {url}: {problem}; gave up after {self.retries} attempts")


def _check_response(response: requests.Response, url: str, max_bytes: int, retries: int) -> int | None:
    """Refuse an HTTP error, a declared size over the limit or a web page; return the declared size."""
    if response.status_code >= 400:
        tried = f"; gave up after {retries} attempts" if response.status_code in RETRY_STATUSES else ""
        raise FetchError(f"HTTP {response.status_code} {response.reason} from {url}{tried}")
    declared = response.headers.get("Content-Length", "")
    size = int(declared) if declared.isdigit() else None
    if size is not None and size > max_bytes:
        raise FetchError(f"{url} is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:g} MB limit")
    if "text/html" in response.headers.get("Content-Type", "").lower():
        raise FetchError(f"{url} returned a web page (text/html), not a data file")
    return size


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


def resolve_ees_data_set(entry: RegisteredFile, client: Client, listing_file: Path) -> str:
    """Find the CSV URL of the data set whose title contains `entry.ees_data_set` in an EES listing.

    The listing is `…/v1/publications/{publicationId}/data-sets`, paged: pages 1, 2, … are asked for
    (`page=N&pageSize=LISTING_PAGE_SIZE`, any other query in the URL kept) up to the
    `paging.totalPages` each page reports. The CSV of a data set's latest version is
    `…/v1/data-sets/{dataSetId}/csv`. Each page is downloaded like any file (retries, size limit,
    not a web page) into `listing_file`, which is removed afterwards.

    Raises:
        FetchError: a page cannot be read or is malformed (no `results` list, a data set without
            `id` or `title`, no `paging`, a page number that is not a whole number, another page
            than the one asked for), the listing has more than LISTING_MAX_PAGES pages, or no
            single data set matches.
    """
    listing_url = entry.url
    titles: dict[str, str] = {}  # id → title; a data set met on two pages (the listing moved) counts once
    page, last_page = 1, 1
    while page <= last_page:
        results, last_page = _listing_page(client, listing_url, page, listing_file)
        if last_page > LISTING_MAX_PAGES:
            raise FetchError(
                f"{listing_url}: the listing has {last_page} pages ({LISTING_PAGE_SIZE} data sets a page), more "
                f"than the {LISTING_MAX_PAGES} read; check the entry's url"
            )
        for item in results:
            titles.setdefault(item["id"], item["title"])
        page += 1
    wanted = entry.ees_data_set.lower()
    matches = [data_set_id for data_set_id, title in titles.items() if wanted in title.lower()]
    if len(matches) != 1:
        shown = list(titles.values())[:LISTING_TITLES_SHOWN]
        more = len(titles) - len(shown)
        listed = "; ".join(shown) + (f"; and {more} more" if more else "") if shown else "none"
        raise FetchError(
            f"{listing_url}: {len(matches)} data sets have {entry.ees_data_set!r} in their title "
            f"(expected 1; titles: {listed})"
        )
    api_base = listing_url.split("/publications/")[0]
    return f"{api_base}/data-sets/{quote(matches[0], safe='')}/csv"


def listing_page_url(listing_url: str, page: int) -> str:
    """`listing_url` asking for one page: its own query kept, its own page and pageSize replaced.

    The API reads query names whatever their case, so `PageSize=5` is replaced too.
    """
    parts = urlsplit(listing_url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() not in ("page", "pagesize")]
    query += [("page", str(page)), ("pageSize", str(LISTING_PAGE_SIZE))]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _listing_page(client: Client, listing_url: str, page: int, listing_file: Path) -> tuple[list[dict], int]:
    """Download and check one page of an EES listing; return its data sets and the listing's page count."""
    page_url = listing_page_url(listing_url, page)
    try:
        client.download(page_url, listing_file, int(LISTING_MAX_MB * 1e6))
        listing = json.loads(listing_file.read_bytes())
    except ValueError as error:  # not JSON, or not UTF-8
        raise FetchError(f"{page_url} did not return a JSON list of data sets") from error
    finally:
        listing_file.unlink(missing_ok=True)
    results = listing.get("results") if isinstance(listing, dict) else None
    if not isinstance(results, list):
        raise FetchError(f"{page_url}: no 'results' list in the response")
    for number, item in enumerate(results, start=1):
        lacking = [key for key in ("id", "title") if not (isinstance(item, dict) and _text(item.get(key)))]
        if lacking:
            raise FetchError(f"{page_url}: data set {number} of {len(results)} has no {' or '.join(lacking)}")
    paging = listing.get("paging")
    if not isinstance(paging, dict):
        raise FetchError(f"{page_url}: no 'paging' in the response, so the other pages cannot be found")
    for key in ("page", "totalPages"):
        if key not in paging:
            raise FetchError(f"{page_url}: no paging.{key} in the response")
        value = paging[key]
        # bool is an int to Python, not to JSON
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise FetchError(f"{page_url}: paging.{key} is {json.dumps(value)}, not a whole number")
    if paging["page"] != page:
        raise FetchError(f"{page_url}: asked for page {page}, the answer is page {paging['page']}")
    return results, paging["totalPages"]


def _text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


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


def _host(error: RequestException, url: str) -> str:
    """The host a failed request was for (a redirect may have led to another)."""
    request_url = getattr(error.request, "url", None)
    return urlsplit(request_url if isinstance(request_url, str) else url).netloc


def _cannot_connect(error: RequestException) -> bool:
    """No connection could be made (name not resolved, refused, timed out connecting)."""
    cause = error.args[0] if error.args else None
    return isinstance(error, ConnectTimeout) or isinstance(getattr(cause, "reason", cause), NewConnectionError)


def _in_words(error: RequestException, url: str, read_timeout: float) -> str:
    """What went wrong with a request, in plain words: no exception names, no traceback."""
    host = _host(error, url)
    cause = error.args[0] if error.args else None
    cause = getattr(cause, "reason", cause)  # a MaxRetryError carries the last failure
    if isinstance(error, TooManyRedirects):
        return f"{url} redirects in a loop (too many redirects)"
    if isinstance(error, InvalidSchema | MissingSchema | InvalidURL):
        quoted = re.search(r"'([^']+)'", str(error))
        target = quoted.group(1) if quoted else "an address"
        return f"{url} leads to {target}, which is not an http or https address; it was not followed"
    if _cannot_connect(error):
        return f"cannot connect to {host}: {'timed out' if isinstance(error, ConnectTimeout) else _why(error)}"
    if isinstance(error, SSLError):
        return f"the secure connection to {host} failed (certificate or TLS problem)"
    if isinstance(error, Timeout) or isinstance(cause, ReadTimeoutError):
        return f"{host} sent nothing for {read_timeout:g} s"
    if isinstance(error, ChunkedEncodingError | requests.ConnectionError):
        return f"the connection to {host} broke off"
    return f"the request to {host} failed ({_short(error)})"


def _os_words(error: OSError) -> str:
    """An OSError's reason without its absolute path, e.g. 'Permission denied'."""
    return error.strerror or type(error).__name__


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
            destination = raw_path(raw_dir, outcome.path)  # checked again just before writing
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
        unrestored = _restore(backups, raw_dir, register_path, register_before)
        if not isinstance(error, BuildError | OSError):
            raise
        if isinstance(error, BuildError):
            echo(f"The updated files do not build: {error}")
        else:
            echo(f"The updated files could not be put in place: {_os_words(error)}")
        if unrestored:
            echo(f"Could not put back {', '.join(unrestored)}: restore them with git.")
        else:
            echo("data/raw and data/sources.yml are restored; the database is unchanged.")
        return False


def _restore(backups: dict[Path, Path | None], raw_dir: Path, register_path: Path, register_before: bytes) -> list[str]:
    """Put back the replaced files and the register; return what could not be put back."""
    unrestored = []
    for destination, backup in backups.items():
        try:
            if backup is None:
                destination.unlink(missing_ok=True)
            else:
                os.replace(backup, destination)
        except OSError:
            unrestored.append(f"data/raw/{destination.relative_to(raw_dir).as_posix()}")
    try:
        register_path.write_bytes(register_before)
    except OSError:
        unrestored.append(f"data/{register_path.name}")
    return unrestored
