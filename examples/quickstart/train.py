#!/usr/bin/env python3
"""Train a small neural network (one hidden layer) that tells malignant from benign breast tumours.

A SageMaker script-mode training script that needs nothing but the Python standard library (3.8+), so it runs
unchanged on this machine under `sagetune run` and in any SageMaker Python training container:

- data: the first ``*.csv`` file of the ``train`` channel (``SM_CHANNEL_TRAIN``, or ``--train``); header row of
  feature names, last column the label (1 = malignant, 0 = benign);
- hyperparameters: ``--name value`` arguments, as SageMaker passes them (unknown names are reported, then ignored);
- model: written to ``SM_MODEL_DIR`` (or ``--model-dir``) as ``model.json``;
- metrics: one line per epoch on stdout, e.g.
  ``epoch=3 train:logloss=0.2114 validation:logloss=0.1932 validation:accuracy=0.9474``, which the
  MetricDefinitions ``validation:logloss=([0-9.eE+-]+)`` and ``validation:accuracy=([0-9.eE+-]+)`` capture.

The data is split once, with a fixed seed, into 80 % training and 20 % validation rows (stratified by class);
features are standardized with the training rows' mean and deviation.
"""
import argparse
import csv
import glob
import json
import math
import os
import random
import sys
import time
from operator import mul

OPTIMIZERS = ("sgd", "momentum", "adam")
ACTIVATIONS = ("tanh", "relu")


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--learning_rate", type=float, default=0.01, help="step size (> 0)")
    p.add_argument("--weight_decay", type=float, default=1e-4, help="L2 penalty on the weights (>= 0)")
    p.add_argument("--hidden_units", type=int, default=16, help="units in the hidden layer (>= 1)")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default="adam")
    p.add_argument("--activation", choices=ACTIVATIONS, default="tanh")
    p.add_argument("--batch_size", type=int, default=32)
    p.add_argument("--epochs", type=int, default=60)
    p.add_argument("--seed", type=int, default=0, help="seed of the weight initialization and batch order")
    p.add_argument("--split_seed", type=int, default=42, help="seed of the train/validation split")
    p.add_argument("--validation_fraction", type=float, default=0.2)
    p.add_argument("--train", default=os.environ.get("SM_CHANNEL_TRAIN"), help="folder or CSV file of the data")
    p.add_argument("--model-dir", "--model_dir", dest="model_dir", default=os.environ.get("SM_MODEL_DIR", "model"))
    args, unknown = p.parse_known_args(argv)
    if unknown:
        print("warning: ignoring unknown arguments: %s" % " ".join(unknown), file=sys.stderr)
    problems = []
    if not (args.learning_rate > 0):
        problems.append("--learning_rate must be > 0, got %s" % args.learning_rate)
    if args.weight_decay < 0:
        problems.append("--weight_decay must be >= 0, got %s" % args.weight_decay)
    if args.hidden_units < 1:
        problems.append("--hidden_units must be >= 1, got %s" % args.hidden_units)
    if args.batch_size < 1:
        problems.append("--batch_size must be >= 1, got %s" % args.batch_size)
    if args.epochs < 1:
        problems.append("--epochs must be >= 1, got %s" % args.epochs)
    if not (0 < args.validation_fraction < 1):
        problems.append("--validation_fraction must be in (0, 1), got %s" % args.validation_fraction)
    if not args.train:
        problems.append("no training data: set SM_CHANNEL_TRAIN or pass --train")
    if problems:
        p.error("; ".join(problems))
    return args


def load_csv(location):
    path = location
    if os.path.isdir(location):
        files = sorted(glob.glob(os.path.join(location, "*.csv")))
        if not files:
            raise SystemExit("error: no .csv file in the train channel folder %s" % location)
        path = files[0]
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header, rows = rows[0], [r for r in rows[1:] if r]
    xs = [[float(v) for v in r[:-1]] for r in rows]
    ys = [int(float(r[-1])) for r in rows]
    return header[:-1], xs, ys


def split(xs, ys, fraction, seed):
    """Stratified split: the same fraction of each class goes to validation."""
    rng = random.Random(seed)
    train, valid = [], []
    for label in sorted(set(ys)):
        idx = [i for i, y in enumerate(ys) if y == label]
        rng.shuffle(idx)
        n_valid = int(round(len(idx) * fraction))
        valid += idx[:n_valid]
        train += idx[n_valid:]
    rng.shuffle(train)
    return train, sorted(valid)


def standardizer(rows):
    n, d = len(rows), len(rows[0])
    mean = [sum(r[j] for r in rows) / n for j in range(d)]
    std = [math.sqrt(sum((r[j] - mean[j]) ** 2 for r in rows) / n) or 1.0 for j in range(d)]
    return mean, std


def sigmoid(z):
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


class Network:
    """Inputs -> hidden layer (tanh or relu) -> one logit -> sigmoid."""

    def __init__(self, n_in, n_hidden, activation, rng):
        scale = math.sqrt((1.0 if activation == "tanh" else 2.0) / n_in)
        self.w1 = [[rng.gauss(0.0, scale) for _ in range(n_in)] for _ in range(n_hidden)]
        self.b1 = [0.0] * n_hidden
        self.w2 = [rng.gauss(0.0, math.sqrt(1.0 / n_hidden)) for _ in range(n_hidden)]
        self.b2 = 0.0
        self.activation = activation

    def hidden(self, x):
        pre = [sum(map(mul, w, x)) + b for w, b in zip(self.w1, self.b1)]
        if self.activation == "tanh":
            return [math.tanh(z) for z in pre]
        return [z if z > 0 else 0.0 for z in pre]

    def predict(self, x):
        h = self.hidden(x)
        return sigmoid(sum(map(mul, self.w2, h)) + self.b2), h

    def gradients(self, batch):
        """Mean log-loss gradients over the batch (weight decay is applied by the optimizer), and the batch's summed loss."""
        n_hidden = len(self.w1)
        tanh = self.activation == "tanh"
        g2 = [0.0] * n_hidden
        gb2 = 0.0
        loss = 0.0
        # Per-unit error signals over the batch; the input-weight gradient is then one dot product per weight.
        deltas = [[0.0] * len(batch) for _ in range(n_hidden)]
        for s, (x, y) in enumerate(batch):
            p, h = self.predict(x)
            loss -= math.log(max(p, 1e-12)) if y == 1 else math.log(max(1.0 - p, 1e-12))
            dz = p - y
            gb2 += dz
            for j in range(n_hidden):
                hj = h[j]
                g2[j] += dz * hj
                deltas[j][s] = dz * self.w2[j] * ((1.0 - hj * hj) if tanh else (1.0 if hj > 0 else 0.0))
        columns = list(zip(*(x for x, _ in batch)))
        k = 1.0 / len(batch)
        g1 = [[sum(map(mul, d, col)) * k for col in columns] for d in deltas]
        gb1 = [sum(d) * k for d in deltas]
        return (g1, gb1, [g * k for g in g2], gb2 * k), loss

    def params(self):
        return [self.w1, self.b1, self.w2]

    def to_json(self):
        return {"w1": self.w1, "b1": self.b1, "w2": self.w2, "b2": self.b2, "activation": self.activation}


class Optimizer:
    """SGD, SGD with momentum (0.9), or Adam (0.9, 0.999); decoupled L2 weight decay on the weights only."""

    def __init__(self, kind, lr, weight_decay, net):
        self.kind, self.lr, self.wd, self.t = kind, lr, weight_decay, 0
        self.m = self._zeros(net)
        self.v = self._zeros(net)

    @staticmethod
    def _zeros(net):
        return {"w1": [[0.0] * len(r) for r in net.w1], "b1": [0.0] * len(net.b1), "w2": [0.0] * len(net.w2), "b2": [0.0]}

    def _step(self, params, grads, m, v, decay):
        lr, wd, kind = self.lr, (self.wd if decay else 0.0), self.kind
        if kind == "adam":
            c1 = 1.0 - 0.9 ** self.t
            c2 = 1.0 - 0.999 ** self.t
        for i, g in enumerate(grads):
            g += wd * params[i]
            if kind == "sgd":
                params[i] -= lr * g
            elif kind == "momentum":
                m[i] = 0.9 * m[i] + g
                params[i] -= lr * m[i]
            else:
                m[i] = 0.9 * m[i] + 0.1 * g
                v[i] = 0.999 * v[i] + 0.001 * g * g
                params[i] -= lr * (m[i] / c1) / (math.sqrt(v[i] / c2) + 1e-8)

    def update(self, net, grads):
        self.t += 1
        g1, gb1, g2, gb2 = grads
        for j in range(len(net.w1)):
            self._step(net.w1[j], g1[j], self.m["w1"][j], self.v["w1"][j], True)
        self._step(net.b1, gb1, self.m["b1"], self.v["b1"], False)
        self._step(net.w2, g2, self.m["w2"], self.v["w2"], True)
        b2 = [net.b2]
        self._step(b2, [gb2], self.m["b2"], self.v["b2"], False)
        net.b2 = b2[0]


def evaluate(net, data):
    loss, correct = 0.0, 0
    for x, y in data:
        p = min(max(net.predict(x)[0], 1e-12), 1.0 - 1e-12)
        loss -= y * math.log(p) + (1 - y) * math.log(1.0 - p)
        correct += (p >= 0.5) == (y == 1)
    return loss / len(data), correct / len(data)


def main(argv):
    args = parse_args(argv)
    started = time.time()
    names, xs, ys = load_csv(args.train)
    train_idx, valid_idx = split(xs, ys, args.validation_fraction, args.split_seed)
    mean, std = standardizer([xs[i] for i in train_idx])

    def scaled(i):
        return [(v - m) / s for v, m, s in zip(xs[i], mean, std)]

    train = [(scaled(i), ys[i]) for i in train_idx]
    valid = [(scaled(i), ys[i]) for i in valid_idx]
    print("data: %d features, %d training rows, %d validation rows" % (len(names), len(train), len(valid)))
    print("hyperparameters: %s" % json.dumps({k: v for k, v in vars(args).items() if k not in ("train", "model_dir")}))

    rng = random.Random(args.seed)
    net = Network(len(names), args.hidden_units, args.activation, rng)
    opt = Optimizer(args.optimizer, args.learning_rate, args.weight_decay, net)
    order = list(range(len(train)))
    for epoch in range(1, args.epochs + 1):
        rng.shuffle(order)
        train_loss = 0.0
        for start in range(0, len(order), args.batch_size):
            batch = [train[i] for i in order[start:start + args.batch_size]]
            grads, batch_loss = net.gradients(batch)
            opt.update(net, grads)
            train_loss += batch_loss
        train_loss /= len(train)  # running training loss over the epoch (before each batch's update)
        valid_loss, valid_acc = evaluate(net, valid)
        if not math.isfinite(train_loss) or not math.isfinite(valid_loss):
            print("error: training diverged at epoch %d (learning rate %g too large?)" % (epoch, args.learning_rate),
                  file=sys.stderr)
            return 1
        print("epoch=%d train:logloss=%.6f validation:logloss=%.6f validation:accuracy=%.6f"
              % (epoch, train_loss, valid_loss, valid_acc), flush=True)

    os.makedirs(args.model_dir, exist_ok=True)
    model = {"features": names, "mean": mean, "std": std, "network": net.to_json(),
             "hyperparameters": {k: v for k, v in vars(args).items() if k not in ("train", "model_dir")},
             "validation": {"logloss": valid_loss, "accuracy": valid_acc}}
    with open(os.path.join(args.model_dir, "model.json"), "w") as f:
        json.dump(model, f)
    print("model written to %s in %.1f s" % (os.path.join(args.model_dir, "model.json"), time.time() - started))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
