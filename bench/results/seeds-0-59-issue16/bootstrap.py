"""Percentile-bootstrap intervals of the parallel bar's ratios (median final regret of b4 or a4 over the median of
sequential, seeds paired, 4000 resamples of the seeds) from this folder's runs.

    python3 bootstrap.py
"""
import json
import os
import random
import statistics as st

HERE = os.path.dirname(os.path.abspath(__file__))
LIMITS = {"b4": 1.25, "a4": 1.5}


def main():
    runs = {}
    for line in open(os.path.join(HERE, "quality-bayesian.jsonl")):
        r = json.loads(line)
        if r["kind"] == "run":
            runs[(r["function"], r["mode"], r["seed"])] = r["regret_final"]
    rng = random.Random(7)
    print("| function | mode | ratio | 90% bootstrap | resamples within the limit |")
    print("|---|---|---|---|---|")
    for fn in sorted({k[0] for k in runs}):
        for mode, limit in LIMITS.items():
            seeds = sorted(s for (f, m, s) in runs if f == fn and m == mode and (f, "seq", s) in runs)
            if not seeds:
                continue

            def ratio(ss):
                return st.median([runs[(fn, mode, s)] for s in ss]) / st.median([runs[(fn, "seq", s)] for s in ss])

            boot = sorted(ratio(rng.choices(seeds, k=len(seeds))) for _ in range(4000))
            print("| %s | %s | %.2f | %.2f - %.2f | %.0f%% |" % (fn, mode, ratio(seeds), boot[200], boot[3800],
                                                                100 * sum(b <= limit for b in boot) / len(boot)))


if __name__ == "__main__":
    main()
