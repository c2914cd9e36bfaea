"""Training runs for the MPI tests: run in-process (one process) and under ``mpiexec -n 2``.

``python tests/mpi_cases.py OUT_DIR`` (under mpiexec) trains every case with
the communicator detected from the launcher and writes ``OUT_DIR/rank<r>.npz``
(the flat weights of every case) and, on rank 0, ``OUT_DIR/history.json``.
``tests/test_distributed.py`` runs the same cases in one process and compares.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

import chainrule as cr
from chainrule.optim import SGD, Adam, AdamW, RMSprop, StepLR
from chainrule.training import Callback, EarlyStopping

N = 203  # odd: the two shards differ in size; 203 = 12 * 16 + 11, so the last batch is partial


def _data(dtype: str = "float64", regression: bool = False):
    rng = np.random.default_rng(2024)
    X = rng.normal(size=(N, 5)).astype(dtype)
    if regression:
        Y = (X[:, :2] @ np.array([[1.0, -0.5], [0.3, 2.0]]) + 0.1 * rng.normal(size=(N, 2))).astype(dtype)
    else:
        Y = np.eye(3, dtype=dtype)[(X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1)]
    weights = rng.uniform(0.0, 2.0, N)
    return X, Y, weights


def _classifier(dtype: str = "float64") -> cr.Network:
    return cr.Network.from_sizes(
        [5, 16, 8, 3], "tanh", output_activation="softmax", loss="categorical_cross_entropy", seed=11, dtype=dtype
    )


def case_optimizer(optimizer, dtype: str = "float64", comm=None):
    X, Y, w = _data(dtype)
    net = _classifier(dtype)
    history = net.fit(
        X,
        Y,
        optimizer=optimizer,
        epochs=4,
        batch_size=16,
        seed=5,
        sample_weight=w,
        validation_fraction=0.2,
        metrics=["accuracy"],
        progress=False,
        comm=comm,
    )
    return net, history


def case_regression_sharded(comm=None):
    """Each process passes only its part (sharded=True); validation data, no shuffle, a step schedule."""
    X, Y, _ = _data(regression=True)
    Xv, Yv = X[:50] * 0.5, Y[:50] * 0.5
    if comm is not None:  # this rank's contiguous part, uneven on purpose
        cut, cut_v = 120, 17
        r = comm.Get_rank()
        X, Y = (X[:cut], Y[:cut]) if r == 0 else (X[cut:], Y[cut:])
        Xv, Yv = (Xv[:cut_v], Yv[:cut_v]) if r == 0 else (Xv[cut_v:], Yv[cut_v:])
    net = cr.Network.from_sizes([5, 12, 2], "relu", output_activation="identity", seed=3)
    history = net.fit(
        X,
        Y,
        optimizer=SGD(learning_rate=0.05, momentum=0.9),
        schedule=StepLR(2, 0.5),
        epochs=4,
        batch_size=32,
        shuffle=False,
        validation_data=(Xv, Yv),
        metrics=["r2", "mae"],
        progress=False,
        comm=comm,
        sharded=comm is not None,
    )
    return net, history


def case_sum_full_batch(comm=None):
    """The sum reduction, full-batch gradient descent and early stopping that restores the best weights."""
    X, Y, _ = _data()
    net = cr.Network.from_sizes([5, 6, 3], "sigmoid", loss={"name": "squared_error", "reduction": "sum"}, seed=9)
    history = net.fit(
        X,
        Y,
        optimizer=SGD(learning_rate=0.01),
        epochs=6,
        batch_size=None,
        progress=False,
        early_stopping=EarlyStopping(patience=2, restore_best_weights=True, monitor="loss"),
        comm=comm,
    )
    return net, history


def case_sklearn(comm=None):
    """The scikit-learn classifier, which detects mpiexec itself (comm=None)."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    from chainrule.sklearn import NetworkClassifier

    X, Y, w = _data()
    clf = NetworkClassifier((16,), "relu", batch_size=20, max_iter=5, random_state=0, early_stopping=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # five epochs on purpose
        clf.fit(X, Y.argmax(axis=1), sample_weight=w)
    return clf.network_, clf.history_


def case_one_row_batches(comm=None):
    """Batches of one row: at every step one rank holds nothing of the batch."""
    X, Y, _ = _data()
    net = _classifier()
    history = net.fit(
        X[:7], Y[:7], optimizer=Adam(learning_rate=0.01), epochs=3, batch_size=1, seed=2, progress=False, comm=comm
    )
    return net, history


def case_empty_shard(comm=None):
    """sharded=True with every row on rank 0 and none on rank 1."""
    X, Y, w = _data()
    if comm is not None and comm.Get_rank() == 1:
        X, Y, w = X[:0], Y[:0], w[:0]
    net = _classifier()
    history = net.fit(
        X,
        Y,
        optimizer=RMSprop(learning_rate=0.01),
        epochs=2,
        batch_size=32,
        seed=2,
        sample_weight=w,
        metrics=["accuracy"],
        progress=False,
        comm=comm,
        sharded=comm is not None,
    )
    return net, history


CASES = {
    "sgd_nesterov": lambda comm=None: case_optimizer(SGD(learning_rate=0.1, momentum=0.9, nesterov=True), comm=comm),
    "adam": lambda comm=None: case_optimizer(Adam(learning_rate=0.01), comm=comm),
    "adamw": lambda comm=None: case_optimizer(AdamW(learning_rate=0.01, weight_decay=0.1), comm=comm),
    "rmsprop": lambda comm=None: case_optimizer(RMSprop(learning_rate=0.01), comm=comm),
    "adam_float32": lambda comm=None: case_optimizer(Adam(learning_rate=0.01), dtype="float32", comm=comm),
    "regression_sharded": case_regression_sharded,
    "sum_full_batch": case_sum_full_batch,
    "sklearn": case_sklearn,
    "one_row_batches": case_one_row_batches,
    "empty_shard": case_empty_shard,
}


class _Threads(Callback):
    """Records the BLAS thread count seen during training."""

    def on_epoch_end(self, loop, epoch, logs):
        from threadpoolctl import threadpool_info

        self.seen = max(pool["num_threads"] for pool in threadpool_info())


def main(out_dir: str) -> None:
    from mpi4py import MPI

    comm = MPI.COMM_WORLD
    out = Path(out_dir)
    weights, histories = {}, {}
    for name, run in CASES.items():
        net, history = run(comm if name in ("regression_sharded", "empty_shard") else None)  # the others detect it
        weights[name] = net.buffer.values
        histories[name] = history.to_dict()
    threads = _Threads()
    X, Y, _ = _data()
    _classifier().fit(X, Y, epochs=1, progress=False, callbacks=[threads])
    np.savez(out / f"rank{comm.Get_rank()}.npz", **weights)
    if comm.Get_rank() == 0:
        (out / "history.json").write_text(json.dumps({"histories": histories, "threads": threads.seen}))


if __name__ == "__main__":
    main(sys.argv[1])
