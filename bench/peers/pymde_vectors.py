"""PyMDE on vectors: preserve_neighbors(X, embedding_dim=3, n_neighbors=15, init="random") (its kNN: exact for small
inputs, pynndescent above), then embed (300 iterations at most). Timed separately: the neighbour graph and the solve.
  python3 pymde_vectors.py INPUT.f32"""
import sys

import peerlib

pymde = peerlib.import_pymde()
import torch

data = torch.tensor(peerlib.read_float32(sys.argv[1]))
pymde.seed(0)
timer = peerlib.Timer()
problem = pymde.preserve_neighbors(data, embedding_dim=3, n_neighbors=15, init="random")
neighbors_s = timer.lap()
embedding = problem.embed(max_iter=300)
embed_s = timer.lap()
peerlib.report(neighbors_s=neighbors_s, embed_s=embed_s, edges=int(problem.edges.shape[0]),
               distortion=float(problem.average_distortion(embedding).item()), iterations=int(problem.solve_stats.iterations))
