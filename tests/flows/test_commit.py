"""flows.commit's handling of a failed chunk's error."""

from flows.commit import forget_frames, why


def _raised(make):
    try:
        make()
    except Exception as exc:  # noqa: BLE001
        return exc
    raise AssertionError("nothing raised")


def test_forget_frames_drops_the_tracebacks_of_an_error_and_of_the_errors_it_came_from():
    def inner():
        raise KeyError("practice")

    def outer():
        try:
            inner()
        except KeyError as exc:
            raise RuntimeError("chunk") from exc

    def during():
        try:
            outer()
        except RuntimeError:
            raise OSError("while failing it")  # noqa: B904 - the context is what is looked at

    exc = _raised(during)
    chain = [exc, exc.__context__, exc.__context__.__cause__]
    assert all(e.__traceback__ is not None for e in chain)
    forget_frames(exc)
    assert [e.__traceback__ for e in chain] == [None, None, None]
    assert why(exc) == "OSError: while failing it"  # what is logged and stored is unchanged


def test_forget_frames_follows_a_cause_and_a_context_that_differ():
    exc, cause, context = (_raised(lambda: 1 / 0) for _ in range(3))
    exc.__cause__, exc.__context__ = cause, context
    forget_frames(exc)
    assert [e.__traceback__ for e in (exc, cause, context)] == [None, None, None]


def test_forget_frames_ends_on_an_error_that_is_its_own_context():
    exc = _raised(lambda: 1 / 0)
    exc.__context__ = exc
    forget_frames(exc)
    assert exc.__traceback__ is None
