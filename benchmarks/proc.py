"""A process tree read from /proc (Linux), for the benchmarks that measure `scr run` from outside it."""

from __future__ import annotations

import os

TICK = os.sysconf("SC_CLK_TCK")


def processes(rss: bool = False) -> tuple[dict[int, list[int]], dict[int, tuple[float, int]]]:
    """Every process's children, and its CPU seconds (user + system) and resident kB (0 unless `rss`: one more read)."""
    children: dict[int, list[int]] = {}
    seen: dict[int, tuple[float, int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()  # after "pid (command)": fields[n - 3] is stat's field n
            kb = 0
            if rss:
                with open(f"/proc/{entry}/status") as f:
                    kb = next((int(line.split()[1]) for line in f if line.startswith("VmRSS:")), 0)
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile
        children.setdefault(int(fields[1]), []).append(int(entry))
        seen[int(entry)] = ((int(fields[11]) + int(fields[12])) / TICK, kb)
    return children, seen


def descendants(root: int, children: dict[int, list[int]]) -> list[int]:
    """The processes below `root` (not itself)."""
    out, todo = [], list(children.get(root, []))
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += children.get(pid, [])
    return out
