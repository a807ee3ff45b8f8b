"""Bad input in the landing zone: names the file and the record so an operator can find it, never a secret."""

from __future__ import annotations

import re

__all__ = ["BadInput", "decode_utf8", "redact"]

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


def decode_utf8(data: bytes, file: str) -> str:
    """The file's text (a UTF-8 BOM tolerated); bytes that are not UTF-8 are BadInput naming the line."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise BadInput(file, f"line {line}", f"not UTF-8 (byte {exc.start})") from None
