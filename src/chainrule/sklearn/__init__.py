"""scikit-learn estimators (``pip install 'chainrule[sklearn]'``): NetworkClassifier, NetworkRegressor."""

try:
    import sklearn  # noqa: F401
except ImportError:  # pragma: no cover - depends on the environment
    raise ImportError("chainrule.sklearn needs scikit-learn: pip install 'chainrule[sklearn]'") from None

from .classifier import NetworkClassifier
from .regressor import NetworkRegressor

__all__ = ["NetworkClassifier", "NetworkRegressor"]
