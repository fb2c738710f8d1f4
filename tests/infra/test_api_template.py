"""The packaged API template: throttling, CORS, a hand-written least-privilege role, settings, alarms."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from infra.package_api import API_DIR, PackagingError, package, stage_problems
from tests.infra.conftest import SITE_ORIGIN, load_template

STAGES = ["dev", "prod"]


def _resources(template: Path, type_: str) -> dict[str, dict[str, Any]]:
    doc = load_template(template)
    return {k: v for k, v in doc["Resources"].items() if v["Type"] == type_}


@pytest.fixture(scope="module")
def templates(packaged_api: dict[str, Path]) -> dict[str, dict[str, Any]]:
    return {stage: load_template(path) for stage, path in packaged_api.items()}


@pytest.mark.parametrize("stage", STAGES)
def test_stage_throttling_covers_every_route_and_method(templates: dict[str, Any], stage: str) -> None:
    api = templates[stage]["Resources"]["RestAPI"]["Properties"]
    (setting,) = api["MethodSettings"]
    assert (setting["ResourcePath"], setting["HttpMethod"]) == ("/*", "*")
    assert setting["ThrottlingRateLimit"] == {"Ref": "ApiRateLimit"}
    assert setting["ThrottlingBurstLimit"] == {"Ref": "ApiBurstLimit"}
    params = templates[stage]["Parameters"]
    assert params["ApiRateLimit"]["Type"] == params["ApiBurstLimit"]["Type"] == "Number"


@pytest.mark.parametrize("stage", STAGES)
def test_an_undeclared_method_reaches_the_app_for_its_405_as_locally(templates: dict[str, Any], stage: str) -> None:
    """API Gateway would answer an undeclared method with MISSING_AUTHENTICATION_TOKEN (404); an ANY
    method on every path sends it to the function, whose router answers 405 with Allow (tests/api)."""
    paths = templates[stage]["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["paths"]
    assert paths, "the packaged API has no paths"
    for path, methods in paths.items():
        declared = {m for m in methods if not m.startswith("x-")}
        assert "get" in declared or "post" in declared, path
        any_method = methods["x-amazon-apigateway-any-method"]
        integration = any_method["x-amazon-apigateway-integration"]
        assert integration["type"] == "aws_proxy", path
        assert integration["uri"] == methods[sorted(declared)[0]]["x-amazon-apigateway-integration"]["uri"], path
        assert {p["name"] for p in any_method["parameters"]} == set(re.findall(r"{(\w+)}", path)), path


@pytest.mark.parametrize("stage", STAGES)
def test_preflight_answers_allow_only_the_site_origin(templates: dict[str, Any], stage: str) -> None:
    # A preflight is either answered by the app (it reads QINGYI_SITE_ORIGINS, set
    # from the SiteOrigin parameter) or by a mock integration that Chalice wrote
    # from the app's CORSConfig at packaging time: that one must name the site's
    # origin, never "*".
    paths = templates[stage]["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["paths"]
    preflights = {path: methods["options"] for path, methods in paths.items() if "options" in methods}
    assert preflights, "no route answers a CORS preflight: the site could not POST to the API"
    for path, method in preflights.items():
        integration = method["x-amazon-apigateway-integration"]
        if integration["type"] == "aws_proxy":
            continue
        origin = integration["responses"]["default"]["responseParameters"][
            "method.response.header.Access-Control-Allow-Origin"
        ]
        assert origin == f"'{SITE_ORIGIN}'", f"{path}: preflight allows {origin}"
    env = templates[stage]["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert env["QINGYI_SITE_ORIGINS"] == {"Ref": "SiteOrigin"}


@pytest.mark.parametrize("stage", STAGES)
def test_gateway_errors_carry_cors_and_the_error_shape(templates: dict[str, Any], stage: str) -> None:
    body = templates[stage]["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    responses = body["x-amazon-apigateway-gateway-responses"]
    assert {"THROTTLED", "DEFAULT_4XX", "DEFAULT_5XX"} <= set(responses)
    for name, response in responses.items():
        headers = response["responseParameters"]
        assert headers["gatewayresponse.header.Access-Control-Allow-Origin"] == {"Fn::Sub": "'${SiteOrigin}'"}, name
        payload = json.loads(response["responseTemplates"]["application/json"])
        assert set(payload) == {"code", "message"}, name
        assert any("\u4e00" <= ch <= "\u9fff" for ch in payload["message"]), f"{name}: Chinese first"
    assert responses["THROTTLED"]["statusCode"] == "429"
    assert all(isinstance(r.get("statusCode", ""), str) for r in responses.values())
    assert "gatewayresponse.header.Retry-After" in responses["THROTTLED"]["responseParameters"]


@pytest.mark.parametrize("stage", STAGES)
def test_function_settings_come_from_the_stacks_and_ssm(templates: dict[str, Any], stage: str) -> None:
    env = templates[stage]["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert env["QINGYI_TABLE"] == {
        "Fn::If": [
            "HasTableOverride",
            {"Ref": "LedgerTableOverride"},
            {"Fn::ImportValue": {"Fn::Sub": "qingyi-${Stage}-ledger-table"}},
        ]
    }
    assert env["QINGYI_SITE_ORIGINS"] == {"Ref": "SiteOrigin"}
    # Names only: the token hashes and the HMAC key are read at run time, never resolved into the environment.
    assert env["QINGYI_OPERATOR_TOKENS_PARAMETER"] == {"Ref": "OperatorTokenParameter"}
    assert env["QINGYI_PAYMENT_SECRET_PARAMETER"] == {"Ref": "PaymentSecretId"}
    assert "QINGYI_OPERATOR_TOKENS" not in env and "QINGYI_PAYMENT_SECRET" not in env
    assert "resolve:" not in json.dumps(env), "no secret is resolved into the function's environment"
    params = templates[stage]["Parameters"]
    assert params["OperatorTokenParameter"]["Type"] == "String"
    assert params["OperatorTokenParameter"]["Default"].startswith("/"), "an SSM name (settings.py reads '/...' from SSM)"
    assert not params["PaymentSecretId"]["Default"].startswith("/"), "a Secrets Manager name"
    assert params["Stage"]["AllowedValues"] == ["dev", "prod"]
    assert {"ApiDomainName", "ApiCertificateArn", "SiteOrigin"} <= set(params)


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_the_role_reads_exactly_the_named_token_map_and_payment_key(stage: str) -> None:
    """ssm:GetParameter and secretsmanager:GetSecretValue on the two names the environment holds, nothing wider."""
    written = json.loads((API_DIR / ".chalice" / f"policy-{stage}.json").read_text(encoding="utf-8"))
    by_sid = {s["Sid"]: s for s in written["Statement"]}
    arn = "arn:${AWS::Partition}:%s:${AWS::Region}:${AWS::AccountId}:%s"
    assert by_sid["TokenMap"]["Action"] == ["ssm:GetParameter"]
    assert by_sid["TokenMap"]["Resource"] == {"Fn::Sub": arn % ("ssm", "parameter${OperatorTokenParameter}")}
    assert by_sid["PaymentKey"]["Action"] == ["secretsmanager:GetSecretValue"]
    assert by_sid["PaymentKey"]["Resource"] == {"Fn::Sub": arn % ("secretsmanager", "secret:${PaymentSecretId}-??????")}
    for statement in written["Statement"]:
        if any(a.startswith(("ssm:", "secretsmanager:")) for a in statement["Action"]):
            assert statement["Sid"] in {"TokenMap", "PaymentKey", "PaymentProviderSecret"}, statement
            assert "*" not in json.dumps(statement["Resource"]), statement


# Settings the API reads that the stack deliberately leaves unset on AWS, and why.
UNSET_ON_AWS = {
    "QINGYI_NOW": "a fixed clock is for demos and tests only",
    "QINGYI_DYNAMODB_ENDPOINT": "the local emulator's address; on AWS boto3 finds DynamoDB itself",
    "QINGYI_CATALOGUE": "the default, chalicelib/catalogue.json inside the package, is the one `make catalogue` wrote",
    "QINGYI_SOURCE_HEADER": "behind API Gateway the source address comes from the request context, not a header",
    "QINGYI_CACHE_SECONDS": "the code's default (1.5 s) is the one wanted in production",
    "QINGYI_API_PORT": "the port of the local server (`make api`); Lambda has no port",
    "QINGYI_OPERATOR_TOKENS": "the inline token map is for local runs; on AWS QINGYI_OPERATOR_TOKENS_PARAMETER names it",
    "QINGYI_PAYMENT_SECRET": "the inline key is for local runs; on AWS QINGYI_PAYMENT_SECRET_PARAMETER names it",
}


@pytest.mark.parametrize("stage", STAGES)
def test_every_setting_the_api_reads_is_set_or_deliberately_left_out(templates: dict[str, Any], stage: str) -> None:
    code = "\n".join(p.read_text(encoding="utf-8") for p in API_DIR.rglob("*.py"))
    read = set(re.findall(r"\b(QINGYI_[A-Z_]+)\b", code))
    env = templates[stage]["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]
    undecided = read - set(env) - set(UNSET_ON_AWS)
    assert not undecided, (
        f"the API reads {sorted(undecided)}: set them in infra/api-merge.yaml or list them in UNSET_ON_AWS"
    )


def test_function_size_comes_from_the_chalice_config(templates: dict[str, Any]) -> None:
    merge = load_template(API_DIR.parent / "infra" / "api-merge.yaml")["Resources"]["APIHandler"]["Properties"]
    assert not {"MemorySize", "Timeout"} & set(merge), "api/.chalice/config.json owns memory and timeout"
    config = json.loads((API_DIR / ".chalice" / "config.json").read_text(encoding="utf-8"))
    for stage, template in templates.items():
        wanted = config["stages"][stage].get("lambda_memory_size", config.get("lambda_memory_size"))
        if wanted is not None:
            assert template["Resources"]["APIHandler"]["Properties"]["MemorySize"] == wanted


def test_data_stack_exports_what_the_api_imports() -> None:
    data = load_template(API_DIR.parent / "infra" / "data.yaml")
    exports = {out["Export"]["Name"]["Fn::Sub"] for out in data["Outputs"].values()}
    assert exports == {"qingyi-${Stage}-ledger-table", "qingyi-${Stage}-ledger-table-arn"}


# ---- the role ----------------------------------------------------------------------------


#: Chalice writes one role per function whose policy file is its own: the API's and the expiry job's.
ROLES = {"ApiHandlerRole": "policy-{stage}.json", "ExpirePledgesRole": "policy-expire-{stage}.json"}


def _role_statements(template: dict[str, Any], role_name: str = "ApiHandlerRole") -> list[dict[str, Any]]:
    roles = {k: v for k, v in template["Resources"].items() if v["Type"] == "AWS::IAM::Role"}
    assert set(roles) == set(ROLES), f"expected the API's and the expiry job's roles, found {sorted(roles)}"
    (policy,) = roles[role_name]["Properties"]["Policies"]
    return policy["PolicyDocument"]["Statement"]


@pytest.mark.parametrize("stage", STAGES)
def test_role_has_exactly_the_hand_written_policy(templates: dict[str, Any], stage: str) -> None:
    for role_name, policy_file in ROLES.items():
        written = json.loads((API_DIR / ".chalice" / policy_file.format(stage=stage)).read_text(encoding="utf-8"))
        assert _role_statements(templates[stage], role_name) == written["Statement"]
        boundary = templates[stage]["Resources"][role_name]["Properties"]["PermissionsBoundary"]["Fn::Sub"]
        assert boundary.endswith(":policy/qingyi-api-boundary")
    for function_name, role_name in (("APIHandler", "ApiHandlerRole"), ("ExpirePledges", "ExpirePledgesRole")):
        function = templates[stage]["Resources"][function_name]["Properties"]
        assert function["Role"]["Fn::GetAtt"][0] == role_name


@pytest.mark.parametrize("stage", STAGES)
def test_the_expiry_job_runs_every_five_minutes_with_only_what_it_needs(templates: dict[str, Any], stage: str) -> None:
    resources = templates[stage]["Resources"]
    job = resources["ExpirePledges"]["Properties"]
    assert job["Handler"] == "app.expire_pledges"
    assert [e["Properties"]["Schedule"] for e in job["Events"].values()] == ["rate(5 minutes)"]
    assert job["FunctionName"]["Fn::Sub"] == "qingyi-api-${Stage}-expire-pledges"
    assert set(job["Environment"]["Variables"]) >= {"QINGYI_TABLE", "QINGYI_STAGE"}
    group = resources["ExpirePledgesLogGroup"]["Properties"]["LogGroupName"]["Fn::Sub"]
    assert group == "/aws/lambda/qingyi-api-${Stage}-expire-pledges"
    actions = {a for s in _role_statements(templates[stage], "ExpirePledgesRole") for a in s["Action"]}
    assert actions == {"dynamodb:UpdateItem", "dynamodb:Query", "logs:CreateLogStream", "logs:PutLogEvents"}
    assert f"/aws/lambda/qingyi-api-{stage}-expire-pledges:" in json.dumps(
        _role_statements(templates[stage], "ExpirePledgesRole")
    )


@pytest.mark.parametrize("stage", STAGES)
def test_role_is_least_privilege(templates: dict[str, Any], stage: str) -> None:
    text = json.dumps(_role_statements(templates[stage]))
    for statement in _role_statements(templates[stage]):
        assert statement["Effect"] == "Allow"
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert all("*" not in a for a in actions), statement
        assert not {"dynamodb:Scan", "dynamodb:DeleteTable", "dynamodb:CreateTable"} & set(actions)
        assert statement["Resource"] != "*", statement
    # Only this stage's table, never the other stage's.
    other = "prod" if stage == "dev" else "dev"
    assert f"qingyi-{stage}-ledger-table-arn" in text
    assert f"qingyi-{other}-" not in text
    assert f"/aws/lambda/qingyi-api-{stage}:" in text


@pytest.mark.parametrize("stage", STAGES)
def test_log_group_is_the_one_the_role_may_write(templates: dict[str, Any], stage: str) -> None:
    resources = templates[stage]["Resources"]
    group = resources["APIHandlerLogGroup"]["Properties"]["LogGroupName"]["Fn::Sub"]
    name = resources["APIHandler"]["Properties"]["FunctionName"]["Fn::Sub"]
    assert group == "/aws/lambda/" + name == "/aws/lambda/qingyi-api-${Stage}"


# ---- alarms ----------------------------------------------------------------------------


@pytest.mark.parametrize("stage", STAGES)
def test_alarms_watch_this_api_and_the_ledger(templates: dict[str, Any], stage: str) -> None:
    resources = templates[stage]["Resources"]
    alarms = {k: v["Properties"] for k, v in resources.items() if v["Type"] == "AWS::CloudWatch::Alarm"}
    api_title = resources["RestAPI"]["Properties"]["DefinitionBody"]["info"]["title"]

    five = alarms["Api5xxAlarm"]
    assert (five["Namespace"], five["MetricName"]) == ("AWS/ApiGateway", "5XXError")
    dims = {d["Name"]: d["Value"] for d in five["Dimensions"]}
    assert dims["ApiName"] == api_title, "the alarm must watch the API this stack names"

    throttles = alarms["TableThrottleAlarm"]["Metrics"]
    watched = {
        m["MetricStat"]["Metric"]["MetricName"]
        + ":"
        + next(d["Value"] for d in m["MetricStat"]["Metric"]["Dimensions"] if d["Name"] == "Operation")
        for m in throttles
        if "MetricStat" in m
    }
    assert {"ThrottledRequests:TransactWriteItems", "ThrottledRequests:UpdateItem"} <= watched
    for alarm in alarms.values():
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]


# ---- packaging refuses a stage that would autogenerate its policy ------------------------


def test_packaging_refuses_an_autogenerated_policy(tmp_path: Path) -> None:
    project = tmp_path / "api"
    (project / ".chalice").mkdir(parents=True)
    (project / "app.py").write_text(
        "from chalice import Chalice\n\napp = Chalice(app_name='qingyi-api')\n", encoding="utf-8"
    )
    (project / ".chalice" / "config.json").write_text(
        json.dumps({"version": "2.0", "app_name": "qingyi-api", "stages": {"dev": {}}}), encoding="utf-8"
    )
    problems = stage_problems(project, "dev")
    assert any("autogen_policy must be false" in p for p in problems)
    assert any("policy-dev.json does not exist" in p for p in problems)
    assert stage_problems(project, "prod") == [
        f'{project / ".chalice" / "config.json"}: add a "prod" entry under "stages"'
    ]
    with pytest.raises(PackagingError, match="autogen_policy"):
        package("dev", tmp_path / "out", SITE_ORIGIN, project_dir=project)
