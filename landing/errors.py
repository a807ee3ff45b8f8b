"""Bad input in the landing zone: names the file and the record so an operator can find it, never a secret."""

from __future__ import annotations

import re

__all__ = ["BadInput", "Failures", "decode_utf8", "redact"]

# eight or more digits, as people write numbers: every tax number, account and phone number is that long
_LONG_NUMBER = re.compile(r"\d(?:[ .\-/]?\d){7,}")


def redact(text: str) -> str:
    """`text` with every run of eight or more digits masked to *** and its last three digits.

    For anything that is stored or logged (practice_status.detail, logs, artifacts): a message may quote a
    field value, and any field may hold a tax number someone typed in the wrong place.
    """
    return _LONG_NUMBER.sub(lambda m: "***" + re.sub(r"\D", "", m.group())[-3:], text)


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
