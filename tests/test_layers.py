"""The rooms stay apart: the library never imports a front end's or a later room's
heavy dependency. The import direction itself is import-linter's contract in
pyproject.toml, run by the README's test command (and so by .ci/run)."""

from __future__ import annotations

import subprocess
import sys

FRONT_END_MODULES = ("click", "gradio", "fastapi", "av", "cv2", "ray")


def _imported_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_import_stylegram_loads_no_front_end_and_no_torch():
    loaded = _imported_after("import stylegram")
    assert not loaded & set(FRONT_END_MODULES)
    assert "torch" not in loaded  # the API loads torch on first use, so --help stays fast


def test_using_the_api_loads_no_front_end():
    loaded = _imported_after("import stylegram\nstylegram.run  # the API and the engine behind it\nimport stylegram.engine")
    assert "torch" in loaded and "stylegram.engine" in loaded
    assert not loaded & set(FRONT_END_MODULES)

