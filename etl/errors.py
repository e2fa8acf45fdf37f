"""The one exception the build raises for bad input, so the CLI can print it as one line."""

from __future__ import annotations


class BuildError(Exception):
    """Bad or unexpected input: the message names the file, column, rule and an example value."""
