"""The settings form generated from StyleConfig (no browser)."""

from __future__ import annotations

import pytest

from stylegram import StyleConfig
from stylegram.errors import OptionError
from stylegram.web._gradio import gradio as gr
from stylegram.web.form import MAIN_OPTIONS, MORE_OPTIONS, ConfigForm


@pytest.fixture(scope="module")
def form():
    with gr.Blocks():
        form = ConfigForm()
        form.add(MAIN_OPTIONS + MORE_OPTIONS)
    return form


def values(form, **changes):
    """The inputs' initial values, as the page sends them, with some changed by label."""
    return [changes.get(c.label, c.value) for c in form.components]


def test_untouched_form_gives_the_default_config(form):
    assert form.config(values(form)) == StyleConfig()


def test_inputs_start_at_the_config_defaults(form):
    by_label = {c.label: c for c in form.components}
    defaults = StyleConfig()
    assert by_label["Steps"].value == defaults.steps
    assert by_label["Style weight"].value == defaults.style_weight
    assert by_label["Optimizer"].value == defaults.optimizer
    assert by_label["Optimizer"].choices == [(c, c) for c in ("lbfgs", "adam")]
    assert by_label["Size (px)"].value == ""  # empty: the content's own size, capped
    assert [(c.label, c.value) for c in form.components if c.label.startswith("conv")] == list(defaults.style_layers)


def test_changed_values_reach_the_config(form):
    config = form.config(values(form, **{"Size (px)": "64", "Steps": 10, "conv1_1": 3, "conv5_1": None,
                                         "Preserve color": True, "Style blend weights": ""}))
    assert (config.size, config.steps, config.preserve_color) == (64, 10, True)
    assert config.style_layers == (("conv1_1", 3.0), ("conv2_1", 1.0), ("conv3_1", 1.0), ("conv4_1", 1.0))


def test_bad_value_is_reported_with_the_page_label(form):
    with pytest.raises(OptionError, match=r"^Style weight: must be a finite number >= 0, got -1"):
        form.config(values(form, **{"Style weight": -1}))
    with pytest.raises(OptionError, match=r"^Style layers: give at least one layer name"):
        form.config(values(form, **{f"conv{i}_1": None for i in range(1, 6)}))


def test_a_layer_weight_that_is_not_a_number_is_a_labelled_message(form):
    with pytest.raises(OptionError, match=r"^Style layers conv3_1: 'garbage' is not a number$"):
        form.config(values(form, conv3_1="garbage"))


@pytest.mark.parametrize("seed", [10**20, -1])
def test_a_seed_out_of_range_is_a_labelled_message(form, seed):
    with pytest.raises(OptionError, match=r"^Seed: must be a whole number from 0 to 2\*\*63-1"):
        form.config(values(form, Seed=seed))


def test_the_optimizer_says_what_each_choice_is_for(form):
    help_text = {c.label: c.info for c in form.components}["Optimizer"]
    assert "lbfgs" in help_text and "adam" in help_text and "memory" in help_text
