"""Turns a raw real dataset (collection,entity pairs + an entity label table) into the benchmark input both sides read:
<out>/pairs.csv (collection,entity; only entities in at least --min-collections collections, as
Select-EntityCollection -MinCollections does) and <out>/labels.csv (entity,label; empty label = unlabelled).

  python3 prepare_dataset.py PAIRS.csv LABELS.csv LABEL_COLUMN OUT_DIR --min-collections 5
"""
import argparse
import os

import pandas as pd

parser = argparse.ArgumentParser()
parser.add_argument("pairs")
parser.add_argument("labels")
parser.add_argument("label_column")
parser.add_argument("out")
parser.add_argument("--min-collections", type=int, default=5)
args = parser.parse_args()

pairs = pd.read_csv(args.pairs, dtype=str, keep_default_na=False).drop_duplicates()
pairs.columns = ["collection", "entity"]
counts = pairs["entity"].value_counts()
kept = pairs[pairs["entity"].isin(counts.index[counts >= args.min_collections])]
labels = pd.read_csv(args.labels, dtype=str, keep_default_na=False)
label_of = dict(zip(labels.iloc[:, 0], labels[args.label_column]))
entities = sorted(kept["entity"].unique())
os.makedirs(args.out, exist_ok=True)
kept.to_csv(os.path.join(args.out, "pairs.csv"), index=False)
pd.DataFrame({"entity": entities, "label": [label_of.get(e, "") for e in entities]}).to_csv(
    os.path.join(args.out, "labels.csv"), index=False)
labelled = sum(1 for e in entities if label_of.get(e, ""))
print(f"{args.out}: {len(entities)} entities ({labelled} labelled), {kept['collection'].nunique()} collections, {len(kept)} pairs")
