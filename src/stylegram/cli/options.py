"""CLI options generated from the fields of :class:`~stylegram.config.StyleConfig`.

Each field becomes ``--field-name`` with the field's help text and its default shown
from the dataclass itself, so no default is ever restated here. Values reach the
config as the strings the user typed (``None`` when not given) and are parsed and
validated there (:func:`stylegram.api.plan_run`).
"""

from __future__ import annotations

from dataclasses import MISSING, fields
from typing import Any, Callable

import click

from ..config import StyleConfig, flag

__all__ = ["config_options"]


def _show(value: Any) -> str:
    if isinstance(value, tuple) and value and isinstance(value[0], tuple):
        return ",".join(f"{name}:{weight:g}" for name, weight in value)
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return "auto" if value is None else str(value)


def config_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a click command with one option per ``StyleConfig`` field."""
    for f in reversed(fields(StyleConfig)):
        default = f.default if f.default is not MISSING else None
        help_text = f.metadata["help"]
        if f.metadata["choices"]:
            help_text += f" One of: {', '.join(f.metadata['choices'])}."
        if isinstance(default, bool):
            option = click.option(flag(f.name), f.name, is_flag=True, default=None, help=help_text)
        else:
            option = click.option(
                flag(f.name),
                f.name,
                default=None,
                metavar=f.metadata["metavar"] or "VALUE",
                help=f"{help_text}  [default: {_show(default)}]",
            )
        command = option(command)
    return command


def config_from(values: dict[str, Any]) -> StyleConfig:
    """The config from a command's keyword arguments: the options given (not ``None``)
    over the defaults; other arguments are ignored.

    Raises:
        OptionError: A value the config rejects.
    """
    names = {f.name for f in fields(StyleConfig)}
    return StyleConfig(**{k: v for k, v in values.items() if k in names and v is not None})
