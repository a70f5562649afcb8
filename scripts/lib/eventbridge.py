"""EventBridge event patterns, judged by LocalStack's EventBridge rule engine.

LocalStack reimplements EventBridge's pattern validation with the service's own
error texts, and its matcher is stricter than moto's (moto lets an unknown
operator match everything). Only the rule engine is installed (`localstack-core`
with --no-deps, see tools/requirements-nodeps.txt); its one import from the rest
of LocalStack, the exception class, is provided here so that the engine loads
without LocalStack's server dependencies.

As a script this is the CLI behind scripts/eventbridge-match (run it through
that wrapper so the pinned venv is used).
"""

from __future__ import annotations

import json
import sys
import types
from typing import Any

_EXIT_MATCH = 0
_EXIT_NO_MATCH = 1
_EXIT_INVALID_PATTERN = 2
_EXIT_USAGE = 3


class InvalidEventPatternException(Exception):
    """EventBridge's InvalidEventPatternException; `message` is the service's text."""

    def __init__(self, message: str = "", *args: Any, **kwargs: Any) -> None:
        super().__init__(message, *args)
        self.message = message


def _load_engine() -> tuple[Any, Any]:
    # The engine imports `localstack.aws.api.events`, whose package pulls in
    # LocalStack's HTTP framework; stand in for both modules with the one name
    # the engine uses.
    if "localstack.aws.api.events" not in sys.modules:
        api = types.ModuleType("localstack.aws.api")
        api.__path__ = []  # a package, so the submodule below resolves
        events = types.ModuleType("localstack.aws.api.events")
        events.InvalidEventPatternException = InvalidEventPatternException
        sys.modules.setdefault("localstack.aws.api", api)
        sys.modules["localstack.aws.api.events"] = events
    from localstack.services.events.event_rule_engine import (  # noqa: PLC0415
        EventPatternCompiler,
        EventRuleEngine,
    )

    return EventPatternCompiler(), EventRuleEngine()


_COMPILER, _ENGINE = _load_engine()


def validate_pattern(pattern: Any) -> str | None:
    """Returns EventBridge's error text for an invalid pattern, None for a valid one.

    `pattern` is the pattern as JSON text or as already parsed JSON.
    """
    try:
        _COMPILER.compile_event_pattern(pattern)
    except InvalidEventPatternException as err:
        return err.message
    return None


def matches(pattern: Any, event: Any) -> bool:
    """True when `event` (a JSON object, parsed or as text) matches `pattern`.

    Raises InvalidEventPatternException when the pattern is invalid.
    """
    compiled = _COMPILER.compile_event_pattern(pattern)
    return bool(_ENGINE.evaluate_pattern_on_event(compiled, event))


_USAGE = """\
usage: eventbridge-match PATTERN [EVENT]

Tells whether an EventBridge event pattern matches an event, the way
EventBridge's rule engine does (LocalStack's implementation).

PATTERN and EVENT are each inline JSON (when the argument starts with `{`),
a file path, or `-` for standard input (one of them at most).
With no EVENT, only checks that PATTERN is a valid pattern.

exit status:
  0  the event matches (or, without EVENT, the pattern is valid)
  1  the event does not match
  2  the pattern is invalid; EventBridge's reason is printed on stderr
  3  could not run: wrong usage, an unreadable or non-JSON file, or the
     pinned tools are not installed (scripts/install-tools)
"""


class _UsageError(Exception):
    def __init__(self, message: str, show_usage: bool = False) -> None:
        super().__init__(message)
        self.show_usage = show_usage


def _read_json(arg: str, what: str) -> Any:
    if arg.lstrip().startswith("{"):
        text, origin = arg, f"{what} argument"
    elif arg == "-":
        text, origin = sys.stdin.read(), f"{what} on stdin"
    else:
        try:
            with open(arg, encoding="utf-8") as handle:
                text = handle.read()
        except OSError as err:
            raise _UsageError(f"cannot read {what} file {arg}: {err.strerror}") from err
        origin = arg
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        if what == "pattern":
            # EventBridge rejects text that is not JSON as an invalid pattern.
            return text
        raise _UsageError(f"{origin} is not JSON: {err}") from err


def main(argv: list[str]) -> int:
    """Runs the CLI on `argv` (without the program name); returns the exit status."""
    if any(arg in ("-h", "--help") for arg in argv):
        print(_USAGE, end="")
        return _EXIT_MATCH
    try:
        if not 1 <= len(argv) <= 2:
            raise _UsageError("expected PATTERN and an optional EVENT", show_usage=True)
        if argv.count("-") > 1:
            raise _UsageError("only one of PATTERN and EVENT can be read from stdin", show_usage=True)
        pattern = _read_json(argv[0], "pattern")
        event = _read_json(argv[1], "event") if len(argv) == 2 else None
        if event is not None and not isinstance(event, dict):
            raise _UsageError("the event must be a JSON object")
    except _UsageError as err:
        print(f"eventbridge-match: {err}", file=sys.stderr)
        if err.show_usage:
            print(f"\n{_USAGE}", end="", file=sys.stderr)
        return _EXIT_USAGE

    error = validate_pattern(pattern)
    if error is not None:
        print(error, file=sys.stderr)
        return _EXIT_INVALID_PATTERN
    if event is None:
        return _EXIT_MATCH
    return _EXIT_MATCH if matches(pattern, event) else _EXIT_NO_MATCH


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
