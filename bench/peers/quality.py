"""Map quality of embeddings of a real dataset, the same code for every tool:
- partners recall@10: for each entity, its (up to) 10 highest-count co-occurrence partners (ties: entity order), the
  fraction of them among its 10 nearest neighbours in the layout; mean over entities with a partner.
- 10-NN accuracy: leave-one-out majority vote of the 10 nearest labelled entities (ties: the label met first), over the
  labelled entities (EmbeddingQuality.LabelAccuracy's rule).

  python3 quality.py DATASET_DIR NAME=COORDS.csv [NAME=COORDS.csv ...]   → one RESULT line {NAME: {recall, accuracy}}
"""
import os
import sys

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

import peerlib

K = 10


def strongest_partners(counts, k):
    counts = counts.tocsr()
    partners = []
    for i in range(counts.shape[0]):
        start, end = counts.indptr[i], counts.indptr[i + 1]
        columns, values = counts.indices[start:end], counts.data[start:end]
        order = np.lexsort((columns, -values))[:k]
        partners.append(columns[order])
    return partners


def measure(coordinates, partners, label_ids):
    tree = cKDTree(coordinates)
    n = coordinates.shape[0]
    _, nearest = tree.query(coordinates, k=min(n, K + 1), workers=peerlib.threads())
    recalls = []
    for i in range(n):
        if len(partners[i]) == 0:
            continue
        neighbours = [j for j in nearest[i] if j != i][:K]
        recalls.append(len(set(neighbours) & set(partners[i].tolist())) / len(partners[i]))
    labelled = np.flatnonzero(label_ids >= 0)
    labelled_tree = cKDTree(coordinates[labelled])
    _, voters = labelled_tree.query(coordinates[labelled], k=min(len(labelled), K + 1), workers=peerlib.threads())
    correct = 0
    for row, i in enumerate(labelled):
        votes = {}
        order = []
        for j in labelled[voters[row]]:
            if j == i:
                continue
            if label_ids[j] not in votes:
                order.append(label_ids[j])
            votes[label_ids[j]] = votes.get(label_ids[j], 0) + 1
            if sum(votes.values()) == K:
                break
        best = max(order, key=lambda l: (votes[l], -order.index(l)))
        correct += best == label_ids[i]
    return float(np.mean(recalls)), correct / len(labelled)


def main():
    dataset = sys.argv[1]
    entities, incidence = peerlib.read_pairs(os.path.join(dataset, "pairs.csv"))
    partners = strongest_partners(peerlib.cooccurrence(incidence), K)
    labels = pd.read_csv(os.path.join(dataset, "labels.csv"), dtype=str, keep_default_na=False)
    label_of = dict(zip(labels["entity"], labels["label"]))
    names = {}
    label_ids = np.array([names.setdefault(label_of.get(e, ""), len(names)) if label_of.get(e, "") else -1 for e in entities])
    index_of = {e: i for i, e in enumerate(entities)}
    results = {}
    for spec in sys.argv[2:]:
        name, path = spec.split("=", 1)
        frame = pd.read_csv(path, header=None, dtype={0: str}, keep_default_na=False)
        coordinates = np.zeros((len(entities), frame.shape[1] - 1))
        found = np.zeros(len(entities), dtype=bool)
        for row in frame.itertuples(index=False):
            i = index_of[row[0]]
            coordinates[i] = row[1:]
            found[i] = True
        if not found.all():
            raise SystemExit(f"{path}: {(~found).sum()} entities of the dataset have no coordinates")
        recall, accuracy = measure(coordinates, partners, label_ids)
        results[name] = {"partners_recall@10": round(recall, 4), "10nn_accuracy": round(accuracy, 4)}
        print(f"{name}: partners recall@10 {recall:.4f}, 10-NN accuracy {accuracy:.4f}", file=sys.stderr)
    peerlib.report(entities=len(entities), labelled=int((label_ids >= 0).sum()), **results)


main()
