#!/usr/bin/env python3
"""Trains the learning-curve benchmark's real models once and writes their curves as tables (bench/lc/data/*.json).

Run with Debian's Python (numpy, scipy and scikit-learn from python3-sklearn / python3-scipy), niced, one process:

    nice -n 15 /usr/bin/python3 bench/lc/gen_curves.py quickstart   # ~5 min here
    nice -n 15 /usr/bin/python3 bench/lc/gen_curves.py gbdigits     # ~5 min here

Each table holds N configurations (a scrambled Sobol sample of the search space, seeded) and, for each, the
validation log-loss after every epoch (27 epochs). A run that diverged (the quick start's script exits when its loss
is no longer finite) has a shorter curve. The benchmark serves a configuration's curve from its nearest neighbour in
the normalised space (see bench/lc/problems.ts): a surrogate (tabular) benchmark, as LCBench and YAHPO are.

- quickstart: examples/quickstart/train.py (a one-hidden-layer network, pure Python) on the breast-cancer CSV of the
  quick start, 27 epochs; learning_rate, weight_decay, hidden_units, optimizer, batch_size.
- gbdigits: scikit-learn's GradientBoostingClassifier on the digits data (8x8 images; label: digit >= 5), 80/20
  stratified split (seed 42); one epoch = 4 more trees (27 epochs = 108 trees); learning_rate, max_depth,
  subsample, min_samples_leaf, max_features.
"""
import json
import math
import os
import subprocess
import sys
import time

import numpy as np
from scipy.stats import qmc

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
EPOCHS = 27
N = 512

# name, kind, low, high, log  (kind: float | int | cat with values)
SPACES = {
    "quickstart": [
        ("learning_rate", "float", 1e-4, 1.0, True),
        ("weight_decay", "float", 1e-6, 1e-1, True),
        ("hidden_units", "int", 2, 32, True),
        ("optimizer", "cat", ["sgd", "momentum", "adam"], None, False),
        ("batch_size", "int", 8, 128, True),
    ],
    "gbdigits": [
        ("learning_rate", "float", 0.01, 1.0, True),
        ("max_depth", "int", 1, 6, False),
        ("subsample", "float", 0.3, 1.0, False),
        ("min_samples_leaf", "int", 1, 64, True),
        ("max_features", "float", 0.1, 1.0, False),
    ],
}


def decode(space, u):
    hp = {}
    for (name, kind, lo, hi, log), v in zip(space, u):
        if kind == "cat":
            hp[name] = lo[min(int(v * len(lo)), len(lo) - 1)]
        elif kind == "int":
            if log:
                x = math.exp(math.log(lo - 0.5 if lo > 0.5 else lo) + v * (math.log(hi + 0.5) - math.log(lo - 0.5 if lo > 0.5 else lo)))
            else:
                x = lo - 0.5 + v * (hi - lo + 1)
            hp[name] = int(min(max(round(x), lo), hi))
        else:
            x = math.exp(math.log(lo) + v * (math.log(hi) - math.log(lo))) if log else lo + v * (hi - lo)
            hp[name] = float("%.6g" % x)
    return hp


def quickstart_curve(hp):
    cmd = [sys.executable, os.path.join(ROOT, "examples/quickstart/train.py"), "--train",
           os.path.join(ROOT, "examples/quickstart/data"), "--model-dir", "/tmp/lc-gen-model", "--epochs", str(EPOCHS),
           "--seed", "0"]
    for k, v in hp.items():
        cmd += ["--" + k, str(v)]
    out = subprocess.run(cmd, capture_output=True, text=True)
    curve = []
    for line in out.stdout.splitlines():
        if line.startswith("epoch="):
            for part in line.split():
                if part.startswith("validation:logloss="):
                    curve.append(round(float(part.split("=")[1]), 6))
    return curve


def gbdigits_curve(hp, cache={}):
    from sklearn.datasets import load_digits
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.metrics import log_loss
    from sklearn.model_selection import train_test_split
    if "data" not in cache:
        x, y = load_digits(return_X_y=True)
        y = (y >= 5).astype(int)
        cache["data"] = train_test_split(x, y, test_size=0.2, random_state=42, stratify=y)
    xtr, xva, ytr, yva = cache["data"]
    model = GradientBoostingClassifier(n_estimators=4 * EPOCHS, random_state=0, **hp)
    model.fit(xtr, ytr)
    curve = []
    for i, p in enumerate(model.staged_predict_proba(xva)):
        if (i + 1) % 4 == 0:
            curve.append(round(float(log_loss(yva, np.clip(p, 1e-12, 1 - 1e-12))), 6))
    return curve


def main(name):
    space = SPACES[name]
    u = qmc.Sobol(d=len(space), scramble=True, seed=20261205).random(N)
    rows = []
    started = time.time()
    fn = quickstart_curve if name == "quickstart" else gbdigits_curve
    for i in range(N):
        hp = decode(space, u[i])
        curve = fn(hp)
        rows.append({"hp": hp, "curve": curve})
        if i % 32 == 0:
            print("%s %d/%d %.0f s" % (name, i, N, time.time() - started), flush=True)
    table = {
        "name": name,
        "epochs": EPOCHS,
        "metric": "validation log-loss (minimize)",
        "space": [{"name": n, "kind": k, **({"values": lo} if k == "cat" else {"min": lo, "max": hi, "log": log})}
                  for n, k, lo, hi, log in space],
        "generated": {"by": "bench/lc/gen_curves.py", "sobol_seed": 20261205, "n": N,
                      "seconds": round(time.time() - started, 1)},
        "rows": rows,
    }
    path = os.path.join(ROOT, "bench/lc/data", name + ".json")
    with open(path, "w") as f:
        json.dump(table, f, separators=(",", ":"))
    print("wrote %s (%d rows, %.0f s)" % (path, N, time.time() - started))


if __name__ == "__main__":
    main(sys.argv[1])
