"""Atomic file writes: a crash mid-save never leaves a damaged file behind.

The bytes go to a temporary file in the destination's directory (so the final
rename stays on one file system), which is flushed and ``fsync``-ed before
``os.replace`` swaps it in. ``os.replace`` is atomic on POSIX and Windows:
readers see either the old file or the complete new one, never a mixture.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

__all__ = ["atomic_write_bytes"]


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; return the path.

    On any error (a full disk, an exception raised mid-write) the temporary
    file is removed and an existing file at ``path`` is left untouched.
    """
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp_name = _create_temporary(directory, path.name)
    try:
        with os.fdopen(fd, "wb") as handle:
            _write_all(handle, data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except FileNotFoundError:
            pass
        raise
    _fsync_directory(directory)
    return path


def _create_temporary(directory: Path, name: str) -> tuple[int, str]:
    """A new file beside the destination, created exclusively.

    Unlike ``tempfile.mkstemp`` (always mode 0600), mode 0666 filtered by the
    umask gives the saved file the permissions any other new file would get.
    """
    for _ in range(100):
        tmp_name = str(directory / f".{name}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(tmp_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666), tmp_name
        except FileExistsError:
            continue
    raise FileExistsError(f"could not create a temporary file next to {name!r}")


def _write_all(handle, data: bytes) -> None:
    """The one place bytes are written (tests inject faults here to crash a save midway)."""
    handle.write(data)


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
