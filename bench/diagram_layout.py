"""Diagram layout over every network shape the explorer allows: it never fails; how long, how large.

    python bench/diagram_layout.py                 # every 2- and 3-layer shape, every focus, both bias modes
    python bench/diagram_layout.py --deep 60       # also 60 random 4- and 5-layer shapes (seeded)
    python bench/diagram_layout.py --digits 9

Each shape (1 to 6 neurons per layer) is laid out for every hidden neuron as
the focus (or none), with shared biases and with trained per-neuron biases,
cold (the layout cache cleared before each). Prints the number of diagrams,
the total and slowest time, and the largest diagrams. The layout's guarantee
(no two texts meet, none touches a highlighted path) is checked where it
matters, in Chromium, by ``tests/test_explorer_browser.py``.
"""

from __future__ import annotations

import argparse
import itertools
import random
import re
import time

from chainrule import Network
from chainrule.explain.naming import Naming
from chainrule.visual import diagram
from chainrule.visual import layout as layout_module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deep", type=int, default=0, help="random 4- and 5-layer shapes to add (seed 0)")
    parser.add_argument("--digits", type=int, default=4)
    args = parser.parse_args()
    shapes = [list(s) for n in (2, 3) for s in itertools.product(range(1, 7), repeat=n)]
    rng = random.Random(0)
    shapes += [[rng.randint(1, 6) for _ in range(rng.choice((4, 5)))] for _ in range(args.deep)]
    count, total, slowest, largest = 0, 0.0, (0.0, None), []
    for sizes in shapes:
        for bias, trained in (("shared", False), ("per_neuron", True)):
            network = Network.from_sizes(sizes, "sigmoid", seed=1, bias=bias, train_bias=trained)
            hidden = [n for layer in Naming.of(network).neurons[1:-1] for n in layer] or [None]
            for focus in hidden:
                layout_module.clear_cache()  # cold: the page pays this once per shape and focus
                start = time.perf_counter()
                svg = diagram.network_svg(network, focus=focus, digits=args.digits)
                seconds = time.perf_counter() - start
                count, total = count + 1, total + seconds
                if seconds > slowest[0]:
                    slowest = (seconds, (sizes, bias, focus))
                width, height = map(int, re.search(r'width="(\d+)" height="(\d+)"', svg).groups())
                largest.append((width * height, width, height, sizes, bias))
    largest.sort(reverse=True)
    print(f"{count} diagrams ({len(shapes)} shapes x every focus x 2 bias conventions), digits {args.digits}")
    print(f"total {total:.1f} s, mean {1000 * total / count:.0f} ms, slowest {1000 * slowest[0]:.0f} ms {slowest[1]}")
    for _, width, height, sizes, bias in largest[:5]:
        print(f"  {width} x {height} px  {sizes} {bias}")


if __name__ == "__main__":
    main()
