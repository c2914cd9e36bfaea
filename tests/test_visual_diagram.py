"""SVG diagrams: every number drawn is the engine's, in the right place, for any small network."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest

from chainrule import Network
from chainrule.explain import Naming, build_trace, step_quantities, tutorial_network
from chainrule.visual import OVERLAYS, network_svg, trace_network, trace_svg

SVG = "{http://www.w3.org/2000/svg}"
X, Y, ETA = [0.05, 0.10], [0.01, 0.99], 0.5


def shown(svg: str) -> dict[str, list[float]]:
    """Every ``data-q``/``data-value`` text of the diagram: name -> values drawn."""
    root = ET.fromstring(svg)  # also proves the SVG is well-formed XML
    found: dict[str, list[float]] = {}
    for el in root.iter(f"{SVG}text"):
        if "data-value" in el.attrib:
            found.setdefault(el.attrib["data-q"], []).append(float(el.attrib["data-value"]))
    return found


@pytest.fixture(scope="module")
def tutorial():
    network = tutorial_network()
    return network, step_quantities(network, X, Y, ETA)


def test_plain_diagram_labels_every_weight_and_bias_with_its_value(tutorial):
    network, _ = tutorial
    drawn = shown(network_svg(network))
    naming = Naming.of(network)
    for p in naming.weights + naming.biases:
        assert drawn[p.name] == [naming.get(network, p.name)], p.name
    assert not any(name.startswith(("net_", "delta_", "dE")) for name in drawn)


def test_connections_join_the_tutorials_neurons(tutorial):
    network, _ = tutorial
    root = ET.fromstring(network_svg(network))
    ends = {g.attrib["data-weight"]: (g.attrib["data-source"], g.attrib["data-target"])
            for g in root.iter(f"{SVG}g") if "data-weight" in g.attrib}
    assert ends == {"w1": ("i1", "h1"), "w2": ("i2", "h1"), "w3": ("i1", "h2"), "w4": ("i2", "h2"),
                    "w5": ("h1", "o1"), "w6": ("h2", "o1"), "w7": ("h1", "o2"), "w8": ("h2", "o2")}
    shared = [g.attrib["data-bias"] for g in root.iter(f"{SVG}g") if "data-bias" in g.attrib]
    assert shared == ["b1", "b1", "b2", "b2"]  # one line per neuron fed by each shared bias


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlays_add_their_stage_cumulatively(tutorial, overlay):
    network, q = tutorial
    drawn = shown(network_svg(network, q, overlay=overlay, targets=Y))
    level = OVERLAYS.index(overlay)
    expect = {
        "forward": ["net_h1", "out_h1", "net_o2", "out_o2"],
        "error": ["E_o1", "E_o2", "E_total", "target_o1"],
        "backward": ["delta_o1", "delta_h2", "dE_o1/dout_h1", "dE_o2/dout_h1"],
        "update": ["w1+", "w8+"],
    }
    for k, stage in enumerate(OVERLAYS):
        for name in expect[stage]:
            assert (name in drawn) == (k <= level), (overlay, name)
    naming = Naming.of(network)
    reference = {**q, "target_o1": Y[0], "target_o2": Y[1],
                 **{p.name: naming.get(network, p.name) for p in naming.weights + naming.biases}}
    for name, values in drawn.items():
        assert values == [reference[name]], name  # each number drawn once, and it is the engine's
    # Each connection shows its gradient in the backward overlay; the update replaces it with w+.
    assert ("dE_total/dw5" in drawn) == (overlay == "backward")


def test_backward_highlights_the_paths_into_the_focus(tutorial):
    network, q = tutorial
    root = ET.fromstring(network_svg(network, q, overlay="backward", focus="h2"))
    paths = sorted(g.attrib["data-weight"] for g in root.iter(f"{SVG}g")
                   if "cr-path" in g.attrib.get("class", "").split())
    assert paths == ["w6", "w8"]  # h2 -> o1 and h2 -> o2
    drawn = shown(ET.tostring(root, encoding="unicode"))
    assert drawn["dE_o1/dout_h2"] == [q["dE_o1/dout_h2"]] and drawn["dE_o2/dout_h2"] == [q["dE_o2/dout_h2"]]
    assert "dE_o1/dout_h1" not in drawn


def test_highlight_marks_the_named_elements(tutorial):
    network, q = tutorial
    root = ET.fromstring(network_svg(network, q, overlay="forward", highlight=["w5", "h2"]))
    marked = [g.attrib.get("data-weight") or g.attrib.get("data-neuron")
              for g in root.iter(f"{SVG}g") if "cr-hl" in g.attrib.get("class", "").split()]
    assert sorted(marked) == ["h2", "w5"]


def test_deep_network_per_neuron_biases_and_softmax():
    network = Network.from_sizes([3, 4, 3, 2], "tanh", output_activation="softmax",
                                 loss="categorical_cross_entropy", seed=3)
    trace = build_trace(network, [0.5, -1.0, 2.0], [0.0, 1.0], 0.1)
    drawn = shown(trace_svg(trace, "update"))
    assert drawn["net_h2_3"] == [trace["net_h2_3"].value]
    assert drawn["w26+"] == [trace["w26+"].value]
    assert drawn["b9+"] == [trace["b9+"].value]  # per-neuron biases: 4 + 3 + 2, trained
    root = ET.fromstring(trace_svg(trace))
    assert not [g for g in root.iter(f"{SVG}g") if "data-bias" in g.attrib]  # no shared-bias lines


def test_trace_network_rebuilds_the_traced_values():
    network = Network.from_sizes([2, 3, 2], "sigmoid", bias="shared", seed=1, dtype=np.float32)
    trace = build_trace(network, [0.3, 0.7], [0.2, 0.9], 0.5)
    rebuilt = trace_network(trace)
    assert rebuilt.dtype == np.float32 and rebuilt.sizes == [2, 3, 2]
    for mine, theirs in zip(rebuilt.layers, network.layers):
        np.testing.assert_array_equal(mine.W, theirs.W)
        np.testing.assert_array_equal(mine.b, theirs.b)


@pytest.mark.parametrize("kwargs, match", [
    ({"overlay": "sideways"}, "overlay: expected None or one of"),
    ({"overlay": "forward", "values": None}, "values: expected the step's named quantities"),
    ({"overlay": "backward", "focus": "o1"}, r"focus: expected a hidden neuron, one of \['h1', 'h2'\]"),
    ({"digits": 0}, "digits: expected an integer >= 1"),
    ({"targets": [0.1]}, "targets: expected 2 values"),
])
def test_bad_arguments(tutorial, kwargs, match):
    network, q = tutorial
    kwargs = {"values": q, **kwargs}
    with pytest.raises(ValueError, match=match):
        network_svg(network, **kwargs)


def test_too_many_neurons_is_refused_with_advice():
    network = Network.from_sizes([13, 2], "sigmoid", seed=0)
    with pytest.raises(ValueError, match="at most 12 neurons per layer.*per-layer summary"):
        network_svg(network)
