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
