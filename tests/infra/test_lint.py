"""cfn-lint is clean on every template in infra/ and on what `chalice package` makes of the API."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.infra.conftest import INFRA, cfn_lint, load_template

MERGE_FRAGMENT = INFRA / "api-merge.yaml"
TEMPLATES = sorted(p for p in INFRA.glob("*.yaml") if p != MERGE_FRAGMENT)


def test_every_yaml_in_infra_is_a_template_or_the_merge_fragment() -> None:
    # A new file in infra/ is linted as soon as it is a template: nothing slips past unlinted.
    assert [p.name for p in TEMPLATES] == ["bootstrap.yaml", "data.yaml", "site.yaml"]
    for path in TEMPLATES:
        assert load_template(path)["AWSTemplateFormatVersion"] == "2010-09-09", path.name
    assert "AWSTemplateFormatVersion" not in load_template(MERGE_FRAGMENT)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_template_is_cfn_lint_clean(template: Path) -> None:
    assert cfn_lint(template) == []


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_packaged_api_is_cfn_lint_clean(packaged_api: dict[str, Path], stage: str) -> None:
    assert cfn_lint(packaged_api[stage]) == []


def test_cfn_lint_does_find_problems(tmp_path: Path) -> None:
    # The linter is really looking: a table with a key attribute it never defines fails.
    broken = tmp_path / "broken.yaml"
    text = (INFRA / "data.yaml").read_text(encoding="utf-8")
    broken.write_text(text.replace("BillingMode: PAY_PER_REQUEST", "BillingMode: PAY_PER_REQUST"), encoding="utf-8")
    assert any("PAY_PER_REQUST" in line for line in cfn_lint(broken))


def test_no_template_creates_long_lived_keys() -> None:
    for path in TEMPLATES:
        types = {r["Type"] for r in load_template(path)["Resources"].values()}
        assert not types & {"AWS::IAM::AccessKey", "AWS::IAM::User"}, path.name


def test_deploy_role_trusts_only_this_repositorys_environments() -> None:
    role = load_template(INFRA / "bootstrap.yaml")["Resources"]["DeployRole"]["Properties"]
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Condition"]["StringEquals"] == {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}
    subjects = statement["Condition"]["StringLike"]["token.actions.githubusercontent.com:sub"]
    assert [s["Fn::Sub"] for s in subjects] == [
        "repo:${GitHubRepository}:environment:dev",
        "repo:${GitHubRepository}:environment:prod",
    ]
