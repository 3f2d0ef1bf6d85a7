"""The bundled example images, installed with the package.

``CONTENT`` is the Neckarfront in Tübingen (the content photo of Gatys et al.), 1024x768
px JPEG; ``STYLE`` is Van Gogh's *The Starry Night*, 1024x811 px JPEG. Sources and
licences: ``SOURCES.md`` beside this file.

>>> from stylegram.examples import CONTENT, STYLE
>>> CONTENT.name, STYLE.name
('tubingen.jpg', 'starry_night.jpg')
"""

from pathlib import Path

__all__ = ["CONTENT", "STYLE", "FOLDER"]

FOLDER = Path(__file__).resolve().parent
"""The folder that holds the example images."""
CONTENT = FOLDER / "tubingen.jpg"
"""The example content image (a photo)."""
STYLE = FOLDER / "starry_night.jpg"
"""The example style image (a painting)."""
