"""The estimators' docstrings: every parameter beside scikit-learn's meaning (docs/sklearn-parity.md too)."""

from __future__ import annotations

__all__ = ["CLASSIFIER_DOC", "PARITY_ROWS", "PARITY_TABLE", "REGRESSOR_DOC", "markdown_table"]

#: (parameter, scikit-learn's MLPClassifier/MLPRegressor, chainrule: any difference and why).
#: The one source of the table in both estimators' docstrings and in docs/sklearn-parity.md.
PARITY_ROWS = [
    ("hidden_layer_sizes", "neurons per hidden layer", "the same"),
    (
        "activation",
        "identity, logistic, tanh, relu",
        "the same (``logistic`` = ``sigmoid``); also every registered elementwise activation, or one per layer",
    ),
    (
        "solver",
        "``adam``, ``sgd``, ``lbfgs``",
        "the same rules, operation for operation (:class:`~chainrule.optim.MLPAdam`, "
        ":class:`~chainrule.optim.MLPSGD`, scipy's L-BFGS-B)",
    ),
    (
        "alpha",
        "L2 penalty ``0.5 alpha sum ||W||^2 / n_batch`` on the weights, not the biases",
        "the same (:mod:`chainrule.core.penalty`, also ``Network.fit(l2=...)``)",
    ),
    (
        "batch_size",
        "``'auto'`` = ``min(200, n_samples)``; int",
        "the same (clipped, with its warning); also None: the full batch",
    ),
    (
        "learning_rate",
        "``constant``, ``invscaling``, ``adaptive``",
        "the same, SGD only (Adam ignores it, as there); a number is taken as ``learning_rate_init``",
    ),
    ("learning_rate_init", "the initial step size", "the same"),
    ("power_t", "``invscaling``: ``lr / (t + 1)^power_t``", "the same (``t``: samples seen, ``t_``)"),
    ("max_iter", "epochs (stochastic), iterations (lbfgs)", "the same; ConvergenceWarning when reached"),
    (
        "shuffle",
        "shuffle the rows every epoch",
        "the same order: scikit-learn's compounding ``shuffle(sample_idx, random_state)``",
    ),
    (
        "random_state",
        "initial weights, split, batch order",
        "the same draws in the same order from a ``RandomState``; None: fresh entropy (never the global state); "
        "a Generator seeds one",
    ),
    (
        "tol, n_iter_no_change",
        "stop after ``n_iter_no_change`` epochs without an improvement of ``tol``",
        "the same rule (``_update_no_improvement_count``, :class:`~chainrule.training.ConvergenceRule`)",
    ),
    ("verbose", "prints the loss of every iteration", "the same lines"),
    (
        "warm_start",
        "continue from the previous solution",
        "the same: weights kept, a new optimizer, counters and curves continued",
    ),
    ("momentum, nesterovs_momentum", "SGD's velocity ``v = momentum v - lr g`` and Nesterov's look-ahead", "the same"),
    (
        "early_stopping",
        "hold out ``validation_fraction``, watch the validation score, restore the best",
        "the same split (``train_test_split``, stratified for binary labels as there) and rule",
    ),
    ("validation_fraction", "the held-out share", "the same"),
    (
        "beta_1, beta_2, epsilon",
        "Adam's, ``epsilon`` outside the bias correction",
        "the same (torch's Adam puts ``eps`` inside: that is ``optimizer='adam'``)",
    ),
    ("max_fun", "lbfgs: most loss evaluations", "the same"),
    ("loss (regressor)", "``squared_error``, ``poisson``", "``squared_error`` only (no exp output here)"),
    (
        "class_weight (classifier)",
        "(none: scikit-learn's MLP has no class_weight)",
        "None, 'balanced' or {label: weight}, as its other classifiers: multiplies ``sample_weight``",
    ),
    (
        "sample_weight (fit)",
        "each batch's loss over its weight sum",
        "weights scaled to mean 1 over the data; each batch over its rows (the same for full batches)",
    ),
    (
        "optimizer",
        "--",
        "chainrule extra: a torch-style rule instead of ``solver`` (``adam``, ``adamw``, ``sgd``, ``rmsprop``)",
    ),
    (
        "init",
        "--",
        "extra: ``'sklearn'`` (default: its draws), ``'auto'`` (each activation's default, biases 0) or a name",
    ),
    ("dtype", "float32 input stays float32", "the same by default (None); or forced"),
    ("comm, table_options", "--", "extras: MPI data parallelism (pass an integer ``random_state``); mixed DataFrames"),
]


def _rst_table(rows: list[tuple[str, str, str]], widths: tuple[int, int] = (24, 40)) -> str:
    """A reStructuredText grid of ``rows`` (wrapped to the column widths), for the docstrings."""
    import textwrap

    heads = ("parameter", "scikit-learn", "chainrule (difference, and why)")
    third = 52
    rule = "+" + "+".join("-" * (w + 2) for w in (*widths, third)) + "+"
    out = [rule]
    for k, row in enumerate([heads, *rows]):
        wrapped = [textwrap.wrap(text, w) or [""] for text, w in zip(row, (*widths, third))]
        out.extend(
            "| "
            + " | ".join((part[i] if i < len(part) else "").ljust(w) for part, w in zip(wrapped, (*widths, third)))
            + " |"
            for i in range(max(len(part) for part in wrapped))
        )
        out.append(rule.replace("-", "=") if k == 0 else rule)
    return "\n".join(out) + "\n"


def markdown_table(rows: list[tuple[str, str, str]] | None = None) -> str:
    """The table in Markdown (docs/sklearn-parity.md)."""
    rows = PARITY_ROWS if rows is None else rows
    lines = ["| parameter | scikit-learn | chainrule (difference, and why) |", "|---|---|---|"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


PARITY_TABLE = _rst_table(PARITY_ROWS)

_COMMON_ATTRIBUTES = """\
    coefs_, intercepts_ : lists of ``(n_in, n_out)`` and ``(n_out,)`` arrays (copies), as scikit-learn's
    n_iter_ : int
        Epochs of the last ``fit`` (1 after ``partial_fit``), as scikit-learn counts them.
    t_ : int
        Training samples seen, over every fit.
    loss_, loss_curve_ : float, list of float
        scikit-learn's training loss (penalty included) of the last epoch and of every epoch.
    best_loss_ : float or None
        The lowest training loss (None with ``early_stopping``).
    validation_scores_, best_validation_score_ : list of float, float (None without ``early_stopping``)
        The validation score (accuracy, R^2) of every epoch and the best.
    validation_loss_curve_ : list of float
        chainrule's extra: the validation loss of every epoch.
    n_layers_, n_outputs_, out_activation_ :
        As scikit-learn's (``out_activation_`` in its names: softmax, logistic, identity).
    n_features_in_, feature_names_in_ :
        As every scikit-learn estimator (names when fitted on a DataFrame).
    network_ : chainrule.Network
        The trained network (``chainrule.explain`` can trace it).
    history_ : chainrule.training.History
        Of the last call to ``fit`` or ``partial_fit``.
    table_encoder_ : chainrule.tabular.TableEncoder
        Only when fitted on an encoded DataFrame: its columns as the network's inputs.
"""

CLASSIFIER_DOC = f"""Multi-layer perceptron classifier trained by chainrule: a drop-in for ``MLPClassifier``.

Binary labels get one logistic output, several classes a softmax, a
multi-label indicator matrix ``(n, n_labels)`` one logistic output per label;
the loss is the log-loss. With the same hyperparameters and ``random_state``
it draws the same initial weights, validation split and batch order as
scikit-learn and applies the same updates, so the weights agree to rounding
(tests/test_sklearn_parity.py). :func:`chainrule.sklearn.from_sklearn` turns a
fitted ``MLPClassifier`` into one.

Parameters
----------
Every parameter of ``MLPClassifier`` (same names, defaults and meanings), then
``class_weight`` and chainrule's extras:

{PARITY_TABLE}
Attributes
----------
classes_ : ndarray ``(n_classes,)``
    Class labels (for multi-label targets, ``arange(n_labels)``).
{_COMMON_ATTRIBUTES}"""

REGRESSOR_DOC = f"""Multi-layer perceptron regressor trained by chainrule: a drop-in for ``MLPRegressor``.

The output layer is linear and the loss the half squared error, summed over
outputs for the gradient; the reported loss averages it over outputs as
scikit-learn does. Targets may have several columns. The same draws, updates
and stopping rule as scikit-learn (see :class:`NetworkClassifier`);
:func:`chainrule.sklearn.from_sklearn` turns a fitted ``MLPRegressor`` into one.
Unlike scikit-learn, ``hidden_layer_sizes`` is the first positional
parameter (``loss`` is keyword-only), as in chainrule's earlier releases.

Parameters
----------
Every parameter of ``MLPRegressor`` (same names, defaults and meanings) and chainrule's extras:

{PARITY_TABLE}
Attributes
----------
{_COMMON_ATTRIBUTES}"""
