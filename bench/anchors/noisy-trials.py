"""Every trial of scikit-learn GP-EI (anchors.py's run_gp) on a noisy problem: one JSON line per seed with the
reported values ("ys") and the true regrets ("tr"), as bench/noisy-trials.ts writes them for sagetune.

    /usr/bin/python3 bench/anchors/noisy-trials.py branin_noise0.1 100 119 > gpei.jsonl
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import anchors as A  # noqa: E402


def main():
    name, first, last = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    for seed in range(first, last + 1):
        prob, trues = A.noisy_problem(name, seed)
        ys, _, _ = A.run_gp(prob, seed, prob["budget"])
        print(json.dumps({"seed": seed, "ys": [float(v) for v in ys], "tr": [float(t - prob["fstar"]) for t in trues]}), flush=True)


if __name__ == "__main__":
    main()
