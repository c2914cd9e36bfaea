"""Training speed on the CPU: chainrule, hand-written NumPy, PyTorch eager, scikit-learn, the matrix products alone.

    python bench/train_mlp.py                                # float32 and float64, 2 threads (several minutes)
    python bench/train_mlp.py --threads 2 1 --repeats 5      # both thread counts, interleaved in one run
    python bench/train_mlp.py --repeats 3 --batches 128 --dtype float32 --libs chainrule numpy matmul

The workload: a 784-256-128-10 MLP (ReLU, softmax + cross-entropy), plain SGD
with learning rate 0.1, one epoch over 60,000 seeded synthetic samples, at
batch sizes 32, 128 and 1024, in float32 and float64. Contenders:

* ``matmul``: NumPy doing only the matrix products training needs per batch
  (forward 3, weight gradients 3, input gradients 2: the first layer's is never
  needed) into preallocated arrays. No library can train faster than this, so
  each contender is reported as the fraction ``t_matmul / t`` of its throughput.
* ``chainrule``: ``Network.fit`` (shuffled mini-batches, the divergence check, everything).
* ``numpy``: the loop a competent user writes by hand: a fancy-index gather of
  each shuffled batch (``X[idx]``), ``@``, ``np.maximum``, a stable softmax,
  the cross-entropy gradient, ``W -= lr * dW``, allocating freely, checking nothing.
* ``torch``: PyTorch eager, the usual zero_grad / forward / backward / step.
* ``sklearn``: ``MLPClassifier(solver="sgd", momentum=0, alpha=0)``, one ``fit`` iteration.

``--threads`` sets the BLAS threads (``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``,
``MKL_NUM_THREADS``) and PyTorch's intra-op threads of every contender; each
child reports the BLAS thread count it really got (via threadpoolctl, when
installed). Each measurement runs in its own process (PyTorch's idle OpenMP
threads slow NumPy down when both live in one process), in interleaved order
(rotated every repeat, over every thread count, dtype, batch and contender),
repeated; the tables show medians, the spread and each process's peak
resident memory.

The same script times the tutorial's 2-2-2 sigmoid network (float64, frozen
biases, learning rate 0.5) for 10,000 updates on one sample: through the
public API (``Network.train``, one call), as a hand-written NumPy update, and
in PyTorch eager.
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
LEARNING_RATE = 0.1
THREADS = int(os.environ.get("BENCH_THREADS", "2"))


def rss_mb() -> float:
    """Current resident memory of this process, MB."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_data(n: int, dtype: str = "float32", seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Seeded inputs in [0, 1) ``(n, 784)`` of ``dtype`` and labels ``(n,)`` from a random linear teacher.

    The same samples for both dtypes (drawn in float32, then converted).
    """
    rng = np.random.default_rng(seed)
    X = rng.random((n, SIZES[0]), dtype=np.float32)
    teacher = rng.standard_normal((SIZES[0], SIZES[-1])).astype(np.float32)
    return X.astype(dtype, copy=False), (X @ teacher).argmax(axis=1)


def one_hot(y: np.ndarray, dtype: str) -> np.ndarray:
    return np.eye(SIZES[-1], dtype=dtype)[y]


def he_uniform(rng: np.random.Generator, dtype: str) -> list[np.ndarray]:
    """Weights ``U(-sqrt(6 / n_in), sqrt(6 / n_in))``, as chainrule's ``init="he_uniform"``."""
    return [
        rng.uniform(-np.sqrt(6.0 / a), np.sqrt(6.0 / a), (a, b)).astype(dtype) for a, b in itertools.pairwise(SIZES)
    ]


# -- one measurement per process ----------------------------------------------------------
def warmup_rows(X: np.ndarray, batch: int) -> int:
    """Rows for the untimed warm-up: ten batches (workspaces, BLAS buffers, lazy imports)."""
    return min(10 * batch, X.shape[0])


def run_matmul(X, y, batch):
    dt = X.dtype
    Ws = he_uniform(np.random.default_rng(1), dt)
    dWs = [np.empty_like(W) for W in Ws]

    def work(Xpart):
        n = Xpart.shape[0]
        full = {}
        for start in range(0, n, batch):
            xb = Xpart[start : start + batch]
            m = xb.shape[0]
            if m not in full:
                full[m] = [np.empty((m, s), dt) for s in SIZES[1:]], [np.empty((m, s), dt) for s in SIZES[1:3]]
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

    Y = one_hot(y, X.dtype)
    net = Network.from_sizes(
        list(SIZES), "relu", output_activation="softmax", loss="cross_entropy", init="he_uniform", seed=0, dtype=X.dtype
    )
    opt = SGD(learning_rate=LEARNING_RATE)
    warm = warmup_rows(X, batch)
    net.fit(X[:warm], Y[:warm], optimizer=opt, epochs=1, batch_size=batch, seed=1, progress=False)
    start = time.perf_counter()
    net.fit(X, Y, optimizer=opt, epochs=1, batch_size=batch, seed=0, progress=False)
    return time.perf_counter() - start


def run_numpy(X, y, batch):
    """The obvious hand-written loop: allocate freely, check nothing."""
    dt = X.dtype
    Y = one_hot(y, dt)
    rng = np.random.default_rng(0)
    params = [*he_uniform(rng, dt), *(np.zeros(s, dt) for s in SIZES[1:])]
    lr = LEARNING_RATE

    def epoch(n):
        W1, W2, W3, b1, b2, b3 = params  # updated in place
        order = rng.permutation(n)
        for start in range(0, n, batch):
            idx = order[start : start + batch]
            xb, yb = X[idx], Y[idx]
            z1 = xb @ W1 + b1
            a1 = np.maximum(z1, 0)
            z2 = a1 @ W2 + b2
            a2 = np.maximum(z2, 0)
            z3 = a2 @ W3 + b3
            e = np.exp(z3 - z3.max(axis=1, keepdims=True))
            p = e / e.sum(axis=1, keepdims=True)
            d3 = (p - yb) / len(idx)  # d(mean cross-entropy)/dz3
            d2 = (d3 @ W3.T) * (z2 > 0)
            d1 = (d2 @ W2.T) * (z1 > 0)
            W3 -= lr * (a2.T @ d3)
            b3 -= lr * d3.sum(axis=0)
            W2 -= lr * (a1.T @ d2)
            b2 -= lr * d2.sum(axis=0)
            W1 -= lr * (xb.T @ d1)
            b1 -= lr * d1.sum(axis=0)

    epoch(warmup_rows(X, batch))
    start = time.perf_counter()
    epoch(X.shape[0])
    seconds = time.perf_counter() - start
    assert all(p.dtype == dt and np.isfinite(p).all() for p in params)
    return seconds


def run_torch(X, y, batch):
    import torch

    torch.set_num_threads(THREADS)
    torch.manual_seed(0)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    model = torch.nn.Sequential(
        torch.nn.Linear(SIZES[0], SIZES[1]),
        torch.nn.ReLU(),
        torch.nn.Linear(SIZES[1], SIZES[2]),
        torch.nn.ReLU(),
        torch.nn.Linear(SIZES[2], SIZES[3]),
    ).to(Xt.dtype)
    opt = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
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
        clf = MLPClassifier(
            hidden_layer_sizes=SIZES[1:3],
            activation="relu",
            solver="sgd",
            alpha=0.0,
            learning_rate_init=LEARNING_RATE,
            momentum=0.0,
            nesterovs_momentum=False,
            batch_size=batch,
            max_iter=1,
            shuffle=True,
            random_state=0,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(Xpart, ypart)
        return clf

    fit(X[: warmup_rows(X, batch)], y[: warmup_rows(X, batch)])
    start = time.perf_counter()
    clf = fit(X, y)
    seconds = time.perf_counter() - start
    assert clf.coefs_[0].dtype == X.dtype, f"scikit-learn changed the dtype to {clf.coefs_[0].dtype}"
    return seconds


# -- the tutorial's 2-2-2 network ----------------------------------------------------------
TUTORIAL_X, TUTORIAL_T = [[0.05, 0.10]], [[0.01, 0.99]]
TUTORIAL_W1, TUTORIAL_W2 = [[0.15, 0.25], [0.20, 0.30]], [[0.40, 0.50], [0.45, 0.55]]
TUTORIAL_B1, TUTORIAL_B2, TUTORIAL_LR = 0.35, 0.60, 0.5


def run_tutorial_chainrule(updates):
    from chainrule.explain.tutorial import tutorial_network

    net = tutorial_network()
    x, t = np.array(TUTORIAL_X), np.array(TUTORIAL_T)
    net.layers[0].set_weights(W=TUTORIAL_W1, b=TUTORIAL_B1)
    net.layers[1].set_weights(W=TUTORIAL_W2, b=TUTORIAL_B2)
    net.train(x, t, learning_rate=TUTORIAL_LR, epochs=100)
    start = time.perf_counter()
    net.train(x, t, learning_rate=TUTORIAL_LR, epochs=updates)
    return time.perf_counter() - start


def run_tutorial_numpy(updates):
    """The update as one writes it by hand: sigmoid layers, squared error, frozen biases."""
    x, t = np.array(TUTORIAL_X), np.array(TUTORIAL_T)
    W1, W2 = np.array(TUTORIAL_W1), np.array(TUTORIAL_W2)

    def steps(n, W1=W1, W2=W2, b1=TUTORIAL_B1, b2=TUTORIAL_B2, lr=TUTORIAL_LR):
        for _ in range(n):
            h = 1.0 / (1.0 + np.exp(-(x @ W1 + b1)))
            o = 1.0 / (1.0 + np.exp(-(h @ W2 + b2)))
            d2 = (o - t) * o * (1.0 - o)  # dE/dnet of the outputs, E = sum 1/2 (t - o)^2
            d1 = (d2 @ W2.T) * h * (1.0 - h)
            W2 -= lr * (h.T @ d2)
            W1 -= lr * (x.T @ d1)

    steps(100)
    start = time.perf_counter()
    steps(updates)
    return time.perf_counter() - start


def run_tutorial_torch(updates):
    import torch

    torch.set_num_threads(THREADS)
    x, t = torch.tensor(TUTORIAL_X, dtype=torch.float64), torch.tensor(TUTORIAL_T, dtype=torch.float64)
    W1 = torch.tensor(TUTORIAL_W1, dtype=torch.float64, requires_grad=True)
    W2 = torch.tensor(TUTORIAL_W2, dtype=torch.float64, requires_grad=True)
    b1, b2 = TUTORIAL_B1, TUTORIAL_B2
    opt = torch.optim.SGD([W1, W2], lr=TUTORIAL_LR)

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


RUNNERS = {
    "matmul": run_matmul,
    "chainrule": run_chainrule,
    "numpy": run_numpy,
    "torch": run_torch,
    "sklearn": run_sklearn,
}
TUTORIAL = {"chainrule": run_tutorial_chainrule, "numpy": run_tutorial_numpy, "torch": run_tutorial_torch}


def blas_threads() -> int | None:
    """The BLAS thread count this process really uses (None without threadpoolctl)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    counts = [pool["num_threads"] for pool in threadpool_info() if pool.get("user_api") == "blas"]
    return max(counts) if counts else None


def child(kind: str, lib: str, size: int, samples: int, dtype: str) -> None:
    if kind == "mlp":
        X, y = make_data(samples, dtype)
        base = rss_mb()
        seconds = RUNNERS[lib](X, y, size)
    else:
        base = rss_mb()
        seconds = TUTORIAL[lib](size)
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb(), "base_mb": base, "blas_threads": blas_threads()}))


# -- the driver -----------------------------------------------------------------------------
def measure(kind: str, lib: str, size: int, samples: int, dtype: str, threads: int) -> dict:
    env = dict(
        os.environ,
        BENCH_THREADS=str(threads),
        OMP_NUM_THREADS=str(threads),
        OPENBLAS_NUM_THREADS=str(threads),
        MKL_NUM_THREADS=str(threads),
    )
    cmd = [sys.executable, __file__, "--child", kind, lib, str(size), "--samples", str(samples), "--dtype", dtype]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{kind} {lib} {size} {dtype} {threads} threads failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    global THREADS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batches", type=int, nargs="+", default=[32, 128, 1024])
    parser.add_argument("--libs", nargs="+", default=list(RUNNERS), choices=list(RUNNERS))
    parser.add_argument(
        "--dtype",
        nargs="+",
        default=["float32", "float64"],
        choices=["float32", "float64"],
        help="dtypes of the MLP runs (default both)",
    )
    parser.add_argument("--samples", type=int, default=60_000, help="samples in the epoch (default 60,000)")
    parser.add_argument("--updates", type=int, default=10_000, help="tutorial network updates (0 to skip)")
    parser.add_argument(
        "--threads",
        type=int,
        nargs="+",
        default=[THREADS],
        help="BLAS / PyTorch threads per process; several values run interleaved (default 2)",
    )
    parser.add_argument("--child", nargs=3, metavar=("KIND", "LIB", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        THREADS = args.threads[0] if "BENCH_THREADS" not in os.environ else int(os.environ["BENCH_THREADS"])
        child(args.child[0], args.child[1], int(args.child[2]), args.samples, args.dtype[0])
        return

    results: dict[tuple, list[dict]] = {}
    libs = [lib for lib in args.libs if _available(lib)]
    tutorial_libs = [lib for lib in TUTORIAL if _available(lib)] if args.updates else []
    order = [("mlp", lib, b, dt, th) for th in args.threads for dt in args.dtype for b in args.batches for lib in libs]
    order += [("tutorial", lib, args.updates, "float64", th) for th in args.threads for lib in tutorial_libs]
    for r in range(args.repeats):
        # Interleave, and rotate the order each repeat so no contender always runs first.
        shift = (r * max(1, len(order) // args.repeats)) % len(order)
        for key in order[shift:] + order[:shift]:
            kind, lib, size, dt, th = key
            res = measure(kind, lib, size, args.samples, dt, th)
            results.setdefault(key, []).append(res)
            print(
                f"repeat {r + 1}: {kind} {lib} {size} {dt} {th} threads: {res['seconds']:.4f} s "
                f"(BLAS threads {res['blas_threads']})",
                file=sys.stderr,
                flush=True,
            )
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
    seen = {k: sorted({r["blas_threads"] for r in v}, key=str) for k, v in results.items()}
    lines = [
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; Python "
        f"{platform.python_version()}, NumPy {np.__version__}" + _versions(),
        f"Median of {args.repeats} runs, one process each, interleaved; one epoch of {args.samples:,} samples, "
        f"784-256-128-10 ReLU/softmax, SGD lr {LEARNING_RATE}.",
        "Cells: fraction of the matrix-products-only throughput (t_matmul / t of the medians; higher "
        "is better), the same from the fastest runs, median seconds, spread (max/min - 1), peak memory.",
    ]
    verdicts = []
    for th in args.threads:
        for dt in args.dtype:
            blas = sorted({str(s) for lib in libs for b in args.batches for s in seen.get(("mlp", lib, b, dt, th), [])})
            lines += [
                "",
                f"**{dt}, {th} thread{'s' if th > 1 else ''}** (BLAS threads seen: {', '.join(blas)})",
                "",
                "| batch | " + " | ".join(libs) + " |",
                "|---:|" + "---|" * len(libs),
            ]
            for b in args.batches:
                ref = med.get(("mlp", "matmul", b, dt, th))
                ref_best = best.get(("mlp", "matmul", b, dt, th))
                cells = []
                for lib in libs:
                    key = ("mlp", lib, b, dt, th)
                    frac = f"**{ref / med[key]:.0%}**, best {ref_best / best[key]:.0%}" if ref else "-"
                    cells.append(f"{frac} ({med[key]:.2f} s, ±{spread[key]:.0%}, {peak[key]:.0f} MB)")
                lines.append(f"| {b} | " + " | ".join(cells) + " |")
                mine = med.get(("mlp", "chainrule", b, dt, th))
                if mine:
                    others = [
                        f"{med[('mlp', lib, b, dt, th)] / mine:.2f}x" if ("mlp", lib, b, dt, th) in med else "-"
                        for lib in ("numpy", "torch")
                    ]
                    verdicts.append(f"| {dt} | {th} | {b} | " + " | ".join(others) + " |")
    if verdicts:
        lines += [
            "",
            "chainrule's speed relative to the hand-written loop and to PyTorch (t_other / t_chainrule "
            "of the medians; above 1.00x: chainrule is faster):",
            "",
            "| dtype | threads | batch | vs numpy | vs torch |",
            "|---|---:|---:|---:|---:|",
            *verdicts,
        ]
    if tutorial_libs:
        lines += [
            "",
            f"Tutorial 2-2-2 network (float64), {args.updates:,} updates on one sample:",
            "",
            "| library | threads | microseconds per update (median) | fastest run | spread |",
            "|---|---:|---:|---:|---:|",
        ]
        for th in args.threads:
            for lib in tutorial_libs:
                key = ("tutorial", lib, args.updates, "float64", th)
                lines.append(
                    f"| {lib} | {th} | {med[key] / args.updates * 1e6:.1f} | {best[key] / args.updates * 1e6:.1f} "
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
