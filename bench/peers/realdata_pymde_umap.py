"""PyMDE → umap-learn on a real entity-collection dataset, as the method's author runs it: co-occurrence counts,
graph distances 1/ln(1 + count), pymde.preserve_neighbors(graph, embedding_dim=3, n_neighbors=15, init="random")
.embed(), then umap-learn (defaults, 2-D) on the 3-D embedding. Writes <out>/embedding.csv and <out>/map.csv
(entity,coordinates...).

  python3 realdata_pymde_umap.py DATASET_DIR OUT_DIR [--seed 0]
"""
import argparse
import os

import numpy as np

import peerlib

parser = argparse.ArgumentParser()
parser.add_argument("dataset")
parser.add_argument("out")
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()

pymde = peerlib.import_pymde()
umap = peerlib.import_umap()
import torch

timer = peerlib.Timer()
entities, incidence = peerlib.read_pairs(os.path.join(args.dataset, "pairs.csv"))
counts = peerlib.cooccurrence(incidence).tocoo()
upper = counts.row < counts.col
edges = torch.tensor(np.stack([counts.row[upper], counts.col[upper]], axis=1), dtype=torch.int64)
distances = torch.tensor(1.0 / np.log1p(counts.data[upper]), dtype=torch.float32)
graph = pymde.Graph.from_edges(edges, distances, n_items=len(entities))
read_s = timer.lap()
pymde.seed(args.seed)
problem = pymde.preserve_neighbors(graph, embedding_dim=3, n_neighbors=15, init="random")
neighbors_s = timer.lap()
embedding = problem.embed().cpu().numpy()
embed_s = timer.lap()
reducer = umap.UMAP(n_components=2)
projected = reducer.fit_transform(embedding)
umap_s = timer.lap()
os.makedirs(args.out, exist_ok=True)
peerlib.write_coordinates(os.path.join(args.out, "embedding.csv"), entities, embedding)
peerlib.write_coordinates(os.path.join(args.out, "map.csv"), entities, projected)
peerlib.report(read_s=read_s, neighbors_s=neighbors_s, embed_s=embed_s, umap_first_fit_s=umap_s,
               entities=len(entities), edges=int(upper.sum()), distortion=float(problem.average_distortion(torch.tensor(embedding)).item()))
