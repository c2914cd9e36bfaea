"""PNG plots: loss curves, decision boundary, confusion matrix."""

from __future__ import annotations

import numpy as np
import pytest

import needs

needs.module("matplotlib")

from chainrule import Network
from chainrule.plots import plot_confusion_matrix, plot_decision_boundary, plot_loss_curves

PNG = b"\x89PNG\r\n\x1a\n"


def test_loss_curves_from_a_real_history(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 2))
    Y = (X[:, :1] > 0).astype(float)
    net = Network.from_sizes([2, 4, 1], "tanh", output_activation="sigmoid", loss="bce", seed=0)
    history = net.fit(X, Y, epochs=4, batch_size=16, seed=0, validation_fraction=0.25, progress=False)
    fig = plot_loss_curves(history, tmp_path / "loss.png")
    lines = fig.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["training loss", "validation loss"]
    assert list(lines[0].get_ydata()) == history.loss and list(lines[1].get_ydata()) == history.val_loss
    assert (tmp_path / "loss.png").read_bytes()[:8] == PNG


def test_confusion_matrix_counts(tmp_path):
    truth = ["a", "a", "b", "b", "b", "c"]
    pred = ["a", "b", "b", "b", "c", "c"]
    fig = plot_confusion_matrix(truth, pred, tmp_path / "cm.png", labels=["a", "b", "c"])
    cells = [int(t.get_text()) for t in fig.axes[0].texts]
    # Rows are true a, b, c; columns predicted a, b, c (counted by hand).
    assert cells == [1, 1, 0, 0, 2, 1, 0, 0, 1]
    assert (tmp_path / "cm.png").read_bytes()[:8] == PNG


def _three_regions(P):
    return np.where(P[:, 0] < 0, "left", np.where(P[:, 1] > 0, "top", "bottom"))


def test_decision_boundary_regions_are_the_predicted_classes(tmp_path):
    X = np.random.default_rng(1).normal(size=(60, 2))
    y = _three_regions(X)
    y[:5] = "left"  # some samples labelled against the model: their dots follow y, not the regions
    fig = plot_decision_boundary(_three_regions, X, y, tmp_path / "b.png", resolution=150)
    ax = fig.axes[0]
    regions, dots = ax.collections
    classes = [t.get_text() for t in ax.get_legend().get_texts()]
    assert classes == ["bottom", "left", "top"]
    # One filled region per class, in the legend's colour for that class.
    legend_colours = [handle.get_markerfacecolor()[:3] for handle in ax.get_legend().legend_handles]
    np.testing.assert_allclose(regions.get_facecolor()[:, :3], legend_colours)
    # Points away from the true boundaries (x = 0; y = 0 where x > 0) lie in their predicted class's region.
    probes = np.random.default_rng(2).uniform(X.min(axis=0), X.max(axis=0), size=(400, 2))
    probes = probes[(np.abs(probes[:, 0]) > 0.1) & ((probes[:, 0] < 0) | (np.abs(probes[:, 1]) > 0.1))]
    inside = np.array([path.contains_points(probes) for path in regions.get_paths()])  # (classes, probes)
    assert (inside.sum(axis=0) == 1).all()
    assert [classes[k] for k in inside.argmax(axis=0)] == _three_regions(probes).tolist()
    # The samples: at their coordinates, coloured by their own label.
    np.testing.assert_array_equal(dots.get_offsets(), X)
    assert [classes[int(k)] for k in dots.get_array()] == y.tolist()
    assert (tmp_path / "b.png").read_bytes()[:8] == PNG
    with pytest.raises(ValueError, match="X: expected 2 features"):
        plot_decision_boundary(lambda P: P[:, 0], np.zeros((4, 3)), [0, 1, 0, 1])


@pytest.mark.parametrize("history", [{}, {"loss": []}])
def test_empty_history_refused(history):
    with pytest.raises(ValueError, match="history"):
        plot_loss_curves(history)
