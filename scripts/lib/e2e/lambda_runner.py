"""Runs a Lambda function's real code: the `bootstrap` executable of its zip, once per
invocation, against a local Lambda Runtime API (the protocol AWS's own runtime
interface speaks: GET .../invocation/next, POST .../response or .../error).

moto runs functions in Docker, which this project's tests cannot use; this runs the
code that ships (the dpc bundle) the way Lambda's provided.al2023 runtime does.
"""

from __future__ import annotations

import http.server
import io
import json
import os
import stat
import subprocess
import tempfile
import threading
import time
import uuid
import zipfile

# How long one invocation may take before it is stopped (the dpc functions' own
# timeouts are longer, but nothing in the e2e scenarios needs more).
MAX_SECONDS = 60

_code_dirs: dict[str, str] = {}
_code_lock = threading.Lock()


def code_dir(code: bytes) -> str:
    """The folder the zip `code` is unpacked into (once per distinct zip)."""
    key = str(hash(code))
    with _code_lock:
        if key not in _code_dirs:
            folder = tempfile.mkdtemp(prefix="dpc-e2e-lambda-")
            with zipfile.ZipFile(io.BytesIO(code)) as archive:
                archive.extractall(folder)
            boot = os.path.join(folder, "bootstrap")
            if os.path.exists(boot):
                os.chmod(boot, os.stat(boot).st_mode | stat.S_IXUSR)
            _code_dirs[key] = folder
        return _code_dirs[key]


class _Invocation:
    def __init__(self, event: bytes, function_arn: str, timeout: int):
        self.event = event
        self.request_id = str(uuid.uuid4())
        self.function_arn = function_arn
        self.deadline_ms = int((time.time() + timeout) * 1000)
        self.handed_out = False
        self.result: bytes | None = None
        self.error: bytes | None = None
        self.done = threading.Event()


def _handler_for(invocation: _Invocation):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):  # the runtime's own logs are what matter
            pass

        def _reply(self, status: int, body: bytes = b"", headers=None):
            self.send_response(status)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if not self.path.endswith("/runtime/invocation/next"):
                return self._reply(404)
            if invocation.handed_out:
                # One event per process: the next poll waits until the process is stopped.
                invocation.done.wait(MAX_SECONDS)
                time.sleep(MAX_SECONDS)
                return self._reply(500)
            invocation.handed_out = True
            self._reply(
                200,
                invocation.event,
                {
                    "Content-Type": "application/json",
                    "Lambda-Runtime-Aws-Request-Id": invocation.request_id,
                    "Lambda-Runtime-Deadline-Ms": str(invocation.deadline_ms),
                    "Lambda-Runtime-Invoked-Function-Arn": invocation.function_arn,
                    "Lambda-Runtime-Trace-Id": "Root=1-00000000-000000000000000000000000",
                },
            )

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if self.path.endswith("/response"):
                invocation.result = body
            elif self.path.endswith("/error"):
                invocation.error = body or b'{"errorMessage": "unknown error"}'
            else:
                return self._reply(404)
            self._reply(202, b'{"status":"OK"}', {"Content-Type": "application/json"})
            invocation.done.set()

    return Handler


def invoke(
    code: bytes,
    event: bytes,
    env: dict[str, str],
    function_arn: str,
    timeout: int = MAX_SECONDS,
) -> tuple[bytes, bool, str]:
    """Runs one invocation; returns (payload, errored, the process's log output)."""
    folder = code_dir(code)
    invocation = _Invocation(event, function_arn, min(timeout, MAX_SECONDS))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(invocation))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    process_env = {"PATH": "/usr/bin:/bin", "LAMBDA_TASK_ROOT": folder}
    process_env.update(env)
    process_env["AWS_LAMBDA_RUNTIME_API"] = f"127.0.0.1:{port}"
    logs = tempfile.TemporaryFile()
    process = subprocess.Popen(
        [os.path.join(folder, "bootstrap")],
        cwd=folder,
        env=process_env,
        stdin=subprocess.DEVNULL,
        stdout=logs,
        stderr=subprocess.STDOUT,
    )
    try:
        finished = invocation.done.wait(min(timeout, MAX_SECONDS))
        if not finished and process.poll() is not None:
            invocation.error = b'{"errorType": "Runtime.ExitError", "errorMessage": "the runtime exited"}'
        elif not finished:
            invocation.error = b'{"errorType": "Sandbox.Timedout", "errorMessage": "Task timed out"}'
    finally:
        process.kill()
        process.wait()
        server.shutdown()
        server.server_close()
    logs.seek(0)
    output = logs.read().decode("utf-8", "replace")
    logs.close()
    if invocation.error is not None:
        return invocation.error, True, output
    return invocation.result or b"null", False, output


def error_payload(payload: bytes) -> str:
    """The error message of an error payload, for a harness line."""
    try:
        return json.loads(payload).get("errorMessage", payload.decode())
    except (ValueError, AttributeError):
        return payload.decode("utf-8", "replace")
