"""Patches to moto 5.2.5 (tools/requirements.txt) for dpc's end-to-end test.

Each patch says which moto behaviour it replaces and why the replacement is what AWS
does. They are applied in the process that runs the moto server (scripts/lib/e2e),
before it starts, and touch nothing outside it.
"""

from __future__ import annotations

import json
import os
import re
import threading
from urllib.parse import unquote

from moto import settings
from moto.awslambda import models as lambda_models
from moto.cloudformation import responses as cfn_responses
from moto.cloudformation import urls as cfn_urls
from moto.events import models as events_models
from moto.iam.models import iam_backends

import event_delivery
import lambda_runner
from moto.apigateway.models import apigateway_backends
from moto.cloudformation import parsing as cfn_parsing
from moto.core.common_models import CloudFormationModel


class ApiGatewayStage(CloudFormationModel):
    """moto's CloudFormation skips AWS::ApiGateway::Stage, so a REST API deployed with a
    separate Stage (as dpc's are) has no stage and answers nothing. AWS: the stage is
    created on the API's deployment; Ref is the stage name."""

    # moto's model metaclass files a model under the service its module names.
    __module__ = "moto.apigateway.models"

    def __init__(self, name: str) -> None:
        self.name = name

    @property
    def physical_resource_id(self) -> str:
        return self.name

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGateway::Stage"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "StageName"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json["Properties"]
        apigateway_backends[account_id][region_name].create_stage(
            props["RestApiId"],
            props["StageName"],
            props["DeploymentId"],
            variables=props.get("Variables"),
            description=props.get("Description", ""),
            tracing_enabled=props.get("TracingEnabled"),
        )
        return cls(props["StageName"])

# What each function printed on its last invocations, for the harness to show when a
# scenario fails.
LAMBDA_LOGS: list[tuple[str, str]] = []
_keys: dict[str, tuple[str, str]] = {}
_keys_lock = threading.Lock()


def account_credentials(account_id: str) -> tuple[str, str]:
    """An access key moto maps to `account_id` (it looks keys up in IAM), so that a
    function's own SDK calls land in its own account, as with its execution role."""
    with _keys_lock:
        if account_id not in _keys:
            backend = iam_backends[account_id]["aws"]
            user = "dpc-e2e-lambda"
            if user not in backend.users:
                backend.create_user("us-east-1", user)
            key = backend.create_access_key(user)
            _keys[account_id] = (key.access_key_id, key.secret_access_key)
        return _keys[account_id]


def forget() -> None:
    """Drops what the patches remember of a reset moto (its access keys, logs)."""
    with _keys_lock:
        _keys.clear()
    LAMBDA_LOGS.clear()
    event_delivery.DELIVERED.clear()


def apply(port: int) -> None:
    """Applies every patch; `port` is the moto server's loopback port."""
    os.environ["MOTO_PORT"] = str(port)
    endpoint = f"http://127.0.0.1:{port}"

    # moto: custom resources get a ResponseURL on host.docker.internal (the Docker host
    # its Lambda containers reach). AWS: a URL the function can reach; here that is
    # the loopback server itself.
    settings.moto_server_host = lambda: "http://127.0.0.1"

    # moto: Lambda functions run in Docker (unavailable here). AWS: the function's own
    # code runs with its environment, its role's credentials and the Runtime API.
    def invoke_with_runtime_api(self, event=None):
        if event is None:
            event = {}
        payload = event if isinstance(event, str) else json.dumps(event)
        key_id, secret = account_credentials(self.account_id)
        env = {k: str(v) for k, v in (self.environment_vars or {}).items()}
        env.update(
            {
                "AWS_REGION": self.region,
                "AWS_DEFAULT_REGION": self.region,
                "AWS_ACCESS_KEY_ID": key_id,
                "AWS_SECRET_ACCESS_KEY": secret,
                "AWS_ENDPOINT_URL": endpoint,
                "AWS_LAMBDA_FUNCTION_NAME": self.function_name,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.memory_size),
                "AWS_LAMBDA_FUNCTION_VERSION": str(self.version),
                "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{self.function_name}",
                "AWS_LAMBDA_LOG_STREAM_NAME": "e2e",
            }
        )
        result, errored, logs = lambda_runner.invoke(
            self.code_bytes,
            payload.encode("utf-8"),
            env,
            self.function_arn,
            int(self.timeout or 3),
        )
        LAMBDA_LOGS.append((self.function_name, logs))
        del LAMBDA_LOGS[:-200]
        return result.decode("utf-8", "replace"), errored, logs

    lambda_models.LambdaFunction._invoke_lambda = invoke_with_runtime_api

    # The model list is cached on first use: make it see ApiGatewayStage.
    for cached in (cfn_parsing.get_model_list, cfn_parsing.get_model_map, cfn_parsing.get_name_type_map):
        cached.cache_clear()

    # moto: a custom resource's answer to its ResponseURL is applied in the account the
    # request is signed for, and the answer is unsigned, so moto looks for the stack in
    # its default account and refuses it. AWS: the (presigned) URL belongs to the stack,
    # whichever account and region the function runs in; here the URL's stack id names
    # them.
    def cfnresponse(cls, *args, **kwargs):
        request, full_url, headers = args
        owner = re.search(r"stack=arn:[^:]+:cloudformation:([^:]+):(\d{12}):", unquote(full_url))
        response = cfn_responses.CloudFormationResponse()
        response.automated_parameter_parsing = False
        if owner:
            response.get_region_from_url = lambda *_: owner.group(1)
            response.get_current_account = lambda: owner.group(2)
        return response._dispatch(
            request=request, full_url=full_url + "&Action=ProcessCfnResponse", headers=headers
        )

    cfn_responses.CloudFormationResponse.cfnresponse = classmethod(cfnresponse)
    # The server's routes hold the method bound at import: point the route at it too.
    for pattern in list(cfn_urls.url_paths):
        if pattern.endswith("/cfnresponse$"):
            cfn_urls.url_paths[pattern] = cfn_responses.CloudFormationResponse.cfnresponse

    # EventBridge's delivery to Lambda, Step Functions and other accounts' buses
    # (event_delivery.py says what moto lacks).
    event_delivery.apply()

    # moto: `Ref` to an AWS::Events::EventBus yields the model object (no
    # physical_resource_id), which breaks every rule on that bus. AWS: the bus's name.
    events_models.EventBus.physical_resource_id = property(lambda self: self.name)
