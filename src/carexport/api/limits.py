"""Request body limits, checked before any endpoint reads the body.

A multipart upload may be up to Settings.max_upload_bytes, any other body (a JSON batch of
orders or events) up to Settings.max_json_bytes. Both are refused with 413 and a message
that names the limit and the setting, from the Content-Length header when the client sends
one and by counting the bytes as they arrive when it does not (chunked).
"""

from __future__ import annotations

import contextlib
import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(Exception):
    pass


class BodyLimit:
    def __init__(self, app: ASGIApp, *, max_upload_bytes: int, max_json_bytes: int) -> None:
        self.app = app
        self.max_upload_bytes = max_upload_bytes
        self.max_json_bytes = max_json_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        upload = headers.get("content-type", "").startswith("multipart/form-data")
        limit, setting = (
            (self.max_upload_bytes, "CAREXPORT_MAX_UPLOAD_BYTES")
            if upload
            else (self.max_json_bytes, "CAREXPORT_MAX_JSON_BYTES")
        )
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(send, limit, setting)
            return
        received = 0
        exceeded = started = False

        async def counted() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLarge
            return message

        async def watched(message: Message) -> None:
            # Once the body is over the limit, whatever the app answers (FastAPI turns a
            # failed body read into a 400) gives way to the 413.
            nonlocal started
            if exceeded and not started:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        with contextlib.suppress(BodyTooLarge):  # answered below, with the 413
            await self.app(scope, counted, watched)
        if exceeded and not started:
            await self._refuse(send, limit, setting)

    @staticmethod
    async def _refuse(send: Send, limit: int, setting: str) -> None:
        body = json.dumps(
            {
                "error": f"the request body is larger than the limit of {limit:,} bytes",
                "hint": f"send a smaller file or batch (split it), or raise {setting}",
                "problems": [],
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
