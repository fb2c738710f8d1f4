"""Cache settings for a giving day: how long a public read may be kept (see infra/RUNBOOK.md).

Every public GET (``Operation.cacheable``) answers with :data:`PUBLIC_CACHE`, a
strong ETag and 304 to a matching If-None-Match (web.cached). Browsers may keep
it ``MAX_AGE`` seconds, the CDN in front of the API ``S_MAXAGE`` seconds, and
either may hand out a stale copy for ``STALE_WHILE_REVALIDATE`` more seconds
while one request refreshes it. So the origin sees about one request per public
path every ``S_MAXAGE`` seconds per edge, however many pages poll, and a figure
a viewer sees is at most ``S_MAXAGE + STALE_WHILE_REVALIDATE`` seconds old
(plus the widget's own poll interval). Every other answer is :data:`PRIVATE_CACHE`.
"""

MAX_AGE = 5
S_MAXAGE = 5
STALE_WHILE_REVALIDATE = 10
PUBLIC_CACHE = f"public, max-age={MAX_AGE}, s-maxage={S_MAXAGE}, stale-while-revalidate={STALE_WHILE_REVALIDATE}"
PRIVATE_CACHE = "no-store"  # private answers, writes and errors: never kept anywhere
