"""Provenance of results and atomic file writes.

:func:`provenance` records the package version, the git commit of the source tree
(``+dirty`` with uncommitted changes), the Python version and the versions of the
libraries that compute; :func:`atomic_write` and :func:`atomic_write_text` write a
file through a temporary file in the same directory moved into place with
:func:`os.replace`, so a reader sees the old file or the complete new one and an
interruption leaves no partial file. Used by :mod:`solvable.plotting` (figures and
their JSON sidecars), :mod:`solvable.report` and :mod:`solvable.cli`.
"""
from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path


def _file_mode():
    """Permissions of a newly created file under the current umask (mkstemp would give 0600)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write(path, write):
    """Call ``write(tmp_path)`` then move ``tmp_path`` onto ``path``; clean up on any error.

    Parameters
    ----------
    path : str or Path, the target file (its directory must exist)
    write : callable ``write(tmp_path: str)`` that writes the complete file at ``tmp_path``

    Returns
    -------
    Path, the written ``path``
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        os.chmod(tmp, _FILE_MODE)
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


_FILE_MODE = _file_mode()


def atomic_write_text(path, text):
    """Write ``text`` to ``path`` atomically (temp file in the same directory + os.replace).

    Parameters
    ----------
    path : str or Path, the target file (its directory must exist)
    text : str, written as UTF-8

    Returns
    -------
    Path, the written ``path``
    """
    def write(tmp):
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
    return atomic_write(path, write)


def git_commit(path=None):
    """The git commit of the source tree holding ``path`` (default: this package),
    with ``+dirty`` if it has uncommitted changes; ``None`` outside a git checkout.

    Parameters
    ----------
    path : str, Path or None (default: the directory of this package), a directory

    Returns
    -------
    str (the commit hash, possibly with ``+dirty``) or None
    """
    where = Path(path) if path is not None else Path(__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True,
                                timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=where,
                               capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return commit + ("+dirty" if dirty else "") if commit else None


def provenance():
    """Package version, git commit, Python and the versions of the libraries that compute."""
    from . import __version__

    libs = {}
    for name in ("numpy", "scipy", "numba", "matplotlib", "sympy", "tqdm", "dask", "distributed"):
        mod = sys.modules.get(name)
        if mod is None:
            try:
                from importlib.metadata import version

                libs[name] = version(name)
            except Exception:  # noqa: BLE001 - not installed
                continue
        else:
            libs[name] = getattr(mod, "__version__", "?")
    return {
        "solvable_version": __version__,
        "git_commit": git_commit(),
        "python": sys.version.split()[0],
        "libraries": libs,
    }
