"""A stateful fake of the Stripe Connect endpoints the payout uses, over real HTTP.

It speaks Stripe's wire format (form-encoded requests, JSON objects, list objects, error
objects and status codes) so the official ``stripe`` client talks to it unchanged, and it keeps
Stripe's v1 idempotency rules: a key with the same parameters replays the stored response
(``Idempotent-Replayed: true``), with other parameters it is a 400 ``idempotency_error``, and a
key still running elsewhere is a 409. Responses are stored once the endpoint started executing,
refusals included, until the test prunes the keys (Stripe does so after 24 hours or more).

Faults for the next N matching requests (after letting ``skip`` of them through):
``error_500`` answers 500 before doing anything, ``delay`` waits before executing (the work
still happens, after the client gave up), ``drop_after_commit`` executes, stores, then closes
the connection without an answer, and ``stall_after_commit`` executes, stores, then waits before
closing it without an answer (a client killed meanwhile never hears of the transfer);
``release`` ends every wait.
"""

from __future__ import annotations

import itertools
import json
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

API_KEY = "sk_test_almerepas_fake"
FAULTS = ("error_500", "delay", "drop_after_commit", "stall_after_commit")


@dataclass
class _Fault:
    kind: str
    method: str
    path: str
    times: int
    seconds: float = 0.0
    skip: int = 0
    released: threading.Event = field(default_factory=threading.Event)


@dataclass
class _Response:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


class _Drop(Exception):
    """Close the connection without answering."""


class StripeFake:
    """The fake's state; ``url`` is its API base while it runs (see ``running``)."""

    def __init__(self, api_key: str = API_KEY, balance: int = 0) -> None:
        self.api_key = api_key
        #: the platform's available balance in cents (eur); transfers draw from it
        self.balance = balance
        self.accounts: dict[str, dict[str, Any]] = {}
        #: newest last; lists return newest first, as Stripe does
        self.transfers: list[dict[str, Any]] = []
        #: every request that reached the fake: (method, path)
        self.requests: list[tuple[str, str]] = []
        self._keys: dict[str, tuple[tuple[str, str, str], _Response | None]] = {}
        self._faults: list[_Fault] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._busy = 0
        self._server: ThreadingHTTPServer | None = None
        self.url = ""

    # -- what tests arrange and inspect

    def add_account(self, account_id: str, *, transfers_active: bool = True) -> None:
        """Register a connected account, as onboarding at Stripe would."""
        with self._lock:
            self.accounts[account_id] = {
                "id": account_id,
                "object": "account",
                "type": "express",
                "country": "NL",
                "default_currency": "eur",
                "charges_enabled": transfers_active,
                "payouts_enabled": transfers_active,
                "capabilities": {"transfers": "active" if transfers_active else "inactive"},
                "metadata": {},
            }

    def arm(
        self,
        fault: str,
        method: str,
        path: str,
        *,
        times: int = 1,
        seconds: float = 0.0,
        skip: int = 0,
    ) -> None:
        """Make the ``times`` requests to ``method path`` after the next ``skip`` fail in the
        way ``fault`` says."""
        if fault not in FAULTS:
            raise ValueError(fault)
        with self._lock:
            self._faults.append(_Fault(fault, method.upper(), path, times, seconds, skip))

    def release(self) -> None:
        """End every delay and stall now, and those armed before that have not started yet."""
        with self._lock:
            for fault in self._faults:
                fault.released.set()

    def prune_keys(self) -> None:
        """Forget every idempotency key, as Stripe does a day or more after their first use."""
        with self._lock:
            self._keys.clear()

    def transfers_for(self, payment_id: int) -> list[dict[str, Any]]:
        with self._lock:
            return [t for t in self.transfers if t["metadata"].get("payment_id") == str(payment_id)]

    def wait_idle(self, timeout: float = 10) -> None:
        """Wait until no request is being handled (e.g. one delayed past a client's timeout)."""
        if not _poll(lambda: self._busy == 0, timeout):
            raise TimeoutError("the Stripe fake is still handling a request")

    # -- serving

    @contextmanager
    def running(self) -> Iterator[StripeFake]:
        """Serve on a free port of 127.0.0.1 in a thread, and stop when the block ends."""
        fake = self

        class Handler(_Handler):
            stripe_fake = fake

        server = _Server(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self._server = server
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        thread = threading.Thread(
            target=server.serve_forever, args=(0.05,), name="stripe-fake", daemon=True
        )
        thread.start()
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()
            thread.join(5)
            self._server = None

    # -- the API

    def handle(self, method: str, path: str, headers: dict[str, str], body: str) -> _Response:
        """One request: faults, authentication, idempotency, then the endpoint."""
        with self._lock:
            self.requests.append((method, path))
            fault = self._take_fault(method, path)
            self._busy += 1
        try:
            if fault is not None and fault.kind == "error_500":
                return _error(500, "api_error", None, "An unknown error occurred (fake).")
            if headers.get("authorization") != f"Bearer {self.api_key}":
                return _error(
                    401, "invalid_request_error", None, "Invalid API Key provided (fake)."
                )
            parsed = urllib.parse.urlsplit(path)
            query = _decode(parsed.query)
            key = headers.get("idempotency-key") if method == "POST" else None
            claim = self._claim(key, (method, parsed.path, body)) if key else None
            if isinstance(claim, _Response):
                return claim
            if fault is not None and fault.kind == "delay":
                _poll(fault.released.is_set, fault.seconds)
            response = self._execute(method, parsed.path, query, _decode(body))
            if key:
                self._store(key, (method, parsed.path, body), response)
            if fault is not None and fault.kind == "stall_after_commit":
                _poll(fault.released.is_set, fault.seconds)
            if fault is not None and fault.kind in ("drop_after_commit", "stall_after_commit"):
                raise _Drop()
            return response
        finally:
            with self._idle:
                self._busy -= 1
                self._idle.notify_all()

    def _take_fault(self, method: str, path: str) -> _Fault | None:
        bare = urllib.parse.urlsplit(path).path
        for fault in self._faults:
            if fault.method == method and fault.path == bare and fault.times > 0:
                if fault.skip > 0:
                    fault.skip -= 1
                    return None
                fault.times -= 1
                return fault
        return None

    def _claim(self, key: str, request: tuple[str, str, str]) -> _Response | None:
        """None to go ahead; otherwise the answer Stripe gives for a known key."""
        with self._lock:
            known = self._keys.get(key)
            if known is None:
                self._keys[key] = (request, None)
                return None
            first, stored = known
            if first != request:
                return _error(
                    400,
                    "idempotency_error",
                    None,
                    "Keys for idempotent requests can only be used with the same parameters "
                    "they were first used with. Try using a key other than "
                    f"'{key}' if you meant to execute a different request.",
                )
            if stored is None:
                return _error(
                    409,
                    "idempotency_error",
                    None,
                    "There is currently another in-progress request using this Idempotent "
                    "Key. Please try again later.",
                )
            return _Response(
                stored.status, stored.body, {**stored.headers, "Idempotent-Replayed": "true"}
            )

    def _store(self, key: str, request: tuple[str, str, str], response: _Response) -> None:
        """Keep the answer for replays; a request that failed validation is not kept."""
        with self._lock:
            if key not in self._keys:
                return
            if response.body.get("error", {}).get("code") == "parameter_missing":
                del self._keys[key]
            else:
                self._keys[key] = (request, response)

    def _execute(
        self, method: str, path: str, query: dict[str, Any], form: dict[str, Any]
    ) -> _Response:
        parts = path.strip("/").split("/")
        with self._lock:
            if method == "POST" and path == "/v1/transfers":
                return self._create_transfer(form)
            if method == "GET" and path == "/v1/transfers":
                return self._list_transfers(query)
            if method == "GET" and len(parts) == 3 and parts[:2] == ["v1", "transfers"]:
                found = [t for t in self.transfers if t["id"] == parts[2]]
                if found:
                    return _Response(200, found[0])
                return _missing("id", f"No such transfer: '{parts[2]}'")
            if method == "GET" and len(parts) == 3 and parts[:2] == ["v1", "accounts"]:
                if parts[2] in self.accounts:
                    return _Response(200, self.accounts[parts[2]])
                return _missing("account", f"No such account: '{parts[2]}'", status=404)
        return _error(
            404, "invalid_request_error", None, f"Unrecognized request URL ({method}: {path})."
        )

    def _create_transfer(self, form: dict[str, Any]) -> _Response:
        for name in ("amount", "currency", "destination"):
            if not form.get(name):
                return _error(
                    400,
                    "invalid_request_error",
                    "parameter_missing",
                    f"Missing required param: {name}.",
                    param=name,
                )
        amount = int(form["amount"])
        destination = form["destination"]
        if form["currency"] != "eur":
            return _error(400, "invalid_request_error", "parameter_invalid_string", "Bad currency.")
        account = self.accounts.get(destination)
        if account is None:
            return _missing("destination", f"No such destination: '{destination}'")
        if account["capabilities"]["transfers"] != "active":
            return _error(
                400,
                "invalid_request_error",
                "insufficient_capabilities_for_transfer",
                "Your destination account needs to have the transfers capability enabled.",
                param="destination",
            )
        if amount > self.balance:
            return _error(
                400,
                "invalid_request_error",
                "balance_insufficient",
                "You have insufficient available funds in your Stripe account.",
            )
        self.balance -= amount
        number = next(self._ids)
        transfer = {
            "id": f"tr_fake{number:08d}",
            "object": "transfer",
            "amount": amount,
            "amount_reversed": 0,
            "balance_transaction": f"txn_fake{number:08d}",
            "created": 1_800_000_000 + number,
            "currency": "eur",
            "description": form.get("description"),
            "destination": destination,
            "destination_payment": f"py_fake{number:08d}",
            "livemode": False,
            "metadata": form.get("metadata") or {},
            "reversals": {
                "object": "list",
                "data": [],
                "has_more": False,
                "url": f"/v1/transfers/tr_fake{number:08d}/reversals",
            },
            "reversed": False,
            "source_transaction": None,
            "source_type": "card",
            "transfer_group": form.get("transfer_group"),
        }
        self.transfers.append(transfer)
        return _Response(200, transfer)

    def _list_transfers(self, query: dict[str, Any]) -> _Response:
        limit = int(query.get("limit", 10))
        if not 1 <= limit <= 100:
            return _error(
                400, "invalid_request_error", "parameter_invalid_integer", "Invalid limit."
            )
        rows = [
            t
            for t in reversed(self.transfers)
            if all(
                t.get(name) == query[name]
                for name in ("transfer_group", "destination")
                if name in query
            )
        ]
        after = query.get("starting_after")
        if after:
            ids = [t["id"] for t in rows]
            if after not in ids:
                return _missing("starting_after", f"No such transfer: '{after}'")
            rows = rows[ids.index(after) + 1 :]
        return _Response(
            200,
            {
                "object": "list",
                "data": rows[:limit],
                "has_more": len(rows) > limit,
                "url": "/v1/transfers",
            },
        )


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (timeout) before the answer is expected, not an error."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    stripe_fake: StripeFake

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            response = self.stripe_fake.handle(method, self.path, headers, body)
        except _Drop:
            self.close_connection = True
            return
        data = json.dumps(response.body).encode()
        self.send_response(response.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Request-Id", "req_fake")
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: pytest shows what matters."""


def _decode(encoded: str) -> dict[str, Any]:
    """Stripe's form encoding: ``metadata[key]=value`` becomes a nested dict."""
    result: dict[str, Any] = {}
    for name, value in urllib.parse.parse_qsl(encoded, keep_blank_values=True):
        if "[" in name and name.endswith("]"):
            outer, inner = name[:-1].split("[", 1)
            result.setdefault(outer, {})[inner] = value
        else:
            result[name] = value
    return result


def _error(
    status: int, type_: str, code: str | None, message: str, *, param: str | None = None
) -> _Response:
    error: dict[str, Any] = {"type": type_, "message": message}
    if code is not None:
        error["code"] = code
    if param is not None:
        error["param"] = param
    return _Response(status, {"error": error})


def _missing(param: str, message: str, *, status: int = 400) -> _Response:
    return _error(status, "invalid_request_error", "resource_missing", message, param=param)


def _poll(condition: Callable[[], bool], seconds: float) -> bool:
    """Wait until ``condition()`` or ``seconds`` passed; True if it came true.

    Sleeps in short steps instead of a timed Event or Condition wait: under libfaketime (the
    suite's shifted-clock passes) such a timed wait never times out.
    """
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.01)
    return True
