"""The warehouse file: its schema and migrations, the single-writer lock and atomic publication."""

from hedui.warehouse.lock import WarehouseBusy
from hedui.warehouse.naming import WarehouseNameClash
from hedui.warehouse.schema import SchemaError, migrate
from hedui.warehouse.publish import open_readonly, working_copy

__all__ = ["SchemaError", "WarehouseBusy", "WarehouseNameClash", "migrate", "open_readonly", "working_copy"]
