"""Bad input in the landing zone: names the file and the record so an operator can find it, never a secret."""

from __future__ import annotations

import re
import unicodedata

from stdnum.au import tfn
from stdnum.gb import utr
from stdnum.nz import ird

__all__ = ["BadInput", "Failures", "INVISIBLE", "DIGIT", "PUNCT", "HIDDEN_CHARS", "decode_utf8", "redact", "unexpected", "described", "ours"]

# characters that show as nothing (a zero-width space, a soft hyphen, a joiner, a direction mark, a byte-order mark,
# variation selectors): pasted from web pages and word processors, or typed in to hide a number; a run of them is one
# separator (session 30: a TFN written with zero-width spaces or soft hyphens was kept in clear). Written for both
# Python's and Rust's regular expressions (landing.freetext).
_INVISIBLE_CHARS = (
    r"\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f"
    r"\u3164\ufe00-\ufe0f\ufeff\uffa0"
)
INVISIBLE = rf"[{_INVISIBLE_CHARS}]+"

# What redact masks: eight or more digits, as people write numbers: every tax number, account and phone number is that
# long. Session 28 found a TFN quoted in full in a message when written with no-break spaces, two spaces or en dashes;
# session 29 one written with thousands commas or underscores; QA, session 30, one written with any of the forms below
# (a repr's \t, \n or \r, brackets, a Swiss apostrophe, a colon, "123, 456, 782", superscript or circled digits, a
# keycap), quoted in practice_status.detail, the logs and Prefect's artifacts.
#
# A digit is any character Python reads as one (unicodedata.digit): every script's decimal digits, and the superscript,
# subscript, circled, parenthesised and dingbat digits (¹²³, ①②③) that are no decimal digits. Those are listed here
# (Unicode 14: computing them takes a third of a second at import; tests/landing/test_secrets.py checks the list).
_OTHER_DIGITS = (
    r"\u00b2\u00b3\u00b9\u1369-\u1371\u19da\u2070\u2074-\u2079\u2080-\u2089\u2460-\u2468\u2474-\u247c\u2488-\u2490"
    r"\u24ea\u24f5-\u24fd\u24ff\u2776-\u277e\u2780-\u2788\u278a-\u2792\U00010a40-\U00010a43\U00010e60-\U00010e68"
    r"\U00011052-\U0001105a\U0001f100-\U0001f10a"
)
_DIGIT = rf"[\d{_OTHER_DIGITS}]"
# combining marks (accents, a keycap's enclosing square U+20E3): drawn on the digit before them, so they part nothing
_MARKS = r"\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
# a run of them is one separator (possessive: as a run of several separators, a long run of them took Python's
# backtracking seconds per thousand characters, minutes in all)
_HIDDEN = rf"[{_INVISIBLE_CHARS}{_MARKS}]++"
# Between two digits up to three separators: a run of spaces of any kind but a line break, punctuation people group digits
# with (dots, dashes, slashes, underscores, brackets, apostrophes and quotes, colons, pipes, #, +, *, middle dots, bullets, a
# backslash), the escape a repr writes for an unprintable character ('\xa0', '\u200b', '\t', '\n', '\r'), or a run of
# hidden characters.
# (full-width forms too, as an Asian input method types them beside full-width digits: QA, session 30)
_PUNCT = r"[._\-/\u2010-\u2015\u2212()\[\]{}'\u2018\u2019\u201b\u2032\"\u201c\u201d:|#+*\u00b7\u2022\u2027\u2219\u30fb\\\uff0d\uff0f\uff0e\uff0c\u3001\u3002\u30fc\u301c\uff1a]"
_ESCAPE = r"\\(?:x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[tnr])"
# (a run of spaces however long is one separator, possessive: QA found "123    456    782" quoted in full)
_SEP = rf"(?:{_ESCAPE}|[^\S\r\n]++|{_PUNCT}|{_HIDDEN})"
# the same classes for landing.freetext (written for Rust's regular expressions as well as Python's)
DIGIT, PUNCT, HIDDEN_CHARS = _DIGIT, _PUNCT, _INVISIBLE_CHARS + _MARKS
# A comma and a space, or a real line break, part lists and lines of a message ("rows 3, 5"; "line 3:\n12345\n678"), so
# they join only two groups of two to four digits ("123, 456, 782"; a spreadsheet cell with Alt+Enter, "123\n456\n782");
# a comma alone joins any digits (123,456,782: a spreadsheet's number format).
_WEAK = (
    rf"(?<!{_DIGIT}{{5}})(?<={_DIGIT}{{2}})(?:,[^\S\r\n]{{1,2}}|[^\S\r\n]?(?:\r\n|\r|\n)[^\S\r\n]?)"
    rf"(?={_DIGIT}{{2,4}}(?!{_DIGIT}))"
)
# A dash ending a line says the number goes on on the next (QA: "300-\n000681", a multi-line cell quoted whole): it joins
# any digits, whatever kind of number they make ("123-45-\n6789").
_HYPHENATED = r"[^\S\r\n]*[\-\u2010-\u2015\u2212\uff0d](?:\r\n|\r|\n)[^\S\r\n]*"
_JOINT = rf"(?:{_SEP}{{0,3}}|,|{_WEAK}|{_HYPHENATED})"
# runs joined by separators alone are tried first: "1234-56-782, 12/34/5678" is two numbers, not one
# (a number's last digit takes the marks drawn on it, and what shows as nothing after it, a keycap's U+FE0F U+20E3)
_LONG_NUMBER = re.compile(
    rf"(?:{_DIGIT}(?:(?:{_SEP}{{0,3}}|,){_DIGIT}){{7,}}|{_DIGIT}(?:{_JOINT}{_DIGIT}){{7,}})[{_INVISIBLE_CHARS}{_MARKS}]*"
)
_CONTINUED = re.compile(rf"(?:{_JOINT}{_DIGIT})+")  # digits that go on from a written date as one number
# what is left as written: a UUID (every XPM and HQ record's id) and a written date or timestamp (the value a date field
# got wrong), so that an operator can find the record and see the value; no tax number is written in either shape
_UUID = r"(?<![0-9A-Za-z])[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}(?![0-9A-Za-z])"
_DAY, _MONTH, _YEAR = r"(?:0?[1-9]|[12][0-9]|3[01])", r"(?:0?[1-9]|1[0-2])", r"(?:1[89]|20)[0-9]{2}"
_WRITTEN_DATE = rf"(?<![0-9])(?:{_YEAR}(?P<s1>[-/.]){_MONTH}(?P=s1){_DAY}|{_DAY}(?P<s2>[-/.]){_MONTH}(?P=s2){_YEAR})(?![0-9])"
_HOUR, _MINUTE = r"(?:[01][0-9]|2[0-3])", r"[0-5][0-9]"
# its time of day and offset, as ISO 8601 and DuckDB write them ("1990-05-01T00:00:00+10:00"): once colons parted a
# number, that was ten digits
_TIME = rf"[T ]{_HOUR}:{_MINUTE}(?::{_MINUTE}(?:\.[0-9]{{1,9}})?)?(?:Z|[+-]{_HOUR}(?::?{_MINUTE})?)?(?![0-9])"
_KEPT = re.compile(rf"{_UUID}|(?P<date>{_WRITTEN_DATE})(?:{_TIME})?")


def _digits(text: str) -> str:
    return "".join(str(unicodedata.digit(c)) for c in text if unicodedata.digit(c, None) is not None)


# A tax number split by one line break with no dash before it ("300000\n681", "49\n091850", "19558\n39609": QA): the
# numbers as written on the two lines are not joined as _WEAK joins short groups, since two numbers one above the other
# are common in a message ("line 3:\n12345\n678"); a line's last groups and the next line's first are masked together
# only when they are eight to ten digits that are a valid TFN or IRD number (eight or nine) or a UTR (ten).
_ON_A_LINE = re.compile(rf"{_DIGIT}(?:(?:{_SEP}{{0,3}}|,){_DIGIT})*")
_LINE_BREAK = re.compile(r"[^\S\r\n]*(?:\r\n|\r|\n)[^\S\r\n]*")
_GROUP = re.compile(rf"{_ESCAPE}|{_DIGIT}+")  # a repr's escape ('\xa0') parts groups; its hex digits are none


def _tax_number(digits: str) -> bool:
    if len(digits) in (8, 9):
        return tfn.is_valid(digits) or ird.is_valid(digits)
    return len(digits) == 10 and utr.is_valid(digits)


def _ends(groups, offset: int, after: int) -> list[tuple[int, str]]:
    """(where, digits) of each run of `groups` from the first: where it starts (`after` 0) or ends (1), its digits in
    the order written; while ten digits at most."""
    out, digits = [], ""
    for g in groups:
        digits = digits + _digits(g.group()) if after else _digits(g.group()) + digits
        if len(digits) > 10:
            break
        out.append((offset + g.span()[after], digits))
    return out


def _split_spans(text: str) -> list[tuple[int, int]]:
    """Where `text` holds a tax number split by a line break (see _ON_A_LINE): (start, end) of each, in order, those
    that overlap merged."""
    numbers = list(_ON_A_LINE.finditer(text))  # a message or two at a time: few
    spans: list[tuple[int, int]] = []
    for above, below in zip(numbers, numbers[1:]):
        if not _LINE_BREAK.fullmatch(text, above.end(), below.start()):
            continue
        # a line's last groups, nearest first, and the next line's first: as many as make ten digits at most
        tails = _ends(reversed([g for g in _GROUP.finditer(above.group()) if not g.group().startswith("\\")]), above.start(), 0)
        heads = _ends([g for g in _GROUP.finditer(below.group()) if not g.group().startswith("\\")], below.start(), 1)
        # every stretch of them that is a tax number: all cross the line break, so together they are one span
        hits = [(a, b) for a, tail in tails for b, head in heads if _tax_number(tail + head)]
        if not hits:
            continue
        span = (min(a for a, _ in hits), max(b for _, b in hits))
        if spans and span[0] < spans[-1][1]:  # overlapping the one above: masked with it
            span = (spans.pop()[0], span[1])
        spans.append(span)
    return spans


def _unsplit(text: str) -> str:
    """`text` with each tax number split by a line break (_split_spans) masked to *** and its last three digits."""
    out, start = [], 0
    for a, b in _split_spans(text):
        out += [text[start:a], _mask(text[a:b])]
        start = b
    return "".join(out) + text[start:]


def _masked(m: re.Match) -> str:
    return _mask(m.group())


def _mask(number: str) -> str:
    plain = re.sub(r"\\(?:x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8})", " ", number)  # an escape's hex digits are not the number's
    return "***" + _digits(plain)[-3:]


def _kept(text: str, m: re.Match) -> bool:
    """A UUID or a written date is kept unless digits go on from the date to make eight or nine in all: a TFN can be
    written as a date and one more digit ("2001-12-31 2" is 200112312: QA, session 30)."""
    if not m.group("date"):
        return True
    more = _CONTINUED.match(text, m.end())
    return more is None or len(_digits(m.group() + more.group())) > 9


def redact(text: str) -> str:
    """`text` with every run of eight or more digits masked to *** and its last three digits (a UUID or a date
    written with separators, e.g. 2024-02-30 or 30/02/2024, is left as written), and every TFN, IRD number or UTR split
    by a line break masked as well (_split_spans).

    For anything that is stored or logged (practice_status.detail, logs, artifacts): a message may quote a
    field value, and any field may hold a tax number someone typed in the wrong place.
    """
    out, start = [], 0
    for m in _KEPT.finditer(text):  # a message or two at a time, never a column: a loop is fine
        if _kept(text, m):
            # digits on either side of what is kept are searched apart from it ("line 3: '2024-02-30'" is no number)
            out += [_LONG_NUMBER.sub(_masked, _unsplit(text[start : m.start()])), m.group()]
            start = m.end()
    out.append(_LONG_NUMBER.sub(_masked, _unsplit(text[start:])))
    return "".join(out)


class BadInput(Exception):
    """A landing file that cannot be read as the contract says; fails its practice alone."""

    def __init__(self, file: str, record: str | None, message: str) -> None:
        self.file = redact(file)
        self.record = redact(record) if record else record
        self.message = redact(message)
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.file}: {self.record}: {self.message}" if self.record else f"{self.file}: {self.message}"

    def __reduce__(self):
        # from a parsing process to the caller, exactly as it was (already redacted)
        return (_rebuilt, (self.file, self.record, self.message))


def _rebuilt(file: str, record: str | None, message: str) -> BadInput:
    exc = BadInput.__new__(BadInput)
    exc.file, exc.record, exc.message = file, record, message
    Exception.__init__(exc, str(exc))
    return exc


def decode_utf8(data: bytes, file: str) -> str:
    """The file's text (a UTF-8 BOM tolerated); bytes that are not UTF-8 are BadInput naming the line."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode Text", Notepad's "Unicode": said as such
        raise BadInput(file, "line 1", "UTF-16 text (its byte order mark), not UTF-8: save it as UTF-8")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        byte = data[exc.start]
        # QA (session 35): "not UTF-8 (byte 230)" read as the byte's value; it was the file's offset. A byte of 0x80 or
        # more alone is most often Windows' own encoding (Excel's "CSV" rather than "CSV UTF-8")
        guess = bytes([byte]).decode("cp1252", errors="replace")
        hint = f" (Windows-1252 {guess!r}?)" if byte >= 0x80 and guess.isprintable() and guess != "\ufffd" else ""
        # the column with the line (the record's place): the reason alone is what failure_reasons groups practices by
        raise BadInput(file, f"line {line}, column {column}", f"byte 0x{byte:02X}{hint} is not UTF-8: save the file as UTF-8 "
                       "(Excel: CSV UTF-8)") from None


class Failures:
    """The bad input of each practice of a batch that one practice read alone would have met first.

    Files are read in a fixed order and each file's checks in a fixed order: `stage` is a tuple in that
    order, so whatever order a batch finds problems in, each practice keeps the one with the lowest stage.
    """

    def __init__(self) -> None:
        self._first: dict[int, tuple[tuple, BadInput]] = {}

    def add(self, practice: int, stage: tuple, exc: BadInput) -> None:
        """Note `exc` for practice number `practice` at `stage`, unless an earlier stage already failed it."""
        seen = self._first.get(practice)
        # kept as its message alone (which names the file and record): its traceback, or that of the parser's
        # error it replaced, would keep the reading frames, and through their callers the batch's frames, alive
        # in a reference cycle until the cycle collector's next full run
        exc.__traceback__ = exc.__context__ = exc.__cause__ = None
        if seen is None or stage < seen[0]:
            self._first[practice] = (stage, exc)

    def update(self, stage: tuple, errors: dict[int, BadInput]) -> None:
        """Note every practice's error of one check."""
        for practice, exc in errors.items():
            self.add(practice, stage, exc)

    def failed_before(self, practice: int, stage: tuple) -> bool:
        """True when the practice already failed at a stage before `stage` (what follows can never be reported)."""
        seen = self._first.get(practice)
        return seen is not None and seen[0] < stage

    def __contains__(self, practice: int) -> bool:
        return practice in self._first

    def errors(self) -> dict[int, BadInput]:
        """practice number -> its first bad input."""
        return {p: exc for p, (_, exc) in self._first.items()}


_OURS = ("flows.", "landing.", "warehouse.", "transforms.", "quality.")


def ours(exc: BaseException) -> bool:
    """True for an exception this project defines (a refusal, a key mismatch, an injected fault): its text is written
    here, never a value from the files, so it can be said whole."""
    return type(exc).__module__.startswith(_OURS)


def unexpected(stage: str, exc: BaseException) -> str:
    """What an unexpected error is said as, stored and logged: its kind and where in this project's code it was raised,
    never its text, unless this project wrote it (`ours`). A library's error text can quote the value it failed on, or
    a whole record (a UnicodeEncodeError carries the string it could not encode: session 29 found a client's every
    identifier quoted that way)."""
    if ours(exc):
        return redact(f"{stage}: unexpected error: {type(exc).__name__}: {exc}")
    return f"{stage}: unexpected error: {described(exc)} (its text is not kept: it may quote a record)"


def described(exc: BaseException) -> str:
    """An exception as its kind and the last place in this project's code it passed through: `KeyError at
    landing/hq.py:140`; never its text (see `unexpected`)."""
    import traceback
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        path = Path(frame.filename).resolve()
        if path.is_relative_to(root) and not {".venv", "site-packages"} & set(path.parts):
            return f"{type(exc).__name__} at {path.relative_to(root).as_posix()}:{frame.lineno}"
    return type(exc).__name__
