"""SciPy's co-occurrence: A.T @ A on the CSR incidence matrix (collections × entities). Timed: the product only.
  python3 scipy_cooccurrence.py INPUT.incidence"""
import sys

import numpy as np
import scipy.sparse as sp

import peerlib

with open(sys.argv[1], "rb") as f:
    collections, entities = np.frombuffer(f.read(8), dtype=np.int32)
    offsets = np.frombuffer(f.read(4 * (collections + 1)), dtype=np.int32)
    members = np.frombuffer(f.read(), dtype=np.int32)
incidence = sp.csr_matrix((np.ones(len(members), dtype=np.float32), members, offsets), shape=(collections, entities))
timer = peerlib.Timer()
counts = (incidence.T @ incidence).tocsr()
seconds = timer.lap()
peerlib.report(seconds=seconds, nonzeros_with_diagonal=int(counts.nnz))
