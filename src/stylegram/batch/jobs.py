"""Batch jobs: what to paint, in which style, with which settings, written where.

A :class:`Job` is one content photo painted in one style (or a blend of several) with
one :class:`~stylegram.config.StyleConfig`, written to one PNG; with the fast method
(Johnson et al. 2016) the style is a trained model's (:mod:`stylegram.fast`). Jobs come from
photos x styles (:func:`plan_jobs`: files, folders and glob patterns) or from a
manifest CSV (:func:`read_manifest`: one row per job). A job knows whether its
output is already done (:meth:`Job.is_done`): the output's run record
(:func:`stylegram.api.run_metadata`, :func:`stylegram.api.apply_metadata`) must say
it finished, with the same settings and method, from input images (and model file)
with the same SHA-256; so a rerun skips finished jobs and a changed option reruns
only the jobs it changes.
"""

from __future__ import annotations

import csv
import glob
import json
import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from ..config import StyleConfig, suggest
from ..errors import ImageReadError, OptionError

__all__ = [
    "Job",
    "METHODS",
    "IMAGE_SUFFIXES",
    "expand_paths",
    "output_name",
    "plan_jobs",
    "read_manifest",
    "check_outputs",
]

METHODS = ("optimize", "fast")
"""The methods a batch can run: ``optimize`` (Gatys et al., :func:`stylegram.api.run`)
and ``fast`` (a trained feed-forward network, :func:`stylegram.fast.stylize`: one
pass per photo, the style its model's)."""

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".gif")
"""The files a folder contributes (case-insensitive); a file named on its own is taken
whatever its extension."""

_GLOB_CHARS = set("*?[")


def _check_method(method: str) -> str:
    if method not in METHODS:
        raise OptionError(
            f"{{method}}: unknown value '{method}'; choose one of {', '.join(METHODS)}"
            f"{suggest(method, METHODS)}",
            "method",
        )
    return method


@dataclass(frozen=True)
class Job:
    """One style transfer of a batch.

    Attributes:
        content: Absolute path of the content photo.
        styles: Absolute paths of the style images (blended when several).
        output: Absolute path of the output PNG.
        config: The settings of this job (for ``fast``: only ``size`` and
            ``preserve_color`` apply).
        method: How to paint: one of :data:`METHODS`.
        model: For ``fast``: the model, a built-in name or an absolute file path.

    Raises:
        OptionError: An unknown ``method``; no style (``optimize``) or no model, or
            style images given too (``fast``); or an output that is not a ``.png``
            (only PNG carries the run record a rerun compares).
    """

    content: str
    styles: tuple[str, ...]
    output: str
    config: StyleConfig
    method: str = "optimize"
    model: str | None = None

    def __post_init__(self) -> None:
        _check_method(self.method)
        if self.method == "fast":
            if not self.model:
                raise OptionError(f"{self.content}: a fast job needs a {{model}} (see: stylegram models)", "model")
            if self.styles:
                raise OptionError(f"{self.content}: a fast job paints in its model's style; give no {{style}}", "style")
        elif self.model:
            raise OptionError(f"{self.content}: {{model}} is for {{method}} fast only", "model", "method")
        elif not self.styles:
            raise OptionError(f"{self.content}: the job has no style image", "style")
        if Path(self.output).suffix.lower() != ".png":
            raise OptionError(f"{self.output}: batch outputs are PNG files (they carry the run record)", "output")

    def record(self) -> dict[str, Any]:
        """What this job adds to its output's run record: ``{"method"}``, and for
        ``fast`` also ``model``, ``size`` and ``preserve_color`` as asked."""
        if self.method == "fast":
            return {"method": "fast", "model": self.model, "size": self.config.size, "preserve_color": self.config.preserve_color}
        return {"method": self.method}

    def metadata(self, run_metadata: dict[str, Any]) -> dict[str, Any]:
        """The output's PNG metadata: ``run_metadata`` (from
        :meth:`stylegram.api.StyleResult.metadata` or :func:`stylegram.api.apply_metadata`,
        with the inputs' SHA-256) with :meth:`record` as its ``stylegram.batch`` entry."""
        record = dict(run_metadata["stylegram"], batch=self.record())
        return {**run_metadata, "stylegram": record}

    def is_done(self) -> bool:
        """Whether :attr:`output` holds this job's finished result: a PNG whose run
        record says it finished, with the same settings and method, from content and
        style images with the same SHA-256 (in order; a photo moved or renamed with
        its bytes unchanged still counts); for ``fast``, from a model file with the
        same SHA-256. A missing, unreadable or foreign file, one from other settings,
        images or model, is not done."""
        from ..fast import ModelFileError, resolve_model
        from ..image import read_metadata
        from ..resume import fingerprint, input_record

        try:
            record = read_metadata(self.output)
        except ImageReadError:
            return False
        if not (record.get("finished") is True and record.get("batch") == _plain(self.record())):
            return False
        try:
            if self.method == "fast":
                inputs, model = (record.get(k) if isinstance(record.get(k), dict) else {} for k in ("inputs", "model"))
                return _digest(inputs.get("content")) == fingerprint(self.content)["sha256"] and (
                    model.get("sha256") == fingerprint(resolve_model(self.model or ""))["sha256"]
                )
            wanted = input_record(self.content, self.styles, self.config.init)
        except (ImageReadError, ModelFileError):
            return False  # the job will fail and say why
        return record.get("settings") == _plain(self.config.to_dict()) and _hashes(record.get("inputs")) == _hashes(wanted)


def _hashes(inputs: Any) -> Any:
    """The SHA-256 of the content, the styles and the init image of an input record
    (:func:`stylegram.resume.input_record`), or ``None`` for a record of another form."""
    if not isinstance(inputs, dict) or not isinstance(inputs.get("styles"), list):
        return None
    return (_digest(inputs.get("content")), [_digest(s) for s in inputs["styles"]], _digest(inputs.get("init")))


def _digest(entry: Any) -> Any:
    return entry.get("sha256") if isinstance(entry, dict) else None


def _plain(value: Any) -> Any:
    """``value`` as it reads back from JSON (tuples become lists)."""
    return json.loads(json.dumps(value))


def expand_paths(arguments: Iterable[str | os.PathLike[str]], what: str) -> list[str]:
    """The image files that files, folders and glob patterns name, in the order given.

    A file is taken as it is; a folder gives the files directly inside it whose
    extension is one of :data:`IMAGE_SUFFIXES`, sorted by name; a pattern
    (``*``, ``?``, ``[...]``; ``**`` for any depth) gives its matching files, sorted.
    A file named twice is taken once. Paths are made absolute.

    Raises:
        OptionError: A path that does not exist, or a folder or pattern without
            images; ``what`` (``photos``, ``style``) names the setting.
    """
    found: dict[str, None] = {}
    for argument in arguments:
        text = os.fspath(argument)
        path = Path(text)
        if path.is_dir():
            matches = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
            if not matches:
                raise OptionError(f"{{{what}}}: folder {text} holds no images ({', '.join(IMAGE_SUFFIXES)})", what)
        elif path.is_file():
            matches = [path]
        elif _GLOB_CHARS & set(text):
            matches = sorted(Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file())
            if not matches:
                raise OptionError(f"{{{what}}}: pattern {text} matches no files", what)
        else:
            raise OptionError(f"{{{what}}}: {text} does not exist", what)
        for match in matches:
            found.setdefault(os.path.abspath(match), None)
    return list(found)


def output_name(content: str, styles: Sequence[str]) -> str:
    """The output file name of a job: the photo's stem, ``_``, the style stems (or the
    fast model's) joined by ``+``, ``.png``.

    >>> output_name("photos/tubingen.jpg", ["art/starry_night.jpg", "art/wave.png"])
    'tubingen_starry_night+wave.png'
    """
    return f"{Path(content).stem}_{'+'.join(Path(s).stem for s in styles)}.png"


def plan_jobs(
    photos: Iterable[str | os.PathLike[str]],
    styles: Iterable[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    config: StyleConfig | None = None,
    method: str = "optimize",
    models: Iterable[str] = (),
) -> list[Job]:
    """Every photo painted in every style (or with every model), one job each, in
    photo-major order.

    Args:
        photos: Files, folders or glob patterns (:func:`expand_paths`).
        styles: Style images, named the same ways; each is its own job (``optimize``).
        out_dir: Folder of the outputs, named by :func:`output_name`.
        config: The settings of every job; default ``StyleConfig()``.
        method: One of :data:`METHODS`.
        models: For ``fast``: model files or built-in names; each is its own job.

    Raises:
        OptionError: A missing photo, style or model, an unknown method, styles and
            models mixed up with the method, or two jobs that would write the same
            output (:func:`check_outputs`).
    """
    config = config or StyleConfig()
    _check_method(method)
    contents = expand_paths(photos, "photos")
    folder = os.path.abspath(out_dir)
    if method == "fast":
        if list(styles):
            raise OptionError("{style}: the fast method paints in its model's style; give {model} instead", "style", "model")
        paints: list[tuple[tuple[str, ...], str | None]] = [((), _checked_model(m)) for m in models]
        if not paints:
            raise OptionError("{model}: the fast method needs a trained model (see: stylegram models)", "model")
    else:
        if list(models):
            raise OptionError("{model}: models are for {method} fast only", "model", "method")
        paints = [((style,), None) for style in expand_paths(styles, "style")]
    jobs = [
        Job(content, styles, os.path.join(folder, output_name(content, styles or [model])), config, method, model)
        for content in contents
        for styles, model in paints
    ]
    check_outputs(jobs)
    return jobs


def _checked_model(model: str, base: Path | None = None) -> str:
    """A model as a job keeps it: a built-in name as it is, a file as an absolute path
    (``base``: the folder a relative path is relative to).

    Raises:
        OptionError: Neither a file nor a built-in model.
    """
    from ..fast import ModelFileError, resolve_model

    path = (base / model) if base is not None else Path(model)
    if path.is_file():
        return os.path.abspath(path)
    try:
        resolve_model(model)
    except ModelFileError as error:
        raise OptionError(f"{{model}}: {error}", "model") from None
    return model


_MANIFEST_COLUMNS = ("content", "style", "model", "output", "method")
_CONFIG_FIELDS = tuple(f.name for f in fields(StyleConfig))


def read_manifest(
    path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    config: StyleConfig | None = None,
    method: str = "optimize",
) -> list[Job]:
    """The jobs of a manifest CSV, one per row.

    The header names the columns: ``content`` (required) and ``style`` (several style
    images separated by ``;`` are blended) or, for rows of the ``fast`` method,
    ``model`` (a model file or built-in name), optionally ``output`` (a ``.png`` file
    name in ``out_dir``; default :func:`output_name`), ``method``, and any
    :class:`~stylegram.config.StyleConfig` field (``style_weight`` or ``style-weight``),
    whose cells override ``config`` for that row; an empty cell keeps ``config``'s value.
    Relative image paths are relative to the manifest's folder.

    Raises:
        OptionError: The file cannot be read, a required column is missing, a column
            is unknown, a row has a bad value (the message names the file and line),
            or two rows write the same output.
    """
    config = config or StyleConfig()
    name = os.fspath(path)
    base = Path(name).parent
    try:
        with open(name, newline="", encoding="utf-8-sig") as file:
            reader = csv.DictReader(file)
            rows = list(reader)
            header = list(reader.fieldnames or [])
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise OptionError(f"{{manifest}}: cannot read {name} ({error})", "manifest") from None
    columns = {column: column.strip().replace("-", "_") for column in header if column is not None}
    for column, field in columns.items():
        if field not in _MANIFEST_COLUMNS and field not in _CONFIG_FIELDS:
            known = list(_MANIFEST_COLUMNS + _CONFIG_FIELDS)
            raise OptionError(f"{{manifest}}: {name}: unknown column '{column}'{suggest(field, known)}", "manifest")
    if "content" not in columns.values():
        raise OptionError(f"{{manifest}}: {name}: no 'content' column", "manifest")
    if not {"style", "model"} & set(columns.values()):
        raise OptionError(f"{{manifest}}: {name}: no 'style' column (or 'model', for the fast method)", "manifest")
    if not rows:
        raise OptionError(f"{{manifest}}: {name} has no jobs", "manifest")
    jobs = []
    for line, row in enumerate(rows, start=2):
        cells = {columns[c]: (v or "").strip() for c, v in row.items() if c is not None}
        try:
            jobs.append(_row_job(cells, base, out_dir, config, method))
        except OptionError as error:
            raise OptionError(f"{name}:{line}: {error.args[0]}", error.field, *error.fields[1:]) from None
    check_outputs(jobs)
    return jobs


def _row_job(cells: Mapping[str, str], base: Path, out_dir: str | os.PathLike[str], config: StyleConfig, method: str) -> Job:
    method = _check_method(cells.get("method") or method)
    paint = "model" if method == "fast" else "style"
    if not cells.get("content") or not cells.get(paint):
        raise OptionError(f"{{manifest}}: the row needs a content and a {paint}", "manifest")
    content = os.path.abspath(base / cells["content"])
    styles = tuple(os.path.abspath(base / s.strip()) for s in cells.get("style", "").split(";") if s.strip())
    model = _checked_model(cells["model"], base) if method == "fast" else cells.get("model") or None
    options = {k: v for k, v in cells.items() if k in _CONFIG_FIELDS and v}
    output = cells.get("output") or output_name(content, [model] if model else styles)
    return Job(
        content,
        styles,
        os.path.abspath(Path(out_dir) / output),
        config.with_options(**options) if options else config,
        method,
        model,
    )


def check_outputs(jobs: Sequence[Job]) -> None:
    """Refuse two jobs that would write the same output file.

    Raises:
        OptionError: Names the output and both jobs' content photos.
    """
    seen: dict[str, Job] = {}
    for job in jobs:
        key = os.path.normcase(job.output)
        if key in seen:
            raise OptionError(
                f"{job.output}: two jobs would write it ({seen[key].content} and {job.content}); "
                "rename one photo, or give each row its own output in a manifest",
                "output",
            )
        seen[key] = job
