"""scikit-learn 1.2 TSNE (Barnes-Hut), 2-D, defaults (perplexity 30, init "pca", learning_rate "auto", 1000
iterations), n_jobs = the bench's thread count. Writes the layout to OUTPUT.f32.
  python3 sklearn_tsne.py INPUT.f32 OUTPUT.f32"""
import sys

import numpy as np
from sklearn.manifold import TSNE

import peerlib

data = peerlib.read_float32(sys.argv[1])
timer = peerlib.Timer()
layout = TSNE(n_components=2, method="barnes_hut", init="pca", learning_rate="auto", n_jobs=peerlib.threads(),
              random_state=0).fit_transform(data)
seconds = timer.lap()
with open(sys.argv[2], "wb") as f:
    f.write(np.array(layout.shape, dtype=np.int32).tobytes())
    f.write(np.ascontiguousarray(layout, dtype=np.float32).tobytes())
peerlib.report(seconds=seconds)
