"""``python -m stylegram``: the same as the ``stylegram`` command."""

from .cli import main

main()
