

import os

# The center's network has no internet, and its nightly sends nothing out: the temporary (or local) Prefect
# server's telemetry service, on by default, would try to report usage to Prefect and log a failure each night.
# Set before Prefect is imported, and only where the operator has not chosen otherwise.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
