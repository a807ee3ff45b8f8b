"""Bad input in the landing zone: names the file and the record so an operator can find it."""

from __future__ import annotations


class BadInput(Exception):
    """A landing file that cannot be read as the contract says; fails its practice alone."""

    def __init__(self, file: str, record: str | None, message: str) -> None:
        self.file = file
        self.record = record
        self.message = message
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
