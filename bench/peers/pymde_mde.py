"""PyMDE's solve on a given graph (the one EmbedPS built, so both solve the same problem): pymde.MDE with PushAndPull
(Log1p on w > 0, Log on w < 0, PyMDE preserve_neighbors's penalties), Centered, dimension 3, random start, embed for
300 iterations at most. Timed: embed.
  python3 pymde_mde.py INPUT.graph"""
import sys

import numpy as np

import peerlib

pymde = peerlib.import_pymde()
import torch

with open(sys.argv[1], "rb") as f:
    n, m = np.frombuffer(f.read(8), dtype=np.int32)
    source = np.frombuffer(f.read(4 * m), dtype=np.int32)
    target = np.frombuffer(f.read(4 * m), dtype=np.int32)
    weights = np.frombuffer(f.read(4 * m), dtype=np.float32)
edges = torch.tensor(np.stack([source, target], axis=1).astype(np.int64))
weights = torch.tensor(weights.copy())
pymde.seed(0)
problem = pymde.MDE(int(n), 3, edges,
                    pymde.penalties.PushAndPull(weights, attractive_penalty=pymde.penalties.Log1p,
                                                repulsive_penalty=pymde.penalties.Log),
                    constraint=pymde.Centered())
timer = peerlib.Timer()
embedding = problem.embed(max_iter=300)
peerlib.report(embed_s=timer.lap(), distortion=float(problem.average_distortion(embedding).item()),
               iterations=int(problem.solve_stats.iterations), edges=int(m))
