"""Shared helpers of the peer benchmark scripts (bench/peers/*.py): importing the peers from their source trees,
reading the benchmark inputs, and reporting one result line the harness parses.

The peers are only called here, never copied: SciPy, scikit-learn, PyMDE and umap-learn run as their users run them.
"""
import json
import os
import sys
import time
import types

import numpy as np


def peers_src():
    return os.environ.get("EMBEDPS_PEERS_SRC", "/work/peers-src")


def threads():
    return int(os.environ.get("EMBEDPS_BENCH_THREADS", "2"))


def import_pymde():
    """PyMDE from its source tree. Its compiled helper `pymde.preprocess._graph` (breadth-first search, used only for
    shortest paths on unweighted graphs) is not built there; every graph here is weighted, so a stand-in that refuses
    to run is registered under its name before the import."""
    src = os.path.join(peers_src(), "pymde")
    if src not in sys.path:
        sys.path.insert(0, src)
    stand_in = types.ModuleType("pymde.preprocess._graph")

    def _breadth_first_directed(*args, **kwargs):
        raise RuntimeError("unweighted shortest paths need PyMDE's compiled _graph module, which this source tree lacks")

    stand_in._breadth_first_directed = _breadth_first_directed
    sys.modules["pymde.preprocess._graph"] = stand_in
    import torch
    torch.set_num_threads(threads())
    import pymde
    return pymde


def import_umap():
    src = os.path.join(peers_src(), "umap")
    if src not in sys.path:
        sys.path.insert(0, src)
    import umap
    return umap


def read_pairs(path):
    """collection,entity CSV (header first) → (entity names in first-seen order, sparse collections × entities 0/1)."""
    import pandas as pd
    import scipy.sparse as sp
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame = frame.drop_duplicates()
    collections, collection_index = np.unique(frame.iloc[:, 0].to_numpy(), return_inverse=True)
    entities, entity_index = np.unique(frame.iloc[:, 1].to_numpy(), return_inverse=True)
    incidence = sp.csr_matrix((np.ones(len(frame), dtype=np.float32), (collection_index, entity_index)),
                              shape=(len(collections), len(entities)))
    return entities, incidence


def cooccurrence(incidence):
    """Entity × entity co-occurrence counts (SciPy A.T @ A), diagonal removed."""
    counts = (incidence.T @ incidence).tocsr()
    counts.setdiag(0)
    counts.eliminate_zeros()
    return counts


def read_float32(path):
    """Row-major float32 matrix written by the harness: int32 rows, int32 columns, then the values."""
    with open(path, "rb") as f:
        rows, cols = np.frombuffer(f.read(8), dtype=np.int32)
        return np.frombuffer(f.read(), dtype=np.float32).reshape(rows, cols).copy()


def write_coordinates(path, entities, coordinates):
    with open(path, "w") as f:
        for name, row in zip(entities, coordinates):
            f.write(str(name) + "," + ",".join(repr(float(v)) for v in row) + "\n")


class Timer:
    def __init__(self):
        self.start = time.perf_counter()

    def lap(self):
        now = time.perf_counter()
        elapsed, self.start = now - self.start, now
        return elapsed


def report(**values):
    """The one line the harness reads: RESULT {json}."""
    print("RESULT " + json.dumps(values), flush=True)
