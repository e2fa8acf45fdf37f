"""Command line: `python -m etl` builds, `--check` re-checks, `register PATH` records a file's new hash,
`fetch` downloads the newest official files named in data/sources.yml and rebuilds.

Heavy libraries are imported only when a build is needed, so a skipped rebuild stays fast.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from etl.errors import BuildError
from etl.paths import DATA_DIR


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m etl", description="Build the GLD explorer database.")
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR, help="folder holding raw/ and sources.yml")
    parser.add_argument("--check", action="store_true", help="re-run the contracts on the existing database")
    parser.add_argument("--force", action="store_true", help="rebuild even if nothing changed")
    sub = parser.add_subparsers(dest="command")
    register = sub.add_parser("register", help="record the new sha256 and date of a replaced raw file")
    register.add_argument("path", help="path under data/raw, e.g. dfe-lait/bds_long_0.parquet")
    fetch = sub.add_parser(
        "fetch", help="download the newest official files (URLs in data/sources.yml), register them and rebuild"
    )
    fetch.add_argument("--dry-run", action="store_true", help="download and compare only; list what would change")
    fetch.add_argument("--only", nargs="+", metavar="PATH", help="fetch only these register paths")
    args = parser.parse_args(argv)
    try:
        if args.command == "fetch":
            from etl.fetch import Offline, fetch

            print("Fetching the newest official files" + (" (dry run)" if args.dry_run else ""), flush=True)
            try:
                return fetch(args.data_dir, dry_run=args.dry_run, only=args.only)
            except Offline as error:
                print(f"Fetch stopped: {error}", file=sys.stderr)
                print("Is this machine offline? Nothing was changed.", file=sys.stderr)
                return 1
        if args.command == "register":
            from etl.register import update_registration

            update_registration(args.data_dir / "raw", args.data_dir / "sources.yml", args.path)
            return 0
        if args.check:
            from etl.build import check_existing

            check_existing(args.data_dir)
            return 0
        from etl.build import build

        print("Building the GLD database")
        build(args.data_dir, force=args.force)
        return 0
    except (BuildError, OSError) as error:
        print(
            f"{'Fetch' if args.command == 'fetch' else 'Build'} failed: {describe(error, args.data_dir)}",
            file=sys.stderr,
        )
        print("The previous database (if any) is unchanged.", file=sys.stderr)
        return 1


def describe(error: BuildError | OSError, data_dir: Path) -> str:
    """One line for a failed command: a BuildError's message, or an OSError's file (as `data/…`) and reason.

    The build turns the failures it expects into BuildErrors; an OSError here is one it did not
    (a file it cannot read, say), still told without a traceback.
    """
    if isinstance(error, BuildError):
        return str(error)
    from etl.build import BuildPaths

    paths = BuildPaths(data_dir)
    reason = paths.relabel(error.strerror or str(error))
    if isinstance(error.filename, str | os.PathLike):
        return f"{paths.label(Path(error.filename))}: {reason}"
    return reason


if __name__ == "__main__":
    sys.exit(main())
