"""The end-to-end scenarios: each returns None when the platform did what SPEC says,
or what differed, as a user looking at the tables, histories and messages would see it."""

from __future__ import annotations

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


SCENARIOS = [("deployed", deployed)]
