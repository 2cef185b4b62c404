"""umap-learn 0.5.7, 2-D, defaults (n_neighbors 15, min_dist 0.1), no random_state (so its parallel SGD runs on the
numba threads): a first fit (numba compiles its kernels in it), then three warm fits (further fits in the same process)
on the same input. Reports the first fit's time and the warm fits' median; writes each warm layout to OUTPUT.0, .1, .2
(the quality compared is their mean: one fit is one draw of the SGD's noise).
  python3 umap_fit.py INPUT.f32 OUTPUT"""
import sys

import numpy as np

import peerlib

WARM_FITS = 3

umap = peerlib.import_umap()

data = peerlib.read_float32(sys.argv[1])
timer = peerlib.Timer()
umap.UMAP(n_components=2).fit_transform(data)
first = timer.lap()
warm = []
for fit in range(WARM_FITS):
    layout = umap.UMAP(n_components=2).fit_transform(data)
    warm.append(timer.lap())
    with open(f"{sys.argv[2]}.{fit}", "wb") as f:
        f.write(np.array(layout.shape, dtype=np.int32).tobytes())
        f.write(np.ascontiguousarray(layout, dtype=np.float32).tobytes())
    timer.lap()  # the write is not part of the fit
peerlib.report(first_fit_s=first, warm_fit_s=sorted(warm)[len(warm) // 2])
