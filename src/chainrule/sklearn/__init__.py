"""scikit-learn estimators (``pip install 'chainrule[sklearn]'``): NetworkClassifier, NetworkRegressor.

Drop-ins for ``MLPClassifier`` and ``MLPRegressor`` (docs/sklearn-parity.md);
:func:`from_sklearn` converts a fitted scikit-learn MLP.
"""

try:
    import sklearn  # noqa: F401
except ImportError:  # pragma: no cover - depends on the environment
    raise ImportError("chainrule.sklearn needs scikit-learn: pip install 'chainrule[sklearn]'") from None

from .classifier import NetworkClassifier
from .regressor import NetworkRegressor
from .convert import from_sklearn

__all__ = ["NetworkClassifier", "NetworkRegressor", "from_sklearn"]
