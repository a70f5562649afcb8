"""Broken copies of an assembly, for the harness' self-test: each breaks one thing a
user relies on, and names the scenario that must then fail (the others must pass)."""

from __future__ import annotations

import json
import os
import shutil


def _edit_template(folder: str, stack: str, edit) -> None:
    path = os.path.join(folder, f"{stack}.template.json")
    with open(path, encoding="utf-8") as f:
        template = json.load(f)
    edit(template)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(template, f)


def rule_pattern(folder: str) -> None:
    """pipeline-x's trigger rule matches another pipeline's trigger events."""

    def edit(template):
        for resource in template["Resources"].values():
            pattern = resource.get("Properties", {}).get("EventPattern")
            if resource["Type"] == "AWS::Events::Rule" and pattern and "Pipeline Trigger" in json.dumps(pattern):
                pattern["detail"]["pipeline"] = ["pipeline-y"]
                return
        raise AssertionError("pipeline-x has no trigger rule to break")

    _edit_template(folder, "dpc-pipeline-rent-journey-pipeline-x", edit)


def export_rule(folder: str) -> None:
    """search's default bus no longer exports Step Functions' status events."""

    def edit(template):
        for resource in template["Resources"].values():
            props = resource.get("Properties", {})
            if resource["Type"] == "AWS::Events::Rule" and props.get("Name") == "export-events-to-central-bus":
                props["EventPattern"]["source"] = ["aws.glue"]
                return
        raise AssertionError("search has no export rule to break")

    _edit_template(folder, "dpc-account-search", edit)


def registration(folder: str) -> None:
    """pipeline-x's stack no longer registers its condition with the central API."""

    def edit(template):
        resources = template["Resources"]
        doomed = [k for k, v in resources.items() if v["Type"] == "Custom::DpcPipeline"]
        if not doomed:
            raise AssertionError("pipeline-x has no registration to remove")
        for key in doomed:
            del resources[key]

    _edit_template(folder, "dpc-pipeline-rent-journey-pipeline-x", edit)


# (mutation, the scenario it must fail)
MUTATIONS = [
    (rule_pattern, "parents trigger the child"),
    (export_rule, "parents trigger the child"),
    (registration, "deployed"),
]


def broken_copy(folder: str, mutation, into: str) -> str:
    target = os.path.join(into, mutation.__name__)
    shutil.copytree(folder, target)
    mutation(target)
    return target
