"""The project's vectorised functions (`hd_ric_check_char`, `hd_name_norm`, `hd_uscc_valid`) on a Spark session.

On DuckDB they are Arrow functions over `connectors.normalise`; on Spark the same Python runs as Arrow (pandas)
UDFs, a column batch at a time, so the two engines normalise with the same library code (python-stdnum, OpenCC).

Each UDF is a plain module-level function, wrapped by `pandas_udf` only when registered: cloudpickle then ships
it to the executors *by reference* (module and name), not as a code object. pyspark 3.3 vendors a cloudpickle
that cannot rebuild a Python 3.11 code object ("code() argument 13 must be str, not int"), so a function pickled
by value (a lambda, a closure, a function decorated in place) fails on the executors; one pickled by reference is
imported there from the installed hedui, which executors must therefore have (docs/spark.md).
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from connectors import normalise


def ric_check_char(bodies: pd.Series) -> pd.Series:
    """connectors.normalise.ric_check_char over a pandas batch."""
    return normalise.ric_check_char(pa.array(bodies, type=pa.string())).to_pandas()


def name_norm(names: pd.Series) -> pd.Series:
    """connectors.normalise.name_norm over a pandas batch."""
    return normalise.name_norm(pa.array(names, type=pa.string())).to_pandas()


def uscc_valid(codes: pd.Series) -> pd.Series:
    """connectors.normalise.uscc_valid over a pandas batch (NULL stays NULL)."""
    return normalise.uscc_valid(pa.array(codes, type=pa.string())).to_pandas()


# name in SQL, function, Spark return type (the same names and types as connectors.normalise registers on DuckDB)
UDFS = (
    ("hd_ric_check_char", ric_check_char, "string"),
    ("hd_name_norm", name_norm, "string"),
    ("hd_uscc_valid", uscc_valid, "boolean"),
)


def register_udfs(spark) -> None:
    """Register the project's functions on `spark` as Arrow UDFs, under the names the portable SQL calls."""
    from pyspark.sql.functions import pandas_udf

    for name, function, returns in UDFS:
        spark.udf.register(name, pandas_udf(function, returns))
