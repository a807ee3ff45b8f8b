"""Words the CLI and the flows' logs share (no typer, no Prefect: flows and commands import it alike)."""

from __future__ import annotations

__all__ = ["plural", "verb"]


def plural(n: int, word: str) -> str:
    """'1 link', '2 links', '3 hashes'."""
    if n == 1:
        return f"{n:,} {word}"
    return f"{n:,} {word}{'es' if word.endswith(('s', 'sh', 'ch', 'x')) else 's'}"


def verb(n: int, one: str, many: str) -> str:
    """The verb that agrees with a count: verb(1, 'awaits', 'await') -> 'awaits', verb(3, ...) -> 'await'."""
    return one if n == 1 else many
