"""Proves the harness bites: scripts/test runs this before trusting a green check.

- scripts/eventbridge-match answers match, no match, invalid pattern and misuse
  with its documented exit codes;
- scripts/check-assembly passes the good fixture assembly
  (scripts/fixtures/assemblies/good), and each check fails on a copy of it
  with one defect that check exists to catch, naming the defect;
- the other validator steps of scripts/test bite too: actionlint on a broken
  workflow, the replacement-table check on a stale table;
- every case runs with decoys first on PATH (cfn-lint, checkov, cdk, actionlint,
  node, python3, ... that record their use and fail), a decoy `cfnlint` package
  on PYTHONPATH and a NODE_OPTIONS that would load a decoy script: the harness
  must use only the pinned tools, and no decoy may have run when it ends.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable

import check_assembly

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".tools" / "venv" / "bin"
GOOD = ROOT / "scripts" / "fixtures" / "assemblies" / "good"
WORKFLOWS = ROOT / "examples" / "ci"
REPLACEMENT_TABLE = ROOT / "synth-cli" / "data" / "replacement-table.json"
# What a machine may have first on PATH: other versions of every tool a check runs.
DECOY_COMMANDS = ["cfn-lint", "checkov", "cdk", "actionlint", "node", "npx", "python", "python3",
                  "moto_server", "asl-validator"]
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


def run_quiet(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True)


def actionlint(workflow: Path) -> subprocess.CompletedProcess[str]:
    """The actionlint step's own command, on one workflow file."""
    return run_quiet([str(VENV_BIN / "actionlint"), "-no-color", str(workflow)])


def actionlint_catches_broken_workflow() -> str | None:
    """A workflow with an unknown `runs-on` key and an undefined expression must fail."""
    source = sorted(WORKFLOWS.glob("*.yml"))[0].read_text()
    broken = source.replace("runs-on:", "runs_on:", 1) + "\n      - run: echo ${{ steps.nowhere.outputs.x }}\n"
    with tempfile.TemporaryDirectory() as scratch:
        workflow = Path(scratch) / "broken.yml"
        workflow.write_text(broken)
        proc = actionlint(workflow)
    if proc.returncode == 0:
        return "actionlint passed a workflow with `runs_on:`"
    if "runs_on" not in proc.stdout + proc.stderr:
        return f"actionlint failed without naming `runs_on`: {proc.stdout}{proc.stderr}"
    return None


def actionlint_passes_examples() -> str | None:
    bad = [(w.name, actionlint(w)) for w in sorted(WORKFLOWS.glob("*.yml"))]
    bad = [f"{name}: {p.stdout}{p.stderr}" for name, p in bad if p.returncode != 0]
    return "\n".join(bad) or None


def replacement_table(*args: str) -> subprocess.CompletedProcess[str]:
    # As scripts/test starts it; the script must still re-run itself isolated.
    return run_quiet([str(VENV_BIN / "python"), str(ROOT / "scripts" / "gen-replacement-table"), *args])


def replacement_table_catches_stale_table() -> str | None:
    """A table missing one property that forces replacement must be called stale."""
    table = json.loads(REPLACEMENT_TABLE.read_text())
    bucket = table["types"]["AWS::S3::Bucket"]
    if "BucketName" not in bucket:
        return "the committed table has no AWS::S3::Bucket BucketName to remove"
    bucket.remove("BucketName")
    with tempfile.TemporaryDirectory() as scratch:
        stale = Path(scratch) / "replacement-table.json"
        stale.write_text(json.dumps(table, indent=2) + "\n")
        proc = replacement_table("--check", str(stale))
    if proc.returncode == 0:
        return "the check passed a table without AWS::S3::Bucket BucketName"
    if "is stale" not in proc.stderr:
        return f"exit {proc.returncode} without saying the table is stale: {proc.stderr.strip()!r}"
    return None


def replacement_table_passes_committed() -> str | None:
    proc = replacement_table("--check")
    return None if proc.returncode == 0 else f"exit {proc.returncode}: {proc.stdout}{proc.stderr}"


@contextlib.contextmanager
def decoys():
    """Decoy tools first on PATH, a decoy cfnlint on PYTHONPATH, a decoy NODE_OPTIONS.

    Yields the log every decoy appends its name to when it runs."""
    saved = dict(os.environ)
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        log = root / "decoys-that-ran.log"
        log.touch()
        bin_dir = root / "bin"
        bin_dir.mkdir()
        for name in DECOY_COMMANDS:
            decoy = bin_dir / name
            decoy.write_text(f"#!/bin/sh\necho {name} >> '{log}'\necho 'decoy {name} ran' >&2\nexit 97\n")
            decoy.chmod(0o755)
        site = root / "site" / "cfnlint"
        site.mkdir(parents=True)
        (site / "__init__.py").write_text(
            f"open({str(log)!r}, 'a').write('cfnlint from PYTHONPATH\\n')\n"
            "raise SystemExit('decoy cfnlint imported from PYTHONPATH')\n")
        require = root / "require.js"
        require.write_text(f"require('fs').appendFileSync({json.dumps(str(log))}, 'NODE_OPTIONS\\n');\n"
                           "process.exit(97);\n")
        os.environ["PATH"] = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"
        os.environ["PYTHONPATH"] = str(root / "site")
        os.environ["NODE_OPTIONS"] = f"--require {require}"
        try:
            yield log
        finally:
            os.environ.clear()
            os.environ.update(saved)


def main() -> int:
    """Runs every case, with the decoys in place, and prints one line each;
    returns 1 if any misbehaved or a decoy ran."""
    with decoys() as log:
        failures, total = run_cases()
        ran = log.read_text().split()
    total += 1
    print(f"  {'ok  ' if not ran else 'FAIL'} no decoy tool on PATH, PYTHONPATH or NODE_OPTIONS ran")
    if ran:
        failures += 1
        print(f"       these ran instead of the pinned tools: {', '.join(sorted(set(ran)))}")
    print(f"harness self-test: {total - failures} of {total} cases behaved as expected")
    return 1 if failures else 0


def run_cases() -> tuple[int, int]:
    """Runs every case and prints one line each: (failures, cases)."""
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
    cases += [
        ("actionlint: catches a broken workflow", actionlint_catches_broken_workflow),
        ("actionlint: the example workflows pass", actionlint_passes_examples),
        ("replacement-table: catches a stale table", replacement_table_catches_stale_table),
        ("replacement-table: the committed table is current", replacement_table_passes_committed),
    ]

    failures = 0
    for name, case in cases:
        problem = case()
        print(f"  {'ok  ' if problem is None else 'FAIL'} {name}")
        if problem is not None:
            failures += 1
            print("       " + problem.replace("\n", "\n       "))
    return failures, len(cases)


if __name__ == "__main__":
    sys.exit(main())
