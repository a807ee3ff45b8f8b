"""Words the CLI and the flows' logs share (no typer, no Prefect: flows and commands import it alike)."""

from __future__ import annotations

__all__ = ["plural"]


def plural(n: int, word: str) -> str:
    """'1 link', '2 links', '3 hashes'."""
    if n == 1:
        return f"{n:,} {word}"
    return f"{n:,} {word}{'es' if word.endswith(('s', 'sh', 'ch', 'x')) else 's'}"
