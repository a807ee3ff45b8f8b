"""Words the CLI and the flows' logs share (no typer, no Prefect: flows and commands import it alike)."""

from __future__ import annotations

__all__ = ["plural", "verb", "did_you_mean"]


def plural(n: int, word: str) -> str:
    """'1 link', '2 links', '3 hashes'."""
    if n == 1:
        return f"{n:,} {word}"
    return f"{n:,} {word}{'es' if word.endswith(('s', 'sh', 'ch', 'x')) else 's'}"


def verb(n: int, one: str, many: str) -> str:
    """The verb that agrees with a count: verb(1, 'awaits', 'await') -> 'awaits', verb(3, ...) -> 'await'."""
    return one if n == 1 else many


def did_you_mean(asked: list[str], known: list[str]) -> str:
    """"; did you mean 'P00004'?" for ids typed in another case, with stray spaces or a slip (difflib), else ""."""
    import difflib

    folded = {k.casefold(): k for k in known}
    # several ids in one value (`-p F01,F02`; found by QA, session 29): each is its own -p
    listed = [a for a in asked if "," in a and all(folded.get(p.strip().casefold()) for p in a.split(",") if p.strip())]
    if listed:
        parts = [folded[p.strip().casefold()] for p in listed[0].split(",") if p.strip()]
        return f"; give each practice its own -p: {' '.join(f'-p {p}' for p in parts)}"
    hits: list[str] = []
    for a in asked:
        near = folded.get(a.strip().casefold()) or next(iter(difflib.get_close_matches(a.strip(), known, n=1, cutoff=0.8)), None)
        if near is not None and near not in hits and near != a:
            hits.append(near)
    return f"; did you mean {', '.join(map(repr, hits))}?" if hits else ""
