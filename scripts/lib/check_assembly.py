"""Runs the independent validators on a cloud assembly (see scripts/check-assembly).

Each check is a function `check_<name>(assembly) -> Verdict` listed in CHECKS;
it prints its findings as it goes and returns whether the assembly passed and a
one-line count. To add a validator, write such a function and add it to CHECKS
(and its tool to tools/, if it needs one).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import eventbridge

ROOT = Path(__file__).resolve().parents[2]
# The pinned tools only, by absolute path: a cfn-lint, checkov, cdk or node that
# happens to be on PATH must never be the one that judges (scripts/install-tools
# links .tools/node to the Node.js it installed the npm tools with).
VENV_BIN = ROOT / ".tools" / "venv" / "bin"
NODE = ROOT / ".tools" / "node"
NODE_MODULES = ROOT / "tools" / "node_modules"

# Stand-ins for values only AWS knows, so that validators see whole, plausible
# ARNs where a template has an intrinsic function.
PLACEHOLDER_ACCOUNT = "123456789012"
PLACEHOLDER_REGION = "us-east-1"


@dataclass
class Verdict:
    """What a check concluded: passed or not, and its counts in one line."""

    ok: bool
    summary: str


@dataclass
class Stack:
    """A stack artifact of the manifest."""

    artifact_id: str
    name: str
    environment: str
    template: Path
    account: str
    region: str


@dataclass
class Assembly:
    """A cloud assembly directory: its manifest, stacks and templates."""

    directory: Path
    manifest: dict[str, Any]
    stacks: list[Stack]
    templates: list[Path]
    _parsed: dict[Path, Any] = field(default_factory=dict)

    @staticmethod
    def load(directory: Path) -> Assembly:
        """Reads manifest.json and lists the templates; raises ValueError when unusable."""
        manifest_path = directory / "manifest.json"
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except FileNotFoundError as err:
            raise ValueError(f"{manifest_path} does not exist: not a cloud assembly") from err
        except json.JSONDecodeError as err:
            raise ValueError(f"{manifest_path} is not JSON: {err}") from err
        stacks = []
        for artifact_id, artifact in manifest.get("artifacts", {}).items():
            if artifact.get("type") != "aws:cloudformation:stack":
                continue
            props = artifact.get("properties", {})
            environment = artifact.get("environment", "aws://unknown-account/unknown-region")
            account, _, region = environment.removeprefix("aws://").partition("/")
            stacks.append(
                Stack(
                    artifact_id=artifact_id,
                    name=props.get("stackName", artifact_id),
                    environment=environment,
                    template=directory / props.get("templateFile", ""),
                    account=account if account.isdigit() else PLACEHOLDER_ACCOUNT,
                    region=region if region and not region.startswith("unknown") else PLACEHOLDER_REGION,
                )
            )
        templates = sorted(directory.glob("*.template.json"))
        return Assembly(directory, manifest, stacks, templates)

    def template(self, path: Path) -> Any:
        """The parsed template at `path` (read once)."""
        if path not in self._parsed:
            self._parsed[path] = json.loads(path.read_text(encoding="utf-8"))
        return self._parsed[path]

    def stack_of(self, path: Path) -> Stack | None:
        """The stack whose template is `path`, if the manifest names one."""
        for stack in self.stacks:
            if stack.template.resolve() == path.resolve():
                return stack
        return None

    def resources(self, resource_type: str) -> list[tuple[Path, str, dict[str, Any]]]:
        """Every (template, logical id, resource) of one CloudFormation type, in file order."""
        found = []
        for path in self.templates:
            for logical_id, resource in self.template(path).get("Resources", {}).items():
                if isinstance(resource, dict) and resource.get("Type") == resource_type:
                    found.append((path, logical_id, resource))
        return found


# Variables that would let the caller's environment swap a pinned tool's own modules
# (another cfnlint first on PYTHONPATH) or code (NODE_OPTIONS=--require ...).
LEAKY_VARIABLES = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE", "NODE_OPTIONS", "NODE_PATH")


def tool_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """`base` (the environment by default) without the variables that redirect a tool."""
    return {k: v for k, v in (os.environ if base is None else base).items() if k not in LEAKY_VARIABLES}


def run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Runs a pinned tool with no stdin, capturing its output as text."""
    kwargs["env"] = tool_env(kwargs.get("env"))
    return subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, **kwargs)


def rel(path: Path) -> str:
    """A path as the user should see it: relative to the working directory when below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def plural(count: int, word: str) -> str:
    """`1 template`, `2 templates`."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def indent(text: str) -> str:
    """Tool output, indented under the check's heading."""
    return "".join(f"    {line}\n" for line in text.rstrip().splitlines())


# --- plausible values for intrinsic functions --------------------------------

_ARN_SHAPES = {
    "AWS::Lambda::Function": "arn:aws:lambda:{r}:{a}:function:{id}",
    "AWS::SNS::Topic": "arn:aws:sns:{r}:{a}:{id}",
    "AWS::SQS::Queue": "arn:aws:sqs:{r}:{a}:{id}",
    "AWS::DynamoDB::Table": "arn:aws:dynamodb:{r}:{a}:table/{id}",
    "AWS::Events::EventBus": "arn:aws:events:{r}:{a}:event-bus/{id}",
    "AWS::StepFunctions::StateMachine": "arn:aws:states:{r}:{a}:stateMachine:{id}",
    "AWS::IAM::Role": "arn:aws:iam::{a}:role/{id}",
    "AWS::IAM::InstanceProfile": "arn:aws:iam::{a}:instance-profile/{id}",
    "AWS::S3::Bucket": "arn:aws:s3:::{id}",
    "AWS::SecretsManager::Secret": "arn:aws:secretsmanager:{r}:{a}:secret:{id}",
    "AWS::Logs::LogGroup": "arn:aws:logs:{r}:{a}:log-group:{id}",
}

_PSEUDO = {
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "stack",
    "AWS::StackId": "arn:aws:cloudformation:{r}:{a}:stack/stack/id",
    "AWS::NoValue": "",
}


class Resolver:
    """Turns intrinsic functions of one template into plausible literal strings."""

    def __init__(self, template: dict[str, Any], stack: Stack | None) -> None:
        self.resources = template.get("Resources", {})
        self.parameters = template.get("Parameters", {})
        self.account = stack.account if stack else PLACEHOLDER_ACCOUNT
        self.region = stack.region if stack else PLACEHOLDER_REGION

    def _fill(self, shape: str, ident: str) -> str:
        return shape.format(r=self.region, a=self.account, id=re.sub(r"[^A-Za-z0-9-]", "", ident).lower())

    def name(self, name: str) -> str:
        """What `Ref`/`${name}` stands for: pseudo parameter, parameter default or resource ARN."""
        if name == "AWS::Region":
            return self.region
        if name == "AWS::AccountId":
            return self.account
        if name in _PSEUDO:
            return self._fill(_PSEUDO[name], name)
        logical_id = name.split(".", 1)[0]
        if logical_id in self.parameters:
            default = self.parameters[logical_id].get("Default")
            return default if isinstance(default, str) else self._fill("placeholder-{id}", logical_id)
        resource_type = self.resources.get(logical_id, {}).get("Type", "")
        if resource_type in _ARN_SHAPES:
            return self._fill(_ARN_SHAPES[resource_type], logical_id)
        service = resource_type.split("::")[1].lower() if resource_type.count("::") == 2 else "placeholder"
        return self._fill(f"arn:aws:{service}:{{r}}:{{a}}:{{id}}", logical_id)

    def sub(self, text: str, variables: dict[str, Any]) -> str:
        """Fn::Sub: `${X}` from `variables`, else a pseudo parameter or a template name."""

        def one(match: re.Match[str]) -> str:
            inner = match.group(1)
            if inner.startswith("!"):
                return "${" + inner[1:] + "}"
            if inner in variables:
                return self.value(variables[inner])
            return self.name(inner)

        return re.sub(r"\$\{([^}]*)\}", one, text)

    def value(self, value: Any) -> str:
        """A plausible string for a literal or an intrinsic function."""
        if isinstance(value, str):
            return value
        if isinstance(value, (int, float, bool)):
            return json.dumps(value)
        if isinstance(value, dict) and len(value) == 1:
            [(key, arg)] = value.items()
            if key == "Ref" and isinstance(arg, str):
                return self.name(arg)
            if key == "Fn::GetAtt":
                target = arg[0] if isinstance(arg, list) and arg else str(arg).split(".", 1)[0]
                return self.name(str(target))
            if key == "Fn::Sub":
                if isinstance(arg, str):
                    return self.sub(arg, {})
                if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str):
                    return self.sub(arg[0], arg[1] if isinstance(arg[1], dict) else {})
            if key == "Fn::Join" and isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], list):
                return str(arg[0]).join(self.value(part) for part in arg[1])
            if key.startswith("Fn::"):
                return self._fill("arn:aws:placeholder:{r}:{a}:{id}", key.removeprefix("Fn::"))
        return self._fill("arn:aws:placeholder:{r}:{a}:{id}", "value")

    def intrinsics_in(self, value: Any) -> Any:
        """A copy of a JSON value with every intrinsic function replaced by a plausible string."""
        if isinstance(value, dict):
            if list(value) == ["Ref"] or any(key.startswith("Fn::") for key in value):
                return self.value(value)
            return {key: self.intrinsics_in(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.intrinsics_in(item) for item in value]
        return value


# --- the checks ---------------------------------------------------------------


def check_manifest(assembly: Assembly) -> Verdict:
    """Every stack's template exists, every template belongs to a stack."""
    problems = []
    named = set()
    for stack in assembly.stacks:
        named.add(stack.template.resolve())
        if not stack.template.is_file():
            problems.append(f"stack {stack.artifact_id}: template {rel(stack.template)} is missing")
    for path in assembly.templates:
        if path.resolve() not in named:
            problems.append(f"{rel(path)} is not the template of any stack in manifest.json (stale file?)")
    if not assembly.stacks:
        problems.append("manifest.json names no stack")
    for problem in problems:
        print(f"    {problem}")
    summary = f"{plural(len(assembly.stacks), 'stack')}, {plural(len(assembly.templates), 'template')}"
    return Verdict(not problems, summary + (f", {plural(len(problems), 'problem')}" if problems else ""))


def check_cfn_lint(assembly: Assembly) -> Verdict:
    """cfn-lint on every template, in its stack's region; errors and warnings fail."""
    by_region: dict[str, list[Path]] = {}
    for path in assembly.templates:
        stack = assembly.stack_of(path)
        by_region.setdefault(stack.region if stack else PLACEHOLDER_REGION, []).append(path)
    counts: Counter[str] = Counter()
    crashed = False
    for region, paths in sorted(by_region.items()):
        # Never `-u`: it downloads resource specifications.
        proc = run(
            [str(VENV_BIN / "cfn-lint"), "-f", "parseable", "--regions", region, "--", *map(str, paths)]
        )
        for line in proc.stdout.splitlines():
            parts = line.split(":", 6)
            rule = parts[5] if len(parts) == 7 else "?"
            counts[rule[:1]] += 1
            print(f"    {rel(Path(parts[0])) if len(parts) == 7 else ''}{line[len(parts[0]):]}")
        # Exit status bits: 2 errors, 4 warnings, 8 informational; anything
        # else (or stderr with no findings) means cfn-lint itself failed.
        if proc.returncode & ~(2 | 4 | 8) or (proc.returncode == 0 and proc.stderr.strip()):
            crashed = True
            print(f"    cfn-lint exited {proc.returncode}:")
            print(indent(proc.stderr), end="")
    failing = counts["E"] + counts["W"] + counts["?"]
    summary = (
        f"{plural(len(assembly.templates), 'template')}: {plural(counts['E'], 'error')}, "
        f"{plural(counts['W'], 'warning')}, {counts['I']} informational"
    )
    return Verdict(failing == 0 and not crashed and bool(assembly.templates), summary)


def _definition_of(resolver: Resolver, props: dict[str, Any]) -> tuple[Any, list[str]]:
    """The ASL of a state machine as the service would receive it, and what prevented that."""
    substitutions = props.get("DefinitionSubstitutions", {}) or {}
    values = {key: resolver.value(value) for key, value in substitutions.items()}
    unknown: list[str] = []

    def substitute(text: str) -> str:
        def one(match: re.Match[str]) -> str:
            if match.group(1) in values:
                return values[match.group(1)]
            unknown.append(match.group(0))
            return match.group(0)

        return re.sub(r"\$\{([^}]*)\}", one, text)

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return substitute(value)
        if isinstance(value, dict):
            return {substitute(key): walk(item) for key, item in value.items()}
        if isinstance(value, list):
            return [walk(item) for item in value]
        return value

    if "Definition" in props:
        definition = walk(props["Definition"])
    elif "DefinitionString" in props:
        text = substitute(resolver.value(props["DefinitionString"]))
        try:
            definition = json.loads(text)
        except json.JSONDecodeError as err:
            return None, [f"DefinitionString is not JSON once resolved: {err}"]
    elif "DefinitionS3Location" in props:
        return None, ["DefinitionS3Location cannot be validated offline"]
    else:
        return None, ["no Definition, DefinitionString or DefinitionS3Location"]
    problems = [f"placeholder {name} has no DefinitionSubstitutions entry" for name in dict.fromkeys(unknown)]
    return definition, problems


def check_asl(assembly: Assembly) -> Verdict:
    """asl-validator (as a library) on every state machine definition."""
    machines = []
    problems: dict[str, list[str]] = {}
    for path, logical_id, resource in assembly.resources("AWS::StepFunctions::StateMachine"):
        name = f"{rel(path)}: {logical_id}"
        resolver = Resolver(assembly.template(path), assembly.stack_of(path))
        definition, found = _definition_of(resolver, resource.get("Properties", {}))
        problems[name] = found
        if definition is not None:
            machines.append({"name": name, "definition": definition})
    if machines:
        proc = subprocess.run(
            [str(NODE), str(ROOT / "scripts" / "lib" / "validate-asl.mjs")],
            input=json.dumps(machines),
            capture_output=True,
            text=True,
            env=tool_env(),
        )
        if proc.returncode != 0:
            print("    asl-validator could not run:")
            print(indent(proc.stderr), end="")
            return Verdict(False, "asl-validator could not run")
        for result in json.loads(proc.stdout):
            problems[result["name"]].extend(result["errors"])
    invalid = 0
    for name, found in problems.items():
        if found:
            invalid += 1
            print(f"    {name}")
            for problem in found:
                print(f"      {problem}")
    summary = f"{plural(len(problems), 'state machine')}, {invalid} invalid"
    return Verdict(invalid == 0, summary)


def _checkov_reports(stdout: str) -> list[dict[str, Any]]:
    data = json.loads(stdout)
    reports = data if isinstance(data, list) else [data]
    # With nothing to scan checkov prints only a summary, without `results`.
    return [report for report in reports if "results" in report]


def check_checkov(assembly: Assembly) -> Verdict:
    """checkov's CloudFormation policies, offline; a failed check fails, a justified skip is listed."""
    if not assembly.templates:
        return Verdict(False, "no templates")
    env = dict(os.environ, CKV_SKIP_PACKAGE_UPDATE_CHECK="true", BC_SKIP_MAPPING="TRUE")
    cmd = [str(VENV_BIN / "checkov"), "--framework", "cloudformation", "--skip-download", "-o", "json"]
    cmd += ["-f", *(path.name for path in assembly.templates)]
    proc = run(cmd, cwd=assembly.directory, env=env)
    try:
        reports = _checkov_reports(proc.stdout)
    except json.JSONDecodeError:
        print(f"    checkov exited {proc.returncode} without a JSON report:")
        print(indent(proc.stderr or proc.stdout), end="")
        return Verdict(False, "checkov did not run")
    passed, failed, skipped, parse_errors = [], [], [], []
    for report in reports:
        results = report["results"]
        passed += results.get("passed_checks", [])
        failed += results.get("failed_checks", [])
        skipped += results.get("skipped_checks", [])
        parse_errors += results.get("parsing_errors", [])
    for check in failed:
        print(f"    FAILED {check['check_id']} {check['file_path'].lstrip('/')} {check['resource']}: {check['check_name']}")
    for path in parse_errors:
        print(f"    checkov could not parse {path}")
    skips = Counter(check["check_id"] for check in skipped)
    if skips:
        print("    skipped in resource Metadata: " + ", ".join(f"{cid} x{n}" for cid, n in sorted(skips.items())))
    summary = f"{len(passed)} passed, {len(failed)} failed, {len(skipped)} skipped checks"
    summary += f", {plural(len(parse_errors), 'parse error')}" if parse_errors else ""
    return Verdict(not failed and not parse_errors, summary)


def check_event_patterns(assembly: Assembly) -> Verdict:
    """Every EventBridge rule's EventPattern is one EventBridge accepts (LocalStack's rule engine)."""
    rules = invalid = 0
    for path, logical_id, resource in assembly.resources("AWS::Events::Rule"):
        pattern = resource.get("Properties", {}).get("EventPattern")
        if pattern is None:
            continue
        rules += 1
        resolver = Resolver(assembly.template(path), assembly.stack_of(path))
        if isinstance(pattern, str):
            try:
                pattern = json.loads(pattern)
            except json.JSONDecodeError:
                pass  # the engine reports it in EventBridge's words
        error = eventbridge.validate_pattern(resolver.intrinsics_in(pattern))
        if error is not None:
            invalid += 1
            print(f"    {rel(path)}: {logical_id}: {error}")
    return Verdict(invalid == 0, f"{plural(rules, 'event pattern')}, {invalid} invalid")


def check_cdk(assembly: Assembly) -> Verdict:
    """The AWS CDK CLI reads the assembly (`cdk ls`) and lists exactly the manifest's stacks."""
    env = dict(
        os.environ,
        CDK_DISABLE_VERSION_CHECK="true",
        CDK_DISABLE_CLI_TELEMETRY="true",
        # No instance metadata lookups for a region or credentials on a closed network.
        AWS_EC2_METADATA_DISABLED="true",
    )
    # A scratch working directory: the CLI reads cdk.json and writes
    # cdk.context.json in its working directory, and the repository has neither.
    with tempfile.TemporaryDirectory() as scratch:
        proc = run(
            [str(NODE), str(NODE_MODULES / "aws-cdk" / "bin" / "cdk"), "ls", "--app", str(assembly.directory.resolve()), "--long", "--json", "--no-notices"],
            cwd=scratch,
            env=env,
        )
    if proc.returncode != 0:
        print(f"    cdk ls exited {proc.returncode}:")
        print(indent(proc.stderr or proc.stdout), end="")
        return Verdict(False, "cdk ls failed")
    listed = Counter((stack["name"], stack["environment"]["name"]) for stack in json.loads(proc.stdout))
    expected = Counter((stack.name, stack.environment) for stack in assembly.stacks)
    for name, environment in sorted((expected - listed).elements()):
        print(f"    not listed by cdk: {name} ({environment})")
    for name, environment in sorted((listed - expected).elements()):
        print(f"    listed by cdk but not a stack of manifest.json: {name} ({environment})")
    summary = f"cdk listed {plural(sum(listed.values()), 'stack')} of {len(assembly.stacks)}"
    return Verdict(listed == expected and bool(expected), summary)


CHECKS: list[tuple[str, Callable[[Assembly], Verdict]]] = [
    ("manifest", check_manifest),
    ("cfn-lint", check_cfn_lint),
    ("asl", check_asl),
    ("checkov", check_checkov),
    ("event-patterns", check_event_patterns),
    ("cdk", check_cdk),
]


def main(argv: list[str]) -> int:
    """Checks the assembly in argv[0], skipping the checks named after it. Returns the exit status."""
    if len(argv) < 1:
        print("usage: check_assembly.py ASSEMBLY_DIR [SKIPPED_CHECK...]", file=sys.stderr)
        return 2
    skipped = set(argv[1:])
    directory = Path(argv[0])
    try:
        assembly = Assembly.load(directory)
    except ValueError as err:
        print(f"check-assembly: {err}", file=sys.stderr)
        return 1
    print(f"checking {rel(directory)}: {plural(len(assembly.stacks), 'stack')}")
    rows = []
    for name, check in CHECKS:
        if name in skipped:
            rows.append((name, "skipped", "", "DPC_SKIP"))
            continue
        print(f"--- {name}")
        start = time.monotonic()
        try:
            verdict = check(assembly)
        except Exception as err:  # a crash of one validator must not hide the others' results
            print(f"    {name} crashed: {type(err).__name__}: {err}")
            verdict = Verdict(False, "crashed")
        rows.append((name, "ok" if verdict.ok else "FAILED", f"{time.monotonic() - start:.1f}s", verdict.summary))
    print(f"\nassembly checks of {rel(directory)}:")
    for name, status, seconds, summary in rows:
        print(f"  {name:<15} {status:<7} {seconds:>6}  {summary}")
    return 1 if any(status == "FAILED" for _, status, _, _ in rows) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
