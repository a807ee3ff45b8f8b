"""Person and business name rules (AU/NZ legal forms, trusts, couples, generations) as Polars expressions."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import polars as pl
from rapidfuzz import process
from rapidfuzz.distance import OSA, JaroWinkler

__all__ = [
    "TITLES",
    "clean_text",
    "fold",
    "person_parts",
    "name_reading",
    "given_field",
    "surname_field",
    "business_parts",
    "looks_organisation",
    "STRUCTURE_CATEGORY",
    "soundex",
    "fix_legal_typos",
    "FrameStages",
]

TITLES = ["mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "rev", "master", "lady", "lord", "hon"]
GENERATIONS = {"jr": "jr", "jnr": "jr", "junior": "jr", "sr": "sr", "snr": "sr", "senior": "sr", "ii": "ii", "iii": "iii"}

# XPM / HQ / Tax BusinessStructure -> entity category; None means "says nothing"
STRUCTURE_CATEGORY = {
    "individual": "person",
    "sole trader": "person",
    "partnership": "partnership",
    "trust": "trust",
    "charitable trust": "trust",
    "company": "company",
    "look through company": "company",
    "superannuation fund": "super",
    "incorporated society": "society",
}

_LEGAL = (
    r"proprietary limited|proprietary ltd|pty limited|pty ltd|pty|limited|ltd|incorporated|inc|"
    r"plc|llc|nl|co ltd|company limited"
)
# legal forms also written with full stops between their letters ("L.L.C.", "P.T.Y. L.T.D.")
_DOTTED_FORMS = ("llc", "pty", "ltd", "inc")
_HLDGS = r"\bhldgs?\b"  # the register's abbreviation of "holdings"


def _dotted(form: str, space: str = "") -> str:
    """A legal form with a full stop after each letter but the last (which may have one too), `space` after each stop."""
    return r"\b" + (r"\." + space).join(form) + r"\b"


# entity-type words, longest first: category (coarse) is what we compare, not the tokens
_ENTITY_WORDS = [
    (r"self managed superannuation fund|self managed super fund|superannuation fund|super fund|smsf|superfund|pension fund", "super"),
    (r"family trust|discretionary trust|unit trust|hybrid trust|testamentary trust|investment trust|charitable trust|trust fund|trust", "trust"),
    (r"partnership|partners", "partnership"),
    (r"incorporated society|society", "society"),
]


# "trust" alone says nothing about which trust; super/partnership/society wordings are synonyms
_GENERIC_DETAIL = ["trust", "trust fund"]


def _inline(expr: pl.Expr) -> pl.Expr:
    return expr


class FrameStages:
    """A `stage` for the name rules: each intermediate value becomes a column of `frame`, computed once.

    An eager Polars expression is evaluated as written: a value a rule uses three times is computed
    three times, and rules built on rules multiply that (business_parts on 125k names: 14 s inline,
    under 1 s staged). Same expressions, same results.
    """

    def __init__(self, frame: pl.DataFrame, prefix: str = "__stage"):
        self.frame, self._prefix, self._n = frame, prefix, 0

    def __call__(self, expr: pl.Expr) -> pl.Expr:
        name = f"{self._prefix}{self._n}"
        self._n += 1
        self.frame = self.frame.with_columns(expr.alias(name))
        return pl.col(name)


def fold(expr: pl.Expr) -> pl.Expr:
    """Text without its accents and macrons, one Unicode form: "Tūhoe", "Tuhoe" and "José" typed as NFC or NFD
    ("e" and a combining accent, as macOS and some XML tools write it) read alike. Compatibility forms are read as
    their letters ("ﬁ" as "fi"); letters with no decomposition (ß, ø, ł) are kept."""
    return expr.str.normalize("NFKD").str.replace_all(r"\p{M}", "").str.normalize("NFC")


def clean_text(expr: pl.Expr, stage: Callable[[pl.Expr], pl.Expr] = _inline) -> pl.Expr:
    """Lowercase ascii-ish text: accents and macrons folded (fold), '&' to 'and', punctuation to spaces, single
    spaces, empty to null."""
    out = stage(
        fold(expr)
        .str.to_lowercase()
        .str.replace_all(r"['’`]", "")
        .str.replace_all(r"&", " and ")
        .str.replace_all(r"[^\p{L}\p{N}\s]", " ")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )
    # not when/then on `out`: an eager expression used twice is computed twice
    return out.replace("", None)


def _strip_titles(expr: pl.Expr) -> pl.Expr:
    pat = r"\b(" + "|".join(TITLES) + r")\b"
    return expr.str.replace_all(pat, " ").str.replace_all(r"\s+", " ").str.strip_chars()


_GEN_PAT = r"\b(" + "|".join(GENERATIONS) + r")\b"


def given_field(first: pl.Expr, stage: Callable[[pl.Expr], pl.Expr] = _inline) -> pl.Expr:
    """The given name a structured first-name field holds: its first word, titles dropped."""
    f = clean_text(first, stage)
    f = stage(_strip_titles(f).str.split(" ").list.first())
    return pl.when(f.str.len_chars() > 0).then(f).otherwise(None)


def surname_field(last: pl.Expr, stage: Callable[[pl.Expr], pl.Expr] = _inline) -> pl.Expr:
    """The surname a structured last-name field holds: one word, hyphens and Jr/Sr dropped."""
    l = stage(clean_text(last.str.replace_all("-", ""), stage).str.replace_all(_GEN_PAT, " ").str.strip_chars())
    return pl.when(l.str.len_chars() > 0).then(l.str.replace_all(" ", "")).otherwise(None)


def name_reading(name: pl.Expr, stage: Callable[[pl.Expr], pl.Expr] = _inline) -> dict[str, pl.Expr]:
    """A display name read as a person's: given_alt, surname_alt, other_given, middle, generation, couple.

    Handles "Surname, Given", titles, couples ("John and Mary Smith", "Mr & Mrs J Smith")
    and generation suffixes (Jr/Sr), which separate a parent from a child of the same name.
    """
    raw = stage(name.str.to_lowercase())
    comma = raw.str.contains(",")
    # "Surname, Given" -> "Given Surname" before punctuation is dropped
    swapped = pl.when(comma).then(
        raw.str.split_exact(",", 1).struct.field("field_1") + pl.lit(" ") + raw.str.split_exact(",", 1).struct.field("field_0")
    ).otherwise(raw)
    txt = stage(clean_text(swapped.str.replace_all(r"(\p{L})-(\p{L})", "$1$2"), stage))
    generation = txt.str.extract(_GEN_PAT, 1).replace(GENERATIONS)
    txt = stage(_strip_titles(txt.str.replace_all(_GEN_PAT, " ")))
    couple = stage(txt.str.contains(r"(^| )and( |$)"))
    parts = txt.str.split_exact(" and ", 1)
    left = parts.struct.field("field_0").str.strip_chars()
    right = stage(parts.struct.field("field_1").str.strip_chars())
    left = stage(pl.when(couple).then(left.str.replace(r"^and\s*", "")).otherwise(txt))
    left_tokens = stage(left.str.split(" "))
    right_tokens = stage(right.str.split(" "))
    has_left = left.str.len_chars() > 0
    p_given = pl.when(has_left).then(left_tokens.list.first()).otherwise(right_tokens.list.first())
    p_surname = stage(
        pl.when(couple & right.is_not_null() & (right.str.len_chars() > 0))
        .then(right_tokens.list.last())
        .otherwise(left_tokens.list.last())
    )
    other = pl.when(couple & has_left).then(right_tokens.list.first()).otherwise(None)
    # the words between a single person's given name and surname ("Priya Maria Singh", "Cook, Oliver J"): middle names
    middle = pl.when(~couple).then(left_tokens.list.slice(1, left_tokens.list.len() - 2)).otherwise(None)
    single = left_tokens.list.len() <= 1
    # a one-token name is a surname only ("Smith"); given stays null
    p_given = stage(pl.when(~couple & single).then(None).otherwise(p_given))
    return {"given_alt": p_given, "surname_alt": p_surname, "other_given": other, "middle": middle, "generation": generation,
            "couple": couple.fill_null(False)}  # fmt: skip


def person_parts(
    name: pl.Expr, first: pl.Expr, last: pl.Expr, stage: Callable[[pl.Expr], pl.Expr] = _inline, *, fields_read: bool = False
) -> dict[str, pl.Expr]:
    """given, other_given, surname, generation, couple from first/last when given, else parsed from name.

    With `fields_read`, first and last are already given_field / surname_field readings (a field's
    few distinct values are read once, not per record).
    """
    read = name_reading(name, stage)
    f = first if fields_read else given_field(first, stage)
    l = last if fields_read else surname_field(last, stage)
    return {
        # the structured fields win; a missing one is taken from the display name
        "given": pl.coalesce(f, read["given_alt"]),
        "given_alt": read["given_alt"],  # the display name's reading: a typo in one field is not in the other
        "surname_alt": read["surname_alt"],
        "other_given": read["other_given"],
        "surname": pl.coalesce(l, read["surname_alt"]),
        "generation": read["generation"],
        "couple": read["couple"],
    }


def business_parts(name: pl.Expr, stage: Callable[[pl.Expr], pl.Expr] = _inline) -> dict[str, pl.Expr]:
    """core (name without legal form, trustee wording, entity words), category, legal_form, trustee, trading."""
    low = name.str.to_lowercase().str.strip_chars()
    low = (
        low.str.replace_all(r"\bp\s*/\s*l\b", " pty ltd ").str.replace_all(r"\ba\.t\.f\.?", " atf ")
        # registers abbreviate the trust's kind ("Smith Fam Trust", "Jones Disc. Trust"): read as the whole word,
        # so the kind is known (a family trust is not the family's unit trust) and not left in the name
        .str.replace_all(r"\bfam\.?\s+trust\b", "family trust")
        .str.replace_all(r"\bdisc\.?\s+trust\b", "discretionary trust")
        # the register's abbreviation of a name word
        .str.replace_all(_HLDGS + r"\.?", "holdings")
    )
    # legal forms written with full stops ("L.L.C.", "P.T.Y. L.T.D.") are the forms, not letters of the name
    for form in _DOTTED_FORMS:
        low = low.str.replace_all(_dotted(form, r"\s?") + r"\.?", f" {form} ")
    low = stage(low)
    # "X T/A Y": X is the legal entity; the trading name is kept beside it
    has_ta = stage(low.str.contains(r"\bt\s*/\s*a\b|\btrading as\b"))
    legal_part = pl.when(has_ta).then(low.str.replace(r"(\bt\s*/\s*a\b|\btrading as\b).*$", "")).otherwise(low)
    trading = pl.when(has_ta).then(clean_text(low.str.replace(r"^.*?(\bt\s*/\s*a\b|\btrading as\b)", ""), stage)).otherwise(None)
    txt = stage(clean_text(legal_part, stage))
    trustee_for = txt.str.contains(r"^(the )?trustees? for (the )?")
    txt = stage(txt.str.replace(r"^(the )?trustees? for (the )?", ""))
    # "X ATF Y" / "X as trustee for Y": the client is Y, X is its trustee
    atf = stage(txt.str.contains(r"\b(atf|as trustees? for)\b"))
    trustee = pl.when(atf).then(txt.str.replace(r"\s*\b(atf|as trustees? for)\b.*$", "")).otherwise(None)
    txt = stage(pl.when(atf).then(txt.str.replace(r"^.*\b(atf|as trustees? for)\b\s*(the )?", "")).otherwise(txt))
    legal = stage(txt.str.contains(r"\b(" + _LEGAL + r")\b"))
    txt = stage(txt.str.replace_all(r"\b(" + _LEGAL + r")\b", " "))
    category = pl.lit(None, dtype=pl.String)
    for pat, cat in reversed(_ENTITY_WORDS):
        category = pl.when(txt.str.contains(r"\b(" + pat + r")\b")).then(pl.lit(cat)).otherwise(category)
    category = stage(category)
    # the entity phrase itself: "family trust" and "unit trust" of one family are two clients
    detail = txt.str.extract(r"\b(" + "|".join(p for p, _ in _ENTITY_WORDS) + r")\b", 1)
    detail = pl.when(category == "trust").then(detail.replace(_GENERIC_DETAIL, None))
    for pat, _cat in _ENTITY_WORDS:
        txt = txt.str.replace_all(r"\b(" + pat + r")\b", " ")
    txt = stage(txt.str.replace_all(r"\s+", " ").str.strip_chars().str.replace(r"^(the\b\s*)+", "").str.strip_chars())
    category = pl.when(category.is_null() & legal).then(pl.lit("company")).otherwise(category)
    # "The Trustee for X" alone: a trust or a super fund, the structure field may say which
    core = pl.when(txt.str.len_chars() > 0).then(txt).otherwise(None)
    return {
        "core": core,
        "category": category,
        "category_detail": detail,
        "legal_form": legal.fill_null(False),
        "trustee": clean_text(trustee, stage),
        "trading": trading,
    }


def looks_organisation(name: pl.Expr) -> pl.Expr:
    """Name wording that only an organisation carries (legal forms, trust/fund words, T/A)."""
    low = name.str.to_lowercase()
    pat = (
        r"\b(" + _LEGAL + r")\b|\bp/l\b|\btrust\b|\btrustees? for\b|\batf\b|\bsuper(annuation)? fund\b|\bsmsf\b|"
        r"\bpartnership\b|\bholdings\b|\binvestments\b|\benterprises\b|\bgroup\b|\bsociety\b|\bfoundation\b|"
        # legal forms written with full stops ("L.L.C.", "P.T.Y. L.T.D."; no spaces, so initials such as "L. T. Dang"
        # stay a person's) and the register's "Hldgs", as business_parts reads them
        + "|".join(_dotted(form) for form in _DOTTED_FORMS) + "|" + _HLDGS
    )
    return low.str.contains(pat).fill_null(False)


_SOUNDEX = {"1": "bfpv", "2": "cgjkqsxz", "3": "dt", "4": "l", "5": "mn", "6": "r"}


def soundex(expr: pl.Expr) -> pl.Expr:
    """American Soundex (letter + 3 digits) as string expressions; null for no letters."""
    s = expr.str.to_lowercase().str.replace_all(r"[^a-z]", "")
    first = s.str.slice(0, 1).str.to_uppercase()
    code = s.str.replace_all(r"[hw]", "")
    for digit, letters in _SOUNDEX.items():
        code = code.str.replace_all(f"[{letters}]", digit)
    code = code.str.replace_all(r"[aeiouy]", "0")
    for digit in "0123456":
        code = code.str.replace_all(digit + "+", digit)
    # the first letter's own code is represented by the letter itself
    code = code.str.slice(1).str.replace_all("0", "")
    out = first + (code + "000").str.slice(0, 3)
    return pl.when(s.str.len_chars() > 0).then(out).otherwise(None)


# words whose misspelling ("Ptyy", "Linited", "Superannuatiov") would otherwise hide a legal form
_LEGAL_VOCAB = [
    "proprietary", "limited", "pty", "ltd", "trust", "trustee", "superannuation", "super", "fund",
    "partnership", "testamentary", "discretionary", "family", "investment",
]


def fix_legal_typos(names: pl.Series, threshold: float = 0.9) -> pl.Series:
    """Tokens within a typo of a legal/entity word become that word (matched once per distinct token)."""
    low = names.str.to_lowercase()
    # a digit keyed or read for a letter ("Tr7stee", "Lim8ted", "5rustee") is part of the word it spoils
    tokens = low.str.extract_all(r"[a-z0-9]*[a-z][a-z0-9]*").explode().drop_nulls().unique().sort()
    tokens = tokens.filter((tokens.str.len_chars() >= 4) & ~tokens.is_in(_LEGAL_VOCAB))
    if tokens.len() == 0:
        return _fix_closing_words(low)
    scores = process.cdist(tokens.to_list(), _LEGAL_VOCAB, scorer=JaroWinkler.normalized_similarity, workers=1)
    best = scores.argmax(axis=1)
    ok = scores.max(axis=1) >= threshold
    vocab_len = np.array([len(w) for w in _LEGAL_VOCAB])[best]
    ok &= np.abs(vocab_len - tokens.str.len_chars().to_numpy()) <= 2  # "fundy" is not "fund"
    table = {t: _LEGAL_VOCAB[b] for t, b, k in zip(tokens.to_list(), best.tolist(), ok.tolist(), strict=True) if k}
    if table:
        # only names holding one of the typo'd words (as text, a superset of holding it as a word) are split
        rows = np.flatnonzero(low.str.contains_any(list(table)).fill_null(False).to_numpy())
        if len(rows):
            low = low.scatter(rows, low.gather(rows).str.split(" ").list.eval(pl.element().replace(table)).list.join(" "))
    return _fix_closing_words(low)


# the words a business name closes with ("... Pty Ltd", "... Family Trust", "... Super Fund"), and the words that
# stand before them: where a name ends, one slip of one of them ("Ltc", "L5d", "Oty Ltd", "Tlust", "Lumited") is that
# word; a word a slip away elsewhere in the name ("Crust Bakery", "Lad Cafe") is the name's own
_CLOSING = ["ltd", "limited", "trust", "fund", "incorporated", "society", "pty"]
_BEFORE = {"pty": ("ltd", "limited"), "proprietary": ("ltd", "limited"), "family": ("trust",), "unit": ("trust",),
           "super": ("fund",), "superannuation": ("fund",)}  # fmt: skip


def _slips(tokens: pl.Series, vocab: list[str]) -> dict[str, str]:
    """token -> the vocabulary word it is one slip of (OSA distance 1, same length for three letters), when one."""
    if tokens.is_empty():
        return {}
    dist = process.cdist(tokens.to_list(), vocab, scorer=OSA.distance, workers=1)
    best = dist.argmin(axis=1)
    word, word_size = np.array(vocab, dtype=object)[best], np.array([len(w) for w in vocab])[best]
    size = tokens.str.len_chars().to_numpy()
    keep = (dist.min(axis=1) == 1) & ((word_size > 3) | (size == 3)) & (size >= 3)
    return dict(zip(tokens.filter(pl.Series(keep)).to_list(), word[keep].tolist(), strict=True))


def _fix_closing_words(low: pl.Series) -> pl.Series:
    """The closing word of a name, and the word before it, within one slip of a legal word become that word."""
    frame = pl.DataFrame({"w": low.str.split(" ")}).with_columns(
        n=pl.col("w").list.len(), last=pl.col("w").list.get(-1, null_on_oob=True), before=pl.col("w").list.get(-2, null_on_oob=True)
    )
    last_tokens = frame["last"].drop_nulls().unique().sort()
    last_table = _slips(last_tokens.filter(~last_tokens.is_in(_CLOSING)), _CLOSING)
    # a one-word name ("Trist") is the name itself
    fixed = pl.col("last").replace(last_table) if last_table else pl.col("last")
    frame = frame.with_columns(new_last=pl.when(pl.col("n") >= 2).then(fixed).otherwise(pl.col("last")))
    # the word before counts only where it stands before its own closing word ("Oty Ltd", not "Oty Trust")
    pairs = pl.DataFrame([(b, c) for b, cs in _BEFORE.items() for c in cs], schema={"word": pl.String, "new_last": pl.String}, orient="row")
    candidates = frame.filter(pl.col("new_last").is_in(pairs["new_last"].implode()))["before"].drop_nulls().unique().sort()
    before_table = _slips(candidates.filter(~candidates.is_in(list(_BEFORE))), list(_BEFORE))
    frame = frame.with_columns(word=pl.col("before").replace(before_table) if before_table else pl.col("before"))
    fits = frame.select("word", "new_last").join(pairs.with_columns(fits=pl.lit(True)), on=["word", "new_last"], how="left", maintain_order="left")
    frame = frame.with_columns(new_before=pl.when(fits["fits"].fill_null(False)).then(pl.col("word")).otherwise(pl.col("before")))
    changed = ((pl.col("new_last") != pl.col("last")) | (pl.col("new_before") != pl.col("before"))).fill_null(False)
    rows = np.flatnonzero(frame.select(changed).to_series().to_numpy())
    if not len(rows):
        return low
    rebuilt = frame[rows].select(
        pl.when(pl.col("n") >= 2)
        .then(pl.concat_list(pl.col("w").list.slice(0, (pl.col("n") - 2).clip(0)), "new_before", "new_last"))
        .otherwise(pl.concat_list("new_last"))
        .list.join(" ")
    ).to_series()
    return low.scatter(rows, rebuilt)
