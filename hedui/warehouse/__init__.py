"""The warehouse file: its DDL, the single-writer lock and atomic publication."""

from hedui.warehouse.lock import WarehouseBusy
from hedui.warehouse.publish import DDL_SQL, open_readonly, working_copy

__all__ = ["DDL_SQL", "WarehouseBusy", "open_readonly", "working_copy"]
