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
    ends = {
        g.attrib["data-weight"]: (g.attrib["data-source"], g.attrib["data-target"])
        for g in root.iter(f"{SVG}g")
        if "data-weight" in g.attrib
    }
    assert ends == {
        "w1": ("i1", "h1"),
        "w2": ("i2", "h1"),
        "w3": ("i1", "h2"),
        "w4": ("i2", "h2"),
        "w5": ("h1", "o1"),
        "w6": ("h2", "o1"),
        "w7": ("h1", "o2"),
        "w8": ("h2", "o2"),
    }
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
    reference = {
        **q,
        "target_o1": Y[0],
        "target_o2": Y[1],
        **{p.name: naming.get(network, p.name) for p in naming.weights + naming.biases},
    }
    for name, values in drawn.items():
        assert values == [reference[name]], name  # each number drawn once, and it is the engine's
    # Each connection shows its gradient in the backward overlay; the update replaces it with w+.
    assert ("dE_total/dw5" in drawn) == (overlay == "backward")


def test_backward_highlights_the_paths_into_the_focus(tutorial):
    network, q = tutorial
    root = ET.fromstring(network_svg(network, q, overlay="backward", focus="h2"))
    paths = sorted(
        g.attrib["data-weight"] for g in root.iter(f"{SVG}g") if "cr-path" in g.attrib.get("class", "").split()
    )
    assert paths == ["w6", "w8"]  # h2 -> o1 and h2 -> o2
    drawn = shown(ET.tostring(root, encoding="unicode"))
    assert drawn["dE_o1/dout_h2"] == [q["dE_o1/dout_h2"]] and drawn["dE_o2/dout_h2"] == [q["dE_o2/dout_h2"]]
    assert "dE_o1/dout_h1" not in drawn


def test_highlight_marks_the_named_elements(tutorial):
    network, q = tutorial
    root = ET.fromstring(network_svg(network, q, overlay="forward", highlight=["w5", "h2"]))
    marked = [
        g.attrib.get("data-weight") or g.attrib.get("data-neuron")
        for g in root.iter(f"{SVG}g")
        if "cr-hl" in g.attrib.get("class", "").split()
    ]
    assert sorted(marked) == ["h2", "w5"]


def test_deep_network_per_neuron_biases_and_softmax():
    network = Network.from_sizes(
        [3, 4, 3, 2], "tanh", output_activation="softmax", loss="categorical_cross_entropy", seed=3
    )
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


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"overlay": "sideways"}, "overlay: expected None or one of"),
        ({"overlay": "forward", "values": None}, "values: expected the step's named quantities"),
        ({"overlay": "backward", "focus": "o1"}, r"focus: expected a hidden neuron, one of \['h1', 'h2'\]"),
        ({"digits": 0}, "digits: expected an integer >= 1"),
        ({"targets": [0.1]}, "targets: expected 2 values"),
    ],
)
def test_bad_arguments(tutorial, kwargs, match):
    network, q = tutorial
    kwargs = {"values": q, **kwargs}
    with pytest.raises(ValueError, match=match):
        network_svg(network, **kwargs)


def test_too_many_neurons_is_refused_with_advice():
    network = Network.from_sizes([13, 2], "sigmoid", seed=0)
    with pytest.raises(ValueError, match=r"at most 12 neurons per layer.*per-layer summary"):
        network_svg(network)


# -- layout: labels placed, stable, readable -----------------------------------------------------
def _texts(svg: str) -> dict[str, tuple[str, str, str]]:
    """name -> (x, y, transform) of each quantity's text."""
    root = ET.fromstring(svg)
    return {
        el.attrib["data-q"]: (el.attrib["x"], el.attrib["y"], el.attrib.get("transform", ""))
        for el in root.iter(f"{SVG}text")
        if "data-q" in el.attrib
    }


def test_labels_stay_in_place_across_stages_and_values(tutorial):
    """One layout for all five stages and for every later step: nothing jumps while stepping or playing."""
    network, q = tutorial
    places = [_texts(network_svg(network, q, overlay=o, targets=Y)) for o in (None,) + OVERLAYS]
    for name, where in places[-1].items():
        for earlier in places[:-1]:
            if name in earlier:
                assert earlier[name] == where, name
    trained = network.copy()
    trained.train(np.array([X]), np.array([Y]), learning_rate=ETA, epochs=300, shuffle=False)
    later = _texts(network_svg(trained, step_quantities(trained, X, Y, ETA), overlay="update", targets=Y))
    assert later == places[-1]


def test_edge_labels_run_along_their_edge(tutorial):
    network, q = tutorial
    root = ET.fromstring(network_svg(network, q, overlay="backward", targets=Y))
    lines = {
        g.attrib["data-weight"]: g.find(f"{SVG}line[@class='cr-edge']")
        for g in root.iter(f"{SVG}g")
        if "data-weight" in g.attrib
    }
    for el in root.iter(f"{SVG}text"):
        name = el.attrib.get("data-q", "")
        weight = (
            name
            if name in lines
            else name.removeprefix("dE_total/d")
            if name.removeprefix("dE_total/d") in lines
            else None
        )
        if weight is None:
            continue
        line = {k: float(lines[weight].attrib[k]) for k in ("x1", "y1", "x2", "y2")}
        angle = np.degrees(np.arctan2(line["y2"] - line["y1"], line["x2"] - line["x1"]))
        turned = el.attrib.get("transform", "rotate(0")
        assert float(turned.split("(")[1].split()[0]) == pytest.approx(angle, abs=0.01), name


def test_weight_sign_and_size_are_the_edges_colour_and_thickness():
    network = tutorial_network()
    network.layers[1].W[0, 0] = -3.9  # w5: large and negative, beside w1 = 0.15
    root = ET.fromstring(network_svg(network))
    edges = {
        g.attrib["data-weight"]: g.find(f"{SVG}line[@class='cr-edge']").attrib
        for g in root.iter(f"{SVG}g")
        if "data-weight" in g.attrib
    }
    from chainrule.visual.diagram import NEGATIVE, POSITIVE

    assert edges["w5"]["stroke"] == NEGATIVE and edges["w1"]["stroke"] == POSITIVE
    widths = {w: float(a["stroke-width"]) for w, a in edges.items()}
    assert widths["w5"] == max(widths.values()) > 5 and widths["w1"] < 1.5
    assert sorted(widths, key=widths.get)[:2] == ["w1", "w2"]  # thickness follows |w|
    legend = " ".join("".join(t.itertext()) for t in root.iter(f"{SVG}text") if "data-q" not in t.attrib)
    assert "w > 0" in legend and "w < 0" in legend and "|w| \u2265 3.9" in legend


def test_hidden_quantities_show_no_value(tutorial):
    network, q = tutorial
    svg = network_svg(network, q, overlay="backward", targets=Y, hidden=["net_h1", "dE_total/dw5", "E_total"])
    root = ET.fromstring(svg)
    texts = {el.attrib["data-q"]: el for el in root.iter(f"{SVG}text") if "data-q" in el.attrib}
    for name in ("net_h1", "dE_total/dw5", "E_total"):
        assert "data-value" not in texts[name].attrib and "".join(texts[name].itertext()).endswith("= ?")
    assert repr(q["net_h1"]) not in svg and f"{q['net_h1']:.4g}" not in svg


def test_a_softmax_path_is_labelled_for_what_it_is():
    network = Network.from_sizes(
        [3, 4, 2], "tanh", output_activation="softmax", loss="categorical_cross_entropy", seed=3
    )
    trace = build_trace(network, [0.5, -1.0, 2.0], [0.0, 1.0], 0.1)
    drawn = shown(trace_svg(trace, "backward"))
    assert drawn["dE_total/dout_h1[o1]"] == [trace["dE_total/dout_h1[o1]"].value]
    assert not [n for n in drawn if n.startswith("dE_o")]
    root = ET.fromstring(trace_svg(trace, "backward"))
    text = next(
        "".join(el.itertext()) for el in root.iter(f"{SVG}text") if el.attrib.get("data-q") == "dE_total/dout_h1[o1]"
    )
    assert text.startswith("via o1 = ")  # on its highlighted edge: the legend names the sum


def test_every_three_layer_shape_lays_out():
    """All 216 shapes of up to 6 neurons in 3 layers, with the densest labels (a bias per neuron, trained).

    The browser test measures the drawn result; ``bench/diagram_layout.py`` sweeps every shape the
    explorer allows, every focus and both bias conventions.
    """
    import itertools

    for sizes in itertools.product(range(1, 7), repeat=3):
        network = Network.from_sizes(list(sizes), "sigmoid", seed=1, bias="per_neuron", train_bias=True)
        ET.fromstring(network_svg(network, digits=4))
