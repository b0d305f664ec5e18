#!/usr/bin/env python3
"""Optuna anchors of the learning-curve benchmark (issue 15), on exactly the curves sagetune's runs see.

Run with Debian's Python 3 and Optuna 3.1 (`apt-get install -y python3-optuna`), niced, one process:

    nice -n 15 /usr/bin/python3 bench/lc/anchors.py --seeds 0-19 --budget 540

Methods (one trial at a time, as sagetune's runs):
- optuna-tpe-hyperband: TPESampler(seed) with HyperbandPruner(min_resource=1, max_resource=27, reduction_factor=3);
- optuna-tpe-sha: TPESampler(seed) with SuccessiveHalvingPruner(min_resource=1, reduction_factor=3);
- optuna-random-sha: RandomSampler(seed) with the same SuccessiveHalvingPruner (random search with successive halving).
A trial reports its value after each epoch (`trial.report(v, epoch)`) and stops when `should_prune()` says so.

The problems are those of bench/lc/problems.ts: the synthetic curves ported here (checked against
bench/lc/data/parity.json, written by the TypeScript side, at every start), and the tables of bench/lc/data served
by the same nearest-neighbour rule. What a run records (epochs spent, a job's result, the trajectory cut at the
budget) is defined as in bench/lc/engine.ts; lines go to bench/results/lc-optuna.jsonl (runs already there are skipped).
"""
import argparse
import json
import math
import os
import sys
import time

import optuna

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DATA = os.path.join(ROOT, "bench", "lc", "data")
EPOCHS = 27
M32 = 0xFFFFFFFF


def imul(a, b):
    return (a * b) & M32


def mix(h, v):
    x = imul((h ^ v) & M32, 0x9E3779B1)
    x ^= x >> 15
    x = imul(x, 0x85EBCA77)
    x ^= x >> 13
    return x & M32


def uniform(pid, x, epoch, salt):
    h = mix(0x5A17, pid)
    for c in x:
        h = mix(h, int(math.floor(c * 1e6)))
    h = mix(h, epoch)
    h = mix(h, salt)
    return (h + 0.5) / 4294967296.0


def noise_gauss(pid, x, epoch):
    u1 = uniform(pid, x, epoch, 1)
    u2 = uniform(pid, x, epoch, 2)
    return math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * u2)


def round12(v):
    return float("%.12g" % v)


def normalise(p, raw):
    if p["kind"] == "cat":
        return p["values"].index(str(raw))
    v = float(raw)
    lo, hi = p["min"], p["max"]
    u = (math.log(v) - math.log(lo)) / (math.log(hi) - math.log(lo)) if p.get("log") else (v - lo) / (hi - lo)
    return min(1.0, max(0.0, u))


def crossing(x):
    s, m, w = x
    rate = (0.02 + 0.6 * s * s) * (0.5 + m)
    floor = 0.08 + 0.6 * (s - 0.3) ** 2 + 0.15 * (m - 0.7) ** 2 + 0.1 * (w - 0.75) ** 2 + 0.15 * max(0.0, s - 0.6)
    out = []
    for e in range(1, EPOCHS + 1):
        v = floor + (1 - floor) * math.exp(-rate * e)
        if s > 0.8:
            d = 3 + 40 * (1 - s)
            if e > d:
                v += 0.05 * (math.exp((e - d) / 2) - 1)
        v = min(10.0, v) + 0.01 * noise_gauss(1, x, e)
        out.append(round12(v))
    return out, False


def plateau(x):
    lr, warm, depth, drop = x
    p = 1 + 6 * depth + 4 * warm
    r = 0.3 + 0.5 * lr
    floor = 0.12 - 0.08 * depth + 0.5 * (lr - 0.6) ** 2 + 0.2 * (drop - 0.3) ** 2 + 0.6 * max(0.0, lr - 0.6) ** 2 * (1 - warm)
    overfit = max(0.0, depth - drop - 0.3)
    out = []
    for e in range(1, EPOCHS + 1):
        v = floor + (0.9 - floor) / (1 + math.exp((e - p) * r * 1.5))
        if e > 12:
            v += 0.004 * (e - 12) * overfit
        v += 0.015 * noise_gauss(2, x, e)
        out.append(round12(v))
    return out, False


N6_OPT = [0.2, 0.8, 0.5, 0.3, 0.6, 0.4]
N6_W = [3, 2, 4, 1, 2, 3]


def noisy6(x):
    dist = sum(w * (v - o) ** 2 for v, o, w in zip(x, N6_OPT, N6_W))
    floor = 0.1 + 0.3 * (1 - math.exp(-dist))
    alpha = 0.3 + 0.9 * x[0]
    diverges = x[3] > 0.85 and x[0] > 0.7
    out = []
    for e in range(1, EPOCHS + 1):
        v = floor + 0.6 * e ** -alpha
        if diverges and e > 5:
            v += min(3.0, 0.1 * 2 ** (e - 5))
        v += 0.04 * noise_gauss(3, x, e)
        out.append(round12(v))
    return out, False


def fl(name, lo, hi, log=False):
    return {"name": name, "kind": "float", "min": lo, "max": hi, "log": log}


def it(name, lo, hi, log=False):
    return {"name": name, "kind": "int", "min": lo, "max": hi, "log": log}


SYNTHETIC = {
    "crossing": ([fl("learning_rate", 1e-4, 1, True), fl("momentum", 0, 1), it("width", 8, 512, True)], crossing),
    "plateau": ([fl("learning_rate", 1e-4, 0.1, True), it("warmup", 0, 10), it("depth", 1, 8), fl("dropout", 0, 0.8)], plateau),
    "noisy6": ([fl(n, 0, 1) for n in "abcdef"], noisy6),
}


class Problem:
    def __init__(self, name, params, fn=None, table=None):
        self.name, self.params, self.fn, self.table = name, params, fn, table
        if table is not None:
            self.rows = [[normalise(p, r["hp"][p["name"]]) for p in params] for r in table["rows"]]

    def curve(self, hp):
        x = [normalise(p, hp[p["name"]]) for p in self.params]
        if self.fn is not None:
            return self.fn(x)
        best, best_d = 0, float("inf")
        for i, r in enumerate(self.rows):
            d = 0.0
            for p, a, b in zip(self.params, r, x):
                d += (0 if a == b else 100) if p["kind"] == "cat" else (a - b) ** 2
            if d < best_d:
                best, best_d = i, d
        c = self.table["rows"][best]["curve"]
        return list(c), len(c) < EPOCHS


def problems():
    out = [Problem(n, ps, fn=f) for n, (ps, f) in SYNTHETIC.items()]
    for n in ("quickstart", "gbdigits"):
        path = os.path.join(DATA, n + ".json")
        if os.path.exists(path):
            with open(path) as f:
                t = json.load(f)
            out.append(Problem(n, t["space"], table=t))
    return out


def check_parity(probs):
    with open(os.path.join(DATA, "parity.json")) as f:
        cases = json.load(f)
    by = {p.name: p for p in probs}
    worst = 0.0
    for c in cases:
        got, _ = by[c["problem"]].curve(c["hp"])
        worst = max(worst, max(abs(a - b) for a, b in zip(got, c["curve"])))
    if worst > 1e-9:
        raise SystemExit("parity with bench/lc/problems.ts failed: max difference %g" % worst)
    return worst


def suggest(trial, p):
    if p["kind"] == "cat":
        return trial.suggest_categorical(p["name"], p["values"])
    if p["kind"] == "int":
        return trial.suggest_int(p["name"], int(p["min"]), int(p["max"]), log=bool(p.get("log")))
    return trial.suggest_float(p["name"], float(p["min"]), float(p["max"]), log=bool(p.get("log")))


METHODS = ("optuna-tpe-hyperband", "optuna-tpe-sha", "optuna-random-sha")


def trajectory(jobs, budget):
    out, spent, best = [], 0, float("inf")
    for epochs, result in jobs:
        spent += epochs
        if spent > budget:
            break
        if result is not None and math.isfinite(result) and result < best:
            best = result
            out.append([spent, best])
    return out, best, sum(e for e, _ in jobs)


def run(problem, method, seed, budget):
    started = time.time()
    if method == "optuna-random-sha":
        sampler = optuna.samplers.RandomSampler(seed=seed)
    else:
        sampler = optuna.samplers.TPESampler(seed=seed)
    if method == "optuna-tpe-hyperband":
        pruner = optuna.pruners.HyperbandPruner(min_resource=1, max_resource=EPOCHS, reduction_factor=3)
    else:
        pruner = optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    study = optuna.create_study(direction="minimize", sampler=sampler, pruner=pruner)
    jobs, spent = [], 0
    while spent < budget:
        trial = study.ask()
        hp = {p["name"]: suggest(trial, p) for p in problem.params}
        values, failed = problem.curve(hp)
        n, result = 0, None
        pruned = False
        for e, v in enumerate(values, 1):
            trial.report(v, e)
            n, result = e, v
            if trial.should_prune():
                pruned = True
                break
        if pruned:
            study.tell(trial, state=optuna.trial.TrialState.PRUNED)
        elif failed:
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
            result = None
        else:
            study.tell(trial, values[-1])
        jobs.append((n, result))
        spent += n
    traj, final, epochs = trajectory(jobs, budget)
    return {"kind": "run", "problem": problem.name, "method": method, "seed": seed, "budget": budget,
            "epochs": epochs, "jobs": len(jobs), "trajectory": traj, "final": final,
            "wall_s": round(time.time() - started, 3), "optuna": optuna.__version__}


def parse_seeds(s):
    if "-" in s:
        a, b = s.split("-")
        return list(range(int(a), int(b) + 1))
    return [int(v) for v in s.split(",")]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="0-2")
    ap.add_argument("--budget", type=int, default=540)
    ap.add_argument("--problems")
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results", "lc-optuna.jsonl"))
    a = ap.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    probs = problems()
    print("parity with problems.ts: max difference %g" % check_parity(probs), flush=True)
    done = set()
    if os.path.exists(a.out):
        with open(a.out) as f:
            for line in f:
                if line.strip():
                    r = json.loads(line)
                    done.add((r["problem"], r["method"], r["seed"], r["budget"]))
    for problem in probs:
        if a.problems and problem.name not in a.problems.split(","):
            continue
        for method in a.methods.split(","):
            for seed in parse_seeds(a.seeds):
                if (problem.name, method, seed, a.budget) in done:
                    continue
                r = run(problem, method, seed, a.budget)
                with open(a.out, "a") as f:
                    f.write(json.dumps(r) + "\n")
                print("%s %s seed %d: best %.5g after %d jobs, %d epochs (%.1f s)"
                      % (problem.name, method, seed, r["final"], r["jobs"], r["epochs"], r["wall_s"]), flush=True)


if __name__ == "__main__":
    sys.exit(main())
