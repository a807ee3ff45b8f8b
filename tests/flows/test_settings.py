"""Settings whose defaults depend on the machine."""

from __future__ import annotations

import os

import pytest

from flows.settings import Settings


@pytest.mark.parametrize(("cores", "parsers"), [(1, 0), (None, 0), (2, 2), (16, 2)])
def test_a_wave_parses_in_two_processes_unless_the_machine_has_one_core(monkeypatch, cores, parsers):
    monkeypatch.delenv("SCR_PARSE_PROCESSES", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    assert Settings(_env_file=None).parse_processes == parsers


def test_scr_parse_processes_overrides_the_default(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    monkeypatch.setenv("SCR_PARSE_PROCESSES", "3")
    assert Settings(_env_file=None).parse_processes == 3
    monkeypatch.setenv("SCR_PARSE_PROCESSES", "-1")
    with pytest.raises(ValueError, match="parse_processes"):
        Settings(_env_file=None)
