"""Deploys a dpc cloud assembly into the emulator the way `cdk deploy` would: each
stack's assets published to its account's CDK assets bucket, then the stack created
from its template in its account and region, in the manifest's dependency order."""

from __future__ import annotations

import json
import os
import time

import boto3


def client(endpoint: str, service: str, account: str, region: str):
    """A boto3 client acting in `account` (moto's x-moto-account-id header)."""
    c = boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="e2e",
        aws_secret_access_key="e2e",
    )

    def in_account(request, **_):
        request.headers["x-moto-account-id"] = account

    c.meta.events.register("before-send.*.*", in_account)
    return c


class Stack:
    def __init__(self, name: str, artifact: dict, folder: str):
        self.name = name
        env = artifact["environment"].split("/")
        self.account, self.region = env[2], env[3]
        self.props = artifact["properties"]
        self.dependencies = [d for d in artifact.get("dependencies", []) if not d.endswith(".assets")]
        self.template_path = os.path.join(folder, self.props["templateFile"])
        self.assets_path = os.path.join(folder, f"{name}.assets.json")

    def template(self) -> dict:
        with open(self.template_path, encoding="utf-8") as f:
            return json.load(f)


def stacks_in_order(folder: str) -> list[Stack]:
    with open(os.path.join(folder, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    stacks = {
        name: Stack(name, a, folder)
        for name, a in manifest["artifacts"].items()
        if a["type"] == "aws:cloudformation:stack"
    }
    ordered: list[Stack] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen:
            return
        seen.add(name)
        for dep in stacks[name].dependencies:
            if dep in stacks:
                visit(dep)
        ordered.append(stacks[name])

    for name in sorted(stacks):
        visit(name)
    return ordered


class DeployError(Exception):
    pass


def publish_assets(endpoint: str, stack: Stack, folder: str) -> None:
    with open(stack.assets_path, encoding="utf-8") as f:
        assets = json.load(f)
    for asset in assets.get("files", {}).values():
        source = os.path.join(folder, asset["source"]["path"])
        if not os.path.isfile(source):
            raise DeployError(f"{stack.name}: asset {source} is missing (synth with --bundle)")
        for dest in asset["destinations"].values():
            s3 = client(endpoint, "s3", stack.account, dest.get("region", stack.region))
            try:
                s3.create_bucket(
                    Bucket=dest["bucketName"],
                    CreateBucketConfiguration={"LocationConstraint": dest.get("region", stack.region)},
                )
            except s3.exceptions.BucketAlreadyOwnedByYou:
                pass
            s3.upload_file(source, dest["bucketName"], dest["objectKey"])


def create_stack(endpoint: str, stack: Stack, parameters: dict[str, str], timeout: float = 30) -> dict:
    """Creates `stack`; returns its description once CREATE_COMPLETE."""
    cfn = client(endpoint, "cloudformation", stack.account, stack.region)
    with open(stack.template_path, encoding="utf-8") as f:
        body = f.read()
    cfn.create_stack(
        StackName=stack.name,
        TemplateBody=body,
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
        Tags=[{"Key": k, "Value": v} for k, v in (stack.props.get("tags") or {}).items()],
    )
    deadline = time.time() + timeout
    while True:
        described = cfn.describe_stacks(StackName=stack.name)["Stacks"][0]
        status = described["StackStatus"]
        if not status.endswith("_IN_PROGRESS"):
            break
        if time.time() > deadline:
            raise DeployError(f"{stack.name}: still {status} after {timeout:.0f} s ({pending(cfn, stack)})")
        time.sleep(0.2)
    if status != "CREATE_COMPLETE":
        events = cfn.describe_stack_events(StackName=stack.name)["StackEvents"]
        failed = [
            f"{e['LogicalResourceId']} ({e['ResourceType']}): {e.get('ResourceStatusReason')}"
            for e in events
            if e["ResourceStatus"].endswith("FAILED")
        ]
        raise DeployError(f"{stack.name}: {status}: {'; '.join(failed) or described.get('StackStatusReason')}")
    return described


def pending(cfn, stack: Stack) -> str:
    resources = cfn.list_stack_resources(StackName=stack.name)["StackResourceSummaries"]
    waiting = [r["LogicalResourceId"] for r in resources if r["ResourceStatus"].endswith("IN_PROGRESS")]
    return "waiting for " + ", ".join(waiting) if waiting else "no resource in progress"


def missing_resources(endpoint: str, stack: Stack) -> list[str]:
    """The template's resources moto did not create (for the harness to report)."""
    cfn = client(endpoint, "cloudformation", stack.account, stack.region)
    have = {
        r["LogicalResourceId"]
        for r in cfn.list_stack_resources(StackName=stack.name)["StackResourceSummaries"]
    }
    return [f"{k} ({v['Type']})" for k, v in stack.template()["Resources"].items() if k not in have]
