"""Create the API's tables through the DynamoDB API from infra/data.yaml.

Used by the local stack and the tests so that they run against exactly the
keys and indexes that the CloudFormation template deploys.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

TEMPLATE = Path(__file__).with_name("data.yaml")


class _CfnLoader(yaml.SafeLoader):
    pass


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return {suffix: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {suffix: loader.construct_sequence(node, deep=True)}
    return {suffix: loader.construct_mapping(node, deep=True)}  # type: ignore[arg-type]


_CfnLoader.add_multi_constructor("!", _tag)


def table_definitions(template: Path = TEMPLATE) -> list[dict[str, Any]]:
    """The CreateTable parameters of every DynamoDB table in the template, names unresolved."""
    doc = yaml.load(template.read_text(encoding="utf-8"), Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass
    out = []
    for logical_id, res in doc["Resources"].items():
        if res["Type"] != "AWS::DynamoDB::Table":
            continue
        props = res["Properties"]
        params: dict[str, Any] = {
            "LogicalId": logical_id,
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
        }
        if props.get("GlobalSecondaryIndexes"):
            # Warm throughput is a deploy-time choice (a giving day), not part of the keys: leave it to CloudFormation.
            params["GlobalSecondaryIndexes"] = [
                {k: v for k, v in index.items() if k != "WarmThroughput"} for index in props["GlobalSecondaryIndexes"]
            ]
        params["TimeToLive"] = props.get("TimeToLiveSpecification")
        out.append(params)
    return out


def create_tables(client: Any, table_name: str) -> None:
    """Create the ledger table (and its TTL) named ``table_name`` if it does not exist."""
    (definition,) = table_definitions()
    existing = client.list_tables().get("TableNames", [])
    if table_name in existing:
        return
    params = {k: v for k, v in definition.items() if k not in ("LogicalId", "TimeToLive")}
    client.create_table(TableName=table_name, **params)
    client.get_waiter("table_exists").wait(TableName=table_name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 200})
    ttl = definition.get("TimeToLive")
    if ttl:
        client.update_time_to_live(
            TableName=table_name,
            TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": bool(ttl["Enabled"])},
        )


def deploy_data_stack(cloudformation: Any, dynamodb: Any, stage: str = "dev") -> str:
    """Deploy infra/data.yaml as a CloudFormation stack and return the ledger table's name.

    The local stack and the tests use this on moto, so the API always runs against
    the table the template actually creates. moto's CloudFormation does not apply
    TimeToLiveSpecification, so the TTL from the template is applied afterwards
    through the DynamoDB API (a no-op on AWS, where the stack already did it).
    """
    stack = f"qingyi-data-{stage}"
    cloudformation.create_stack(
        StackName=stack,
        TemplateBody=TEMPLATE.read_text(encoding="utf-8"),
        Parameters=[{"ParameterKey": "Stage", "ParameterValue": stage}],
    )
    cloudformation.get_waiter("stack_create_complete").wait(
        StackName=stack, WaiterConfig={"Delay": 1, "MaxAttempts": 120}
    )
    outputs = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]["Outputs"]
    table_name = next(o["OutputValue"] for o in outputs if o["OutputKey"] == "LedgerTableName")
    (definition,) = table_definitions()
    ttl = definition.get("TimeToLive")
    if ttl:
        current = dynamodb.describe_time_to_live(TableName=table_name)["TimeToLiveDescription"]
        if current.get("TimeToLiveStatus") != "ENABLED":
            dynamodb.update_time_to_live(
                TableName=table_name,
                TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
            )
    return table_name
