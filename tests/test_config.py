import pytest

from stylegram import OptionError, StyleConfig
from stylegram.config import flag


def test_strings_are_parsed_like_the_cli_types_them():
    config = StyleConfig(style_layers="conv1_1:2,conv3_1", steps="40", scales="64,128", preserve_color="yes")
    assert config.style_layers == (("conv1_1", 2.0), ("conv3_1", 1.0))
    assert config.steps == 40 and config.scales == (64, 128) and config.preserve_color is True


def test_misspelt_choice_suggests_the_right_one():
    with pytest.raises(OptionError, match=r"^optimizer: unknown value 'lbgfs'.*\(did you mean 'lbfgs'\?\)"):
        StyleConfig(optimizer="lbgfs")


@pytest.mark.parametrize(
    "options, message",
    [
        ({"steps": 0}, "^steps: must be at least 1"),
        ({"style_weight": -1.0}, "^style_weight: must be a finite number >= 0"),
        ({"lr": "fast"}, "^lr: 'fast' is not a valid float"),
        ({"size": 8}, "^size: 8 px is below the minimum of 32 px"),
        ({"style_layers": "conv1_1:x"}, "^style_layers: 'x' is not a valid float"),
        ({"scales": "16,64"}, "^scales: every scale must be at least 32 px"),
    ],
)
def test_bad_values_name_the_option(options, message):
    with pytest.raises(OptionError, match=message) as raised:
        StyleConfig(**options)
    assert isinstance(raised.value, ValueError)
    field = message[1:].split(":")[0]
    assert raised.value.field == field
    assert raised.value.render(flag).startswith("--" + field.replace("_", "-") + ":")


def test_a_message_names_every_setting_it_mentions_by_the_front_ends_spelling():
    with pytest.raises(OptionError) as raised:
        StyleConfig(scales="64,128,256", steps=2)
    assert raised.value.fields == ("scales", "steps")
    assert str(raised.value) == "scales: 3 scales need at least as many steps, got 2"
    assert raised.value.render(flag) == "--scales: 3 scales need at least as many --steps, got 2"
    assert raised.value.render(str.upper) == "SCALES: 3 scales need at least as many STEPS, got 2"


def test_blend_weights_normalized_and_counted():
    config = StyleConfig(style_blend_weights="2,1,1")
    assert config.blend_weights(3) == (0.5, 0.25, 0.25)
    with pytest.raises(OptionError, match="2 style images but 3 weights"):
        config.blend_weights(2)
    assert StyleConfig().blend_weights(4) == (0.25,) * 4


def test_unknown_override_suggests_a_field():
    with pytest.raises(OptionError, match=r"unknown option 'style_wieght' \(did you mean 'style_weight'\?\)"):
        StyleConfig().with_options(style_wieght=3)


def test_choices_ignore_case():
    assert StyleConfig(optimizer="Adam", pooling="AVG").optimizer == "adam"


@pytest.mark.parametrize("seed", [-1, 2**63, 10**20])
def test_seed_out_of_range_is_a_labelled_option_error(seed):
    with pytest.raises(OptionError, match=r"^seed: must be a whole number from 0 to 2\*\*63-1"):
        StyleConfig(seed=seed)
