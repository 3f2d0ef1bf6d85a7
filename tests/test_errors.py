"""One exception hierarchy, each class also the matching built-in, exit codes on the class."""

from __future__ import annotations

import pytest

from stylegram import errors


@pytest.mark.parametrize(
    ("cls", "builtin", "args"),
    [
        (errors.ImageReadError, OSError, ("x.png: bad", "x.png")),
        (errors.OutputPathError, OSError, ("out.png: bad", "out.png")),
        (errors.OptionError, ValueError, ("size: bad", "size")),
        (errors.WeightsNotFoundError, FileNotFoundError, ("weights missing",)),
        (errors.OutOfMemoryError, MemoryError, ("out of memory",)),
        (errors.NonFiniteLossError, FloatingPointError, ("loss became nan", 3)),
    ],
)
def test_each_error_is_a_stylegram_error_and_a_builtin(cls, builtin, args):
    error = cls(*args)
    assert isinstance(error, errors.StylegramError) and isinstance(error, builtin)
    assert str(error) == args[0] and error.exit_code == 2 and error.partial is None


def test_interrupted_exit_code():
    error = errors.Interrupted("stopped", 12)
    assert error.exit_code == 130 and error.step == 12


def test_every_public_error_is_exported():
    import stylegram

    for name in errors.__all__:
        assert getattr(stylegram, name) is getattr(errors, name)
