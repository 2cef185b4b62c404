"""umap-learn 0.5.7, 2-D, defaults (n_neighbors 15, min_dist 0.1), no random_state (so its parallel SGD runs on the
numba threads): a first fit (numba compiles its kernels in it) and a warm fit (a second fit in the same process), on
the same input. Writes the warm fit's layout to OUTPUT.f32.
  python3 umap_fit.py INPUT.f32 OUTPUT.f32"""
import sys

import numpy as np

import peerlib

umap = peerlib.import_umap()

data = peerlib.read_float32(sys.argv[1])
timer = peerlib.Timer()
umap.UMAP(n_components=2).fit_transform(data)
first = timer.lap()
layout = umap.UMAP(n_components=2).fit_transform(data)
warm = timer.lap()
with open(sys.argv[2], "wb") as f:
    f.write(np.array(layout.shape, dtype=np.int32).tobytes())
    f.write(np.ascontiguousarray(layout, dtype=np.float32).tobytes())
peerlib.report(first_fit_s=first, warm_fit_s=warm)
