"""The TV weight's effect, by eye: the bundled pair at 256 px, 100 iterations, TV weight
0, 0.5 (default), 2 and 8, side by side; prints each run's weighted loss terms.

    python benchmarks/tv_weight.py docs/figures/tv-weight-2026-12-03.png
"""

import sys

from PIL import Image
from stylegram import run
from stylegram.examples import CONTENT, STYLE

c, s = Image.open(CONTENT), Image.open(STYLE)
ims = []
for tv in (0.0, 0.5, 2.0, 8.0):
    ev = []
    r = run(c, s, size=256, steps=100, tv_weight=tv, callback=ev.append)
    print(tv, {k: round(v, 3) for k, v in ev[-1].losses.items()}, flush=True)
    ims.append(r.image)
w, h = ims[0].size; out = Image.new("RGB", (w * 4, h))
for i, im in enumerate(ims): out.paste(im, (i * w, 0))
out.save(sys.argv[1] if len(sys.argv) > 1 else "tv-weight.png")
