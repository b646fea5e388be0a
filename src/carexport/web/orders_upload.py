"""Orders page, upload: an order file checked as a dry run and shown row by row, then
imported or dropped.

An upload stays on the server until it is imported or dropped, or for an hour at most: in
a folder of its own named by a random token, with the sha256 of each file. The browser only
ever sends the token back, never a path; the import reads the files again and checks that
their sha256 is still the one the dry run saw.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from carexport.api.deps import OrgDep
from carexport.db.session import unit_of_work
from carexport.errors import CarexportError, NotFound, Problem
from carexport.network import service as network_service
from carexport.network.snapshot import NetworkSnapshot
from carexport.orders import service as orders_service
from carexport.orders.service import ImportOptions, ImportReport
from carexport.tracking import service as tracking_service
from carexport.web.orders import MAX_UPLOAD_BYTES, BookQuery, full_page
from carexport.web.render import page

router = APIRouter()

UPLOAD_TTL_S = 3600
MAX_PROBLEMS_SHOWN = 500
SPREADSHEETS = {".xlsx", ".xlsm", ".xls", ".csv", ".json"}
TOKEN = r"^[A-Za-z0-9_-]{32}$"
FILE_KINDS = ("orders", "vehicles")

Token = Annotated[str, PathParam(pattern=TOKEN, description="An upload's token")]
FormFlag = Annotated[bool, Form()]


class UploadTooLarge(CarexportError):
    status_code = 413


class UploadBusy(CarexportError):
    status_code = 409


class UnreadableUpload(CarexportError):
    status_code = 422


# -- Uploads: stage, check (dry run), import or drop ----------------------------------------


@dataclass
class StagedFile:
    name: str  # the base name the user gave it (cleaned), as the report names it
    sha256: str
    size_bytes: int


@dataclass
class Staged:
    """An uploaded order file (and VIN list) kept for its dry run and its import."""

    token: str
    folder: Path
    org_id: str
    created: float
    files: dict[str, StagedFile] = field(default_factory=dict)
    committed_import: str | None = None
    committed: bool = False

    def path(self, kind: str) -> Path | None:
        staged = self.files.get(kind)
        return self.folder / kind / staged.name if staged else None

    def save(self) -> None:
        meta = {
            "org_id": self.org_id,
            "created": self.created,
            "files": {kind: asdict(f) for kind, f in self.files.items()},
            "committed": self.committed,
            "committed_import": self.committed_import,
        }
        (self.folder / "meta.json").write_text(json.dumps(meta), encoding="utf-8")

    def save_report(self, report: ImportReport, options: ImportOptions, *, dry_run: bool) -> None:
        body = {
            "report": asdict(report),
            "skip_invalid": options.skip_invalid,
            "update": options.update,
            "dry_run": dry_run,
        }
        (self.folder / "report.json").write_text(json.dumps(body), encoding="utf-8")

    def load_report(self) -> tuple[ImportReport, ImportOptions, bool] | None:
        try:
            body = json.loads((self.folder / "report.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        fields = body["report"]
        problems = [Problem(**p) for p in fields.pop("problems")]
        options = ImportOptions(skip_invalid=body["skip_invalid"], update=body["update"])
        return ImportReport(**fields, problems=problems), options, bool(body["dry_run"])

    def verify(self) -> None:
        """The files are still those the dry run read."""
        for kind, staged in self.files.items():
            path = self.path(kind)
            if path is None or _sha256(path) != staged.sha256:
                raise CarexportError(
                    f"the uploaded {kind} file {staged.name} has changed since it was checked",
                    hint="upload the file again",
                )

    def mark_committed(self, report: ImportReport) -> None:
        """Imported: the files go, the report stays (to download) until the upload expires."""
        for kind in FILE_KINDS:
            shutil.rmtree(self.folder / kind, ignore_errors=True)
        self.committed, self.committed_import = True, report.import_id
        self.save()

    def drop(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def staging_root(request: Request) -> Path:
    """Where uploads wait (app.state.order_upload_dir, else a folder in the temp dir)."""
    configured = getattr(request.app.state, "order_upload_dir", None)
    root = Path(configured) if configured else Path(tempfile.gettempdir()) / "carexport-uploads"
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    return root


def sweep(root: Path, now: float | None = None) -> int:
    """Delete uploads older than UPLOAD_TTL_S; only folders named like a token."""
    now = time.time() if now is None else now
    removed = 0
    for folder in root.iterdir():
        if not (folder.is_dir() and re.fullmatch(TOKEN, folder.name)):
            continue
        try:
            created = float(json.loads((folder / "meta.json").read_text())["created"])
        except (OSError, ValueError, KeyError, TypeError):
            created = folder.stat().st_mtime
        if now - created > UPLOAD_TTL_S:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


def _gone() -> NotFound:
    return NotFound(
        "this upload is no longer kept (an upload is kept for an hour, until it is "
        "imported or dropped)",
        hint="upload the file again",
    )


def load_staged(root: Path, org_id: str, token: str) -> Staged:
    if not re.fullmatch(TOKEN, token):
        raise _gone()
    folder = root / token
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise _gone() from None
    staged = Staged(
        token=token,
        folder=folder,
        org_id=meta["org_id"],
        created=float(meta["created"]),
        files={kind: StagedFile(**f) for kind, f in meta["files"].items()},
        committed=bool(meta.get("committed")),
        committed_import=meta.get("committed_import"),
    )
    if staged.org_id != org_id:
        raise _gone()  # another organisation's upload is not there for this one
    if time.time() - staged.created > UPLOAD_TTL_S:
        staged.drop()
        raise _gone()
    return staged


def _clean_name(filename: str | None, fallback: str) -> str:
    """The base name of a client's file name, safe as a file name here."""
    base = re.split(r"[\\/]", filename or "")[-1].strip()
    cleaned = re.sub(r"[^\w. ()+-]", "_", base).lstrip(".")[-120:]
    return cleaned or fallback


def _too_large(name: str) -> UploadTooLarge:
    limit = MAX_UPLOAD_BYTES // (1024 * 1024)
    return UploadTooLarge(
        f"{name} is larger than {limit} MB, the most one upload may be",
        hint="split the order book into smaller files (for example one per month) and "
        "upload them one after the other",
    )


async def _receive(upload: UploadFile, staged: Staged, kind: str) -> None:
    """Copy one uploaded file into the upload's folder, refusing what cannot be an order file."""
    what = "order file" if kind == "orders" else "VIN list"
    name = _clean_name(upload.filename, kind)
    suffix = Path(name).suffix.lower()
    if suffix not in SPREADSHEETS:
        raise CarexportError(
            f"the {what} {name} is not a spreadsheet ({suffix or 'no file extension'})",
            hint="upload an Excel workbook (.xlsx) or a CSV file (Excel: Save As > CSV UTF-8)",
        )
    target = staged.folder / kind / name
    target.parent.mkdir(mode=0o700)
    digest, size, head = hashlib.sha256(), 0, b""
    with target.open("wb") as handle:
        while chunk := await upload.read(1 << 20):
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                raise _too_large(name)
            if len(head) < 8:
                head += chunk[:8]
            digest.update(chunk)
            handle.write(chunk)
    if size == 0:
        raise CarexportError(
            f"the {what} {name} is empty (0 bytes)",
            hint="choose the saved file: a header row, then one row per order",
        )
    if suffix in (".xlsx", ".xlsm") and not head.startswith(b"PK"):
        raise CarexportError(
            f"the {what} {name} is not an Excel workbook (an .xlsx file is a ZIP archive; "
            "this one is not)",
            hint="open it in Excel or LibreOffice and save it as .xlsx, or as CSV UTF-8",
        )
    if suffix == ".csv" and (b"\x00" in head or head.startswith(b"PK")):
        raise CarexportError(
            f"the {what} {name} is not a CSV text file",
            hint="save the sheet as 'CSV UTF-8' (Excel: File > Save As), or upload the .xlsx",
        )
    staged.files[kind] = StagedFile(name=name, sha256=digest.hexdigest(), size_bytes=size)


def _flag(value: object) -> bool:
    return isinstance(value, str) and value.lower() in ("true", "on", "1", "yes")


def _snapshot(session: Session, org_id: str) -> NetworkSnapshot:
    if not network_service.has_network(session, org_id):
        raise CarexportError(
            f"organisation {org_id!r} has no network loaded, so orders cannot be checked",
            hint="load one first: carexport network load",
        )
    return network_service.snapshot_of(session, org_id)


def _run(engine: Engine, org_id: str, staged: Staged, options: ImportOptions) -> ImportReport:
    """Read the staged files and import them (or, with dry_run, only check them)."""
    orders_path = staged.path("orders")
    assert orders_path is not None
    try:
        orders_table, vehicles_table = orders_service.read_files(
            orders_path, staged.path("vehicles"), options
        )
    except CarexportError:
        raise
    except Exception as exc:  # the readers report bad content; this is a reader's bug
        logging.getLogger("carexport").exception("reading upload %s", staged.token)
        raise UnreadableUpload(
            f"the file could not be read ({type(exc).__name__}: {str(exc)[:200]})",
            hint="open it in Excel or LibreOffice, save it again as .xlsx or CSV UTF-8 and "
            "upload that",
        ) from None
    # writes: it takes its turn among SQLite writers (it reads before it writes, and a
    # reader cannot then write while another writes: it would fail at once).
    with unit_of_work(engine, writes=not options.dry_run) as session:
        report = orders_service.import_orders(
            session,
            org_id,
            _snapshot(session, org_id),
            orders_table,
            vehicles_table,
            options,
            source=staged.files["orders"].name,
            sha256=staged.files["orders"].sha256,
        )
        if not report.committed:
            session.rollback()
        elif report.vehicles_deleted:
            # VINs left orders: the export counts attribute exports to orders (as the CLI).
            tracking_service.recount_exports(session, org_id)
    staged.save_report(report, options, dry_run=options.dry_run)
    return report


def in_file_order(problems: list[Problem], orders_file: str) -> list[Problem]:
    """The order file's problems first, then the VIN list's; each by row (file-wide
    problems first), as someone going down the spreadsheet meets them."""
    return sorted(problems, key=lambda p: (p.file != orders_file, p.file, p.row or 0))


def _report_context(
    staged: Staged, report: ImportReport, options: ImportOptions, state: str
) -> dict[str, Any]:
    errors, warnings = len(report.errors), len(report.warnings)
    would_write = report.orders_inserted + report.orders_updated + report.vehicles_inserted
    reason = None
    if report.rows == 0:
        reason = "the file has no order rows to import"
    elif errors and not options.skip_invalid:
        reason = (
            f"{errors:,} error(s): fix them in the file and upload it again, or tick "
            "'Skip invalid rows' to import only the valid orders"
        )
    elif not would_write:
        reason = "nothing to import: every valid order is already imported as it is"
    return {
        "staged": staged,
        "report": report,
        "options": options,
        "state": state,
        "errors": errors,
        "warnings": warnings,
        "problems": in_file_order(report.problems, report.source)[:MAX_PROBLEMS_SHOWN],
        "problems_total": len(report.problems),
        "can_commit": state in ("checked", "rejected") and reason is None,
        "not_committable": reason,
        "would_orders": report.orders_inserted + report.orders_updated,
    }


def _report_response(
    request: Request,
    org_id: str,
    staged: Staged,
    report: ImportReport,
    options: ImportOptions,
    state: Literal["checked", "rejected", "committed"],
) -> Response:
    context = _report_context(staged, report, options, state)
    status_code = 422 if report.errors and state != "committed" else 200
    if request.headers.get("HX-Request") == "true":
        response: Response = page(
            request,
            "fragments/orders_upload.html",
            active="orders",
            title="Orders",
            org_id=org_id,
            status_code=status_code,
            u=context,
        )
    else:
        with unit_of_work(request.app.state.engine) as session:
            response = full_page(
                request, session, org_id, BookQuery(), status_code=status_code, upload=context
            )
    if state == "committed" and report.changed:
        response.headers["HX-Trigger"] = "orders-changed"
    return response


@router.post("/ui/orders/upload", response_class=HTMLResponse)
async def upload_orders(request: Request, org_id: OrgDep) -> Response:
    """Keep an order file (and VIN list) for an hour and show its dry run, row by row."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > len(FILE_KINDS) * MAX_UPLOAD_BYTES + (1 << 20):
        raise _too_large("the upload")
    try:
        form = await request.form(max_files=len(FILE_KINDS), max_fields=16)
    except StarletteHTTPException as exc:
        raise CarexportError(
            f"the upload could not be read: {exc.detail}",
            hint="choose an order file (and at most one VIN list) and send the form again",
        ) from None
    try:
        return await _stage_and_check(request, org_id, form)
    finally:
        await form.close()


async def _stage_and_check(request: Request, org_id: str, form: FormData) -> Response:
    uploads = {kind: form.get(kind if kind == "vehicles" else "file") for kind in FILE_KINDS}
    orders_upload = uploads["orders"]
    if not isinstance(orders_upload, UploadFile) or not orders_upload.filename:
        raise CarexportError(
            "no order file was chosen",
            hint="choose an Excel (.xlsx) or CSV file of orders, then press 'Check file'",
        )
    options = ImportOptions(
        dry_run=True, skip_invalid=_flag(form.get("skip_invalid")), update=_flag(form.get("update"))
    )
    root = staging_root(request)
    sweep(root)
    token = secrets.token_urlsafe(24)
    staged = Staged(token=token, folder=root / token, org_id=org_id, created=time.time())
    staged.folder.mkdir(mode=0o700)
    try:
        await _receive(orders_upload, staged, "orders")
        vehicles_upload = uploads["vehicles"]
        if isinstance(vehicles_upload, UploadFile) and vehicles_upload.filename:
            await _receive(vehicles_upload, staged, "vehicles")
        staged.save()
        report = await run_in_threadpool(_run, request.app.state.engine, org_id, staged, options)
    except BaseException:
        staged.drop()
        raise
    return await run_in_threadpool(
        _report_response, request, org_id, staged, report, options, "checked"
    )


def _committed_response(request: Request, org_id: str, staged: Staged) -> Response:
    """What an upload already imported shows again (a second click changes nothing)."""
    stored = staged.load_report()
    if stored is None:
        raise _gone()
    report, options, _ = stored
    return _report_response(request, org_id, staged, report, options, "committed")


@router.post("/ui/orders/upload/{token}/check", response_class=HTMLResponse)
def check_upload(
    request: Request,
    org_id: OrgDep,
    token: Token,
    skip_invalid: FormFlag = False,
    update: FormFlag = False,
) -> Response:
    """The dry run again, with other options."""
    staged = load_staged(staging_root(request), org_id, token)
    if staged.committed:
        return _committed_response(request, org_id, staged)
    staged.verify()
    options = ImportOptions(dry_run=True, skip_invalid=skip_invalid, update=update)
    report = _run(request.app.state.engine, org_id, staged, options)
    return _report_response(request, org_id, staged, report, options, "checked")


@router.post("/ui/orders/upload/{token}/commit", response_class=HTMLResponse)
def commit_upload(
    request: Request,
    org_id: OrgDep,
    token: Token,
    skip_invalid: FormFlag = False,
    update: FormFlag = False,
) -> Response:
    """Import the checked upload for real, in one transaction."""
    root = staging_root(request)
    staged = load_staged(root, org_id, token)
    lock = staged.folder / "committing"
    try:
        lock.touch(exist_ok=False)  # one import of an upload at a time
    except FileExistsError:
        raise UploadBusy(
            "this upload is being imported already",
            hint="wait a moment, then reload the page to see it in the order book",
        ) from None
    try:
        staged = load_staged(root, org_id, token)  # as it is now that we hold the lock
        if staged.committed:
            return _committed_response(request, org_id, staged)
        staged.verify()
        options = ImportOptions(skip_invalid=skip_invalid, update=update)
        report = _run(request.app.state.engine, org_id, staged, options)
        if not report.committed:
            return _report_response(request, org_id, staged, report, options, "rejected")
        staged.mark_committed(report)
        return _report_response(request, org_id, staged, report, options, "committed")
    finally:
        lock.unlink(missing_ok=True)


@router.post("/ui/orders/upload/{token}/cancel", response_class=HTMLResponse)
def cancel_upload(request: Request, org_id: OrgDep, token: Token) -> Response:
    """Drop an upload that was not imported (nothing was written)."""
    root = staging_root(request)
    try:
        staged: Staged | None = load_staged(root, org_id, token)
    except NotFound:
        staged = None
    committed = staged is not None and staged.committed
    if staged is not None:
        staged.drop()
    context: dict[str, Any] = {"state": "cancelled", "committed_before": committed}
    if request.headers.get("HX-Request") == "true":
        return page(
            request,
            "fragments/orders_upload.html",
            active="orders",
            title="Orders",
            org_id=org_id,
            u=context,
        )
    with unit_of_work(request.app.state.engine) as session:
        return full_page(request, session, org_id, BookQuery(), upload=context)


@router.get("/ui/orders/upload/{token}/report.{kind}")
def download_report(
    request: Request, org_id: OrgDep, token: Token, kind: Literal["csv", "xlsx"]
) -> Response:
    """The upload's last report (every problem, not only those shown) as CSV or XLSX."""
    staged = load_staged(staging_root(request), org_id, token)
    stored = staged.load_report()
    if stored is None:
        raise _gone()
    report = stored[0]
    stem = re.sub(r"[^A-Za-z0-9_-]", "_", Path(staged.files["orders"].name).stem) or "orders"
    media = (
        "text/csv; charset=utf-8"
        if kind == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return Response(
        orders_service.problem_report_bytes(in_file_order(report.problems, report.source), kind),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{stem}-report.{kind}"'},
    )
