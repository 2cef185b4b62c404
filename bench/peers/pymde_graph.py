"""PyMDE on a co-occurrence graph read directly: pymde.Graph from the weighted edges (distance 1/ln(1 + count)),
preserve_neighbors on it (k nearest by shortest paths within its default radius 3 × the 75th percentile of the edge
lengths), then embed (dimension 3, init random, 300 iterations at most). Timed separately: the neighbour graph
(preserve_neighbors) and the solve (embed).
  python3 pymde_graph.py INPUT.counts [--no-embed]"""
import sys

import numpy as np

import peerlib

pymde = peerlib.import_pymde()
import torch

with open(sys.argv[1], "rb") as f:
    n, m = np.frombuffer(f.read(8), dtype=np.int32)
    records = np.frombuffer(f.read(12 * m), dtype=np.dtype([("i", "<i4"), ("j", "<i4"), ("count", "<f4")]))
edges = torch.tensor(np.stack([records["i"], records["j"]], axis=1).astype(np.int64))
distances = torch.tensor(1.0 / np.log1p(records["count"].astype(np.float64)), dtype=torch.float32)
graph = pymde.Graph.from_edges(edges, distances, n_items=int(n))
pymde.seed(0)
timer = peerlib.Timer()
problem = pymde.preserve_neighbors(graph, embedding_dim=3, n_neighbors=15, init="random")
neighbors_s = timer.lap()
result = dict(neighbors_s=neighbors_s, edges=int(problem.edges.shape[0]))
if "--no-embed" not in sys.argv:
    embedding = problem.embed(max_iter=300)
    result.update(embed_s=timer.lap(), distortion=float(problem.average_distortion(embedding).item()),
                  iterations=int(problem.solve_stats.iterations))
peerlib.report(**result)
