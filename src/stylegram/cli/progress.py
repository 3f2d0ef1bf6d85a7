"""Rendering progress events as a tqdm progress bar on stderr."""

from __future__ import annotations

from types import TracebackType

from tqdm import tqdm

from ..events import ProgressEvent

__all__ = ["ProgressBar"]


class ProgressBar:
    """A progress bar with iteration, loss terms, scale size and time left.

    Use as a context manager; call it with each :class:`ProgressEvent`. ``total``
    is the run's iterations, ``done`` those already done by a resumed run.
    """

    def __init__(self, total: int, done: int = 0, enabled: bool = True) -> None:
        self.bar = tqdm(
            total=total,
            initial=done,
            disable=not enabled,
            unit="it",
            dynamic_ncols=True,
            bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}{postfix}]",
        )

    def __call__(self, event: ProgressEvent) -> None:
        terms = " ".join(f"{name}={value:.3g}" for name, value in event.losses.items())
        width, height = event.size
        left = int(event.seconds_left)
        self.bar.set_postfix_str(f"{width}x{height} {terms} | {left // 60}:{left % 60:02d} left", refresh=False)
        self.bar.update(event.step - self.bar.n)

    def close(self) -> None:
        """Remove the bar from the terminal's current line (idempotent)."""
        self.bar.close()

    def __enter__(self) -> "ProgressBar":
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
