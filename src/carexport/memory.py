"""Handing the C heap's freed memory back to the OS after a large, passing allocation.

A plan run allocates hundreds of MiB through malloc (the LP's arrays, HiGHS) and frees
them when it ends. glibc keeps what is freed: in the arena of the thread that freed it
(one per thread of the server's pool, up to 8 per core), returned to the OS only from
the top of an arena. So a long-running server's RSS climbed with every plan run in
another thread (bench/bench_soak.py: 286 -> 568 MiB in 7 minutes, of which 322 MiB free
in glibc's arenas; malloc_trim(0) then gave back 289 MiB in 71 ms)."""

from __future__ import annotations

import ctypes
import functools
import sys
from collections.abc import Callable


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim, or None where there is none (macOS, Windows, musl)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None)  # the process's own C library
    except OSError:
        return None
    trim = getattr(libc, "malloc_trim", None)
    if trim is None:
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim  # type: ignore[no-any-return]


def release_freed_memory() -> None:
    """Give the free pages of every malloc arena back to the OS (malloc_trim(0)); memory in
    use stays as it is. Tens of milliseconds on a server's heap: for after a plan run, not
    after every request. Does nothing where the C library has no malloc_trim."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
