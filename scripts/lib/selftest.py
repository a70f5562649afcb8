"""Proves the harness bites: scripts/test runs this before trusting a green check.

- scripts/eventbridge-match answers match, no match, invalid pattern and misuse
  with its documented exit codes;
- scripts/check-assembly passes the good fixture assembly
  (scripts/fixtures/assemblies/good), and each check fails on a copy of it
  with one defect that check exists to catch, naming the defect.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable

import check_assembly

ROOT = Path(__file__).resolve().parents[2]
GOOD = ROOT / "scripts" / "fixtures" / "assemblies" / "good"
TEMPLATE = "fixture-pipeline.template.json"

PATTERN = {
    "source": ["dpc.orchestrator"],
    "detail-type": ["Pipeline Trigger"],
    "detail": {"pipeline": ["pipeline-x"], "account": ["444444444444"]},
}


def trigger_event(pipeline: str) -> dict[str, Any]:
    """A trigger event as SPEC describes it, for `pipeline` in account 444444444444."""
    return {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "source": "dpc.orchestrator",
        "detail-type": "Pipeline Trigger",
        "account": "111111111111",
        "time": "2026-11-26T09:10:00Z",
        "region": "eu-west-1",
        "resources": [],
        "detail": {"version": "1", "pipeline": pipeline, "account": "444444444444"},
    }


def eventbridge_match(*args: str) -> subprocess.CompletedProcess[str]:
    """Runs scripts/eventbridge-match as the Rust tests will."""
    return subprocess.run(
        [str(ROOT / "scripts" / "eventbridge-match"), *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )


def expect_exit(expected: int, needle: str, *args: str) -> str | None:
    """None when eventbridge-match exits `expected` with `needle` on stderr, else why not."""
    proc = eventbridge_match(*args)
    if proc.returncode != expected or needle not in proc.stderr:
        return f"exit {proc.returncode} (wanted {expected}), stderr: {proc.stderr.strip()!r}"
    return None


def template_of(directory: Path) -> dict[str, Any]:
    return json.loads((directory / TEMPLATE).read_text())


def write_template(directory: Path, template: dict[str, Any]) -> None:
    (directory / TEMPLATE).write_text(json.dumps(template, indent=1))


def edit_template(edit: Callable[[dict[str, Any]], None]) -> Callable[[Path], None]:
    """A defect made by editing the fixture's template in place."""

    def apply(directory: Path) -> None:
        template = template_of(directory)
        edit(template)
        write_template(directory, template)

    return apply


def resource(template: dict[str, Any], logical_id: str) -> dict[str, Any]:
    return template["Resources"][logical_id]


def stray_template(directory: Path) -> None:
    shutil.copy(directory / TEMPLATE, directory / "stray.template.json")


def future_manifest(directory: Path) -> None:
    manifest = json.loads((directory / "manifest.json").read_text())
    manifest["version"] = "999.0.0"
    (directory / "manifest.json").write_text(json.dumps(manifest))


# (check, defect, what the check must say about it, how to make the defect)
DEFECTS: list[tuple[str, str, str, Callable[[Path], None]]] = [
    ("manifest", "a template no stack owns", "stray.template.json", stray_template),
    (
        "cfn-lint",
        "a log retention CloudWatch does not offer",
        "E3030",
        edit_template(lambda t: resource(t, "Logs")["Properties"].update(RetentionInDays=31)),
    ),
    (
        "asl",
        "a transition to a missing state",
        "MISSING_TRANSITION_TARGET",
        edit_template(
            lambda t: resource(t, "StateMachine")["Properties"]["Definition"]["States"]["Wait"].update(Next="Nowhere")
        ),
    ),
    (
        "asl",
        "a placeholder without a substitution",
        "${AlertsArn} has no DefinitionSubstitutions entry",
        edit_template(lambda t: resource(t, "StateMachine")["Properties"]["DefinitionSubstitutions"].pop("AlertsArn")),
    ),
    (
        "checkov",
        "an unencrypted log group without a justified skip",
        "CKV_AWS_158",
        edit_template(lambda t: resource(t, "Logs").pop("Metadata")),
    ),
    (
        "event-patterns",
        "a pattern value that is not a list",
        '"pipeline" must be an object or an array',
        edit_template(lambda t: resource(t, "Trigger")["Properties"]["EventPattern"]["detail"].update(pipeline="x")),
    ),
    ("cdk", "a manifest version the pinned CDK CLI cannot read", "schema version mismatch", future_manifest),
]


def run_defect(check: str, make_defect: Callable[[Path], None], needle: str) -> str | None:
    """None when `check` fails on the good fixture with the defect and names it, else why not."""
    run = dict(check_assembly.CHECKS)[check]
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch) / "assembly"
        shutil.copytree(GOOD, directory)
        make_defect(directory)
        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            verdict = run(check_assembly.Assembly.load(directory))
    if verdict.ok:
        return f"passed ({verdict.summary})"
    if needle not in output.getvalue():
        return f"failed without naming {needle!r}:\n{output.getvalue()}"
    return None


def main() -> int:
    """Runs every case, prints one line each, returns 1 if any misbehaved."""
    event_pattern = json.dumps(PATTERN)
    cases: list[tuple[str, Callable[[], str | None]]] = [
        ("eventbridge-match: a matching event exits 0",
         lambda: expect_exit(0, "", event_pattern, json.dumps(trigger_event("pipeline-x")))),
        ("eventbridge-match: another pipeline's event exits 1",
         lambda: expect_exit(1, "", event_pattern, json.dumps(trigger_event("pipeline-y")))),
        ("eventbridge-match: an invalid pattern exits 2 with EventBridge's reason",
         lambda: expect_exit(2, "Event pattern is not valid. Reason:", '{"source": "dpc.orchestrator"}')),
        ("eventbridge-match: a missing file exits 3",
         lambda: expect_exit(3, "cannot read", event_pattern, str(ROOT / "no-such-event.json"))),
    ]
    for check, defect, needle, make_defect in DEFECTS:
        cases.append((f"check-assembly {check}: catches {defect}",
                      lambda c=check, m=make_defect, n=needle: run_defect(c, m, n)))

    def good_passes() -> str | None:
        proc = subprocess.run([str(ROOT / "scripts" / "check-assembly"), str(GOOD)],
                              stdin=subprocess.DEVNULL, capture_output=True, text=True)
        return None if proc.returncode == 0 else f"exit {proc.returncode}:\n{proc.stdout}{proc.stderr}"

    cases.append(("check-assembly: the good fixture passes every check", good_passes))

    failures = 0
    for name, case in cases:
        problem = case()
        print(f"  {'ok  ' if problem is None else 'FAIL'} {name}")
        if problem is not None:
            failures += 1
            print("       " + problem.replace("\n", "\n       "))
    print(f"harness self-test: {len(cases) - failures} of {len(cases)} cases behaved as expected")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
