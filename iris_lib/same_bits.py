"""Same bits on every x86-64 CPU: the arithmetic settings iris_lib gives TensorFlow before it loads.

A seeded run repeats exactly on one machine, but not from one CPU to the next: TensorFlow's CPU build
sends matrix products and convolutions to oneDNN, which picks its kernels (SSE4.1, AVX, AVX2, AVX-512...)
by the processor at run time, and each kernel adds in its own order. Measured on chapter 6's SGD model
(seed 7, 1000 steps), the test loss under `ONEDNN_MAX_CPU_ISA` native / AVX / AVX2 / SSE41 was
0.1059890 / 0.1041845 / 0.1058695 / 0.1059893; `TF_ENABLE_ONEDNN_OPTS=0` alone still differed, because
Eigen's matrix product keeps calling oneDNN's sgemm (TensorFlow's "custom contraction kernel").

So, before TensorFlow is imported, iris_lib turns both off: every product runs in Eigen's own kernels,
compiled into the TensorFlow wheel and the same on every CPU, and eager ops (Keras) run on one thread,
as the Estimator's sessions do (`estimator._session`), so no sum is split by the number of cores. The
few kernels that still call oneDNN (a convolution's gradient with respect to its input) are pinned to
its AVX code, which every CPU that runs TensorFlow has. The cost, measured: nothing on the guide's
model, about 1-3 s on chapter 11's CNN.

Explicit settings win, except the oneDNN pin: a variable already in the environment is left as it is.
To get TensorFlow's fastest CPU kernels instead (the last digits then depend on the CPU), set one
variable before the first `import iris_lib`:

    %env IRIS_LIB_SAME_BITS=0          # in a notebook; `export IRIS_LIB_SAME_BITS=0` in a shell

What stays machine-dependent is listed in companion/differences.md ("The same bits on every x86-64 CPU").
"""
from __future__ import annotations

import os
import sys
import warnings

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
