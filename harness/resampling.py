"""Resampling defaults shared by the metrics' intervals and `harness compare`.

A module that imports nothing, so `harness compare --help` can show the defaults without
loading numpy (the statistics themselves live in `scoring/stats.py`).
"""

from __future__ import annotations

__all__ = ["DEFAULT_BOOTSTRAP_SEED", "DEFAULT_RESAMPLES"]

DEFAULT_RESAMPLES = 2000
DEFAULT_BOOTSTRAP_SEED = 20240601
