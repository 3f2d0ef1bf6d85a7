"""The page's settings form, generated from the fields of :class:`~stylegram.config.StyleConfig`.

Each offered field becomes one input with the field's default and help text, so the
page, the CLI and the API always offer the same settings with the same defaults.
The per-layer style weights become one number per layer of the default layer list.
Values reach the config as given (numbers, or the text a user typed for lists) and
are parsed and validated there.

Not offered on the page: options that name files on the server (``init`` as a path,
``weights``), the device and precision (the server's business), and options that
multiply the work beyond the server's caps (``scales``, ``style_scale``).
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any, Sequence

from ..config import StyleConfig
from ..errors import OptionError
from ._gradio import gradio as gr

__all__ = ["ConfigForm", "MAIN_OPTIONS", "MORE_OPTIONS"]

MAIN_OPTIONS = ("size", "steps", "style_weight", "style_layers", "optimizer", "preserve_color", "seed")
"""Fields shown at the top of the form, in this order."""

MORE_OPTIONS = ("content_weight", "tv_weight", "lr", "style_blend_weights", "pooling")
"""Fields shown under "More options"."""

_LABELS = {"lr": "Learning rate", "tv_weight": "TV weight", "size": "Size (px)"}

_FIELDS = {f.name: f for f in fields(StyleConfig)}


def label(name: str) -> str:
    """The label of field ``name`` on the page: ``style_weight`` -> ``Style weight``."""
    return _LABELS.get(name, name.replace("_", " ").capitalize())


class ConfigForm:
    """Inputs for some :class:`StyleConfig` fields, created by :meth:`add` in ``gr.Blocks``.

    Attributes:
        components: The input components, in the order :meth:`config` takes their values.
    """

    def __init__(self) -> None:
        self._slots: list[tuple[str, str | None]] = []  # (field name, layer name or None)
        self.components: list[gr.components.Component] = []

    def add(self, names: Sequence[str]) -> None:
        """Create the inputs of fields ``names`` here (in the current Blocks context)."""
        for name in names:
            self._add(name)

    def _add(self, name: str) -> None:
        f = _FIELDS[name]
        default, help_text = f.default, f.metadata["help"]
        common = {"label": label(name), "info": help_text, "elem_id": f"option-{name.replace('_', '-')}"}
        if name == "style_layers":
            gr.Markdown(f"**{label(name)}**: {help_text}")
            with gr.Row():
                for layer, weight in default:
                    self._slots.append((name, layer))
                    self.components.append(gr.Number(weight, label=layer, elem_id=f"option-{layer}", min_width=80))
            return
        if f.metadata["choices"]:
            component: gr.components.Component = gr.Dropdown(list(f.metadata["choices"]), value=default, **common)
        elif isinstance(default, bool):
            component = gr.Checkbox(default, **common)
        elif isinstance(default, (int, float)):
            component = gr.Number(default, precision=0 if isinstance(default, int) else None, **common)
        else:  # optional values and lists, typed as on the command line (gr.Number cannot be empty)
            text = "" if default is None else ",".join(str(v) for v in default)
            component = gr.Textbox(text, placeholder="auto", **common)
        self._slots.append((name, None))
        self.components.append(component)

    def config(self, values: Sequence[Any]) -> StyleConfig:
        """The config from the inputs' values; an empty input keeps the default.

        An empty per-layer weight leaves that layer out of the style loss.

        Raises:
            OptionError: A value the config rejects; the message names the input
                by its label on the page.
        """
        given: dict[str, Any] = {}
        for (name, layer), value in zip(self._slots, values):
            if value is None or value == "":
                continue
            if layer is None:
                given[name] = value
            else:
                try:
                    weight = float(value)
                except (TypeError, ValueError):
                    raise OptionError(f"{label(name)} {layer}: '{value}' is not a number", name) from None
                given[name] = given.get(name, ()) + ((layer, weight),)
        if any(name == "style_layers" for name, _ in self._slots) and "style_layers" not in given:
            given["style_layers"] = ()  # every layer emptied: let the config say so
        try:
            return StyleConfig(**given)
        except OptionError as error:
            raise OptionError(self.message(error), error.field) from None

    @staticmethod
    def message(error: OptionError) -> str:
        """``error``'s message with each setting it names spelt as the page's label."""
        return error.render(label)
