"""The case study's platform, deployed into the emulator from a dpc assembly."""

from __future__ import annotations

import json
import os
import re

import deploy
from gateway import Gateway

EXECUTE_API = re.compile(r"https://([a-z0-9]+)\.execute-api\.[a-z0-9-]+\.amazonaws\.com/([^/]+)/?$")


class Platform:
    """Every stack of an assembly, created in order, with the central APIs behind the
    gateway stand-in; `outputs` are the stack outputs `dpc deploy` hands on."""

    def __init__(self, endpoint: str, folder: str) -> None:
        self.endpoint = endpoint
        self.folder = folder
        self.stacks = deploy.stacks_in_order(folder)
        with open(os.path.join(folder, "lineage.json"), encoding="utf-8") as f:
            self.lineage = json.load(f)
        central = self.stacks[0]
        self.central_account, self.region = central.account, central.region
        self.gateway = Gateway(self.central_account, self.region).start()
        self.outputs: dict[str, str] = {}
        self.statuses: dict[str, str] = {}

    def close(self) -> None:
        self.gateway.stop()

    def local_api_url(self, value: str) -> str:
        """An execute-api URL as the gateway stand-in serves it; other values unchanged."""
        match = EXECUTE_API.match(value)
        return self.gateway.api_url(match.group(1), match.group(2)) if match else value

    def deploy_all(self) -> None:
        for stack in self.stacks:
            deploy.publish_assets(self.endpoint, stack, self.folder)
            wanted = stack.template().get("Parameters", {})
            params = {name: self.outputs[name] for name in wanted if name in self.outputs}
            described = deploy.create_stack(self.endpoint, stack, params)
            self.statuses[stack.name] = described["StackStatus"]
            for out in described.get("Outputs", []):
                self.outputs[out["OutputKey"]] = self.local_api_url(out["OutputValue"])

    def client(self, service: str, account: str | None = None):
        return deploy.client(self.endpoint, service, account or self.central_account, self.region)

    def scan(self, table: str) -> list[dict]:
        ddb = self.client("dynamodb")
        items, start = [], None
        while True:
            page = ddb.scan(TableName=table, **({"ExclusiveStartKey": start} if start else {}))
            items += page["Items"]
            start = page.get("LastEvaluatedKey")
            if not start:
                return items

    def pipeline(self, name: str) -> dict:
        return next(p for p in self.lineage["pipelines"] if p["name"] == name)
