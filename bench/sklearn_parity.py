"""chainrule's estimators against scikit-learn's MLPs with the same hyperparameters, on real data.

    python bench/sklearn_parity.py                       # every data set, 5 seeds (tens of minutes on 2 cores)
    python bench/sklearn_parity.py --datasets iris wine --seeds 2

Data (nothing is downloaded): scikit-learn's bundled digits, wine,
breast_cancer and iris (classification) and diabetes (regression), split
75/25 (stratified for classes) with ``random_state=0`` and standardised on the
training rows; ``examples/data`` penguins (species; text and missing values)
and cars (miles per gallon) as raw DataFrames: chainrule through its
estimators' DataFrame path (``table_options``: median imputation, one-hot),
scikit-learn through the equivalent pipeline (``SimpleImputer(median)`` and
``StandardScaler`` on the numbers, ``SimpleImputer(most_frequent)`` and
``OneHotEncoder`` on the text), both timed including that encoding.

Hyperparameters: scikit-learn's defaults (``hidden_layer_sizes=(100,)``,
adam, ``learning_rate_init=1e-3``, ``alpha=1e-4``, ``batch_size='auto'``,
``max_iter=200``, ``tol=1e-4``, ``n_iter_no_change=10``) with
``random_state`` = the seed, for both. Each fit runs in its own process
(``BENCH_THREADS`` BLAS threads, default 1), contenders interleaved and
alternating which goes first; the table gives the mean test score
(accuracy or R^2) over the seeds and the median fit time. It is written to
stdout and to ``bench/results/sklearn_parity.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "examples" / "data"
THREADS = os.environ.get("BENCH_THREADS", "1")
DATASETS = ("digits", "wine", "breast_cancer", "iris", "diabetes", "penguins", "cars")
REGRESSION = {"diabetes", "cars"}


def load(name: str):
    """``(X_train, X_test, y_train, y_test, is_frame)``."""
    import numpy as np
    from sklearn import datasets
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    if name in ("penguins", "cars"):
        import pandas as pd

        if name == "penguins":
            frame = pd.read_csv(DATA / "penguins.csv").dropna(subset=["species"])
            X, y = frame.drop(columns="species"), frame["species"]
        else:
            frame = pd.read_csv(DATA / "cars.csv").dropna(subset=["Miles_per_Gallon"])
            X, y = frame.drop(columns=["Miles_per_Gallon", "Name", "Year"]), frame["Miles_per_Gallon"]
        stratify = y if name == "penguins" else None
        X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0, stratify=stratify)
        return X_train, X_test, y_train.to_numpy(), y_test.to_numpy(), True
    X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
    stratify = None if name in REGRESSION else y
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0, stratify=stratify)
    scaler = StandardScaler().fit(X_train)
    if name in REGRESSION:
        y_train, y_test = y_train / np.std(y_train), y_test / np.std(y_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test, False


def sklearn_pipeline(estimator, X):
    """scikit-learn's encoding of a raw DataFrame, as chainrule's table encoder does it."""
    from pandas.api.types import is_numeric_dtype
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    # One transformer per column, in the table's order: the encoded features then come in the
    # order of chainrule's encoder, so both networks draw the same initial weights for the same inputs.
    numbers = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    text = make_pipeline(
        SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore", sparse_output=False)
    )
    encode = ColumnTransformer([(c, numbers if is_numeric_dtype(X[c]) else text, [c]) for c in X.columns])
    return make_pipeline(encode, estimator)


def worker(name: str, contender: str, seed: int) -> dict:
    """One fit in this process: ``{"score", "fit_s", "n_iter"}``."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    warnings.simplefilter("ignore", ConvergenceWarning)
    X_train, X_test, y_train, y_test, frame = load(name)
    params = dict(random_state=seed)
    regression = name in REGRESSION
    if contender == "sklearn":
        from sklearn.neural_network import MLPClassifier, MLPRegressor

        model = (MLPRegressor if regression else MLPClassifier)(**params)
        if frame:
            model = sklearn_pipeline(model, X_train)
    else:
        from chainrule.sklearn import NetworkClassifier, NetworkRegressor

        if frame:
            from chainrule.tabular import TableOptions

            params["table_options"] = TableOptions(missing="impute", impute="median", unknown="ignore")
        model = (NetworkRegressor if regression else NetworkClassifier)(**params)
    start = time.perf_counter()
    model.fit(X_train, y_train)
    fit_s = time.perf_counter() - start
    final = model[-1] if hasattr(model, "steps") else model
    return {"score": float(model.score(X_test, y_test)), "fit_s": fit_s, "n_iter": int(final.n_iter_)}


def run_one(name: str, contender: str, seed: int) -> dict:
    env = {
        **os.environ,
        "OMP_NUM_THREADS": THREADS,
        "OPENBLAS_NUM_THREADS": THREADS,
        "MKL_NUM_THREADS": THREADS,
        "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }
    out = subprocess.run(
        [sys.executable, __file__, "--worker", name, contender, str(seed)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def table(results: dict, datasets: list[str], seeds: int) -> str:
    lines = [
        f"# chainrule vs scikit-learn, same hyperparameters "
        f"({seeds} seeds; {platform.processor() or platform.machine()}, "
        f"{THREADS} BLAS thread(s))",
        "",
        "Command: `python bench/sklearn_parity.py` (scikit-learn's MLP defaults, `random_state` = seed 0..4).",
        "",
        "| data set | task | metric | scikit-learn mean | chainrule mean | scikit-learn fit s (median) "
        "| chainrule fit s (median) | time ratio | n_iter_ equal |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name in datasets:
        s, c = results[name]["sklearn"], results[name]["chainrule"]
        mean = lambda rows, key: statistics.mean(r[key] for r in rows)  # noqa: E731
        median = lambda rows, key: statistics.median(r[key] for r in rows)  # noqa: E731
        same_iter = sum(a["n_iter"] == b["n_iter"] for a, b in zip(s, c))
        task = "regression" if name in REGRESSION else "classification"
        lines.append(
            f"| {name} | {task} | {'R^2' if name in REGRESSION else 'accuracy'} | {mean(s, 'score'):.4f} | "
            f"{mean(c, 'score'):.4f} | {median(s, 'fit_s'):.3f} | {median(c, 'fit_s'):.3f} | "
            f"{median(c, 'fit_s') / median(s, 'fit_s'):.2f} | {same_iter}/{len(s)} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=DATASETS)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        name, contender, seed = args.worker
        print(json.dumps(worker(name, contender, int(seed))))
        return
    results = {name: {"sklearn": [], "chainrule": []} for name in args.datasets}
    for seed in range(args.seeds):
        for k, name in enumerate(args.datasets):
            order = ("sklearn", "chainrule") if (seed + k) % 2 == 0 else ("chainrule", "sklearn")
            for contender in order:
                results[name][contender].append(run_one(name, contender, seed))
            print(
                f"seed {seed} {name}: " + ", ".join(f"{c} {results[name][c][-1]}" for c in order),
                file=sys.stderr,
                flush=True,
            )
    text = table(results, args.datasets, args.seeds)
    print(text)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "sklearn_parity.md").write_text(text)
    (out / "sklearn_parity.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
