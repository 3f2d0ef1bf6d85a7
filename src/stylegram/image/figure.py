"""The side-by-side comparison figure people share: content | style | result."""

from __future__ import annotations

from PIL import Image, ImageDraw, ImageFont

from .io import BACKGROUND, flatten_alpha

__all__ = ["comparison_figure"]

_PAD = 8


def comparison_figure(
    content: Image.Image, styles: list[Image.Image], result: Image.Image, title: str, height: int = 384
) -> Image.Image:
    """One RGB figure: content, each style, and the result side by side under a title.

    Args:
        content: The content image (any mode; alpha flattened onto white).
        styles: The style images.
        result: The stylized image.
        title: One line of text (e.g. the main settings), drawn above the panels.
        height: Height of each panel in pixels; widths keep each image's aspect ratio.

    Returns:
        An ``RGB`` image on a white background.
    """
    panels = [_panel(image, height) for image in (content, *styles, result)]
    font = ImageFont.load_default(size=max(12, height // 24))
    text_height = int(font.getbbox(title)[3]) + 2 * _PAD
    width = sum(p.width for p in panels) + _PAD * (len(panels) + 1)
    figure = Image.new("RGB", (width, height + text_height + _PAD), BACKGROUND)
    ImageDraw.Draw(figure).text((_PAD, _PAD), title, fill=(0, 0, 0), font=font)
    x = _PAD
    for panel in panels:
        figure.paste(panel, (x, text_height))
        x += panel.width + _PAD
    return figure


def _panel(image: Image.Image, height: int) -> Image.Image:
    rgb = image.convert("RGBA")
    rgb = flatten_alpha(rgb.convert("RGB"), rgb.getchannel("A"))
    width = max(1, round(image.width * height / image.height))
    return rgb.resize((width, height), Image.Resampling.LANCZOS)
