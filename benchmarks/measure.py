"""Timing a command as a whole process: wall and CPU time, peak memory of its process tree.

Shared by the benchmark scripts. Memory is sampled every 50 ms from /proc (Linux) over the
process and every descendant, and compared with the kernel's own peak of the main process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Run", "measure", "survstudy_command"]

BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Run:
    wall: float
    cpu: float  # user + system seconds of the process and the children it waited for
    peak: int  # bytes
    output: str
    killed: bool = False  # passed the memory limit and was killed


def survstudy_command() -> list[str]:
    """The survstudy CLI of this environment."""
    exe = BIN / "survstudy"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "survstudy.cli"]


def _tree(pid: int) -> list[int]:
    """``pid`` and every descendant (from /proc)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry))
    out, todo = [pid], [pid]
    while todo:
        kids = parents.get(todo.pop(), [])
        out += kids
        todo += kids
    return out


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def measure(command: list[str], limit: int | None = None) -> Run:
    """Run ``command``: wall and CPU time, peak memory of its process tree, stdout.

    With ``limit``, the process (in its own session) is killed when its tree's memory passes
    that many bytes; otherwise a failing command raises RuntimeError with its stderr.
    """
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, start_new_session=True)
        peak, killed = 0, False
        done = threading.Event()

        def sample() -> None:
            nonlocal peak, killed
            while not done.wait(0.05):
                peak = max(peak, sum(_rss(p) for p in _tree(process.pid)))
                if limit is not None and peak > limit and not killed:
                    killed = True
                    os.killpg(process.pid, signal.SIGKILL)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        done.set()
        sampler.join()
        code = process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if code != 0 and not killed:
            raise RuntimeError(f"{' '.join(command)} failed ({code}):\n{err.read()[-3000:]}")
        cpu = usage.ru_utime + usage.ru_stime
        return Run(wall, cpu, max(usage.ru_maxrss * 1024, peak), out.read(), killed)
