"""The register keeps every path inside data/raw, and a fetch adds its URL to an entry's origin.

Each test breaks a copy of data/ (the `data_copy` fixture); the file a bad path points at is
outside that copy and must come through untouched.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from etl.errors import BuildError
from etl.fetch import fetch
from etl.raw_files import LAS_FILE as LAS
from etl.register import load_register, sha256_of, update_registration

# How each kind of escape is written in the register, and the words the refusal uses for it.
ESCAPES = {
    "dotdot": ("../../outside/victim.csv", "contains '..', which leads outside data/raw"),
    "absolute": ("/etc/passwd", "is an absolute path; register paths are relative to data/raw"),
    "symlink": ("escape/victim.csv", "leads outside data/raw through a symbolic link"),
}


def register_entries(data_dir: Path) -> list[dict]:
    return yaml.safe_load((data_dir / "sources.yml").read_text())["sources"]


def add_escaping_entry(data_dir: Path, kind: str) -> tuple[str, Path]:
    """Register a file (with a url, as fetch would download) whose path leads outside data/raw.

    Returns the registered path and the file outside that it reaches.
    """
    outside = data_dir.parent / "outside"
    outside.mkdir()
    victim = outside / "victim.csv"
    victim.write_text("a,b\n1,2\n")
    if kind == "symlink":
        (data_dir / "raw" / "escape").symlink_to(outside, target_is_directory=True)
    path = ESCAPES[kind][0]
    document = yaml.safe_load((data_dir / "sources.yml").read_text())
    document["sources"].append(
        {
            "path": path,
            "title": "A file outside data/raw",
            "publisher": "Nobody",
            "origin": {"note": "a test of the path checks"},
            "licence": "none",
            "optional": True,
            "changes": "none",
            "url": "http://127.0.0.1:9/victim.csv",  # never asked for: the path is refused first
        }
    )
    (data_dir / "sources.yml").write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True))
    return path, Path(path) if kind == "absolute" else victim


@pytest.mark.parametrize("action", ["load_register", "fetch", "register"])
@pytest.mark.parametrize("kind", list(ESCAPES))
def test_a_path_leading_outside_raw_is_refused(data_copy, kind, action):
    path, reached = add_escaping_entry(data_copy, kind)
    register = data_copy / "sources.yml"
    untouched = (register.read_bytes(), sha256_of(reached))

    with pytest.raises(BuildError) as refused:
        if action == "load_register":
            load_register(register)
        elif action == "fetch":
            fetch(data_copy, timeout=(1.0, 1.0), retries=1, backoff=0.0)
        else:  # `python -m etl register <path>`
            update_registration(data_copy / "raw", register, path)

    assert f"path {path!r} {ESCAPES[kind][1]}" in str(refused.value)
    assert (register.read_bytes(), sha256_of(reached)) == untouched
    assert not (data_copy / ".fetch").exists()


def test_loader_names_the_entry_number(data_copy):
    add_escaping_entry(data_copy, "dotdot")
    number = len(register_entries(data_copy))
    with pytest.raises(
        BuildError, match=rf"^data/sources.yml: entry {number}: path '\.\./\.\./outside/victim.csv' contains"
    ):
        load_register(data_copy / "sources.yml")


def test_a_fetched_file_keeps_its_origin(data_copy):
    raw, register = data_copy / "raw", data_copy / "sources.yml"
    origin = next(item for item in register_entries(data_copy) if item["path"] == LAS)["origin"]
    assert {"repository", "path", "commit"} <= origin.keys()

    for url in ("https://example.org/las.csv", "https://example.org/2026/las.csv"):
        update_registration(raw, register, LAS, changes="none: downloaded unmodified", downloaded_from=url)
        registered = next(item for item in register_entries(data_copy) if item["path"] == LAS)
        # The repository, path and commit stay; the latest URL is added beside them.
        assert registered["origin"] == {**origin, "downloaded_from": url}
