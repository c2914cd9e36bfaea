"""Atomic file writes: a crash mid-save never leaves a damaged file behind.

The bytes go to a temporary file in the destination's directory (so the final
rename stays on one file system), which is flushed and ``fsync``-ed before
``os.replace`` swaps it in. ``os.replace`` is atomic on POSIX and Windows:
readers see either the old file or the complete new one, never a mixture.

A process killed mid-save (``kill -9``, a power cut) cannot remove its
temporary file, ``.<name>.<pid>.<random>.tmp``. The next save to the same
destination removes such leftovers: on POSIX a writer holds an exclusive
``flock`` on its temporary file for as long as it writes, and the kernel
releases it when the process dies, so a leftover is one whose lock can be
taken and which is older than :data:`STALE_AFTER_S` seconds or was written by
a process of this machine that no longer runs. (Where ``flock`` does not
exist, age alone decides.) A save never touches another destination's files.

:func:`check_writable` tries, before any costly work, whether a save to a path
could succeed, so that a command can refuse a bad output path at once.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
import time
from pathlib import Path
from typing import IO, Any

from ..core.errors import Described
from ..core.validation import fail

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["STALE_AFTER_S", "atomic_write_bytes", "check_writable", "remove_stale_temporaries"]

#: A temporary file unlocked for this long is a leftover even if its writer's pid is in use again.
STALE_AFTER_S = 10.0


def _as_path(path: Any, what: str) -> Path:
    if isinstance(path, bytes) or not isinstance(path, (str, os.PathLike)) or not os.fspath(path):
        raise fail(what, "a file path (str or os.PathLike)", path)
    return Path(path)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; return the path.

    On any error (a full disk, an exception raised mid-write) the temporary
    file is removed and an existing file at ``path`` is left untouched.
    Leftover temporary files of earlier, killed saves to ``path`` are removed
    first (see the module docstring).
    """
    path = _as_path(path, "path")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise fail("data", "bytes", data)
    directory = path.parent if str(path.parent) else Path(".")
    remove_stale_temporaries(path)
    fd, tmp_name = _create_temporary(directory, path.name)
    try:
        with os.fdopen(fd, "wb") as handle:
            _write_all(handle, data)
            handle.flush()
            os.fsync(handle.fileno())
            if fcntl is not None:  # rename while the lock is held: until then it is visibly a live writer's
                os.replace(tmp_name, path)
        if fcntl is None:  # Windows renames only closed files
            os.replace(tmp_name, path)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except FileNotFoundError:
            pass
        raise
    _fsync_directory(directory)
    return path


def check_writable(path: str | os.PathLike[str], what: str = "path") -> Path:
    """Refuse at once a ``path`` that :func:`atomic_write_bytes` could not write; return it.

    The folder must exist and take a new file (tried: a temporary file is
    created and removed), and ``path`` must not be a folder or anything but
    a regular file. Raises the library's ValidationError naming ``what`` and
    the path, e.g. ``-o: expected a file path in an existing, writable folder,
    received: 'out/model.safetensors' (no folder 'out')``.
    """
    path = _as_path(path, what)
    expected = "a file path in an existing, writable folder"
    directory = path.parent if str(path.parent) else Path(".")

    def refuse(problem: str) -> Exception:
        return fail(what, expected, Described(f"{str(path)!r} ({problem})"))

    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    except NotADirectoryError:
        raise refuse(f"{_first_non_folder(path)!r} is a file, not a folder") from None
    except OSError as err:
        raise refuse(err.strerror or type(err).__name__) from None
    if mode is not None and stat.S_ISDIR(mode):
        raise refuse("it is a folder")
    if mode is not None and not stat.S_ISREG(mode):
        raise refuse(f"it is {_kind(mode)}, not a regular file")
    if not directory.is_dir():
        if directory.exists() or directory.is_symlink():
            raise refuse(f"{str(directory)!r} is not a folder")
        raise refuse(f"no folder {str(directory)!r}")
    try:
        fd, tmp_name = _create_temporary(directory, path.name)
    except OSError as err:
        raise refuse(f"cannot create files in {str(directory)!r}: {err.strerror or err}") from None
    os.close(fd)
    os.unlink(tmp_name)
    return path


def remove_stale_temporaries(path: str | os.PathLike[str]) -> list[Path]:
    """Remove the temporary files that killed saves to ``path`` left behind; return those removed."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    # Files of earlier versions have no pid: ".<name>.<random>.tmp".
    pattern = re.compile(rf"\.{re.escape(path.name)}\.(?:(\d+)\.)?[0-9a-f]{{12}}\.tmp")
    removed: list[Path] = []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    now = time.time()
    for name in names:
        match = pattern.fullmatch(name)
        if match is None:
            continue
        candidate = directory / name
        if _remove_if_stale(candidate, None if match.group(1) is None else int(match.group(1)), now):
            removed.append(candidate)
    return removed


def _remove_if_stale(candidate: Path, pid: int | None, now: float) -> bool:
    try:
        # O_NONBLOCK: a named pipe given such a name must not hang the save (it is skipped below).
        fd = os.open(candidate, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return False
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return False
        old = now - info.st_mtime >= STALE_AFTER_S
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return False  # a live writer holds it
            if not (old or (pid is not None and not _process_exists(pid))):
                return False  # just created: its writer may not have locked it yet
        elif not old:
            return False
        try:
            os.unlink(candidate)
        except OSError:
            return False
        return True
    finally:
        os.close(fd)


def _process_exists(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError, OSError):
        return True  # someone else's process, or unknowable: assume alive
    return True


def _create_temporary(directory: Path, name: str) -> tuple[int, str]:
    """A new file beside the destination, created exclusively and locked (POSIX).

    Unlike ``tempfile.mkstemp`` (always mode 0600), mode 0666 filtered by the
    umask gives the saved file the permissions any other new file would get.
    """
    for _ in range(100):
        tmp_name = str(directory / f".{name}.{os.getpid()}.{secrets.token_hex(6)}.tmp")
        try:
            fd = os.open(tmp_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        except FileExistsError:
            continue
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                pass  # a file system without locks: age alone marks a leftover
        return fd, tmp_name
    raise FileExistsError(f"could not create a temporary file next to {name!r}")


def _write_all(handle: IO[bytes], data: bytes) -> None:
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


def _first_non_folder(path: Path) -> str:
    """The first component of ``path``'s parents that exists but is not a folder."""
    for parent in reversed(path.parents):
        if str(parent) not in ("", ".") and parent.exists() and not parent.is_dir():
            return str(parent)
    return str(path.parent)


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"
