"""Text from the data inside the markdown of Prefect artifacts: shown as written, never rendered as markdown.

A status detail quotes the value a landing file got wrong (`DateOfBirth: not a date: '![x](https://...)'`); in
an artifact's table it would become an image fetched from anywhere, a link, or a broken table row.
"""

from __future__ import annotations

import re

__all__ = ["md_text"]

_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~&])")


def md_text(value: object) -> str:
    """One line of literal text for markdown (a table cell too): every markdown character backslash-escaped."""
    return _PUNCTUATION.sub(r"\\\1", " ".join(str(value).splitlines()))
