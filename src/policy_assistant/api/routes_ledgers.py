"""The duties ledger (责任清单) and the penalty provisions: /v1/duties, /v1/penalties (JSON, CSV, XLSX)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from ..knowledge.export import (
    DUTY_COLUMNS,
    PENALTY_COLUMNS,
    Cell,
    duty_row,
    penalty_row,
    table_csv,
    table_xlsx,
)
from ..service import PolicyService
from .deps import get_service
from .routes_ask import XLSX_TYPE

router = APIRouter(tags=["ledgers"])
Service = Annotated[PolicyService, Depends(get_service)]
Format = Annotated[Literal["json", "csv", "xlsx"], Query(description="Response format.")]
Doc = Annotated[str | None, Query(description="Document id or part of its title.")]


def _download(name: str, sheet: str, columns: list[str], rows: Iterable[list[Cell]], fmt: str) -> Response:
    if fmt == "csv":  # the BOM lets Excel and WPS open the Chinese text as UTF-8
        return Response("\ufeff" + table_csv(columns, rows), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    return Response(table_xlsx(sheet, columns, rows), media_type=XLSX_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})


def _json(key: str, items: list[BaseModel]) -> JSONResponse:
    return JSONResponse({"count": len(items), key: [i.model_dump(mode="json") for i in items]})


@router.get("/duties", summary="The duties ledger (责任清单): every department's role in every task",
            responses={200: {"content": {"application/json": {}, "text/csv": {}, XLSX_TYPE: {}}}})
async def duties(
    service: Service, doc: Doc = None,
    actor: Annotated[str | None, Query(description="Part of a department's name, e.g. 农业农村局.")] = None,
    role: Annotated[str | None, Query(description="牵头, 配合, 负责, 审批, 监督, …")] = None,
    q: Annotated[str | None, Query(description="Words of the task.")] = None,
    format: Format = "json",
) -> Response:
    """Department, role, task, deadline, section and quote; from clauses and task tables."""
    items = await run_in_threadpool(service.duties, doc, actor, role, q)
    if format != "json":
        return await run_in_threadpool(_download, "duties", "责任清单", DUTY_COLUMNS, [duty_row(d) for d in items], format)
    return _json("duties", list(items))


@router.get("/penalties", summary="Penalty provisions: the article breached, the act, who imposes, the fine range",
            responses={200: {"content": {"application/json": {}, "text/csv": {}, XLSX_TYPE: {}}}})
async def penalties(
    service: Service, doc: Doc = None,
    q: Annotated[str | None, Query(description="Words of the act, e.g. 倾倒.")] = None,
    format: Format = "json",
) -> Response:
    """Every provision that fines or confiscates, with the article it enforces."""
    items = await run_in_threadpool(service.penalties, doc, q)
    if format != "json":
        return await run_in_threadpool(_download, "penalties", "罚则", PENALTY_COLUMNS, [penalty_row(p) for p in items], format)
    return _json("penalties", list(items))
