#!/usr/bin/env bash
# Deploy one stage of Qingyi to AWS, in the order the stacks depend on each other:
#
#   infra/deploy.sh data    STAGE   the ledger table (infra/data.yaml)
#   infra/deploy.sh api     STAGE   the Chalice app: chalice package + cloudformation deploy
#   infra/deploy.sh site    STAGE   the bucket and CloudFront (infra/site.yaml); the API
#                                   again if the site's origin was not known before
#   infra/deploy.sh publish STAGE   build the site against this stage's API, sync, invalidate
#   infra/deploy.sh all     STAGE   the four above, in that order
#
# The deploy workflow runs the steps one by one; an operator can run the same
# script from a shell with the same variables (see infra/RUNBOOK.md). Needs AWS
# credentials and:
#   AWS_CFN_EXEC_ROLE_ARN  role CloudFormation acts with (bootstrap stack output)
#   AWS_ARTIFACT_BUCKET    bucket for the packaged Lambda code (bootstrap stack output)
# and optionally SITE_DOMAIN + SITE_CERTIFICATE_ARN, API_DOMAIN + API_CERTIFICATE_ARN,
# API_RATE_LIMIT, API_BURST_LIMIT, ALARM_EMAIL,
# WARM_WRITE_UNITS + WARM_READ_UNITS (pre-warming for a giving day),
# LEDGER_TABLE_OVERRIDE (the API on a restored table).
set -euo pipefail

cd "$(dirname "$0")/.."
PY=.venv/bin/python

step="${1:?usage: infra/deploy.sh data|api|site|publish|all STAGE}"
stage="${2:?usage: infra/deploy.sh data|api|site|publish|all STAGE}"
case "$stage" in dev | prod) ;; *) echo "STAGE must be dev or prod, not '$stage'" >&2; exit 2 ;; esac

group() { if [ "${GITHUB_ACTIONS:-}" = "true" ]; then echo "::group::$*"; else echo "== $*"; fi; }
endgroup() { if [ "${GITHUB_ACTIONS:-}" = "true" ]; then echo "::endgroup::"; fi; }

# An output of one of this stage's stacks, or nothing when the stack does not exist yet.
output() {
  local value
  value=$(aws cloudformation describe-stacks --stack-name "qingyi-$1-$stage" \
    --query "Stacks[0].Outputs[?OutputKey=='$2'].OutputValue" --output text 2>/dev/null) || value=""
  if [ "$value" = "None" ]; then value=""; fi
  printf '%s' "$value"
}

# Where the site is served: its own domain, else its CloudFront domain once the
# site stack exists, else a placeholder (the site step then deploys the API again).
site_origin() {
  if [ -n "${SITE_DOMAIN:-}" ]; then
    printf 'https://%s' "$SITE_DOMAIN"
    return
  fi
  local domain
  domain=$(output site DistributionDomainName)
  if [ -n "$domain" ]; then printf 'https://%s' "$domain"; else printf 'https://pending.invalid'; fi
}

deploy_data() {
  group "data stack qingyi-data-$stage"
  aws cloudformation deploy \
    --stack-name "qingyi-data-$stage" \
    --template-file infra/data.yaml \
    --role-arn "$AWS_CFN_EXEC_ROLE_ARN" \
    --parameter-overrides \
      "Stage=$stage" \
      "WarmWriteUnitsPerSecond=${WARM_WRITE_UNITS:-0}" \
      "WarmReadUnitsPerSecond=${WARM_READ_UNITS:-0}" \
    --no-fail-on-empty-changeset \
    --tags project=qingyi "stage=$stage"
  endgroup
}

deploy_api() {
  local origin out
  origin="${1:-$(site_origin)}"
  out="build/api-$stage"
  group "API stack qingyi-api-$stage (site origin $origin)"
  rm -rf "$out"
  make catalogue
  "$PY" -m infra.package_api --stage "$stage" --out "$out" --site-origin "$origin"
  aws cloudformation package \
    --template-file "$out/sam.yaml" \
    --s3-bucket "$AWS_ARTIFACT_BUCKET" \
    --s3-prefix "qingyi-api-$stage" \
    --output-template-file "$out/packaged.yaml"
  aws cloudformation deploy \
    --stack-name "qingyi-api-$stage" \
    --template-file "$out/packaged.yaml" \
    --role-arn "$AWS_CFN_EXEC_ROLE_ARN" \
    --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND \
    --parameter-overrides \
      "Stage=$stage" \
      "SiteOrigin=$origin" \
      "OperatorTokenParameter=/qingyi/$stage/operator-token-hashes" \
      "WafRateLimit=${WAF_RATE_LIMIT:-600}" \
      "ApiRateLimit=${API_RATE_LIMIT:-500}" \
      "ApiBurstLimit=${API_BURST_LIMIT:-1000}" \
      "ApiDomainName=${API_DOMAIN:-}" \
      "ApiCertificateArn=${API_CERTIFICATE_ARN:-}" \
      "AlarmEmail=${ALARM_EMAIL:-}" \
      "LedgerTableOverride=${LEDGER_TABLE_OVERRIDE:-}" \
    --no-fail-on-empty-changeset \
    --tags project=qingyi "stage=$stage"
  endgroup
}

deploy_site() {
  local api_origin api_gateway before after
  api_origin=$(output api ApiOrigin)
  api_gateway=$(output api ApiGatewayDomain)
  if [ -z "$api_origin" ] || [ -z "$api_gateway" ]; then
    echo "qingyi-api-$stage has no ApiOrigin output: deploy the API first (infra/deploy.sh api $stage)" >&2
    exit 1
  fi
  before=$(site_origin)
  group "site stack qingyi-site-$stage (API $api_origin)"
  aws cloudformation deploy \
    --stack-name "qingyi-site-$stage" \
    --template-file infra/site.yaml \
    --role-arn "$AWS_CFN_EXEC_ROLE_ARN" \
    --parameter-overrides \
      "Stage=$stage" \
      "ApiOrigin=$api_origin" \
      "ApiGatewayDomain=$api_gateway" \
      "DomainName=${SITE_DOMAIN:-}" \
      "CertificateArn=${SITE_CERTIFICATE_ARN:-}" \
    --no-fail-on-empty-changeset \
    --tags project=qingyi "stage=$stage"
  endgroup
  after=$(site_origin)
  if [ "$before" != "$after" ]; then
    # First deploy without a site domain: the API was deployed before CloudFront
    # had a name, so its CORS origin is corrected now.
    deploy_api "$after"
  fi
}

publish_site() {
  local bucket distribution api_url
  bucket=$(output site SiteBucketName)
  distribution=$(output site DistributionId)
  # The pages call the API through their own origin (the distribution's /api/
  # behaviours): no CORS for reads, and the edge absorbs a giving day's polls.
  api_url="$(output site SiteUrl)api"
  if [ -z "$bucket" ] || [ -z "$distribution" ] || [ "$api_url" = "api" ]; then
    echo "deploy the API and the site stacks first (infra/deploy.sh site $stage)" >&2
    exit 1
  fi
  group "build the site against $api_url"
  QINGYI_API_URL="$api_url" QINGYI_SITE_URL="$(output site SiteUrl)" make build
  endgroup
  group "publish to s3://$bucket and invalidate $distribution"
  # New assets first, so no page that is already live points at a file not yet there;
  # then the pages, and only then the removal of what the new build no longer has.
  aws s3 sync site/ "s3://$bucket/" --exclude "*.html" --no-progress
  aws s3 sync site/ "s3://$bucket/" --delete --no-progress
  aws cloudfront create-invalidation --distribution-id "$distribution" --paths "/*" \
    --query Invalidation.Id --output text
  endgroup
  echo "site: $(output site SiteUrl)"
}

case "$step" in
  data) deploy_data ;;
  api) deploy_api ;;
  site) deploy_site ;;
  publish) publish_site ;;
  all)
    deploy_data
    deploy_api
    deploy_site
    publish_site
    ;;
  *)
    echo "unknown step '$step': data, api, site, publish or all" >&2
    exit 2
    ;;
esac
