"""The tutorial's 10,000 updates under each hidden-deltas convention, through the public API.

    python bench/hidden_deltas.py                  # 10,000 updates, 5 repeats
    python bench/hidden_deltas.py --updates 1000 --repeats 3 --trace-updates 200

Contenders, each run in its own process, in interleaved order; the table
shows the median seconds for the whole run, microseconds per update, and the
peak memory a second, untimed run allocated (``tracemalloc``):

* ``updated``: ``train_with_convention(net, x, y, 0.5, N)``, the published
  mistake (the paths into the hidden layer use the updated output weights).
* ``original``: ``train_with_convention(..., hidden_deltas="original")``, the chain rule.
* ``network.train``: ``Network.train(x, y, learning_rate=0.5, epochs=N)``, the engine's loop.
* ``trace_steps``: ``trace_steps(..., hidden_deltas="updated")``, which builds a
  whole trace per update and keeps them all: the only way before
  ``train_with_convention``. By default it runs ``--trace-updates`` (500)
  updates, scaled linearly to N; its process RSS is then for those 500 only.
  A full run (``--trace-updates 10000 --repeats 1``) took 25 to 75 s on a
  shared 2-core machine, at about 1 GB resident.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc

X, Y, ETA = [0.05, 0.10], [0.01, 0.99], 0.5
CONTENDERS = ("updated", "original", "network.train", "trace_steps")


def run(kind: str, updates: int) -> None:
    import numpy as np

    from chainrule.explain import trace_steps, train_with_convention, tutorial_network

    net = tutorial_network()
    if kind == "updated":
        train_with_convention(net, X, Y, ETA, updates)
    elif kind == "original":
        train_with_convention(net, X, Y, ETA, updates, hidden_deltas="original")
    elif kind == "network.train":
        net.train(np.array([X]), np.array([Y]), learning_rate=ETA, epochs=updates)
    else:
        trace_steps(net, X, Y, ETA, steps=updates, hidden_deltas="updated")


def child(kind: str, updates: int) -> dict:
    """Seconds for one run (after a short warm-up run), then the peak memory of another, traced."""
    run(kind, 2)
    start = time.perf_counter()
    run(kind, updates)
    seconds = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB
    tracemalloc.start()  # a second run: tracemalloc slows allocation, so it is never timed
    run(kind, updates)
    peak = tracemalloc.get_traced_memory()[1]
    return {"seconds": seconds, "peak_bytes": peak, "rss_bytes": rss, "updates": updates}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--trace-updates", type=int, default=500, help="updates for trace_steps, scaled to --updates (default 500)"
    )
    parser.add_argument("--contenders", nargs="+", choices=CONTENDERS, default=list(CONTENDERS))
    parser.add_argument("--child", nargs=2, metavar=("KIND", "UPDATES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], int(args.child[1]))))
        return
    runs: dict[str, list[dict]] = {k: [] for k in args.contenders}
    for _ in range(args.repeats):
        for kind in args.contenders:
            n = min(args.trace_updates, args.updates) if kind == "trace_steps" else args.updates
            done = subprocess.run(
                [sys.executable, __file__, "--child", kind, str(n)], capture_output=True, text=True, check=True
            )
            runs[kind].append(json.loads(done.stdout))
    print(f"The tutorial's 2-2-2 network, {args.updates} updates, medians of {args.repeats} runs\n")
    print("| contender | seconds for all updates | microseconds per update | peak allocated | process peak RSS |")
    print("|---|---:|---:|---:|---:|")
    for kind, results in runs.items():
        per_update = statistics.median(r["seconds"] / r["updates"] for r in results)
        peak = statistics.median(
            r["peak_bytes"] * args.updates / r["updates"] if kind == "trace_steps" else r["peak_bytes"] for r in results
        )
        scaled = " (scaled)" if kind == "trace_steps" and results[0]["updates"] != args.updates else ""
        rss = statistics.median(r["rss_bytes"] for r in results)
        print(
            f"| {kind} | {per_update * args.updates:.3f}{scaled} | {per_update * 1e6:.1f} | "
            f"{peak / 2**20:.2f} MiB{scaled} | {rss / 2**20:.0f} MiB |"
        )


if __name__ == "__main__":
    main()
