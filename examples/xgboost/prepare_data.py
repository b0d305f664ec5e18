#!/usr/bin/env python3
"""Write the breast-cancer data of the quickstart as SageMaker's built-in XGBoost reads CSV: no header, the label
in the first column. 80 % of the rows (stratified by class, fixed seed) go to train.csv, the rest to
validation.csv. Standard library only.

    python3 examples/xgboost/prepare_data.py --out /tmp/xgb-data
    aws s3 cp /tmp/xgb-data/train.csv      s3://<bucket>/sagetune/xgboost/train/train.csv
    aws s3 cp /tmp/xgb-data/validation.csv s3://<bucket>/sagetune/xgboost/validation/validation.csv
"""
import argparse
import csv
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "..", "quickstart", "data", "breast_cancer.csv")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--source", default=SOURCE, help="CSV with a header row and the 0/1 label in the last column")
    p.add_argument("--out", required=True, help="folder to write train.csv and validation.csv to")
    p.add_argument("--validation-fraction", type=float, default=0.2)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()

    with open(args.source, newline="") as f:
        rows = list(csv.reader(f))[1:]
    by_class = {}
    for row in rows:
        by_class.setdefault(row[-1], []).append([row[-1]] + row[:-1])
    rng = random.Random(args.seed)
    train, validation = [], []
    for label in sorted(by_class):
        group = by_class[label]
        rng.shuffle(group)
        cut = round(len(group) * args.validation_fraction)
        validation += group[:cut]
        train += group[cut:]
    rng.shuffle(train)
    os.makedirs(args.out, exist_ok=True)
    for name, part in (("train.csv", train), ("validation.csv", validation)):
        with open(os.path.join(args.out, name), "w", newline="") as f:
            csv.writer(f).writerows(part)
    print(f"{len(train)} training rows, {len(validation)} validation rows written to {args.out}")


if __name__ == "__main__":
    main()
