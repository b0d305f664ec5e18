#!/usr/bin/env python3
"""Epochs a local study had trained when it first had a result at least as good as a target.

usage: epochs-to-target.py TARGET STUDY_FOLDER...   (folders of `sagetune run --store-dir DIR`: DIR/<study>)

Epochs are counted in time order from every trial's objective series (trial start + the value's time); a trial's
result (its objective, completed or stopped early) counts from its end. Prints, per study: epochs in all, the best
result, and the epochs trained when the best first reached TARGET ('-' if never).
"""
import datetime
import json
import os
import sys


def ts(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def main(argv):
    target = float(argv[0])
    for folder in argv[1:]:
        study = json.load(open(os.path.join(folder, "study.json")))["study"]
        events = []
        for t in study["trials"]:
            if not t.get("startedAt"):
                continue
            start = ts(t["startedAt"])
            events += [(start + p["t"], 0, None) for p in t.get("objectiveSeries", [])]
            if t.get("endedAt") and t.get("objective") is not None and t["status"] in ("Completed", "Stopped"):
                events.append((ts(t["endedAt"]), 1, t["objective"]))
        events.sort(key=lambda e: (e[0], e[1]))
        epochs, best, reached = 0, float("inf"), None
        for _, kind, value in events:
            if kind == 0:
                epochs += 1
            elif value < best:
                best = value
                if reached is None and best <= target:
                    reached = epochs
        print(f"{study['name']}: {epochs} epochs, best {best:.6g}, epochs to <= {target:g}: {reached if reached is not None else '-'}")


if __name__ == "__main__":
    main(sys.argv[1:])
