"""pytest configuration shared by the unit tests and nbval."""

import os

# Notebooks run by nbval get the smoke profile unless told otherwise; TensorFlow stays quiet.
os.environ.setdefault("COURSE_PROFILE", "smoke")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def pytest_collectstart(collector):
    """Never compare stderr (TensorFlow's C++ logs go there in Jupyter but not under pytest)."""
    if getattr(collector, "skip_compare", None) is not None:
        collector.skip_compare += ("stderr", "text/html", "application/javascript")
