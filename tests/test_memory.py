"""release_freed_memory gives the C heap's free pages back to the OS (what keeps a served
carexport's RSS from climbing with every plan run; bench/bench_soak.py)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# In a process of its own, so that no other thread's allocations move its RSS: 200k blocks
# of 1 KiB from glibc's heap (each under the mmap threshold), one more above them so that
# the heap cannot shrink from its top on its own, then all but that one freed.
SCRIPT = """
import ctypes, json
from pathlib import Path
from carexport.memory import release_freed_memory

def anon_kib():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1])

libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
libc.memset.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t]
blocks = [libc.malloc(1024) for _ in range(200_000)]
for block in blocks:
    libc.memset(block, 1, 1024)
pin = libc.malloc(1024)
for block in blocks:
    libc.free(block)
freed = anon_kib()
release_freed_memory()
print(json.dumps({"freed": freed, "released": anon_kib()}))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_freed_memory_goes_back_to_the_os() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60, check=True
    )
    rss = json.loads(done.stdout)
    # About 200 MiB were freed but kept by malloc; most of it goes back.
    assert rss["freed"] - rss["released"] > 150 * 1024, rss
