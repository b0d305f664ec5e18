"""Summaries of the trial dumps in trials/ (bench/noisy-trials.ts; GP-EI's from the anchors' records) and of the per-ask
noise fits in asks/ (dev-switches.patch, SAGETUNE_DIAG=1).

    python3 summarize.py trials      # where the trials went, per variant and problem
    python3 summarize.py asks        # fitted noise with and without the output warping, per function
"""
import glob
import json
import os
import random
import statistics as st
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def load(path):
    return [json.loads(line) for line in open(path) if line.strip()]


def pick(run):
    """True regret at the trial with the best reported value (what a user picks)."""
    ys, tr = run["ys"], run["tr"]
    return tr[min(range(len(ys)), key=lambda k: ys[k])]


def anchor_runs():
    """GP-EI's runs on the development seeds, from the anchors' records (which keep every reported and true value)."""
    path = os.path.join(HERE, "..", "noisy-slight-rejected", "dev", "anchors-seeds-100-119.jsonl")
    runs = {}
    for r in load(path):
        if r["optimizer"] == "gp_ei" and r["function"] in ("branin_noise0.1", "mixed_noise0.1"):
            runs.setdefault("gp_ei-" + r["function"], []).append(
                {"seed": r["seed"], "ys": r["ys"], "tr": [t - r["fstar"] for t in r["trues"]]})
    return runs


def trials():
    print("| run | seeds | median regret at the pick [90% bootstrap] | trials < 0.05 | < 0.3 | > 1 in trials 31-50 | median regret of trials 31-50 |")
    print("|---|---|---|---|---|---|---|")
    sets = {os.path.basename(p)[:-6]: load(p) for p in glob.glob(os.path.join(HERE, "trials", "*.jsonl"))}
    sets.update(anchor_runs())
    for name, runs in sorted(sets.items()):
        picks = [pick(r) for r in runs]
        rng = random.Random(1)  # per row, so that a row's interval does not depend on the others
        boot = sorted(st.median(rng.choices(picks, k=len(picks))) for _ in range(2000))
        near = st.mean(sum(t < 0.05 for t in r["tr"]) for r in runs)
        mid = st.mean(sum(t < 0.3 for t in r["tr"]) for r in runs)
        far_late = st.mean(sum(t > 1 for t in r["tr"][30:]) for r in runs)
        late = st.median(st.median(r["tr"][30:]) for r in runs)
        print("| %s | %d | %.4f [%.4f, %.4f] | %.1f | %.1f | %.1f | %.3f |" % (
            name, len(runs), st.median(picks), boot[100], boot[1900], near, mid, far_late, late))


def asks():
    def q(xs, p):
        xs = sorted(xs)
        return xs[min(len(xs) - 1, int(p * len(xs)))]
    print("| function | asks | median lambda | warped noise 10/50/90% | unwarped noise 10/50/90% | asks with warped > 1e-5 | of those, unwarped > 1e-6 |")
    print("|---|---|---|---|---|---|---|")
    for path in sorted(glob.glob(os.path.join(HERE, "asks", "*.jsonl"))):
        rows = [r for r in load(path) if r["n"] >= 20]
        nw = [r["noise_warped"] for r in rows]
        nu = [r["noise_unwarped"] for r in rows]
        hi = [r for r in rows if r["noise_warped"] > 1e-5]
        print("| %s | %d | %.2f | %.1e %.1e %.1e | %.1e %.1e %.1e | %d | %d |" % (
            os.path.basename(path)[:-6], len(rows), q([r["lambda"] for r in rows], 0.5), q(nw, .1), q(nw, .5), q(nw, .9),
            q(nu, .1), q(nu, .5), q(nu, .9), len(hi), sum(r["noise_unwarped"] > 1e-6 for r in hi)))


if __name__ == "__main__":
    {"trials": trials, "asks": asks}[sys.argv[1] if len(sys.argv) > 1 else "trials"]()
