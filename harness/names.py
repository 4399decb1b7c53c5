"""Names that become file or folder names (document ids, run ids): one rule for all.

Letters, digits, '.', '_' and '-', starting with a letter or digit, no '..', at most 200
characters: no path separator, no absolute path, nothing that climbs out of its folder.
"""

from __future__ import annotations

import re

__all__ = ["SAFE_NAME_RULE", "is_safe_name"]

_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
SAFE_NAME_RULE = "letters, digits, '.', '_', '-'; no path separators"


def is_safe_name(name: str) -> bool:
    return bool(_SAFE.match(name)) and ".." not in name
