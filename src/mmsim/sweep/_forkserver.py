"""Imported by the sweep's fork server only (``set_forkserver_preload``): die with the process that started it.

A sweep's workers fork from the fork server, and each asks the kernel for SIGKILL when
its parent (the fork server) dies (``PR_SET_PDEATHSIG``, in
:func:`mmsim.sweep.execute._worker_main`). The fork server itself would outlive a sweep
killed with SIGKILL for as long as any worker lives (every worker holds the pipe whose
end tells it the sweep is gone), so a worker stuck in C code that holds the GIL (a numba
rule's endless loop), whose orphan watch thread cannot run, would spin forever. With the
same request here, the kernel kills the fork server when the sweep's process dies, and
then its workers. Linux only; elsewhere the workers' watch thread is all there is.
"""

from __future__ import annotations

import signal
import sys

if sys.platform.startswith("linux"):  # pragma: no branch
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - no prctl
        pass
