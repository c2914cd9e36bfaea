"""Data-parallel scaling: the 784-256-128-10 MLP on 1 and 2 (or more) MPI processes.

    python bench/distributed_mlp.py                       # the README's table
    python bench/distributed_mlp.py --processes 1 2 4 --batches 128 1024 --repeats 5
    python bench/distributed_mlp.py --oversubscribed      # also: 2 ranks with 2 BLAS threads each

The workload is the one of ``bench/train_mlp.py``: ReLU, softmax +
cross-entropy, plain SGD with learning rate 0.1, one epoch over 60,000 seeded
synthetic samples in float32, at global batch sizes 128 and 1024 (the same
updates whatever the number of processes). Each measurement is one
``mpiexec -n P`` job (the venv's own, from the ``mpi`` extra) that times one
``Network.fit`` epoch between two barriers; ``P = 1`` without mpiexec is the
baseline. Jobs run interleaved, repeated; the table shows medians, the
spread (min-max), the speed-up over one process using every core for BLAS,
the scaling efficiency ``throughput(P) / (P * throughput(1 process, 1 thread))``
and the share of the time spent in the gradient Allreduce (which includes
waiting for the slowest rank).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

SIZES = (784, 256, 128, 10)
BIN = Path(sys.executable).parent


def make_data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Seeded inputs ``(n, 784)`` float32 and one-hot labels ``(n, 10)`` from a random linear teacher."""
    rng = np.random.default_rng(seed)
    X = rng.random((n, SIZES[0]), dtype=np.float32)
    teacher = rng.standard_normal((SIZES[0], SIZES[-1])).astype(np.float32)
    return X, np.eye(SIZES[-1], dtype=np.float32)[(X @ teacher).argmax(axis=1)]


def worker(samples: int, batch: int) -> None:
    """One timed epoch; rank 0 prints a JSON line."""
    import chainrule as cr
    from chainrule.distributed import DataParallel, resolve_comm

    comm = resolve_comm(None)
    rank = 0 if comm is None else comm.Get_rank()
    X, Y = make_data(samples)
    if comm is not None:  # each rank builds only its shard (the data generation is not timed)
        from chainrule.distributed import even_range

        lo, hi = even_range(samples, rank, comm.Get_size())
        X, Y = X[lo:hi].copy(), Y[lo:hi].copy()
    net = cr.Network.from_sizes(
        list(SIZES),
        "relu",
        output_activation="softmax",
        loss="categorical_cross_entropy",
        init="he_uniform",
        seed=0,
        dtype="float32",
    )
    allreduce = [0.0]
    strategy = None
    if comm is not None:

        class Timed(DataParallel):
            """Times the step's reduction (the gradients' Allreduce and the scalars')."""

            def reduce(self, value):
                t = time.perf_counter()
                value = super().reduce(value)
                allreduce[0] += time.perf_counter() - t
                return value

        strategy = Timed(comm, sharded=True)
        comm.Barrier()
    threads = cr.training.LambdaCallback(on_epoch_end=lambda loop, epoch, logs: seen.append(blas_threads()))
    seen: list = []
    start = time.perf_counter()
    net.fit(
        X,
        Y,
        optimizer=cr.optim.SGD(learning_rate=0.1),
        epochs=1,
        batch_size=batch,
        seed=1,
        progress=False,
        strategy=strategy,
        callbacks=[threads],
    )
    if comm is not None:
        comm.Barrier()
    seconds = time.perf_counter() - start
    if rank == 0:
        print(json.dumps({"seconds": seconds, "allreduce": allreduce[0], "threads": seen[0]}))


def allreduce_worker() -> None:
    """The bare Allreduce of the MLP's flat gradient (235,146 float32), without training around it."""
    from mpi4py import MPI

    comm = MPI.COMM_WORLD
    size = sum(a * b + b for a, b in itertools.pairwise(SIZES))
    buffer = np.ones(size, np.float32)
    times = []
    for k in range(220):
        comm.Barrier()
        start = time.perf_counter()
        comm.Allreduce(MPI.IN_PLACE, buffer, op=MPI.SUM)
        if k >= 20:  # warm-up
            times.append(time.perf_counter() - start)
    if comm.Get_rank() == 0:
        print(json.dumps({"floats": size, "median_ms": 1e3 * statistics.median(times)}))


def blas_threads() -> int:
    """Threads of the BLAS NumPy uses, now."""
    from threadpoolctl import threadpool_info

    return max((p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"), default=0)


def measure(processes: int, samples: int, batch: int, mpi: bool, threads: int | None) -> dict:
    """One job's JSON; ``threads`` forces the BLAS threads per process (None: chainrule's choice / all cores)."""
    script = [sys.executable, __file__, "--worker", "--samples", str(samples), "--batches", str(batch)]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PMI_", "OMPI_", "HYDRA_"))}
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "CHAINRULE_NUM_THREADS"):
        env.pop(name, None)
    if threads is not None:  # read by chainrule under MPI, and by OpenBLAS at start-up without it
        env["CHAINRULE_NUM_THREADS"] = env["OPENBLAS_NUM_THREADS"] = str(threads)
    command = [str(BIN / "mpiexec"), "-n", str(processes), *script] if mpi else script
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--batches", type=int, nargs="+", default=[128, 1024])
    parser.add_argument("--samples", type=int, default=60_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--oversubscribed",
        action="store_true",
        help="also time 2 ranks with 2 BLAS threads each (on a few batches: it is slow)",
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--allreduce-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.samples, args.batches[0])
        return
    if args.allreduce_worker:
        allreduce_worker()
        return
    cores = len(os.sched_getaffinity(0))
    print(
        f"# {platform.processor() or platform.machine()}, {cores} cores available "
        f"(os.cpu_count() {os.cpu_count()}), load average before: {os.getloadavg()[0]:.2f}"
    )
    print(f"# {args.samples} samples, 784-256-128-10 float32, SGD lr 0.1, median of {args.repeats}")
    # (label, processes, under mpiexec, forced BLAS threads per process)
    configs = [("1 process, all cores", 1, False, None), ("1 process, 1 thread", 1, False, 1)]
    configs += [(f"{p} processes, mpiexec", p, True, None) for p in args.processes if p > 1]
    times: dict = {}
    for _ in range(args.repeats):
        for batch in args.batches:
            for label, p, mpi, threads in configs:
                times.setdefault((batch, label), []).append(measure(p, args.samples, batch, mpi, threads))
    print(
        "\n| global batch | run | BLAS threads each | samples/s (median) | min-max | "
        "speed-up over 1 process, all cores | efficiency per process | in Allreduce |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for batch in args.batches:
        rate = {
            label: statistics.median(args.samples / r["seconds"] for r in times[(batch, label)])
            for label, *_ in configs
        }
        for label, p, _, _ in configs:
            runs = times[(batch, label)]
            rates = [args.samples / r["seconds"] for r in runs]
            share = statistics.median(r["allreduce"] / r["seconds"] for r in runs)
            print(
                f"| {batch} | {label} | {runs[0]['threads']} | {rate[label]:,.0f} "
                f"| {min(rates):,.0f}-{max(rates):,.0f} "
                f"| {rate[label] / rate[configs[0][0]]:.2f}x | {rate[label] / (p * rate[configs[1][0]]):.0%} "
                f"| {share:.1%} |"
            )
    if args.oversubscribed:
        few = 40 * 128
        pinned = statistics.median(few / measure(2, few, 128, True, None)["seconds"] for _ in range(3))
        over = statistics.median(few / measure(2, few, 128, True, 2)["seconds"] for _ in range(3))
        print(
            f"\n2 ranks at batch 128 over {few} samples: {pinned:,.0f} samples/s with our thread limit, "
            f"{over:,.0f} with 2 BLAS threads per rank ({pinned / over:.1f}x slower oversubscribed)"
        )
    for p in args.processes:
        if p > 1:
            done = subprocess.run(
                [str(BIN / "mpiexec"), "-n", str(p), sys.executable, __file__, "--allreduce-worker"],
                capture_output=True,
                text=True,
                check=True,
            )
            bare = json.loads(done.stdout.strip().splitlines()[-1])
            print(
                f"\nThe bare Allreduce of the {bare['floats']:,} float32 gradients over {p} processes: "
                f"{bare['median_ms']:.2f} ms (median of 200)"
            )
    print(f"\n# load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
