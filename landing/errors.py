"""Bad input in the landing zone: names the file and the record so an operator can find it, never a secret."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["BadInput", "Failures", "INVISIBLE", "decode_utf8", "redact", "unexpected", "described", "ours"]

# eight or more digits (any script's), as people write numbers: every tax number, account and phone number is that
# long; between two digits up to three spaces (any Unicode space), dots, dashes (an en dash too) or slashes, or the
# escape a quoted value's repr shows for an unprintable one (a no-break space is '\xa0'). Session 28 found a TFN
# quoted in full in a message when written with no-break spaces, two spaces or en dashes (landing.freetext alike);
# session 29 one written with thousands commas, as a spreadsheet formats a number column, or underscores.
# characters that show as nothing (a zero-width space, a soft hyphen, a joiner, a direction mark, a byte-order mark,
# variation selectors): pasted from web pages and word processors, or typed in to hide a number; a run of them is one
# separator (session 30: a TFN written with zero-width spaces or soft hyphens was kept in clear). Written for both
# Python's and Rust's regular expressions (landing.freetext).
INVISIBLE = (
    r"[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f"
    r"\u3164\ufe00-\ufe0f\ufeff\uffa0]+"
)
_SEP = rf"(?:[^\S\r\n]|[._\-/\u2010-\u2015\u2212]|\\x[0-9a-fA-F]{{2}}|\\u[0-9a-fA-F]{{4}}|{INVISIBLE})"
# a comma only alone between two digits (123,456,782): with a space it parts a list ("rows 3, 5"; "Level 3, 2019-01-05")
_LONG_NUMBER = rf"\d(?:(?:{_SEP}{{0,3}}|,)\d){{7,}}"
# what is left as written: a UUID (every XPM and HQ record's id) and a written date (the value a date field got
# wrong), so that an operator can find the record and see the value; no tax number is written in either shape
_UUID = r"(?<![0-9A-Za-z])[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}(?![0-9A-Za-z])"
_DAY, _MONTH, _YEAR = r"(?:0?[1-9]|[12][0-9]|3[01])", r"(?:0?[1-9]|1[0-2])", r"(?:1[89]|20)[0-9]{2}"
_WRITTEN_DATE = rf"(?<![0-9])(?:{_YEAR}(?P<s1>[-/.]){_MONTH}(?P=s1){_DAY}|{_DAY}(?P<s2>[-/.]){_MONTH}(?P=s2){_YEAR})(?![0-9])"
_REDACTED = re.compile(rf"(?P<kept>{_UUID}|{_WRITTEN_DATE})|{_LONG_NUMBER}")


def _masked(m: re.Match) -> str:
    if m.group("kept"):
        return m.group()
    plain = re.sub(r"\\(?:x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4})", " ", m.group())  # an escape's hex digits are not the number's
    return "***" + "".join(str(unicodedata.digit(c)) for c in plain if c.isdecimal())[-3:]


def redact(text: str) -> str:
    """`text` with every run of eight or more digits masked to *** and its last three digits (a UUID or a date
    written with separators, e.g. 2024-02-30 or 30/02/2024, is left as written).

    For anything that is stored or logged (practice_status.detail, logs, artifacts): a message may quote a
    field value, and any field may hold a tax number someone typed in the wrong place.
    """
    return _REDACTED.sub(_masked, text)


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
        raise BadInput(file, f"line {line}", f"not UTF-8 (byte {exc.start})") from None


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
