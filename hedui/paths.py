"""Where a warehouse's companions live: outputs, validation results, Data Docs, scratch space.

Everything sits beside the warehouse file, so that one folder holds a center's whole state:
`<dir>/<name>.duckdb`, `<dir>/outputs/<as-of>/`, `<dir>/validations/<run_id>/`, `<dir>/data_docs/`,
`<dir>/.work/` (scratch; removed after each run).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class WarehousePaths:
    warehouse: Path

    @property
    def home(self) -> Path:
        return self.warehouse.resolve().parent

    def outputs(self, as_of: dt.date) -> Path:
        return self.home / "outputs" / as_of.isoformat()

    def validations(self, run_id: str) -> Path:
        return self.home / "validations" / run_id

    @property
    def validations_root(self) -> Path:
        return self.home / "validations"

    @property
    def data_docs(self) -> Path:
        return self.home / "data_docs"

    def scratch(self, run_id: str) -> Path:
        return self.home / ".work" / run_id

    @property
    def duckdb_temp(self) -> Path:
        return self.home / ".work" / "duckdb-spill"
