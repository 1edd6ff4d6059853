

import os

# The center's network has no internet, and its nightly sends nothing out: the temporary (or local) Prefect
# server's telemetry service, on by default, would try to report usage to Prefect and log a failure each night.
# Set before Prefect is imported, and only where the operator has not chosen otherwise.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# Without a Prefect server, a night starts Prefect's temporary API and gives it 20 s by default; on a machine
# busy with other work (2 cores shared, load 7) it took longer, and the night failed before reading anything.
# A night is not in a hurry: 90 s, unless the environment sets it (an environment variable also overrides the
# Prefect profile, so an operator who wants another value sets it in the service's environment, not the profile).
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
