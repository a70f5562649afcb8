"""A stand-in for API Gateway's REST APIs with IAM auth, in front of moto's Lambda.

moto keeps the REST APIs the central stack creates (resources, methods, AWS_PROXY
integrations) but does not serve them. This serves `/<rest api id>/<stage>/<path>`:
it refuses requests without a SigV4 `execute-api` signature (as `AWS_IAM` auth does),
takes the caller's account from the signing key (moto's own mapping), finds the
method and its Lambda integration in moto's API Gateway backend, and invokes that
function with the proxy event API Gateway would send.
"""

from __future__ import annotations

import http.server
import json
import re
import threading

from moto.apigateway.models import apigateway_backends
from moto.awslambda.models import lambda_backends
from moto.iam.models import get_account_id_from

LAMBDA_URI = re.compile(r"functions/(arn:[^/]+)/invocations")


def _find_method(api, path: str, method: str):
    """The resource and method of `api` matching `path` ({param} segments match any)."""
    segments = [s for s in path.split("/") if s]
    for resource in api.resources.values():
        template = [s for s in resource.get_path().split("/") if s]
        if len(template) != len(segments):
            continue
        if all(t == s or (t.startswith("{") and t.endswith("}")) for t, s in zip(template, segments)):
            methods = resource.resource_methods or {}
            found = methods.get(method) or methods.get("ANY")
            if found:
                return resource, found
    return None, None


class Gateway:
    """Serves the REST APIs of `account`/`region` on a loopback port."""

    def __init__(self, account: str, region: str) -> None:
        self.account = account
        self.region = region
        gateway = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, status: int, body: bytes, headers=None):
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, answer, headers = gateway.handle(self.command, self.path, dict(self.headers), body)
                self._answer(status, answer, headers)

            do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = _handle

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def api_url(self, api_id: str, stage: str) -> str:
        """What API Gateway's `https://<id>.execute-api.<region>.amazonaws.com/<stage>` is here."""
        return f"{self.url}/{api_id}/{stage}"

    def start(self) -> "Gateway":
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def handle(self, method: str, target: str, headers: dict, body: bytes):
        headers = {k.lower(): v for k, v in headers.items()}
        auth = headers.get("authorization", "")
        match = re.match(r"AWS4-HMAC-SHA256 Credential=([^/]+)/[^/]+/([^/]+)/execute-api/aws4_request", auth)
        if not match:
            return 403, b'{"message":"Missing Authentication Token"}', {"Content-Type": "application/json"}
        caller_account = get_account_id_from(match.group(1))
        path_only = target.split("?", 1)[0]
        parts = path_only.split("/")
        if len(parts) < 3:
            return 404, b'{"message":"Not Found"}', {}
        api_id, stage, rest = parts[1], parts[2], "/" + "/".join(parts[3:])
        backend = apigateway_backends[self.account][self.region]
        api = backend.apis.get(api_id)
        if api is None or stage not in api.stages:
            return 404, b'{"message":"Not Found"}', {}
        resource, found = _find_method(api, rest, method)
        if found is None:
            return 403, b'{"message":"Missing Authentication Token"}', {}
        uri = (found.method_integration or {}).uri if found.method_integration else ""
        arn = LAMBDA_URI.search(uri or "")
        if not arn:
            return 500, json.dumps({"message": f"no Lambda integration for {method} {rest}"}).encode(), {}
        function = lambda_backends[self.account][self.region].get_function(arn.group(1))
        event = {
            "resource": resource.get_path(),
            "path": rest,
            "httpMethod": method,
            "headers": {k: v for k, v in headers.items() if k != "authorization"},
            "body": body.decode("utf-8") if body else None,
            "isBase64Encoded": False,
            "requestContext": {
                "stage": stage,
                "httpMethod": method,
                "identity": {
                    "accountId": caller_account,
                    "caller": match.group(1),
                    "userArn": f"arn:aws:sts::{caller_account}:assumed-role/dpc-e2e/caller",
                },
            },
        }
        result, errored, _logs = function._invoke_lambda(json.dumps(event))
        if errored:
            return 502, b'{"message":"Internal server error"}', {"Content-Type": "application/json"}
        answer = json.loads(result)
        out = answer.get("body") or ""
        return int(answer.get("statusCode", 200)), out.encode("utf-8"), {"Content-Type": "application/json"}
