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
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from chainrule.distributed import even_range, launched_rank, launched_size, resolve_comm
from chainrule.distributed.tables import ShardTable, _csv_bytes

HERE = Path(__file__).parent
TOLERANCE = {"float64": 1e-12, "float32": 1e-5}


# -- without MPI -----------------------------------------------------------------------------
@pytest.mark.parametrize("env, size, rank", [
    ({}, 1, 0),
    ({"PMI_SIZE": "4", "PMI_RANK": "2"}, 4, 2),
    ({"OMPI_COMM_WORLD_SIZE": "3", "OMPI_COMM_WORLD_RANK": "1"}, 3, 1),
    ({"PMI_SIZE": "not a number"}, 1, 0),
])
def test_launch_is_detected_from_the_environment(monkeypatch, env, size, rank):
    for name in ("PMI_SIZE", "PMI_RANK", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK", "MV2_COMM_WORLD_SIZE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert (launched_size(), launched_rank()) == (size, rank)


def test_without_a_launcher_there_is_no_communicator_and_mpi4py_stays_unloaded(monkeypatch):
    for name in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE"):
        monkeypatch.delenv(name, raising=False)
    code = ("import sys, numpy as np, chainrule as cr; net = cr.Network.from_sizes([2, 2, 2], seed=0); "
            "net.fit(np.ones((4, 2)), np.zeros((4, 2)), progress=False); assert 'mpi4py' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    assert resolve_comm(None) is None and resolve_comm(False) is None


@pytest.mark.parametrize("bad", [1, "world", object()])
def test_a_communicator_must_be_an_mpi4py_one(bad):
    with pytest.raises(ValueError, match="comm: expected an mpi4py communicator"):
        resolve_comm(bad)


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
    exe = str(path) if path.exists() else shutil.which("mpiexec")
    if exe is None:
        pytest.skip("no mpiexec: install the mpi extra (pip install 'chainrule[mpi]')")
    pytest.importorskip("mpi4py", reason="mpi4py is missing: install the mpi extra")
    env = _mpi_environment()

    def run(*args: str, cwd: Path | None = None, check: bool = True) -> subprocess.CompletedProcess:
        # A hang (the failure these tests guard against) shows as a TimeoutExpired.
        done = subprocess.run([exe, "-n", "2", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=120)
        if check and done.returncode != 0:
            raise AssertionError(f"mpiexec {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done

    probe = run(sys.executable, "-c", "from mpi4py import MPI; assert MPI.COMM_WORLD.Get_size() == 2", check=False)
    if probe.returncode != 0:
        pytest.skip(f"mpiexec -n 2 cannot run here: {probe.stderr.strip()[-300:]}")
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


@pytest.mark.parametrize("name", ["sgd_nesterov", "adam", "adamw", "rmsprop", "adam_float32",
                                  "regression_sharded", "sum_full_batch", "sklearn"])
def test_two_processes_train_the_single_process_network(parallel_cases, name):
    import mpi_cases

    (rank0, _), stored = parallel_cases
    net, history = mpi_cases.CASES[name]()
    tol = TOLERANCE[net.dtype.name]
    assert rank0[name].dtype == net.dtype
    gap = _relative_gap(rank0[name], net._flat_value)
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
