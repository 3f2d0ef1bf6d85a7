import subprocess
import sys

import stylegram

PUBLIC = [
    "ImageReadError",
    "Cancelled",
    "Interrupted",
    "NonFiniteLossError",
    "OptionError",
    "OutOfMemoryError",
    "OutputPathError",
    "ProgressEvent",
    "StyleConfig",
    "StyleResult",
    "StylegramError",
    "WeightsNotFoundError",
    "__version__",
    "run",
    "stylize",
]


def test_public_names():
    assert sorted(stylegram.__all__) == sorted(PUBLIC)
    for name in PUBLIC:
        assert getattr(stylegram, name) is not None


def test_errors_are_also_builtin_errors():
    assert issubclass(stylegram.ImageReadError, OSError)
    assert issubclass(stylegram.OptionError, ValueError)
    assert issubclass(stylegram.OutOfMemoryError, MemoryError)
    assert issubclass(stylegram.WeightsNotFoundError, FileNotFoundError)


def test_import_is_light():
    code = "import sys, stylegram; print(sorted(m for m in ('torch', 'click', 'gradio', 'tqdm') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_stylize_accepts_arrays_and_pil(small_content, small_style):
    import numpy as np
    from PIL import Image

    array = np.asarray(Image.open(small_content).convert("RGB"))
    image = stylegram.stylize(array, Image.open(small_style), steps=2)
    assert image.size == (96, 72) and image.mode == "RGB"
