"""Datasets: real ones through scikit-learn, seeded synthetic ones, one-hot targets, splits; the digits example."""

from __future__ import annotations

import importlib.util
import pathlib
import sys

import numpy as np
import pytest

import needs
from chainrule import datasets
from chainrule.datasets import one_hot

SYNTHETIC = [datasets.xor, datasets.moons, datasets.circles, datasets.spirals]


@pytest.mark.parametrize("make", SYNTHETIC)
def test_synthetic_data_is_seeded_and_typed(make):
    a, b, c = make(n_samples=101, seed=3), make(n_samples=101, seed=3), make(n_samples=101, seed=4)
    np.testing.assert_array_equal(a.X, b.X)
    assert not np.array_equal(a.X, c.X)
    assert a.X.shape == (101, 2) and a.y.shape == (101,) and a.Y.shape == (101, a.n_classes)
    counts = np.bincount(a.y)
    assert counts.max() - counts.min() <= 1  # balanced classes
    assert make(n_samples=20, seed=0, dtype=np.float32).X.dtype == np.float32


def test_xor_without_noise_is_the_truth_table():
    data = datasets.xor(n_samples=4, noise=0.0, seed=0)
    truth = {tuple(x): int(x[0] != x[1]) for x in data.X}
    assert truth == {(0.0, 0.0): 0, (1.0, 1.0): 0, (0.0, 1.0): 1, (1.0, 0.0): 1}
    assert dict(zip(map(tuple, data.X), data.y)) == truth


def test_circles_radii_and_moons_shapes():
    c = datasets.circles(n_samples=200, noise=0.0, factor=0.3, seed=0)
    radius = np.hypot(*c.X.T)
    np.testing.assert_allclose(radius[c.y == 0], 1.0)
    np.testing.assert_allclose(radius[c.y == 1], 0.3)
    m = datasets.moons(n_samples=200, noise=0.0, seed=0)
    upper = m.X[m.y == 0]
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0)  # the upper moon is the unit half circle
    assert (upper[:, 1] >= -1e-12).all()


def test_spiral_arms_are_rotations_of_each_other():
    s = datasets.spirals(n_samples=300, n_classes=3, noise=0.0, seed=0)
    angles = [np.sort(np.arctan2(*s.X[s.y == k][:, ::-1].T) % (2 * np.pi)) for k in range(3)]
    radii = [np.sort(np.hypot(*s.X[s.y == k].T)) for k in range(3)]
    np.testing.assert_allclose(radii[0], radii[1])
    assert not np.allclose(angles[0], angles[1])


def test_a_network_learns_the_synthetic_problems():
    from chainrule import Network

    for make in (datasets.moons, datasets.circles):
        train, test = make(n_samples=400, noise=0.1, seed=1).split(0.25, seed=1)
        net = Network.from_sizes([2, 16, 2], "tanh", output_activation="softmax", loss="cross_entropy", seed=0)
        before = net.evaluate(test.X, test.Y, ["accuracy"])["accuracy"]
        net.fit(train.X, train.Y, optimizer="adam", learning_rate=0.03, epochs=60, seed=0, progress=False)
        after = net.evaluate(test.X, test.Y, ["accuracy"])["accuracy"]
        assert after >= 0.95 and after > before + 0.2, (make.__name__, before, after)


def test_one_hot():
    np.testing.assert_array_equal(one_hot([2, 0, 1]), np.eye(3)[[2, 0, 1]])
    assert one_hot(np.array([0, 1]), 4, np.float32).shape == (2, 4)
    for bad, message in [
        ([0.5, 1], "labels: expected a 1-D array of non-negative integers"),
        ([[0, 1]], "labels: expected a 1-D array"),
        ([-1, 0], "labels: expected a 1-D array"),
    ]:
        with pytest.raises(ValueError, match=message):
            one_hot(bad)
    with pytest.raises(ValueError, match=r"labels: expected values below n_classes \(2\)"):
        one_hot([0, 2], 2)


def test_split_is_seeded_stratified_and_disjoint():
    data = datasets.spirals(n_samples=200, n_classes=4, seed=0)
    train, test = data.split(0.25, seed=7)
    again, _ = data.split(0.25, seed=7)
    np.testing.assert_array_equal(train.X, again.X)
    # 50 samples per class, round(0.25 * 50) = 12 of each in the test set.
    assert len(train) == 152 and len(test) == 48
    np.testing.assert_array_equal(np.bincount(test.y), [12, 12, 12, 12])
    rows = {tuple(x) for x in train.X} | {tuple(x) for x in test.X}
    assert len(rows) == 200
    for bad in (0, 1.0, 1.5, -0.1):
        with pytest.raises(ValueError, match="test_fraction: expected"):
            data.split(bad)


@pytest.mark.parametrize(
    "make, options, message",
    [
        (datasets.moons, {"n_samples": 1}, "n_samples: expected an integer >= 2"),
        (datasets.xor, {"n_samples": 3}, "n_samples: expected an integer >= 4"),
        (datasets.circles, {"noise": -1}, "noise: expected a finite number >= 0"),
        (datasets.circles, {"factor": 1.5}, r"factor: expected a number in \(0, 1\)"),
        (datasets.spirals, {"n_classes": 1}, "n_classes: expected an integer >= 2"),
        (datasets.spirals, {"n_samples": 3, "n_classes": 4}, r"n_samples: expected at least n_classes \(4\)"),
        (datasets.moons, {"seed": -1}, "seed: expected a non-negative integer"),
        (datasets.moons, {"dtype": np.int32}, "dtype: expected float32 or float64"),
    ],
)
def test_bad_synthetic_arguments(make, options, message):
    with pytest.raises(ValueError, match=message):
        make(**options)


REAL = [
    (datasets.load_digits, (1797, 64), 10),
    (datasets.load_iris, (150, 4), 3),
    (datasets.load_breast_cancer, (569, 30), 2),
    (datasets.load_wine, (178, 13), 3),
]


@pytest.mark.parametrize("load, shape, n_classes", REAL)
def test_real_datasets(load, shape, n_classes):
    needs.module("sklearn")
    data = load(dtype=np.float32)
    assert data.X.shape == shape and data.X.dtype == np.float32 and data.n_classes == n_classes
    assert data.Y.shape == (shape[0], n_classes) and (data.Y.sum(axis=1) == 1).all()
    assert len(data.target_names) == n_classes


def test_digits_are_scaled_to_unit_range_and_binary_targets():
    needs.module("sklearn")
    digits = datasets.load_digits()
    assert digits.X.min() == 0.0 and digits.X.max() == 1.0
    cancer = datasets.load_breast_cancer()
    np.testing.assert_array_equal(cancer.binary_targets()[:, 0], cancer.y)
    with pytest.raises(ValueError, match="digits binary_targets: expected a two-class dataset"):
        digits.binary_targets()


def test_standardize_uses_training_statistics():
    train = np.array([[1.0, 5.0], [3.0, 5.0]])
    a, b = datasets.standardize(train, np.array([[5.0, 6.0]]))
    np.testing.assert_array_equal(a, [[-1.0, 0.0], [1.0, 0.0]])
    np.testing.assert_array_equal(b, [[3.0, 1.0]])


def test_missing_scikit_learn_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    with pytest.raises(ImportError, match=r"pip install 'scikit-learn>=1.2' \(chainrule's 'datasets' extra\)"):
        datasets.load_iris()


def test_digits_example_reaches_97_percent():
    needs.module("sklearn")
    path = pathlib.Path(__file__).parents[1] / "examples" / "digits.py"
    spec = importlib.util.spec_from_file_location("digits_example", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    _net, history, accuracy = example.train_digits(seed=0, progress=False)
    assert accuracy >= 0.97
    # Training did the work: the first epoch's network was far from it.
    assert history.val_accuracy[0] < accuracy and history.loss[-1] < history.loss[0] / 10
    # The augmentation shifts, it does not wrap around.
    X = np.arange(4.0).reshape(1, 4)
    moved, labels = example.shifted_copies(X, np.array([7]), side=2)
    np.testing.assert_array_equal(moved, [[0, 1, 2, 3], [0, 0, 0, 1], [2, 3, 0, 0], [0, 0, 0, 2], [1, 0, 3, 0]])
    assert labels.tolist() == [7] * 5
