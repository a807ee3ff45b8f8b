"""A process-local progress hook: the CLI shows a rich bar, flows report chunk by chunk."""

from __future__ import annotations

from collections.abc import Callable

_listener: Callable[[str, int, int], None] | None = None


def set_listener(fn: Callable[[str, int, int], None] | None) -> None:
    """fn(stage, done, total) is called from the flow process as work completes."""
    global _listener
    _listener = fn


def report(stage: str, done: int, total: int) -> None:
    if _listener is not None:
        _listener(stage, done, total)
