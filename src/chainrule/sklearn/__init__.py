"""scikit-learn estimators (the ``sklearn`` extra): NetworkClassifier, NetworkRegressor.

Drop-ins for ``MLPClassifier`` and ``MLPRegressor`` (docs/sklearn-parity.md);
:func:`from_sklearn` converts a fitted scikit-learn MLP.
"""

from ..core.extras import install_hint

try:
    import sklearn  # noqa: F401
except ImportError:  # pragma: no cover - depends on the environment
    raise ImportError(f"chainrule.sklearn needs scikit-learn: {install_hint('sklearn')}") from None

from .classifier import NetworkClassifier
from .convert import from_sklearn
from .regressor import NetworkRegressor

__all__ = ["NetworkClassifier", "NetworkRegressor", "from_sklearn"]
