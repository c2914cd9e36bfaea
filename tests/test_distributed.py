"""Data-parallel training over MPI (chainrule.distributed).

The MPI tests launch two processes with the virtual environment's own
``mpiexec`` (from the ``mpich`` wheel of the ``mpi`` extra) and compare with
the same run in this process. Tolerances: float64 weights agree with the
single-process run to 1e-12 relative to ``max(1, |w|)`` (measured: at most
8e-16, a few ulps, after 4 epochs of 11 updates), float32 to 1e-5 (measured
2e-7); histories likewise. The ranks' weights are compared bit for bit.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import needs
from chainrule.core.extras import install_hint
from chainrule.distributed import even_range, launched_rank, launched_size, resolve_comm
from chainrule.distributed.tables import ShardTable, _csv_bytes

HERE = Path(__file__).parent
TOLERANCE = {"float64": 1e-12, "float32": 1e-5}


# -- without MPI -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "env, size, rank",
    [
        ({}, 1, 0),
        ({"PMI_SIZE": "4", "PMI_RANK": "2"}, 4, 2),
        ({"OMPI_COMM_WORLD_SIZE": "3", "OMPI_COMM_WORLD_RANK": "1"}, 3, 1),
        ({"PMI_SIZE": "not a number"}, 1, 0),
    ],
)
def test_launch_is_detected_from_the_environment(monkeypatch, env, size, rank):
    for name in ("PMI_SIZE", "PMI_RANK", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK", "MV2_COMM_WORLD_SIZE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert (launched_size(), launched_rank()) == (size, rank)


def test_without_a_launcher_there_is_no_communicator_and_mpi4py_stays_unloaded(monkeypatch):
    for name in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE"):
        monkeypatch.delenv(name, raising=False)
    code = (
        "import sys, numpy as np, chainrule as cr; net = cr.Network.from_sizes([2, 2, 2], seed=0); "
        "net.fit(np.ones((4, 2)), np.zeros((4, 2)), progress=False); assert 'mpi4py' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    assert resolve_comm(None) is None and resolve_comm(False) is None


@pytest.mark.parametrize("bad", [1, "world", object()])
def test_a_communicator_must_be_an_mpi4py_one(bad):
    with pytest.raises(ValueError, match="comm: expected an mpi4py communicator"):
        resolve_comm(bad)


def test_a_communicator_of_one_process_trains_as_an_ordinary_run():
    # resolve_comm counts it as none; fit must accept it and give the single-process result.
    MPI = needs.module("mpi4py.MPI")
    from chainrule import Network

    rng = np.random.default_rng(0)
    X, Y = rng.random((40, 3)), rng.random((40, 2))
    a, b = (Network.from_sizes([3, 4, 2], "tanh", seed=0) for _ in range(2))
    a.fit(X, Y, epochs=3, batch_size=8, seed=1, progress=False, comm=MPI.COMM_SELF)
    b.fit(X, Y, epochs=3, batch_size=8, seed=1, progress=False)
    assert a.buffer.values.tobytes() == b.buffer.values.tobytes()


@pytest.mark.parametrize("n", [0, 1, 7, 10, 203])
@pytest.mark.parametrize("size", [1, 2, 3, 8])
def test_even_ranges_tile_the_rows(n, size):
    ranges = [even_range(n, r, size) for r in range(size)]
    assert ranges[0][0] == 0 and ranges[-1][1] == n
    assert all(ranges[r][1] == ranges[r + 1][0] for r in range(size - 1))
    assert max(hi - lo for lo, hi in ranges) - min(hi - lo for lo, hi in ranges) <= 1


@pytest.mark.parametrize("trailing_newline", [True, False])
def test_csv_byte_shards_are_whole_lines_that_tile_the_body(tmp_path, trailing_newline):
    lines = [f"{k},{'x' * (k * 7 % 23)}" for k in range(40)] + ["", "40,last"]
    text = "a,b\n" + "\n".join(lines) + ("\n" if trailing_newline else "")
    path = tmp_path / "t.csv"
    path.write_text(text)
    for size in (1, 2, 3, 5, 60):
        chunks = [_csv_bytes(path, str(path), r, size) for r in range(size)]
        assert all(header == b"a,b\n" and n_header == 1 for header, _, n_header in chunks)
        assert b"".join(chunk for _, chunk, _ in chunks) == text.encode()[4:]
        for _, chunk, _ in chunks[:-1]:
            assert chunk == b"" or chunk.endswith(b"\n")


@pytest.mark.parametrize("size", [1, 2, 3, 7])
def test_parquet_shards_are_the_files_rows_in_order(tmp_path, size):
    pa = needs.module("pyarrow")
    import pyarrow.parquet as pq

    from chainrule.distributed.tables import _parquet_shard

    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"x": list(range(45)), "y": [f"r{k}" for k in range(45)]}), path, row_group_size=10)
    shards = [_parquet_shard(path, str(path), rank, size) for rank in range(size)]
    assert [v for shard in shards for v in shard.cells["x"]] == list(range(45))
    assert [shard.row_offset for shard in shards] == [even_range(45, r, size)[0] for r in range(size)]


def test_a_shard_names_rows_of_the_whole_file():
    table = ShardTable(["x"], {"x": ["1", "oops"]}, "f.csv", [12, 13], row_offset=10)
    with pytest.raises(ValueError, match=r"f.csv: column 'x', row 12 \(line 13\): expected a finite number"):
        table.numeric("x")


# -- under mpiexec -n 2 ----------------------------------------------------------------------------
def _mpi_environment() -> dict:
    """This environment without a launcher's or a user's thread settings (the tests check ours)."""
    drop = ("PMI_", "OMPI_", "MPI_", "HYDRA_", "MV2_", "PMIX_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "CHAINRULE_NUM_THREADS"):
        env.pop(name, None)
    return env


@pytest.fixture(scope="module")
def mpiexec():
    """A function running ``mpiexec -n 2 ARGS``; skips when MPI cannot run here."""
    path = Path(sys.executable).parent / "mpiexec"
    exe = (
        str(path)
        if path.exists()
        else needs.program("mpiexec", install=install_hint("mpi") + " (the mpich wheel brings its own mpiexec)")
    )
    needs.module("mpi4py")
    env = _mpi_environment()

    def run(*args: str, cwd: Path | None = None, check: bool = True) -> subprocess.CompletedProcess:
        # A hang (the failure these tests guard against) shows as a TimeoutExpired.
        done = subprocess.run([exe, "-n", "2", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=120)
        if check and done.returncode != 0:
            raise AssertionError(f"mpiexec {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done

    run.exe = exe  # type: ignore[attr-defined]
    probe = run(sys.executable, "-c", "from mpi4py import MPI; assert MPI.COMM_WORLD.Get_size() == 2", check=False)
    if probe.returncode != 0:
        needs.missing(f"mpiexec -n 2 cannot run here: {probe.stderr.strip()[-300:]}")
    return run


@pytest.fixture(scope="module")
def parallel_cases(mpiexec, tmp_path_factory):
    out = tmp_path_factory.mktemp("mpi_cases")
    mpiexec(sys.executable, str(HERE / "mpi_cases.py"), str(out))
    ranks = [np.load(out / f"rank{r}.npz") for r in (0, 1)]
    return ranks, json.loads((out / "history.json").read_text())


def _relative_gap(a: np.ndarray, b: np.ndarray) -> float:
    a64, b64 = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float((np.abs(a64 - b64) / np.maximum(1.0, np.abs(b64))).max(initial=0.0))


def test_every_rank_ends_with_the_same_weights_bit_for_bit(parallel_cases):
    import mpi_cases

    (rank0, rank1), _ = parallel_cases
    for name in mpi_cases.CASES:
        assert rank0[name].tobytes() == rank1[name].tobytes(), name


@pytest.mark.parametrize(
    "name",
    [
        "sgd_nesterov",
        "adam",
        "adamw",
        "rmsprop",
        "adam_float32",
        "regression_sharded",
        "sum_full_batch",
        "sklearn",
        "one_row_batches",
        "empty_shard",
    ],
)
def test_two_processes_train_the_single_process_network(parallel_cases, name):
    import mpi_cases

    (rank0, _), stored = parallel_cases
    net, history = mpi_cases.CASES[name]()
    tol = TOLERANCE[net.dtype.name]
    assert rank0[name].dtype == net.dtype
    gap = _relative_gap(rank0[name], net.buffer.values)
    assert gap <= tol, f"{name}: weights differ by {gap:.3g}"
    parallel = stored["histories"][name]
    for key, values in history.to_dict().items():
        if isinstance(values, list) and key != "epoch":
            assert len(parallel[key]) == len(values), key
            assert _relative_gap(np.array(parallel[key]), np.array(values)) <= tol, key
    assert parallel["steps"] == history.steps


def test_each_rank_gets_its_share_of_the_cores(parallel_cases):
    _, stored = parallel_cases
    cores = len(os.sched_getaffinity(0))
    assert stored["threads"] == max(1, cores // 2)


# -- the command line under mpiexec -n 2 --------------------------------------------------------------
def _write_data(path: Path, n: int = 157, bad_row: int | None = None, bad_cell: str = "n/a") -> Path:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(n, 3))
    labels = np.array(["low", "mid", "high"])[(X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5)]
    columns = {
        "a": [repr(float(v)) for v in X[:, 0]],
        "b": [repr(float(v)) for v in X[:, 1]],
        "c": [repr(float(v)) for v in X[:, 2]],
        "label": list(labels),
    }
    if bad_row is not None:
        columns["a"][bad_row - 1] = bad_cell
    if path.suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.table({k: (v if k == "label" else [float(x) for x in v]) for k, v in columns.items()})
        pq.write_table(table, path, row_group_size=20)  # each rank reads only its row groups
    else:
        rows = zip(*columns.values())
        path.write_text("a,b,c,label\n" + "".join(",".join(row) + "\n" for row in rows))
    return path


TRAIN = [
    "train",
    "--target",
    "label",
    "--epochs",
    "3",
    "--seed",
    "4",
    "--dtype",
    "float64",
    "--batch-size",
    "16",
    "--layers",
    "8",
    "--optimizer",
    "adam",
]


def _chainrule() -> str:
    return str(Path(sys.executable).parent / "chainrule")


def _model(path: Path):
    from chainrule.io import load_model

    return load_model(path)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_mpiexec_chainrule_train_writes_the_single_process_model(mpiexec, tmp_path, suffix):
    from chainrule.cli import main

    data = str(_write_data(tmp_path / f"data{suffix}"))
    assert main([TRAIN[0], data, *TRAIN[1:], "-o", str(tmp_path / "one.safetensors"), "--quiet"]) == 0
    done = mpiexec(_chainrule(), TRAIN[0], data, *TRAIN[1:], "-o", "two.safetensors", cwd=tmp_path)
    assert done.stdout.count("trained 3 epochs") == 1, done.stdout  # rank 0 alone prints
    one, two = _model(tmp_path / "one.safetensors"), _model(tmp_path / "two.safetensors")
    assert _relative_gap(two.network.buffer.values, one.network.buffer.values) <= TOLERANCE["float64"]
    assert two.preprocessing["classes"] == one.preprocessing["classes"] == ["high", "low", "mid"]
    for key in ("mean", "scale"):
        mine = np.array([c[key] for c in two.preprocessing["encoder"]["columns"]])
        single = np.array([c[key] for c in one.preprocessing["encoder"]["columns"]])
        assert _relative_gap(mine, single) <= 1e-15
    assert two.training["n_samples"] == one.training["n_samples"] == 157
    assert (
        _relative_gap(np.array(two.training["history"]["val_loss"]), np.array(one.training["history"]["val_loss"]))
        <= TOLERANCE["float64"]
    )


def test_a_resumed_two_process_run_ends_where_an_uninterrupted_one_does(mpiexec, tmp_path):
    data = str(_write_data(tmp_path / "data.csv"))
    base = [_chainrule(), TRAIN[0], data, *TRAIN[1:]]
    first = base.copy()
    first[first.index("--epochs") + 1] = "2"
    mpiexec(*first, "--checkpoint-every", "2", "-o", "a.safetensors", "-q", cwd=tmp_path)
    assert (tmp_path / "a.ckpt.safetensors").exists()
    mpiexec(*base, "--resume", "a.ckpt.safetensors", "-o", "resumed.safetensors", "-q", cwd=tmp_path)
    mpiexec(*base, "-o", "straight.safetensors", "-q", cwd=tmp_path)
    resumed, straight = _model(tmp_path / "resumed.safetensors"), _model(tmp_path / "straight.safetensors")
    assert resumed.network.buffer.values.tobytes() == straight.network.buffer.values.tobytes()
    assert resumed.training["history"]["loss"] == straight.training["history"]["loss"]


def test_a_crash_on_one_rank_ends_the_job_with_its_message(mpiexec, tmp_path):
    code = (
        "import numpy as np, chainrule as cr\n"
        "from chainrule.training import LambdaCallback\n"
        "from mpi4py import MPI\n"
        "def boom(loop, epoch, logs):\n"
        "    if MPI.COMM_WORLD.Get_rank() == 1 and epoch == 2:\n"
        "        raise RuntimeError('disk full on rank 1')\n"
        "net = cr.Network.from_sizes([3, 4, 2], seed=0)\n"
        "net.fit(np.ones((40, 3)), np.zeros((40, 2)), epochs=100000, progress=False,\n"
        "        callbacks=[LambdaCallback(on_epoch_end=boom)])\n"
    )
    # Rank 0 would otherwise wait forever in the next Allreduce: the fixture's timeout catches a hang.
    done = mpiexec(sys.executable, "-c", code, check=False)
    assert done.returncode != 0
    assert "process 1 of 2 failed" in done.stderr and "RuntimeError: disk full on rank 1" in done.stderr


@pytest.mark.parametrize(
    "cell, message, found_by_rank_1",
    [
        ("n/a", "column 'a', row 140 (line 141): missing value; choose what to do with missing values", True),
        # The column's kind is decided from every rank's cells together: each rank words the same message.
        (
            "oops",
            "column 'a', row 140 (line 141): expected a finite number, received: 'oops' (156 of its 157 values "
            "are numbers",
            False,
        ),
    ],
)
def test_a_bad_cell_in_one_ranks_shard_is_reported_once_with_the_files_row(
    mpiexec, tmp_path, cell, message, found_by_rank_1
):
    data = str(_write_data(tmp_path / "data.csv", bad_row=140, bad_cell=cell))  # in rank 1's half
    done = mpiexec(_chainrule(), TRAIN[0], data, *TRAIN[1:], "-o", "m.safetensors", cwd=tmp_path, check=False)
    assert done.returncode == 2
    assert done.stderr.count(message) == 1, done.stderr
    assert ("process 1 of 2" in done.stderr) == found_by_rank_1, done.stderr
    assert not (tmp_path / "m.safetensors").exists()


def test_ctrl_c_stops_every_rank_at_the_same_step_and_rank_0_keeps_the_model(mpiexec, tmp_path):
    import signal
    import time

    data = str(_write_data(tmp_path / "data.csv"))
    command = [
        mpiexec.exe,
        "-n",
        "2",
        _chainrule(),
        TRAIN[0],
        data,
        *TRAIN[1:],
        "--epochs",
        "1000000",
        "--checkpoint-every",
        "1",
        "-o",
        "m.safetensors",
        "-q",
    ]
    job = subprocess.Popen(
        command, cwd=tmp_path, env=_mpi_environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        for _ in range(600):  # training has begun once the first checkpoint exists
            if (tmp_path / "m.ckpt.safetensors").exists() or job.poll() is not None:
                break
            time.sleep(0.1)
        job.send_signal(signal.SIGINT)  # mpiexec passes it on to both ranks
        _, err = job.communicate(timeout=120)
    finally:
        job.kill()
    # A rank stopping alone would leave the other in an Allreduce: an abort, or a hang (the timeout).
    assert job.returncode == 130, err
    assert err.count("chainrule train: interrupted during epoch") == 1, err
    assert _model(tmp_path / "m.safetensors").training["stopped"].startswith("interrupted")


# -- mixed tables over shards --------------------------------------------------------------------------
def test_mixed_table_preprocessing_over_two_shards_equals_one_process(mpiexec, tmp_path):
    """Kinds, categories, most frequent values and medians exactly; means and scales to 1e-15 relative."""
    sys.path.insert(0, str(HERE))
    from chainrule.tabular import Preprocessor, TableOptions, read_table
    from mpi_tables import CASES, median_arrays

    data = HERE.parent / "examples" / "data" / "penguins.csv"
    mpiexec(sys.executable, str(HERE / "mpi_tables.py"), str(data), str(tmp_path))
    result = json.loads((tmp_path / "tables.json").read_text())
    assert (tmp_path / "rank1.json").read_text() == (tmp_path / "rank0.json").read_text()  # every rank agrees
    for name, options in CASES.items():
        single = Preprocessor.fit(read_table(data), "species", options=TableOptions(**options)).to_config()
        shards = result["configs"][name]
        mine, theirs = shards["encoder"].pop("columns"), single["encoder"].pop("columns")
        assert shards == json.loads(json.dumps(single))  # everything but the columns' statistics, exactly
        for a, b in zip(mine, theirs):
            summed = ["mean", "scale"] + (["fill"] if name == "mean" and b["kind"] != "categorical" else [])
            for key in summed:
                if key in b:  # sums over shards: equal to float rounding
                    x, y = a.pop(key), b.pop(key)
                    assert abs(x - y) <= 1e-15 * max(1.0, abs(y)), (name, b["name"], key, x, y)
            assert a == json.loads(json.dumps(b)), name  # kinds, categories, most frequent, medians: exact
    assert result["medians"] == [float(np.median(values)) for values in median_arrays()]


def test_mpiexec_chainrule_train_on_a_mixed_table_writes_the_single_process_model(mpiexec, tmp_path):
    from chainrule.cli import main

    data = str(HERE.parent / "examples" / "data" / "penguins-train.csv")
    args = [
        "train",
        data,
        "--target",
        "species",
        "--impute",
        "median",
        "--missing-indicator",
        "--epochs",
        "3",
        "--seed",
        "4",
        "--dtype",
        "float64",
        "--batch-size",
        "16",
        "--layers",
        "8",
    ]
    assert main([*args, "-o", str(tmp_path / "one.safetensors"), "-q"]) == 0
    mpiexec(_chainrule(), *args, "-o", "two.safetensors", "-q", cwd=tmp_path)
    one, two = _model(tmp_path / "one.safetensors"), _model(tmp_path / "two.safetensors")
    assert _relative_gap(two.network.buffer.values, one.network.buffer.values) <= TOLERANCE["float64"]
    for a, b in zip(two.preprocessing["encoder"]["columns"], one.preprocessing["encoder"]["columns"]):
        for key in ("mean", "scale"):
            if key in b:
                x, y = a.pop(key), b.pop(key)
                assert abs(x - y) <= 1e-15 * max(1.0, abs(y))
        assert a == b  # kinds, categories, median fills, indicators: exactly
    assert two.preprocessing["features"] == one.preprocessing["features"]
