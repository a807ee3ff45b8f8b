"""flows.cli_common.interrupts_kept: a KeyboardInterrupt the interpreter would lose (raised inside a finaliser or a
weakref callback, where Python 'ignores' exceptions) is kept for the command to raise, not printed; anything else
unraisable is reported as before."""

from __future__ import annotations

import sys
import threading
import weakref

import pytest

from flows.cli_common import Terminated, interrupts_kept, kept_interrupt, raise_kept


class _Held:
    pass


def _drop_raising(exc: type[BaseException] | BaseException) -> None:
    def dropped(_ref) -> None:
        raise exc

    held = _Held()
    ref = weakref.ref(held, dropped)  # noqa: F841 - alive until `held` goes
    del held


def test_an_interrupt_inside_a_callback_is_kept_unprinted_and_raised_where_asked(capsys):
    before = sys.unraisablehook
    with interrupts_kept():
        _drop_raising(KeyboardInterrupt)  # without the block: "Exception ignored in ..." on stderr, and lost
        assert kept_interrupt() is KeyboardInterrupt
        with pytest.raises(KeyboardInterrupt):
            raise_kept()
        assert kept_interrupt() is None
        raise_kept()  # nothing kept: nothing raised
    assert sys.unraisablehook is before
    assert capsys.readouterr().err == ""


def test_a_sigterm_inside_a_callback_is_kept_as_terminated():
    with interrupts_kept():
        _drop_raising(Terminated)
        with pytest.raises(Terminated):
            raise_kept()


def test_prefects_termination_signal_inside_a_callback_is_kept_and_raised_as_it_was():
    # a SIGTERM while a flow runs: Prefect's flow engine handles it by raising its TerminationSignal
    from prefect.exceptions import TerminationSignal

    with interrupts_kept():
        _drop_raising(TerminationSignal(15))
        assert kept_interrupt() is TerminationSignal
        with pytest.raises(TerminationSignal) as raised:
            raise_kept()
    assert raised.value.signal == 15  # the very exception, for the engine's own handling


def test_only_the_main_thread_raises_a_kept_interrupt():
    with interrupts_kept():
        _drop_raising(KeyboardInterrupt)
        raised = []

        def elsewhere() -> None:
            try:
                raise_kept()
            except BaseException as exc:  # noqa: BLE001
                raised.append(exc)

        t = threading.Thread(target=elsewhere)
        t.start()
        t.join()
        assert raised == [] and kept_interrupt() is KeyboardInterrupt  # a task's thread does not take the command's stop
        with pytest.raises(KeyboardInterrupt):
            raise_kept()


def test_other_unraisable_errors_go_to_the_hook_there_was(monkeypatch):
    seen = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: seen.append(u.exc_type))
    with interrupts_kept():
        _drop_raising(ValueError)
        _drop_raising(GeneratorExit)  # a BaseException too, but no signal: not the command's to raise
        assert kept_interrupt() is None
    assert seen == [ValueError, GeneratorExit]
