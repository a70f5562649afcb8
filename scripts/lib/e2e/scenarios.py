"""The end-to-end scenarios: each returns None when the platform did what SPEC says,
or what differed, as a user looking at the tables, histories and messages would see it."""

from __future__ import annotations

import json
import time

from moto.events.models import events_backends

import event_delivery
from deployment import Platform  # noqa: F401  (the type scenarios take)


def _key(pipeline_id: str) -> str:
    name, account = pipeline_id.split("@")
    return f"{account}#{name}"


def deployed(p: "Platform") -> str | None:
    """Every stack is created, and the central tables hold what the pipeline stacks'
    custom resources registered: each executions-triggered pipeline under each of its
    parents, and the Slack channels of each pipeline with a Slack target."""
    failed = [f"{name} {status}" for name, status in p.statuses.items() if status != "CREATE_COMPLETE"]
    if failed or len(p.statuses) != len(p.stacks):
        return f"stacks not created: {failed or 'some never ran'}"
    want = {(_key(e["parent"]), _key(e["child"])) for e in p.lineage["edges"]}
    if not want:
        return "lineage.json lists no edges: nothing to check registrations against"
    have = {(i["parent"]["S"], i["child"]["S"]) for i in p.scan("dpc-dependencies") if "child" in i}
    if want - have:
        return f"dependency edges missing after deploy: {sorted(want - have)} (have {sorted(have)})"
    channels = {i["pipeline"]["S"]: [c["S"] for c in i["channels"]["L"]] for i in p.scan("dpc-slack-channels")}
    for stack in p.stacks:
        for resource in stack.template()["Resources"].values():
            if resource["Type"] != "Custom::DpcSlackChannels":
                continue
            props = resource["Properties"]
            key = f"{props['Pipeline']['account']}#{props['Pipeline']['name']}"
            # The channel writer stores names as `#name` (ids as they are).
            wanted = [c if c.startswith("#") or c[:1] in "CG" and c.isupper() else f"#{c}" for c in props["Channels"]]
            if channels.get(key) != wanted:
                return f"{key}: Slack channels {channels.get(key)} registered, the stack says {props['Channels']}"
    return None


def status_event(p: "Platform", pipeline: str, run: str, status: str) -> dict:
    """What Step Functions puts on the account's default bus when an execution of
    `pipeline` changes status (AWS's "Step Functions Execution Status Change")."""
    account = p.pipeline(pipeline)["account"]
    machine = f"arn:aws:states:{p.region}:{account}:stateMachine:dpc-{pipeline}"
    execution = f"arn:aws:states:{p.region}:{account}:execution:dpc-{pipeline}:{run}"
    now = int(time.time() * 1000)
    return {
        "account": account,
        "Source": "aws.states",
        "DetailType": "Step Functions Execution Status Change",
        "Resources": [execution],
        "Detail": json.dumps(
            {
                "executionArn": execution,
                "stateMachineArn": machine,
                "name": run,
                "status": status,
                "startDate": now - 60_000,
                "stopDate": None if status == "RUNNING" else now,
                "input": "{}",
                "output": "{}" if status == "SUCCEEDED" else None,
                "redriveCount": 0,
            }
        ),
        "EventBusName": "default",
    }


def emit(p: "Platform", event: dict) -> None:
    """Step Functions emitting `event` in its account (the service, not a PutEvents
    caller: AWS refuses `aws.*` sources from callers)."""
    account = event["account"]
    entry = {k: v for k, v in event.items() if k != "account"}
    events_backends[account][p.region].put_events([entry])


def executions(p: "Platform", pipeline: str) -> list[dict]:
    account = p.pipeline(pipeline)["account"]
    sfn = p.client("stepfunctions", account)
    machine = f"arn:aws:states:{p.region}:{account}:stateMachine:dpc-{pipeline}"
    found = sfn.list_executions(stateMachineArn=machine)["executions"]
    return [sfn.describe_execution(executionArn=e["executionArn"]) for e in found]


def parents_trigger_the_child(p: "Platform") -> str | None:
    """SPEC's happy path, as far as the events go: listings and searches report
    SUCCEEDED in their accounts; their default buses export it to the central bus, the
    trigger manager logs both runs and sends pipeline-x one trigger event, which the
    central bus forwards to rent-journey's bus, whose rule starts pipeline-x once.
    A second delivery of the same status event starts nothing more."""
    before = {name: len(executions(p, name)) for name in ("pipeline-x", "listings", "searches")}
    emit(p, status_event(p, "listings", "e2e-happy-1", "SUCCEEDED"))
    if not event_delivery.quiet():
        return "deliveries still in flight after 30 s"
    if len(executions(p, "pipeline-x")) != before["pipeline-x"]:
        return "pipeline-x started after listings alone: its condition needs searches too"
    emit(p, status_event(p, "searches", "e2e-happy-1", "SUCCEEDED"))
    event_delivery.quiet()
    started = executions(p, "pipeline-x")[before["pipeline-x"]:]
    if len(started) != 1:
        return f"pipeline-x started {len(started)} times after both parents succeeded, not once"
    trigger = json.loads(started[0]["input"])
    causes = json.dumps(trigger)
    if "listings" not in causes or "searches" not in causes:
        return f"pipeline-x's trigger event does not name both parents: {causes[:400]}"
    logged = {i["pipeline"]["S"] for i in p.scan("dpc-run-log")}
    for parent in ("222222222222#listings", "333333333333#searches"):
        if parent not in logged:
            return f"the central run log has no run of {parent} (has {sorted(logged)})"
    # The same status event again (EventBridge delivers at least once).
    emit(p, status_event(p, "searches", "e2e-happy-1", "SUCCEEDED"))
    event_delivery.quiet()
    if len(executions(p, "pipeline-x")) != before["pipeline-x"] + 1:
        return "a second delivery of searches' SUCCEEDED started pipeline-x again"
    after = {n: len(executions(p, n)) for n in ("listings", "searches")}
    if after != {n: before[n] for n in after}:
        return f"a parent was started by its own status event: executions {before} before, {after} after"
    return None


SCENARIOS = [("deployed", deployed), ("parents trigger the child", parents_trigger_the_child)]
