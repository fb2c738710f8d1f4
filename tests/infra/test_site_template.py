"""The site stack: private bucket, origin access control, HTTPS only, security headers, caching."""

from __future__ import annotations

import fnmatch
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import material
import pytest

from tests.infra.conftest import INFRA, ROOT, load_template

SITE = load_template(INFRA / "site.yaml")
RES = SITE["Resources"]
DIST = RES["Distribution"]["Properties"]["DistributionConfig"]
BEHAVIOURS = [DIST["DefaultCacheBehavior"], *DIST["CacheBehaviors"]]
# mkdocs-material's fingerprint: name.<8 hex>.min.css|js
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # CloudFront's managed CachingDisabled policy
FINGERPRINTED = re.compile(r"\.[0-9a-f]{8}\.min\.(css|js)$")


def _of_type(type_: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in RES.items() if v["Type"] == type_}


def test_bucket_is_private_encrypted_and_versioned() -> None:
    props = RES["SiteBucket"]["Properties"]
    block = props["PublicAccessBlockConfiguration"]
    assert block == {
        k: True for k in ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")
    }
    (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    assert props["VersioningConfiguration"]["Status"] == "Enabled"
    assert "WebsiteConfiguration" not in props, "a website endpoint would be public"


def test_only_this_distribution_may_read_the_bucket() -> None:
    statements = RES["SiteBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    allows = [s for s in statements if s["Effect"] == "Allow"]
    (allow,) = allows
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow["Action"] == "s3:GetObject"
    source = allow["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"]
    assert source.endswith(":distribution/${Distribution}")
    denies = [s for s in statements if s["Effect"] == "Deny"]
    assert any(s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in denies)


def test_origin_access_control_not_legacy_identity() -> None:
    assert not _of_type("AWS::CloudFront::CloudFrontOriginAccessIdentity")
    (oac,) = _of_type("AWS::CloudFront::OriginAccessControl").values()
    config = oac["Properties"]["OriginAccessControlConfig"]
    assert (config["SigningBehavior"], config["SigningProtocol"]) == ("always", "sigv4")
    (origin,) = [o for o in DIST["Origins"] if o["Id"] == "site-bucket"]
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["SiteOriginAccessControl", "Id"]}
    assert origin["S3OriginConfig"]["OriginAccessIdentity"] == ""


def test_https_only_everywhere() -> None:
    for behaviour in BEHAVIOURS:
        if behaviour["TargetOriginId"] == "api":
            # The API: HTTPS or nothing (a redirect would turn a pledge's POST into a GET).
            assert behaviour["ViewerProtocolPolicy"] == "https-only"
        else:
            assert behaviour["ViewerProtocolPolicy"] == "redirect-to-https"
            assert behaviour["AllowedMethods"] == ["GET", "HEAD"]
    cert = DIST["ViewerCertificate"]["Fn::If"]
    assert cert[0] == "HasDomain"
    assert cert[1]["MinimumProtocolVersion"].startswith("TLSv1.2")
    assert DIST["Aliases"]["Fn::If"][0] == "HasDomain"


def _csp(policy: str) -> dict[str, list[str]]:
    text = RES[policy]["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]["ContentSecurityPolicy"]
    directives = {}
    for part in text["ContentSecurityPolicy"]["Fn::Sub"].split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


@pytest.mark.parametrize("policy", ["HtmlHeadersPolicy", "AssetHeadersPolicy"])
def test_security_headers(policy: str) -> None:
    config = RES[policy]["Properties"]["ResponseHeadersPolicyConfig"]
    security = config["SecurityHeadersConfig"]
    csp = _csp(policy)
    assert csp["connect-src"] == ["'self'", "${ApiOrigin}"], "pages may talk to the site and the API only"
    assert csp["default-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    for name, sources in csp.items():
        for source in sources:
            assert source in ("'self'", "'none'", "'unsafe-inline'", "data:", "${ApiOrigin}"), f"{name} {source}"
    assert security["ContentSecurityPolicy"]["Override"] is True
    assert security["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
    assert security["ContentTypeOptions"]["Override"] is True
    assert security["FrameOptions"]["FrameOption"] == "DENY"
    assert security["ReferrerPolicy"]["ReferrerPolicy"] == "strict-origin-when-cross-origin"
    assert SITE["Parameters"]["ApiOrigin"]["AllowedPattern"].startswith("^https://")


def test_short_cache_for_pages_long_for_fingerprinted_assets() -> None:
    html = RES["HtmlCachePolicy"]["Properties"]["CachePolicyConfig"]
    assets = RES["AssetCachePolicy"]["Properties"]["CachePolicyConfig"]
    assert html["MaxTTL"] == {"Ref": "HtmlMaxAgeSeconds"}
    assert SITE["Parameters"]["HtmlMaxAgeSeconds"]["Default"] <= 300
    assert assets["MinTTL"] == assets["DefaultTTL"] == assets["MaxTTL"] == 365 * 24 * 3600
    assert DIST["DefaultCacheBehavior"]["CachePolicyId"] == {"Ref": "HtmlCachePolicy"}
    for behaviour in _asset_behaviours():
        assert behaviour["CachePolicyId"] == {"Ref": "AssetCachePolicy"}
        assert behaviour["ResponseHeadersPolicyId"] == {"Ref": "AssetHeadersPolicy"}
    headers = RES["AssetHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]["CustomHeadersConfig"]["Items"]
    assert {"Header": "Cache-Control", "Value": "public, max-age=31536000, immutable", "Override": True} in headers


def test_long_cache_patterns_match_exactly_materials_fingerprinted_assets() -> None:
    # CloudFront's "*" matches any characters, "/" included, as fnmatch's does.
    assets = Path(material.__file__).parent / "templates"
    files = [p.relative_to(assets).as_posix() for p in (assets / "assets").rglob("*") if p.is_file()]
    patterns = [b["PathPattern"] for b in _asset_behaviours()]
    long_cached = {f for f in files if any(fnmatch.fnmatchcase(f, pat) for pat in patterns)}
    fingerprinted = {f for f in files if FINGERPRINTED.search(f)}
    assert fingerprinted, "mkdocs-material ships no fingerprinted assets any more: revisit the cache behaviours"
    assert long_cached == fingerprinted


def test_missing_pages_get_the_404_page() -> None:
    codes = {r["ErrorCode"]: r for r in DIST["CustomErrorResponses"]}
    assert codes[403]["ResponsePagePath"] == codes[404]["ResponsePagePath"] == "/404.html"
    assert codes[403]["ResponseCode"] == 404


# ---- the directory-index function, run in node ------------------------------------------

NODE = shutil.which("node")
FUNCTION_CASES = [
    ({"uri": "/", "querystring": {}}, {"uri": "/index.html"}),
    ({"uri": "/projects/p1/", "querystring": {}}, {"uri": "/projects/p1/index.html"}),
    (
        {"uri": "/assets/stylesheets/main.57a0d79d.min.css", "querystring": {}},
        {"uri": "/assets/stylesheets/main.57a0d79d.min.css"},
    ),
    ({"uri": "/projects/p1", "querystring": {}}, {"statusCode": 301, "location": "/projects/p1/"}),
    (
        {"uri": "/teams/t1", "querystring": {"from": {"value": "share"}, "x": {"value": ""}}},
        {"statusCode": 301, "location": "/teams/t1/?from=share&x"},
    ),
    (
        {"uri": "/teams/t1", "querystring": {"a": {"value": "1", "multiValue": [{"value": "1"}, {"value": "2"}]}}},
        {"statusCode": 301, "location": "/teams/t1/?a=1&a=2"},
    ),
]


def test_directory_index_function_rewrites_and_redirects(tmp_path: Path) -> None:
    assert NODE, "node is part of this machine's image (Debian's nodejs); it runs the CloudFront function here"
    code = RES["DirectoryIndexFunction"]["Properties"]["FunctionCode"]
    events = [{"request": dict(case)} for case, _ in FUNCTION_CASES]
    script = tmp_path / "run.js"
    script.write_text(
        code
        + "\nconst events = "
        + json.dumps(events)
        + ";\nconsole.log(JSON.stringify(events.map(function (e) {"
        + " var r = handler(e);"
        + " return r.statusCode ? {statusCode: r.statusCode, location: r.headers.location.value} : {uri: r.uri}; })));\n",
        encoding="utf-8",
    )
    done = subprocess.run([NODE, str(script)], capture_output=True, text=True, timeout=30, check=True)
    assert json.loads(done.stdout) == [want for _, want in FUNCTION_CASES]


# ---- the API under /api/ -----------------------------------------------------------------


def _asset_behaviours() -> list[dict[str, Any]]:
    return [b for b in DIST["CacheBehaviors"] if b["TargetOriginId"] == "site-bucket"]


def _behaviour_for(path: str) -> dict[str, Any]:
    """The behaviour CloudFront picks: the first whose pattern matches (its * matches / too), else the default."""
    for behaviour in DIST["CacheBehaviors"]:
        if fnmatch.fnmatchcase(path.lstrip("/"), behaviour["PathPattern"]):
            return behaviour
    return DIST["DefaultCacheBehavior"]


def _api_routes() -> list[tuple[str, str, bool]]:
    """(method, sample path under /api, public?) for every route the API declares.

    Public means open to anyone (access "public"); a donor's link (Donor-Token header), the
    provider's signed notification and every token route are private and must not be cached.
    """
    from app import app

    return [
        (op.method.upper(), "/api" + re.sub(r"\{[^}]+\}", "x1", op.path), op.access == "public")
        for op in app.operations
    ]


def test_every_public_read_of_the_api_is_cached_at_the_edge() -> None:
    public_gets = [p for m, p, public in _api_routes() if public and m == "GET"]
    assert len(public_gets) >= 10
    for path in public_gets:
        behaviour = _behaviour_for(path)
        assert behaviour["TargetOriginId"] == "api", path
        assert behaviour["CachePolicyId"] == {"Ref": "ApiPublicCachePolicy"}, path


def test_no_private_route_is_ever_cached_at_the_edge() -> None:
    private = [(m, p) for m, p, public in _api_routes() if not public]
    assert private
    for method, path in private:
        behaviour = _behaviour_for(path)
        assert behaviour["TargetOriginId"] == "api", path
        assert behaviour["CachePolicyId"] == CACHING_DISABLED, f"{method} {path} would be cached"


def test_public_api_cache_key_has_no_cookie_or_authorization() -> None:
    config = RES["ApiPublicCachePolicy"]["Properties"]["CachePolicyConfig"]
    key = config["ParametersInCacheKeyAndForwardedToOrigin"]
    assert key["CookiesConfig"] == {"CookieBehavior": "none"}
    assert key["HeadersConfig"] == {"HeaderBehavior": "none"}
    assert key["QueryStringsConfig"]["QueryStringBehavior"] == "whitelist"
    # The API decides how long (its s-maxage); the edge only bounds it.
    assert config["DefaultTTL"] == 0 and config["MaxTTL"] == {"Ref": "ApiPublicMaxTtlSeconds"}
    forwarded = RES["ApiPublicOriginRequestPolicy"]["Properties"]["OriginRequestPolicyConfig"]
    assert "Authorization" not in forwarded["HeadersConfig"]["Headers"]
    assert forwarded["CookiesConfig"] == {"CookieBehavior": "none"}


def test_api_origin_is_the_gateway_stage_named_api() -> None:
    config = json.loads((ROOT / "api" / ".chalice" / "config.json").read_text(encoding="utf-8"))
    assert {stage["api_gateway_stage"] for stage in config["stages"].values()} == {"api"}
    (origin,) = [o for o in DIST["Origins"] if o["Id"] == "api"]
    assert origin["DomainName"] == {"Ref": "ApiGatewayDomain"}
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
