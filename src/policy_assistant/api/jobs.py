"""Upload jobs: indexing runs off the request path, one job at a time, with progress, a time budget and cancel.

``POST /v1/documents`` queues a job and answers 202 at once; ``GET /v1/jobs/{id}`` reports its stage
and result. Questions keep being answered from the current index meanwhile: a job publishes a new
index version only when it has finished, and a cancelled or failed job publishes nothing.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from ..errors import NotFound, PolicyAssistantError
from ..service import PolicyService
from .errors import error_body

log = logging.getLogger(__name__)
KEEP_FINISHED = 200  # finished jobs remembered for GET /v1/jobs/{id}


class JobCancelled(PolicyAssistantError):
    """An indexing job was cancelled (server shutting down) or ran past its time budget (503)."""

    status = 503


@dataclass
class Job:
    """One upload being indexed; ``status`` is queued → running → done | failed | cancelled."""

    id: str
    filename: str
    replace: str | None = None
    status: str = "queued"
    stage: str = "queued"
    done: int = 0
    total: int = 0
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    http_status: int | None = None
    cancel: threading.Event = field(default_factory=threading.Event, repr=False)
    future: Future[None] | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        progress = round(self.done / self.total, 3) if self.total else (1.0 if self.status == "done" else 0.0)
        return {
            "id": self.id, "filename": self.filename, "replace": self.replace, "status": self.status,
            "stage": self.stage, "progress": progress, "created": self.created, "started": self.started,
            "finished": self.finished, "result": self.result, "error": (self.error or {}).get("error"),
            "status_url": f"/v1/jobs/{self.id}",
        }


class JobRunner:
    """A single worker thread running upload jobs in order, under the app's write lock."""

    def __init__(self, service: PolicyService, write_lock: threading.Lock, budget_s: float) -> None:
        self.service = service
        self.write_lock = write_lock
        self.budget_s = budget_s
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pa-ingest")
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._closed = False

    def submit(self, filename: str, data: bytes, replace: str | None = None) -> Job:
        """Queue an upload; returns at once."""
        job = Job(id=uuid.uuid4().hex[:16], filename=filename, replace=replace)
        with self._lock:
            if self._closed:
                raise JobCancelled("server is shutting down", "服务正在关闭，请稍后再上传")
            self._jobs[job.id] = job
            self._forget_old()
            job.future = self._pool.submit(self._run, job, data)
        return job

    def get(self, job_id: str) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise NotFound(f"job {job_id!r} not found", f"未找到任务 {job_id}")
        return job

    def list(self) -> list[Job]:
        with self._lock:
            return list(self._jobs.values())

    def wait(self, job: Job, timeout: float | None = None) -> Job:
        """Block until ``job`` has finished (for ``?wait=true`` and tests)."""
        if job.future is not None:
            job.future.result(timeout=timeout)
        return job

    def shutdown(self) -> None:
        """Cancel queued and running jobs; a running one stops at its next progress step, publishing nothing."""
        with self._lock:
            self._closed = True
            jobs = list(self._jobs.values())
        for job in jobs:
            job.cancel.set()
        self._pool.shutdown(wait=False, cancel_futures=True)

    # ----- internals ---------------------------------------------------------------------
    def _run(self, job: Job, data: bytes) -> None:
        job.started = time.time()
        job.status = job.stage = "running"
        deadline = time.monotonic() + self.budget_s
        try:
            self._check(job, deadline)
            with self.write_lock:
                self._check(job, deadline)
                doc, report = self.service.upload(job.filename, data, replace=job.replace,
                                                  progress=self._progress(job, deadline))
            job.result = {"document": self.service.public_document(doc), "report": report.to_dict()}
            job.status = job.stage = "done"
            job.http_status = 201
        except JobCancelled as exc:
            job.status = job.stage = "cancelled"
            job.error, job.http_status = error_body(exc), exc.status
        except PolicyAssistantError as exc:
            job.status = job.stage = "failed"
            job.error, job.http_status = error_body(exc), exc.status
        except Exception as exc:  # noqa: BLE001 - a job never takes the worker down
            log.exception("upload job %s failed", job.id)
            err = PolicyAssistantError(f"indexing failed: {type(exc).__name__}", "建立索引失败，请稍后重试")
            job.status = job.stage = "failed"
            job.error, job.http_status = error_body(err), 500
        finally:
            job.finished = time.time()

    def _progress(self, job: Job, deadline: float) -> Callable[[str, int, int], None]:
        def report(stage: str, done: int, total: int) -> None:
            job.stage, job.done, job.total = stage, done, total
            self._check(job, deadline)

        return report

    def _check(self, job: Job, deadline: float) -> None:
        if job.cancel.is_set():
            raise JobCancelled("indexing cancelled: the server is shutting down", "服务正在关闭，索引任务已取消")
        if time.monotonic() > deadline:
            raise JobCancelled(
                f"indexing took longer than {self.budget_s:g} s (PA_INGEST_JOB_TIMEOUT_S); nothing was changed",
                f"建立索引超时（超过 {self.budget_s:g} 秒），文件库未作改动",
            )

    def _forget_old(self) -> None:
        finished = [j for j in self._jobs.values() if j.finished is not None]
        for job in finished[: max(0, len(finished) - KEEP_FINISHED)]:
            del self._jobs[job.id]
