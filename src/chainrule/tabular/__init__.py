"""Tables from files (CSV, Parquet) and the preprocessing stored with a model."""

from .preprocess import MAX_AUTO_CLASSES, Preprocessor, infer_task
from .reader import Table, read_table, table_from_columns, table_from_csv_text

__all__ = ["MAX_AUTO_CLASSES", "Preprocessor", "Table", "infer_task", "read_table", "table_from_columns",
           "table_from_csv_text"]
