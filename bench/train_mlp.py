"""Training speed on the CPU: chainrule against PyTorch eager, scikit-learn and the matrix products alone.

    python bench/train_mlp.py                     # the README's table (takes a few minutes)
    python bench/train_mlp.py --repeats 3 --batches 128 --libs chainrule matmul

The workload: a 784-256-128-10 MLP (ReLU, softmax + cross-entropy), plain SGD
with learning rate 0.1, one epoch over 60,000 seeded synthetic samples in
float32, at batch sizes 32, 128 and 1024. Contenders:

* ``matmul``: NumPy doing only the matrix products training needs per batch
  (forward 3, weight gradients 3, input gradients 2: the first layer's is never
  needed) into preallocated arrays. No library can train faster than this, so
  each contender is reported as the fraction ``t_matmul / t`` of its throughput.
* ``chainrule``: ``Network.fit`` (shuffled mini-batches, the divergence check, everything).
* ``torch``: PyTorch eager, 2 threads, the usual zero_grad / forward / backward / step.
* ``sklearn``: ``MLPClassifier(solver="sgd", momentum=0, alpha=0)``, one ``fit`` iteration.

Each measurement runs in its own process (PyTorch's idle OpenMP threads slow
NumPy down when both live in one process), in interleaved order, repeated;
the table shows medians and each process's peak resident memory.

The same script times the tutorial's 2-2-2 network for 10,000 updates through
the public API (``Network.train``) against the same updates in PyTorch eager.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

SIZES = (784, 256, 128, 10)
THREADS = os.environ.get("BENCH_THREADS", "2")


def rss_mb() -> float:
    """Current resident memory of this process, MB."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Seeded inputs in [0, 1) ``(n, 784)`` float32 and labels ``(n,)`` from a random linear teacher."""
    rng = np.random.default_rng(seed)
    X = rng.random((n, SIZES[0]), dtype=np.float32)
    teacher = rng.standard_normal((SIZES[0], SIZES[-1])).astype(np.float32)
    return X, (X @ teacher).argmax(axis=1)


# -- one measurement per process ----------------------------------------------------------
def warmup_rows(X: np.ndarray, batch: int) -> int:
    """Rows for the untimed warm-up: ten batches (workspaces, BLAS buffers, lazy imports)."""
    return min(10 * batch, X.shape[0])


def run_matmul(X, y, batch):
    rng = np.random.default_rng(1)
    Ws = [rng.standard_normal((a, b)).astype(np.float32) * 0.05 for a, b in itertools.pairwise(SIZES)]
    dWs = [np.empty_like(W) for W in Ws]

    def work(Xpart):
        n = Xpart.shape[0]
        full = {}
        for start in range(0, n, batch):
            xb = Xpart[start : start + batch]
            m = xb.shape[0]
            if m not in full:
                full[m] = [np.empty((m, s), np.float32) for s in SIZES[1:]], [np.empty((m, s), np.float32) for s in SIZES[1:3]]
            (a1, a2, a3), (d1, d2) = full[m]
            np.matmul(xb, Ws[0], out=a1)
            np.matmul(a1, Ws[1], out=a2)
            np.matmul(a2, Ws[2], out=a3)
            np.matmul(a2.T, a3, out=dWs[2])
            np.matmul(a3, Ws[2].T, out=d2)
            np.matmul(a1.T, d2, out=dWs[1])
            np.matmul(d2, Ws[1].T, out=d1)
            np.matmul(xb.T, d1, out=dWs[0])

    work(X[: warmup_rows(X, batch)])
    start = time.perf_counter()
    work(X)
    return time.perf_counter() - start


def run_chainrule(X, y, batch):
    from chainrule import SGD, Network
    from chainrule.datasets import one_hot

    Y = one_hot(y, SIZES[-1], np.float32)
    net = Network.from_sizes(list(SIZES), "relu", output_activation="softmax", loss="cross_entropy",
                             init="he_uniform", seed=0, dtype=np.float32)
    opt = SGD(learning_rate=0.1)
    net.fit(X[: warmup_rows(X, batch)], Y[: warmup_rows(X, batch)], optimizer=opt, epochs=1, batch_size=batch, seed=1, progress=False)
    start = time.perf_counter()
    net.fit(X, Y, optimizer=opt, epochs=1, batch_size=batch, seed=0, progress=False)
    return time.perf_counter() - start


def run_torch(X, y, batch):
    import torch

    torch.set_num_threads(int(THREADS))
    torch.manual_seed(0)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    model = torch.nn.Sequential(
        torch.nn.Linear(SIZES[0], SIZES[1]), torch.nn.ReLU(), torch.nn.Linear(SIZES[1], SIZES[2]), torch.nn.ReLU(),
        torch.nn.Linear(SIZES[2], SIZES[3]),
    )
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = torch.nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(0)

    def epoch(n):
        order = torch.randperm(n, generator=gen)
        for start in range(0, n, batch):
            rows = order[start : start + batch]
            opt.zero_grad()
            loss_fn(model(Xt[rows]), yt[rows]).backward()
            opt.step()

    epoch(warmup_rows(X, batch))
    start = time.perf_counter()
    epoch(X.shape[0])
    return time.perf_counter() - start


def run_sklearn(X, y, batch):
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    def fit(Xpart, ypart):
        clf = MLPClassifier(hidden_layer_sizes=SIZES[1:3], activation="relu", solver="sgd", alpha=0.0,
                            learning_rate_init=0.1, momentum=0.0, nesterovs_momentum=False, batch_size=batch,
                            max_iter=1, shuffle=True, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(Xpart, ypart)
        return clf

    fit(X[: warmup_rows(X, batch)], y[: warmup_rows(X, batch)])
    start = time.perf_counter()
    clf = fit(X, y)
    seconds = time.perf_counter() - start
    assert clf.coefs_[0].dtype == np.float32, "scikit-learn upcast to float64"
    return seconds


def run_tutorial_chainrule(updates):
    from chainrule.explain.tutorial import TUTORIAL_LEARNING_RATE, tutorial_network

    net = tutorial_network()
    x, t = np.array([[0.05, 0.10]]), np.array([[0.01, 0.99]])
    net.layers[0].set_weights(W=[[0.15, 0.25], [0.20, 0.30]], b=0.35)
    net.layers[1].set_weights(W=[[0.40, 0.50], [0.45, 0.55]], b=0.60)
    net.train(x, t, learning_rate=TUTORIAL_LEARNING_RATE, epochs=100)
    start = time.perf_counter()
    net.train(x, t, learning_rate=TUTORIAL_LEARNING_RATE, epochs=updates)
    return time.perf_counter() - start


def run_tutorial_torch(updates):
    import torch

    torch.set_num_threads(int(THREADS))
    x, t = torch.tensor([[0.05, 0.10]], dtype=torch.float64), torch.tensor([[0.01, 0.99]], dtype=torch.float64)
    W1 = torch.tensor([[0.15, 0.25], [0.20, 0.30]], dtype=torch.float64, requires_grad=True)
    W2 = torch.tensor([[0.40, 0.50], [0.45, 0.55]], dtype=torch.float64, requires_grad=True)
    b1, b2 = 0.35, 0.60
    opt = torch.optim.SGD([W1, W2], lr=0.5)

    def steps(n):
        for _ in range(n):
            opt.zero_grad()
            out = torch.sigmoid(torch.sigmoid(x @ W1 + b1) @ W2 + b2)
            (0.5 * ((t - out) ** 2).sum()).backward()
            opt.step()

    steps(100)
    start = time.perf_counter()
    steps(updates)
    return time.perf_counter() - start


RUNNERS = {"matmul": run_matmul, "chainrule": run_chainrule, "torch": run_torch, "sklearn": run_sklearn}
TUTORIAL = {"chainrule": run_tutorial_chainrule, "torch": run_tutorial_torch}


def child(kind: str, lib: str, size: int, samples: int) -> None:
    if kind == "mlp":
        X, y = make_data(samples)
        base = rss_mb()
        seconds = RUNNERS[lib](X, y, size)
    else:
        base = rss_mb()
        seconds = TUTORIAL[lib](size)
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb(), "base_mb": base}))


# -- the driver -----------------------------------------------------------------------------
def measure(kind: str, lib: str, size: int, samples: int) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS=THREADS, OPENBLAS_NUM_THREADS=THREADS, MKL_NUM_THREADS=THREADS)
    cmd = [sys.executable, __file__, "--child", kind, lib, str(size), "--samples", str(samples)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    global THREADS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batches", type=int, nargs="+", default=[32, 128, 1024])
    parser.add_argument("--libs", nargs="+", default=list(RUNNERS), choices=list(RUNNERS))
    parser.add_argument("--samples", type=int, default=60_000, help="samples in the epoch (default 60,000)")
    parser.add_argument("--updates", type=int, default=10_000, help="tutorial network updates (0 to skip)")
    parser.add_argument("--threads", type=int, default=int(THREADS), help="BLAS / PyTorch threads (default 2)")
    parser.add_argument("--child", nargs=3, metavar=("KIND", "LIB", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    THREADS = os.environ["BENCH_THREADS"] = str(args.threads)
    if args.child:
        child(args.child[0], args.child[1], int(args.child[2]), args.samples)
        return

    results: dict[tuple[str, str, int], list[dict]] = {}
    libs = [lib for lib in args.libs if _available(lib)]
    tutorial_libs = [lib for lib in TUTORIAL if _available(lib)] if args.updates else []
    for r in range(args.repeats):
        # Interleave, and rotate the order each repeat so no contender always runs first.
        order = [("mlp", lib, b) for b in args.batches for lib in libs]
        order += [("tutorial", lib, args.updates) for lib in tutorial_libs]
        shift = r % len(order)
        for kind, lib, size in order[shift:] + order[:shift]:
            res = measure(kind, lib, size, args.samples)
            results.setdefault((kind, lib, size), []).append(res)
            print(f"repeat {r + 1}: {kind} {lib} {size}: {res['seconds']:.4f} s", file=sys.stderr, flush=True)
    print(report(results, args, libs, tutorial_libs))


def _available(lib: str) -> bool:
    module = {"torch": "torch", "sklearn": "sklearn", "chainrule": "chainrule"}.get(lib)
    if module is None:
        return True
    import importlib.util

    return importlib.util.find_spec(module) is not None


def report(results, args, libs, tutorial_libs) -> str:
    med = {k: statistics.median(r["seconds"] for r in v) for k, v in results.items()}
    best = {k: min(r["seconds"] for r in v) for k, v in results.items()}
    spread = {k: max(r["seconds"] for r in v) / min(r["seconds"] for r in v) - 1 for k, v in results.items()}
    peak = {k: max(r["peak_mb"] for r in v) for k, v in results.items()}
    lines = [
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"{THREADS} threads; Python {platform.python_version()}, NumPy {np.__version__}"
        + _versions(),
        f"Median of {args.repeats} runs, one process each; one epoch of {args.samples:,} samples, "
        "784-256-128-10, float32, SGD lr 0.1.",
        "Cells: fraction of the matrix-products-only throughput (t_matmul / t of the medians; higher "
        "is better), the same from the fastest runs, median seconds, spread (max/min - 1), peak memory.",
        "",
        "| batch | " + " | ".join(libs) + " |",
        "|---:|" + "---|" * len(libs),
    ]
    for b in args.batches:
        ref = med.get(("mlp", "matmul", b))
        cells = []
        for lib in libs:
            key = ("mlp", lib, b)
            frac = f"**{ref / med[key]:.0%}**, best {best[('mlp', 'matmul', b)] / best[key]:.0%}" if ref else "-"
            cells.append(f"{frac} ({med[key]:.2f} s, ±{spread[key]:.0%}, {peak[key]:.0f} MB)")
        lines.append(f"| {b} | " + " | ".join(cells) + " |")
    if tutorial_libs:
        lines += ["", f"Tutorial 2-2-2 network, {args.updates:,} updates on one sample:", ""]
        lines += ["| library | microseconds per update (median) | fastest run | spread |", "|---|---:|---:|---:|"]
        for lib in tutorial_libs:
            key = ("tutorial", lib, args.updates)
            lines.append(
                f"| {lib} | {med[key] / args.updates * 1e6:.1f} | {best[key] / args.updates * 1e6:.1f} "
                f"| ±{spread[key]:.0%} |"
            )
    return "\n".join(lines)


def _versions() -> str:
    parts = []
    for name in ("torch", "sklearn"):
        try:
            module = __import__(name)
            parts.append(f"{name} {module.__version__}")
        except ImportError:
            pass
    return (", " + ", ".join(parts)) if parts else ""


if __name__ == "__main__":
    main()
