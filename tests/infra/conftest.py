"""Shared helpers for the infrastructure checks: lint a template, read one, package the API once."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from cfnlint.api import ManualArgs, lint

from infra.package_api import API_DIR, package

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
# The regions the stacks are meant for: us-east-1 (CloudFront certificates live
# there) and Hong Kong, the region nearest the programmes' users.
LINT_REGIONS = ["us-east-1", "ap-east-1"]
SITE_ORIGIN = "https://site.qingyi.test"


class _CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation YAML, turning short-form tags (!Ref, !Sub, ...) into their long form."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    name = suffix if suffix in ("Ref", "Condition") else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
        return {name: value}
    if isinstance(node, yaml.SequenceNode):
        return {name: loader.construct_sequence(node, deep=True)}
    return {name: loader.construct_mapping(node, deep=True)}  # type: ignore[arg-type]


_CfnLoader.add_multi_constructor("!", _tag)


def load_template(path: Path) -> dict[str, Any]:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass


def cfn_lint(path: Path) -> list[str]:
    """cfn-lint's errors and warnings for a template file, one line each (empty when clean)."""
    matches = lint(path.read_text(encoding="utf-8"), config=ManualArgs(regions=LINT_REGIONS))
    return [f"{path.name}:{m.linenumber}: {m.rule.id} {m.message}" for m in matches]


@pytest.fixture(scope="session")
def packaged_api(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """`chalice package` output (sam.yaml) for each stage, merged with infra/api-merge.yaml."""
    # A copy of the app without its requirements: Chalice would otherwise fetch
    # Lambda wheels for them, which is slow and needs the network, and the
    # template does not depend on them (the deploy workflow packages them).
    project = tmp_path_factory.mktemp("api-project") / "api"
    shutil.copytree(API_DIR, project, ignore=shutil.ignore_patterns("deployments", "__pycache__", ".pytest_cache"))
    (project / "requirements.txt").write_text("", encoding="utf-8")
    out = {}
    for stage in ("dev", "prod"):
        target = tmp_path_factory.mktemp(f"api-{stage}")
        out[stage] = package(stage, target, SITE_ORIGIN, project_dir=project)
    return out
