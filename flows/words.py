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
    """The known ids one slip from `asked` (a character left out, added, changed, or two swapped; any case), every
    one of them, sorted: `P0001` is as near `P00001` as `P00012`, and naming one alone chose for the operator (found
    by QA, session 29). Only one slip: difflib's likeness offered `P00060` for a practice `P00001` that had left the
    registry, on a rollback (QA, session 30)."""
    from rapidfuzz.distance import OSA

    folded = asked.casefold()
    if len(folded) < 4:  # one character of three or fewer is no slip: 'P1' is not 'A1', 'B1' or 'C1'
        return []
    return sorted(k for k in known if OSA.distance(folded, k.casefold(), score_cutoff=1) <= 1)
