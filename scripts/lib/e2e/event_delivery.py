"""EventBridge's delivery to the targets dpc's rules use, which moto 5.2.5 lacks.

moto's Rule.send_to_targets delivers to log groups, archives, queues and other buses
only, and raises for any other target, which fails the PutEvents that matched it.
And a schedule rule matches every event in moto, none in AWS.
AWS delivers the event (or the target's Input/InputPath/InputTransformer rendering
of it) to Lambda functions (asynchronous invocation) and Step Functions state
machines (StartExecution, the event as input), and to another account's bus with its
source, detail-type, detail, resources and time kept. Deliveries here run in threads,
like EventBridge's, and `quiet()` waits until none is left.
"""

from __future__ import annotations

import datetime
import json
import threading
import uuid

from moto.awslambda.models import lambda_backends
from moto.events import models as events_models
from moto.events.models import EventTemplateParser, events_backends
from moto.stepfunctions.models import stepfunctions_backends
from moto.utilities.arns import parse_arn

_original = events_models.Rule.send_to_targets
_lock = threading.Lock()
_idle = threading.Condition(_lock)
_in_flight = 0
# (target ARN, delivered event or input) of every delivery, for scenarios to read.
DELIVERED: list[tuple[str, str]] = []


def _iso(value) -> str:
    if isinstance(value, (int, float)):
        value = datetime.datetime.fromtimestamp(float(value), tz=datetime.timezone.utc)
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def as_delivered(event: dict) -> dict:
    """The event in the shape EventBridge hands to targets (ISO time, no moto fields)."""
    out = {k: v for k, v in event.items() if k != "ingestion-time"}
    out["time"] = _iso(event.get("time"))
    return out


def _rendered(target: dict, event: dict) -> str:
    if "Input" in target:
        return target["Input"]
    if "InputPath" in target:
        node = event
        for part in target["InputPath"].lstrip("$").strip(".").split("."):
            node = node.get(part) if part and isinstance(node, dict) else node
        return json.dumps(node)
    if "InputTransformer" in target:
        rendered = EventTemplateParser.parse(
            input_template=target["InputTransformer"].get("InputTemplate"),
            input_paths_map=target["InputTransformer"].get("InputPathsMap", {}),
            event=event,
        )
        return rendered if isinstance(rendered, str) else json.dumps(rendered)
    return json.dumps(event)


def _run(work, *args) -> None:
    global _in_flight
    with _lock:
        _in_flight += 1

    def wrapped():
        global _in_flight
        try:
            work(*args)
        finally:
            with _lock:
                _in_flight -= 1
                _idle.notify_all()

    threading.Thread(target=wrapped, daemon=True).start()


def quiet(timeout: float = 30) -> bool:
    """Waits until no delivery is in flight (twice in a row, since a delivery's work
    may start more); False when some still are after `timeout` seconds."""
    deadline = threading.Event()
    timer = threading.Timer(timeout, deadline.set)
    timer.start()
    try:
        calm = 0
        while calm < 2 and not deadline.is_set():
            with _lock:
                if _in_flight == 0:
                    calm += 1
                else:
                    calm = 0
                    _idle.wait(0.2)
            deadline.wait(0.1)
        return calm >= 2
    finally:
        timer.cancel()


def _to_lambda(arn, target_arn: str, payload: str) -> None:
    function = lambda_backends[arn.account][arn.region].get_function(target_arn)
    function._invoke_lambda(payload)


def _to_state_machine(arn, target_arn: str, payload: str) -> None:
    backend = stepfunctions_backends[arn.account][arn.region]
    backend.start_execution(target_arn, name=str(uuid.uuid4()), execution_input=payload)


def _to_bus(arn, event: dict) -> None:
    events_backends[arn.account][arn.region].put_events(
        [
            {
                "Source": event["source"],
                "DetailType": event["detail-type"],
                "Detail": json.dumps(event["detail"]),
                "Resources": event.get("resources", []),
                "Time": event.get("time"),
                "EventBusName": arn.resource_id,
            }
        ]
    )


def send_to_targets(self, original_event, transform_input=True):
    # moto: a schedule rule (no pattern) matches every event on its bus. AWS: it fires
    # on its schedule only (scenarios start scheduled runs themselves).
    if self.scheduled_expression and not self.event_pattern._pattern:
        return
    if not self.event_pattern.matches_event(original_event):
        return
    event = as_delivered(original_event)
    others = []
    for target in self.targets:
        arn = parse_arn(target["Arn"])
        if arn.service == "lambda":
            payload = _rendered(target, event)
            DELIVERED.append((target["Arn"], payload))
            _run(_to_lambda, arn, target["Arn"], payload)
        elif arn.service == "states":
            payload = _rendered(target, event)
            DELIVERED.append((target["Arn"], payload))
            _run(_to_state_machine, arn, target["Arn"], payload)
        elif arn.service == "events" and arn.resource_type == "event-bus":
            DELIVERED.append((target["Arn"], json.dumps(event)))
            _run(_to_bus, arn, original_event)
        else:
            others.append(target)
    if others:
        # moto's own delivery for the rest, one rule view at a time.
        with _lock:
            saved = self.targets
            self.targets = others
            try:
                _original(self, original_event, transform_input)
            finally:
                self.targets = saved


def apply() -> None:
    events_models.Rule.send_to_targets = send_to_targets
