"""Is a folder on a network file system? SQLite's locking is not safe there.

SQLite documents that its file locks are unreliable over NFS, CIFS and their kin: two
processes on two nodes writing one `responses.sqlite` can corrupt it. The harness does not
refuse (a single writer is fine, and some cluster file systems lock correctly), it warns
once, naming the folder and the fix: a node-local `--cache-dir`, merged afterwards with
`harness cache merge`. The file system type comes from the longest matching mount point in
`/proc/mounts` (Linux); elsewhere nothing is known and nothing is said.
"""

from __future__ import annotations

import functools
import logging
import re
from pathlib import Path

__all__ = ["NETWORK_FS_TYPES", "network_fs", "warn_if_network_fs"]

NETWORK_FS_TYPES = frozenset(
    {
        "nfs", "nfs4", "cifs", "smb3", "smbfs", "lustre", "gpfs", "beegfs", "glusterfs",
        "fuse.glusterfs", "ceph", "fuse.ceph", "cephfs", "afs", "9p", "fuse.sshfs", "orangefs",
        "pvfs2", "fuse.s3fs", "fuse.gcsfuse", "panfs", "wekafs",
    }
)  # fmt: skip
_log = logging.getLogger("harness.endpoints.cache")
_MOUNTS = Path("/proc/mounts")


def _unescape(field: str) -> str:
    """/proc/mounts writes a space in a mount point as \\040 (octal)."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m[1], 8)), field)


def network_fs(folder: Path, mounts: Path | None = None) -> str | None:
    """The network file system type `folder` lives on, or None (local, or unknown)."""
    try:
        lines = (mounts or _MOUNTS).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    target = folder.resolve()
    best: tuple[int, str] | None = None
    for line in lines:
        fields = line.split()
        if len(fields) < 3:
            continue
        point, kind = Path(_unescape(fields[1])), fields[2]
        if (target == point or point in target.parents) and (
            best is None or len(point.parts) >= best[0]
        ):
            best = (len(point.parts), kind)
    return best[1] if best is not None and best[1] in NETWORK_FS_TYPES else None


@functools.cache
def warn_if_network_fs(folder: Path) -> None:
    """One warning line per folder and process when the cache folder is on NFS and kin."""
    kind = network_fs(folder)
    if kind is not None:
        _log.warning(
            "warning: response cache %s is on a network file system (%s), where SQLite's "
            "locking is unsafe; use a node-local --cache-dir and `harness cache merge`",
            folder,
            kind,
        )
