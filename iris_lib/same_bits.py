"""Same bits on every x86-64 CPU: the arithmetic settings iris_lib gives TensorFlow before it loads.

A seeded run repeats exactly on one machine, but not from one CPU to the next: TensorFlow's CPU build
sends matrix products and convolutions to oneDNN, which picks its kernels (SSE4.1, AVX, AVX2, AVX-512...)
by the processor at run time, and each kernel adds in its own order. Measured on chapter 6's SGD model
(seed 7, 1000 steps), the test loss under `ONEDNN_MAX_CPU_ISA` native / AVX / AVX2 / SSE41 was
0.0940469 / 0.0938826 / 0.0829786 / 0.1057120; `TF_ENABLE_ONEDNN_OPTS=0` alone still differed, because
Eigen's matrix product keeps calling oneDNN's sgemm (TensorFlow's "custom contraction kernel").

So, before TensorFlow is imported, iris_lib turns both off: every product runs in Eigen's own kernels,
compiled into the TensorFlow wheel and the same on every CPU, and eager ops (Keras) run on one thread,
as the Estimator's sessions do (`estimator._session`), so no sum is split by the number of cores. The
few kernels that still call oneDNN (a convolution's gradient with respect to its input) are pinned to
its AVX code, which every CPU that runs TensorFlow has. The cost, measured: nothing on the guide's
model, about 1-3 s on chapter 11's CNN.

Eigen's kernels are the same code everywhere, but not its blocking: a product longer than the CPU's L1
data cache allows is summed in chunks sized from that cache (asked of the CPU on first use), so a 48 KiB
L1 (AMD Zen 5) splits chapter 11's sums where a 32 KiB one does not, and the CNN's weights drift apart
within 50 Adam steps. Once TensorFlow has loaded, `pin_eigen_cache_sizes` sets the sizes Eigen reads to
its own x86 defaults (32 KiB, 256 KiB, 2 MiB: what it assumes when it cannot ask), in every TensorFlow
library that holds a copy; the Iris models' sums are too short for any CPU to split.

Explicit settings win, except the oneDNN pin: a variable already in the environment is left as it is.
To get TensorFlow's fastest CPU kernels instead (the last digits then depend on the CPU), set one
variable before the first `import iris_lib`:

    %env IRIS_LIB_SAME_BITS=0          # in a notebook; `export IRIS_LIB_SAME_BITS=0` in a shell

What stays machine-dependent is listed in companion/differences.md ("The same bits on every x86-64 CPU").
"""
from __future__ import annotations

import ctypes
import functools
import importlib.abc
import importlib.util
import mmap
import os
import struct
import sys
import warnings
from pathlib import Path

SETTINGS = {
    "TF_ENABLE_ONEDNN_OPTS": "0",  # no oneDNN graph rewrites or eager kernels (convolutions, MatMul)
    "TENSORFLOW_USE_CUSTOM_CONTRACTION_KERNEL": "0",  # Eigen's products without oneDNN's sgemm
    "TF_NUM_INTRAOP_THREADS": "1",  # eager ops unsplit across cores, like the Estimator's sessions
}
# Some kernels call oneDNN all the same (the gradient of a convolution with respect to its input, measured):
# they get its AVX code, which every CPU that runs TensorFlow's x86-64 wheel has (the wheel needs AVX).
# This one is set whatever the environment says, since capping oneDNN is how a test plays another CPU.
PINNED = {"ONEDNN_MAX_CPU_ISA": "AVX"}
IN_FORCE = {**SETTINGS, **PINNED}  # what the book's stored outputs assume
SWITCH = "IRIS_LIB_SAME_BITS"
# Eigen's defaults for x86 (GeneralBlockPanelKernel.h), as (L1, L2, L3) bytes, and the function-local static
# that holds the sizes it uses: `manage_caching_sizes(...)::m_cacheSizes` (three ptrdiff_t) and its guard.
EIGEN_CACHE_SIZES = (32 * 1024, 256 * 1024, 2 * 1024 * 1024)
_CACHE_SIZES_SYMBOL = b"_ZZN5Eigen8internal20manage_caching_sizesENS_6ActionEPlS2_S2_E12m_cacheSizes"
_GUARD_SYMBOL = b"_ZGV" + _CACHE_SIZES_SYMBOL[2:]


def wanted() -> bool:
    """False when the reader turned the same-bits settings off (`IRIS_LIB_SAME_BITS=0`)."""
    return os.environ.get(SWITCH, "1").strip().lower() not in ("0", "false", "no", "off")


def apply() -> dict[str, str]:
    """Put the settings in the environment (leaving any explicit one alone); returns what is in force.

    TensorFlow reads them once, when it loads or runs its first product, so this must run before
    `import tensorflow`; iris_lib's `__init__` does that. Imported later, it warns once, since the
    numbers may then differ from the book's in the last digits.
    """
    if not wanted():
        return {}
    late = "tensorflow" in sys.modules and any(key not in os.environ for key in SETTINGS)
    if "tensorflow" in sys.modules:
        pin_eigen_cache_sizes()
    elif not any(isinstance(finder, _PinOnceTensorFlowLoads) for finder in sys.meta_path):
        sys.meta_path.insert(0, _PinOnceTensorFlowLoads())
    for key, value in SETTINGS.items():
        os.environ.setdefault(key, value)
    os.environ.update(PINNED)
    if late:
        warnings.warn("TensorFlow was imported before iris_lib, so its CPU kernels may already be chosen and "
                      "the last digits of training can differ from the book's. Import iris_lib first (or set "
                      f"{', '.join(f'{k}={v}' for k, v in IN_FORCE.items())} before starting Python).",
                      RuntimeWarning, stacklevel=3)
    return {key: os.environ[key] for key in IN_FORCE}


def in_force() -> bool:
    """True when every product runs in the CPU-independent kernels (what the book's outputs assume)."""
    return all(os.environ.get(key) == value for key, value in IN_FORCE.items())


def pin_eigen_cache_sizes(sizes: tuple[int, int, int] = EIGEN_CACHE_SIZES) -> list[str]:
    """Set Eigen's cache sizes (L1, L2, L3 bytes) in each loaded TensorFlow library; returns their names.
    (Other sizes than EIGEN_CACHE_SIZES play another CPU, as tests/test_same_bits.py does.)

    The static is private (in `.symtab`, not exported), so its address comes from the library's ELF
    symbol table plus where the library is mapped. Marking its guard as done keeps Eigen from asking the
    CPU later. Where anything looks unexpected (another layout, no symbol table, not Linux) nothing is
    written and the sizes stay the CPU's: the run is still correct, only the last digits may differ.
    """
    pinned = []
    for name, in_use, guard in _eigen_statics():
        if guard.value not in (0, 1) or any(not 0 <= size < 1 << 40 for size in in_use):
            continue  # not the layout this was written for
        in_use[:] = sizes
        guard.value = 1
        pinned.append(name)
    return pinned


def eigen_cache_sizes() -> dict[str, tuple[int, ...]]:
    """The sizes each loaded TensorFlow library's Eigen uses ((0, 0, 0): not asked yet)."""
    return {name: tuple(in_use) for name, in_use, _ in _eigen_statics()}


def _eigen_statics():
    """(library name, its three cache sizes, its guard byte) for each loaded TensorFlow library holding them."""
    for path, base in _loaded_tensorflow_libraries().items():
        sizes_at, guard_at = _symbol_addresses(path, (_CACHE_SIZES_SYMBOL, _GUARD_SYMBOL))
        if sizes_at is not None and guard_at is not None:
            yield (path.name, (ctypes.c_ssize_t * 3).from_address(base + sizes_at),
                   ctypes.c_uint8.from_address(base + guard_at))


class _PinOnceTensorFlowLoads(importlib.abc.MetaPathFinder):
    """Runs `pin_eigen_cache_sizes` right after `import tensorflow` has run, whoever imports it first."""

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        exec_module = spec.loader.exec_module

        def exec_then_pin(module):
            exec_module(module)
            pin_eigen_cache_sizes()

        spec.loader.exec_module = exec_then_pin
        return spec


def _loaded_tensorflow_libraries() -> dict[Path, int]:
    """TensorFlow's own shared libraries in this process, each with the address it is loaded at."""
    found = {}
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                fields = line.split(maxsplit=5)
                if len(fields) == 6 and int(fields[2], 16) == 0:
                    path = Path(fields[5].strip())
                    if path.name.startswith("libtensorflow") and ".so" in path.name:
                        found.setdefault(path, int(fields[0].split("-")[0], 16))
    except OSError:  # not Linux
        return {}
    return found


@functools.lru_cache(maxsize=None)
def _symbol_addresses(path: Path, names: tuple[bytes, ...]) -> tuple[int | None, ...]:
    """Each name's offset in the loaded image, from the ELF64 `.symtab` (None: not there). Cached: a loaded
    library does not change, and its string table is some 175 MB to search."""
    import numpy as np

    with open(path, "rb") as file, mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as elf:
        if elf[:4] != b"\x7fELF" or elf[4] != 2:
            return (None,) * len(names)
        shoff, = struct.unpack_from("<Q", elf, 0x28)
        shentsize, shnum = struct.unpack_from("<HH", elf, 0x3A)
        sections = [struct.unpack_from("<IIQQQQIIQQ", elf, shoff + i * shentsize) for i in range(shnum)]
        symtab = next((section for section in sections if section[1] == 2), None)  # SHT_SYMTAB
        if symtab is None:
            return (None,) * len(names)
        strtab = sections[symtab[6]]
        strings = (strtab[4], strtab[4] + strtab[5])
        symbols = np.frombuffer(elf, dtype=[("name", "<u4"), ("info", "u1"), ("other", "u1"), ("shndx", "<u2"),
                                            ("value", "<u8"), ("size", "<u8")],
                                count=symtab[5] // 24, offset=symtab[4])
        addresses = []
        for name in names:
            at = elf.find(b"\0" + name + b"\0", *strings)
            match = np.flatnonzero(symbols["name"] == at + 1 - strings[0]) if at >= 0 else []
            addresses.append(int(symbols["value"][match[0]]) if len(match) else None)
        del symbols
        return tuple(addresses)
