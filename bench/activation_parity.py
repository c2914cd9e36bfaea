"""GELU, SiLU, softplus and ELU against PyTorch: the largest forward and backward differences.

    python bench/activation_parity.py            # the table (needs torch)
    python bench/activation_parity.py --speed    # also the time per forward+backward, with PyTorch's

For each activation and dtype, ``z`` is 28,000 values: normal with scale 3,
an even grid over [-40, 40], and tiny values near 0; the upstream gradient is
standard normal. Columns: the largest absolute difference from
``torch.nn.functional`` (forward ``a``, backward ``dE/dz``), and the largest
relative difference where PyTorch's value is at least 1e-3 in magnitude
(below that, formulas such as PyTorch's ``1 + erf(z / sqrt 2)`` for GELU cancel
and their own relative error dominates). ``vs exact``: GELU's relative error
against Python's ``math.erfc`` over [-30, 30], ours and PyTorch's.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

CONFIGS = [
    ({"name": "gelu"}, ("gelu", {})),
    ({"name": "gelu", "approximate": "tanh"}, ("gelu", {"approximate": "tanh"})),
    ({"name": "silu"}, ("silu", {})),
    ({"name": "softplus"}, ("softplus", {})),
    ({"name": "softplus", "beta": 2.0, "threshold": 5.0}, ("softplus", {"beta": 2.0, "threshold": 5.0})),
    ({"name": "elu"}, ("elu", {})),
    ({"name": "elu", "alpha": 0.5}, ("elu", {"alpha": 0.5})),
]


def arguments(dtype) -> np.ndarray:
    rng = np.random.default_rng(0)
    z = np.concatenate([rng.normal(scale=3, size=19800), np.linspace(-40, 40, 8000), rng.normal(scale=1e-4, size=200)])
    return z.reshape(-1, 100).astype(dtype)


def label(config: dict) -> str:
    options = ", ".join(f"{k}={v}" for k, v in config.items() if k != "name")
    return f"{config['name']}({options})"


def main() -> None:
    import torch

    from chainrule import get_activation

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--speed", action="store_true", help="also time forward + backward")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(
        f"{'activation':32s} {'dtype':8s} {'fwd abs':>9s} {'fwd rel':>9s} {'bwd abs':>9s} {'bwd rel':>9s}"
        + ("  ours ms  torch ms" if args.speed else "")
    )
    for dtype in (np.float64, np.float32):
        z = arguments(dtype)
        g = np.random.default_rng(1).normal(size=z.shape).astype(dtype)
        for config, (fn, kwargs) in CONFIGS:
            act = get_activation(config)
            a = act.forward(z, np.empty_like(z))
            dz = act.backward_from(z=z, a=a, grad_a=g, out=np.empty_like(z))
            zt = torch.tensor(z, requires_grad=True)
            at = getattr(torch.nn.functional, fn)(zt, **kwargs)
            at.backward(torch.tensor(g))
            cells = []
            for ours, theirs in ((a, at.detach().numpy()), (dz, zt.grad.numpy())):
                diff = np.abs(ours.astype(np.float64) - theirs.astype(np.float64))
                big = np.abs(theirs) >= 1e-3
                cells += [diff.max(), (diff[big] / np.abs(theirs[big])).max()]
            line = f"{label(config):32s} {np.dtype(dtype).name:8s} " + " ".join(f"{c:9.1e}" for c in cells)
            if args.speed:
                # The closures are timed in this iteration, never called later (B023 guards against that).
                line += f"  {_time(lambda: act.backward_from(z=z, a=act.forward(z, a), grad_a=g, out=dz)):7.3f}"  # noqa: B023
                line += f"  {_time(lambda: _torch_step(torch, fn, kwargs, z, g)):8.3f}"  # noqa: B023
            print(line)
    z = np.linspace(-30, 30, 6001)
    exact = np.array([v * 0.5 * math.erfc(-v * math.sqrt(0.5)) for v in z])
    ours = get_activation("gelu").forward(z[None, :], np.empty((1, z.size)))[0]
    theirs = torch.nn.functional.gelu(torch.tensor(z)).numpy()
    nonzero = exact != 0
    rel = lambda x: np.max(np.abs(x[nonzero] - exact[nonzero]) / np.abs(exact[nonzero]))  # noqa: E731
    print(f"\ngelu float64 vs exact (math.erfc) over [-30, 30]: ours {rel(ours):.1e}, torch {rel(theirs):.1e}")


def _torch_step(torch, fn, kwargs, z, g):
    zt = torch.tensor(z, requires_grad=True)
    getattr(torch.nn.functional, fn)(zt, **kwargs).backward(torch.tensor(g))


def _time(step, repeats: int = 7) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return 1e3 * sorted(times)[repeats // 2]


if __name__ == "__main__":
    main()
