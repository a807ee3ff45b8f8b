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
    folded = {k.casefold(): k for k in known}
    # several ids in one value (`-p F01,F02`; found by QA, session 29): each is its own -p
    listed = [a for a in asked if "," in a and all(folded.get(p.strip().casefold()) for p in a.split(",") if p.strip())]
    if listed:
        parts = [folded[p.strip().casefold()] for p in listed[0].split(",") if p.strip()]
        return f"; give each practice its own -p: {' '.join(f'-p {p}' for p in parts)}"
    hits: list[str] = []
    for a in asked:
        same = folded.get(a.strip().casefold())
        near = [k for k in ([same] if same else _closest(a.strip(), known)) if k != a]
        said = " or ".join(map(repr, near))  # ties said together: the operator chooses
        if near and said not in hits:
            hits.append(said)
    return f"; did you mean {', '.join(hits)}?" if hits else ""


def _closest(asked: str, known: list[str]) -> list[str]:
    """The known ids nearest `asked` (difflib), every one as near as the nearest, in sorted order: `P0001` is as near
    `P00001` as `P00012` (one digit left out or one added), and naming one of them alone chose for the operator
    (found by QA, session 29)."""
    import difflib

    scored = [(difflib.SequenceMatcher(None, asked, k).ratio(), k) for k in difflib.get_close_matches(asked, known, n=5, cutoff=0.8)]
    best = max((s for s, _ in scored), default=None)
    return sorted(k for s, k in scored if s == best)
