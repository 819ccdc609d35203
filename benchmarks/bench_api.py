"""Load test of ``POST /v1/ask``: N concurrent clients × M calls each; prints errors and latency percentiles.

Run from the repository root (the index is built from ``corpus/`` into a temporary folder unless
``--index-dir`` names a built one, or ``--url`` points at a running ``policy-assistant serve``). The
server runs in a child process, as it is deployed, so the load-generating clients do not compete with it
for the GIL::

    .venv/bin/python benchmarks/bench_api.py                       # 20 clients x 10 calls, server in a child process
    .venv/bin/python benchmarks/bench_api.py --index-dir indexes   # reuse a built index
    .venv/bin/python benchmarks/bench_api.py --url http://127.0.0.1:8000 --api-key KEY

Questions come round-robin from ``evals/qa_dev.jsonl`` (so most calls differ). Goal: p95 ≤ 300 ms on 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
GOAL_P95_MS = 300.0


def load_questions(path: Path) -> list[str]:
    """The eval questions (dev split), in file order.

    Args:
        path: a JSONL file with a ``question`` field per line.

    Returns:
        The questions.
    """
    return [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile of ``values`` (``p`` in 0..100)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(index_dir: Path, data_dir: Path, port: int) -> None:
    """Run the API (no page) with uvicorn in this process, in the foreground (the ``--serve`` child)."""
    import uvicorn

    sys.path.insert(0, str(ROOT / "src"))
    from policy_assistant.api.app import create_app
    from policy_assistant.config import Settings

    settings = Settings(
        index_dir=index_dir, data_dir=data_dir, corpus_dir=ROOT / "corpus", _env_file=None,  # type: ignore[call-arg]
    )
    uvicorn.run(create_app(settings, ui=False), host="127.0.0.1", port=port, log_level="warning")


def start_server(index_dir: Path | None, data_dir: Path) -> tuple[str, subprocess.Popen[bytes]]:
    """Start the API in a child process (as deployed: the clients must not share the server's GIL).

    Returns:
        Its base URL and the process (terminate it when done).
    """
    index_dir = index_dir or Path(tempfile.mkdtemp(prefix="pa-bench-")) / "indexes"
    port = free_port()
    child = subprocess.Popen([sys.executable, __file__, "--serve", "--index-dir", str(index_dir),
                              "--data-dir", str(data_dir), "--port", str(port)])
    url = f"http://127.0.0.1:{port}"
    t0 = time.perf_counter()
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if child.poll() is not None:
            raise SystemExit(f"server exited with code {child.returncode}")
        if time.perf_counter() - t0 > 600:
            child.terminate()
            raise SystemExit("server did not become ready in 600 s")
        time.sleep(0.3)
    print(f"server (pid {child.pid}) ready in {time.perf_counter() - t0:.1f}s (index {index_dir})")
    return url, child


async def run(url: str, questions: list[str], clients: int, calls: int, api_key: str | None) -> None:
    """Fire ``clients`` concurrent loops of ``calls`` sequential questions each, then print the figures."""
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    latencies: list[float] = []
    server_ms: list[float] = []
    errors: list[str] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=120, limits=limits) as http:
        for q in questions[:3]:  # warm-up: first-use costs are not what we measure
            await http.post("/v1/ask", json={"question": q})

        async def client(i: int) -> None:
            for j in range(calls):
                question = questions[(i * calls + j) % len(questions)]
                t0 = time.perf_counter()
                try:
                    r = await http.post("/v1/ask", json={"question": question})
                    elapsed = (time.perf_counter() - t0) * 1000
                    if r.status_code != 200:
                        errors.append(f"{r.status_code} {r.text[:120]}")
                        continue
                    latencies.append(elapsed)
                    server_ms.append(float(r.json().get("latency_ms", 0.0)))
                except httpx.HTTPError as exc:
                    errors.append(f"{type(exc).__name__}: {exc}")

        t0 = time.perf_counter()
        await asyncio.gather(*(client(i) for i in range(clients)))
        wall = time.perf_counter() - t0

    total = clients * calls
    print(f"\n/v1/ask  {clients} clients x {calls} calls = {total} requests, "
          f"{len(set(questions[: total]))} distinct questions, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"errors: {len(errors)}")
    for e in errors[:5]:
        print(f"  {e}")
    if not latencies:
        return
    print(f"throughput: {len(latencies) / wall:.1f} requests/s over {wall:.1f}s")
    print("client latency ms: " + "  ".join(
        f"p{p}={percentile(latencies, p):.0f}" for p in (50, 90, 95, 99)) + f"  max={max(latencies):.0f}"
          f"  mean={statistics.fmean(latencies):.0f}")
    print("server compute ms: " + "  ".join(f"p{p}={percentile(server_ms, p):.0f}" for p in (50, 95)))
    p95 = percentile(latencies, 95)
    verdict = "met" if p95 <= GOAL_P95_MS else "NOT met"
    print(f"goal p95 <= {GOAL_P95_MS:.0f} ms: {verdict} (p95 = {p95:.0f} ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="A running server; default: start one in a child process.")
    parser.add_argument("--index-dir", type=Path, help="Built index for the started server (default: build one).")
    parser.add_argument("--data-dir", type=Path, default=ROOT / "data",
                        help="The started server's data folder (model cache).")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--calls", type=int, default=10, help="Calls per client.")
    parser.add_argument("--questions", type=Path, default=ROOT / "evals" / "qa_dev.jsonl")
    parser.add_argument("--api-key", help="Bearer key when the server has PA_API_KEYS set.")
    parser.add_argument("--serve", action="store_true", help="Only run the server (used for the child process).")
    parser.add_argument("--port", type=int, default=8000, help="Port for --serve.")
    args = parser.parse_args()
    if args.serve:
        serve(args.index_dir or ROOT / "indexes", args.data_dir, args.port)
        return
    child = None
    if args.url:
        url = args.url
    else:
        url, child = start_server(args.index_dir, args.data_dir)
    try:
        asyncio.run(run(url, load_questions(args.questions), args.clients, args.calls, args.api_key))
    finally:
        if child is not None:
            child.terminate()
            child.wait(timeout=30)


if __name__ == "__main__":
    main()
