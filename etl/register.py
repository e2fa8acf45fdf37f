"""The register of raw files (`data/sources.yml`): every file the build reads, with its hash.

The build refuses a file that is not registered, a registered file that is missing, and a file
whose sha256 differs from the register, naming the file each time. Every registered path stays
inside data/raw: an absolute path, a `..` or a symbolic link leading out is refused by the loader,
by `register` and by `fetch` (which would otherwise write there).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import yaml

from etl.errors import BuildError

REQUIRED_FIELDS = ("path", "title", "publisher", "origin", "licence", "retrieved", "sha256", "changes")
# An optional source (e.g. a newer official file that `python -m etl fetch` brings in) may be
# listed before it is first downloaded: until then it has no hash or date and must be absent.
REQUIRED_FIELDS_OPTIONAL = ("path", "title", "publisher", "origin", "licence", "changes")
# Files that sit beside the data to document it; they are never read by the build.
DOCUMENTATION_NAMES = {"PROVENANCE.md"}


@dataclass(frozen=True)
class RegisteredFile:
    """One raw file as recorded in the register."""

    path: str
    title: str
    publisher: str
    origin: dict
    licence: str
    retrieved: str | None
    sha256: str | None
    changes: str
    url: str | None = None
    # For Explore Education Statistics API listings: words in the title of the data set to take.
    ees_data_set: str | None = None
    optional: bool = False
    max_mb: float | None = None

    @property
    def present(self) -> bool:
        """False for an optional source that has not been downloaded yet."""
        return bool(self.sha256)


def sha256_of(path: Path) -> str:
    """Return the hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def outside_reason(raw_dir: Path, relative_path: str) -> str | None:
    """Why `raw_dir / relative_path` would lead outside `raw_dir`, in plain words; None when it stays in.

    Refused: an absolute path, any `..` part (register paths are written plainly), and a path that
    resolves outside `raw_dir`, or to `raw_dir` itself, through a symbolic link.
    """
    pure = PurePosixPath(relative_path)
    if pure.is_absolute():
        return "is an absolute path; register paths are relative to data/raw"
    if ".." in pure.parts:
        return "contains '..', which leads outside data/raw"
    root = raw_dir.resolve()
    resolved = (raw_dir / pure).resolve()
    if resolved == root or not resolved.is_relative_to(root):
        return "leads outside data/raw through a symbolic link"
    return None


def raw_path(raw_dir: Path, relative_path: str) -> Path:
    """The file `relative_path` names inside `raw_dir`.

    Raises:
        BuildError: the path would lead outside `raw_dir` (see `outside_reason`).
    """
    reason = outside_reason(raw_dir, relative_path)
    if reason:
        raise BuildError(f"path {relative_path!r} {reason}")
    return raw_dir / relative_path


def load_register(register_path: Path, raw_dir: Path | None = None) -> list[RegisteredFile]:
    """Read `sources.yml` into a list of entries.

    Args:
        raw_dir: the folder the entries' paths are inside (default: `raw/` beside the register).

    Raises:
        BuildError: the register is missing, is not valid YAML, an entry lacks a field, or an
            entry's path leads outside the raw folder.
    """
    raw_dir = register_path.parent / "raw" if raw_dir is None else raw_dir
    if not register_path.exists():
        raise BuildError(f"{register_path}: the source register is missing")
    try:
        document = yaml.safe_load(register_path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise BuildError(f"{register_path}: not valid YAML ({error})") from error
    entries = (document or {}).get("sources")
    if not isinstance(entries, list) or not entries:
        raise BuildError(f"{register_path}: expected a non-empty list under 'sources'")
    files = []
    for index, entry in enumerate(entries):
        required = REQUIRED_FIELDS_OPTIONAL if entry.get("optional") else REQUIRED_FIELDS
        missing = [field for field in required if not entry.get(field)]
        if missing:
            raise BuildError(
                f"{register_path}: entry {index + 1} ({entry.get('path', '?')}) lacks {', '.join(missing)}"
            )
        outside = outside_reason(raw_dir, str(entry["path"]))
        if outside:
            raise BuildError(f"data/{register_path.name}: entry {index + 1}: path {entry['path']!r} {outside}")
        known = RegisteredFile.__dataclass_fields__
        values = {key: entry[key] for key in known if entry.get(key) is not None}
        files.append(RegisteredFile(**{key: values.get(key) for key in REQUIRED_FIELDS} | values))
    return files


def verify_raw_files(raw_dir: Path, register_path: Path) -> list[RegisteredFile]:
    """Check that the raw folder holds exactly the registered files, each with its registered hash.

    Returns:
        The register entries, in register order.

    Raises:
        BuildError: naming the first unregistered, missing or changed file.
    """
    register = load_register(register_path, raw_dir)
    registered = {entry.path: entry for entry in register}
    on_disk = {
        path.relative_to(raw_dir).as_posix()
        for path in raw_dir.rglob("*")
        if path.is_file() and path.name not in DOCUMENTATION_NAMES and not path.name.startswith(".")
    }
    for unregistered in sorted(on_disk - registered.keys()):
        raise BuildError(
            f"data/raw/{unregistered}: file is not registered in data/sources.yml "
            "(add an entry with its title, publisher, origin, licence and sha256)"
        )
    for entry in register:
        path = raw_dir / entry.path
        if not entry.present:
            if path.exists():
                raise BuildError(
                    f"data/raw/{entry.path}: file is present but its register entry has no sha256; "
                    f"run `python -m etl register {entry.path}` if it is the intended file"
                )
            continue
        if not path.exists():
            raise BuildError(f"data/raw/{entry.path}: registered file is missing")
        actual = sha256_of(path)
        if actual != entry.sha256:
            raise BuildError(
                f"data/raw/{entry.path}: sha256 {actual[:12]}… does not match the register "
                f"({entry.sha256[:12]}…); the file has changed — re-register it if the change is intended"
            )
    return register


def update_registration(
    raw_dir: Path,
    register_path: Path,
    relative_path: str,
    today: str | None = None,
    changes: str | None = None,
    downloaded_from: str | None = None,
) -> None:
    """Record a replaced raw file's new sha256 and retrieval date in the register.

    The rest of the entry (title, licence, origin) is kept; edit it by hand if the origin changed.

    Args:
        changes: replaces the entry's `changes` text (e.g. "none: downloaded unmodified").
        downloaded_from: the URL the file came from; added to the entry's origin as
            `downloaded_from`, beside what the origin already says (repository, path, commit).

    Raises:
        BuildError: the path leads outside `raw_dir`, or the file is missing or not registered.
    """
    import datetime

    path = raw_path(raw_dir, relative_path)
    if not path.is_file():
        raise BuildError(f"data/raw/{relative_path}: file is missing")
    text = register_path.read_text(encoding="utf-8")
    header = "".join(line for line in text.splitlines(keepends=True) if line.startswith("#"))
    document = yaml.safe_load(text)
    for entry in document["sources"]:
        if entry["path"] == relative_path:
            entry["sha256"] = sha256_of(path)
            entry["retrieved"] = today or datetime.date.today().isoformat()
            if changes:
                entry["changes"] = changes
            if downloaded_from:
                origin = entry.get("origin")
                kept = origin if isinstance(origin, dict) else {"noted": origin} if origin else {}
                entry["origin"] = {**kept, "downloaded_from": downloaded_from}
            break
    else:
        raise BuildError(f"data/raw/{relative_path}: not in {register_path.name}; add an entry by hand first")
    body = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=120)
    register_path.write_text(header + body, encoding="utf-8")
    print(f"Registered data/raw/{relative_path} with sha256 {entry['sha256'][:12]}…")
