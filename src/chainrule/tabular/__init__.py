"""Tables from files (CSV, Parquet) and pandas, and the preprocessing stored with a model.

* :func:`read_table` / :func:`table_from_columns` / :func:`table_from_frame`: a :class:`Table`.
* :class:`TableOptions`: which columns, missing values, unseen categories.
* :class:`TableEncoder`: the feature columns as the network's inputs (imputation,
  standardisation, one-hot); :class:`Preprocessor` adds the target.
"""

from .encoder import ColumnEncoder, TableEncoder
from .frame import is_frame, table_from_frame
from .options import TableOptions
from .preprocess import MAX_AUTO_CLASSES, Preprocessor, infer_task
from .reader import Table, read_table, table_from_columns, table_from_csv_text
from .reduce import Reducer

__all__ = [
    "MAX_AUTO_CLASSES",
    "ColumnEncoder",
    "Preprocessor",
    "Reducer",
    "Table",
    "TableEncoder",
    "TableOptions",
    "infer_task",
    "is_frame",
    "read_table",
    "table_from_columns",
    "table_from_csv_text",
    "table_from_frame",
]
