"""Every failure a caller can cause or meet, one class each.

A route raises one of these; the web layer turns it into
``{"code": ..., "message": ...}`` with the class's HTTP status. Nothing below
the routes knows HTTP, and nothing above the store knows DynamoDB: the store
translates conditional-check failures and throttling into :class:`StoreError`
subclasses at its edge, and the retry loop (:mod:`retry`) turns those into the errors here.

Messages are Chinese first, then English, because donors and editors read
Chinese and operators may read either.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """Base class: a machine code, an HTTP status and a bilingual sentence."""

    status = 400
    code = "bad_request"
    zh = "请求有误"
    en = "the request is not valid"

    def __init__(self, zh: str | None = None, en: str | None = None, *, headers: dict[str, str] | None = None) -> None:
        self.zh = zh or type(self).zh
        self.en = en or type(self).en
        self.headers = dict(headers or {})
        super().__init__(f"{self.code}: {self.en}")

    @property
    def message(self) -> str:
        return f"{self.zh} / {self.en}"

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message}


# ---- 400: the request itself -------------------------------------------------


class InvalidJson(ApiError):
    code, zh, en = "invalid_json", "请求体不是有效的 JSON", "the body is not valid JSON"


class InvalidBody(ApiError):
    code, zh, en = "invalid_body", "请求体格式不对", "the body is not a JSON object with the expected fields"


class UnknownField(ApiError):
    code, zh, en = "unknown_field", "请求体里有不认识的字段", "the body has a field this route does not accept"


class MissingField(ApiError):
    code, zh, en = "missing_field", "缺少必填字段", "a required field is missing"


class InvalidAmount(ApiError):
    code = "invalid_amount"
    zh = "金额必须是 1 到 100000000 之间的整数（单位：分）"
    en = "amount_fen must be a whole number of fen from 1 to 100000000"


class InvalidDonorKey(ApiError):
    code, zh, en = "invalid_donor_key", "donor_key 必须是 8 到 64 个字符", "donor_key must be 8 to 64 characters"


class InvalidDisplayName(ApiError):
    code = "invalid_display_name"
    zh = "显示名必须是 1 到 20 个字，或选择匿名"
    en = "display_name must be 1 to 20 characters, or set anonymous: true"


class InvalidMessage(ApiError):
    code, zh, en = "invalid_message", "留言最多 200 个字", "message must be at most 200 characters"


class InvalidContact(ApiError):
    code, zh, en = "invalid_contact", "联系方式最多 100 个字", "contact must be at most 100 characters"


class InvalidField(ApiError):
    code, zh, en = "invalid_field", "字段的值不对", "a field has a value of the wrong type or range"


class InvalidQuery(ApiError):
    code, zh, en = "invalid_query", "查询参数不对", "a query parameter is not valid"


class IdempotencyKeyRequired(ApiError):
    code = "idempotency_key_required"
    zh = "请在请求头 Idempotency-Key 中附上 8 到 128 个字符的唯一标识"
    en = "send a unique Idempotency-Key header of 8 to 128 characters"


# ---- 401 / 403: who is asking --------------------------------------------------


class Unauthorized(ApiError):
    status, code = 401, "unauthorized"
    zh, en = "需要有效的操作员令牌", "a valid operator token is required"


class Forbidden(ApiError):
    status, code = 403, "forbidden"
    zh, en = "这个令牌没有执行此操作的权限", "this token's role may not do this"


class NotFound(ApiError):
    status, code = 404, "not_found"
    zh, en = "没有这个地址", "no such resource"


class UnknownProject(NotFound):
    code, zh, en = "unknown_project", "没有这个项目", "no such project"


class UnknownCampaign(NotFound):
    code, zh, en = "unknown_campaign", "没有这个配捐活动", "no such campaign"


class UnknownTeamId(NotFound):
    """No team with this id (GET /teams/{team_id})."""

    code, zh, en = "unknown_team", "没有这个战队", "no such team"


class UnknownTeam(UnknownTeamId):
    """The pledge body's ``team_id`` names no team of this project: the same error, refused as a bad request."""

    status = 400
    zh, en = "这个战队不存在，或不属于这个项目", "no such team for this project"


class UnknownPledge(NotFound):
    code, zh, en = "unknown_pledge", "没有这笔认捐", "no such pledge"


# ---- 405 / 409 / 413 / 415 --------------------------------------------------------


class MethodNotAllowed(ApiError):
    status, code = 405, "method_not_allowed"
    zh, en = "这个地址不支持该请求方法", "this resource does not support that method"


class ProjectClosed(ApiError):
    status, code = 409, "project_closed"
    zh, en = "这个项目目前不接受认捐", "this project is not accepting pledges now"


class IdempotencyMismatch(ApiError):
    status, code = 409, "idempotency_mismatch"
    zh = "这个 Idempotency-Key 已用于另一笔内容不同的认捐"
    en = "this Idempotency-Key was already used for a different request body"


class AmountMismatch(ApiError):
    status, code = 409, "amount_mismatch"
    zh, en = "支付金额与认捐金额不符", "the paid amount differs from the pledged amount"


class PaidAfterClose(ApiError):
    status, code = 409, "paid_after_close"
    zh = "这笔认捐已过期或已取消：款项已记录，等待工作人员退款"
    en = "this pledge had expired or was cancelled: the payment is recorded for an operator to refund"


class DuplicatePayment(ApiError):
    status, code = 409, "duplicate_payment"
    zh = "这笔认捐已经付过款：这次付款已记录，等待工作人员退款"
    en = "this pledge was already paid: this second payment is recorded for an operator to refund"


class CampaignStillOpen(ApiError):
    status, code = 409, "campaign_open"
    zh, en = "活动尚未结束，不能结算", "the campaign is still open; settle it after its last window"


class BodyTooLarge(ApiError):
    status, code = 413, "body_too_large"
    zh, en = "请求体超过 4 KB", "the body is larger than 4 KB"


class UnsupportedMediaType(ApiError):
    status, code = 415, "unsupported_media_type"
    zh, en = "请用 Content-Type: application/json 发送", "send the body as Content-Type: application/json"


# ---- paying: checkout, notifications, the donor's private link, abuse limits ----------


class RateLimited(ApiError):
    """Too many pledges from one client (or too many new clients from one address) this minute."""

    status, code = 429, "rate_limited"
    zh, en = "认捐过于频繁，请稍后再试", "too many pledges from here just now; try again shortly"

    def __init__(self, retry_after: int, zh: str | None = None, en: str | None = None) -> None:
        super().__init__(zh, en, headers={"Retry-After": str(max(1, int(retry_after)))})


class DonorLinkInvalid(ApiError):
    """The donor token is missing or is not this pledge's (the same answer either way)."""

    status, code = 403, "donor_link_invalid"
    zh, en = "捐赠人链接无效：请使用认捐后得到的私人链接", "the donor link is not valid: use the private link you got when pledging"


class PledgeNotPayable(ApiError):
    status, code = 409, "pledge_not_payable"
    zh, en = "这笔认捐已不能付款（已付款、已过期或已取消）", "this pledge can no longer be paid (paid, expired or cancelled)"


class PledgeNotCancellable(ApiError):
    status, code = 409, "pledge_not_cancellable"
    zh, en = "已付款的认捐不能由捐赠人取消，请联系运营方退款", "a paid pledge cannot be cancelled by the donor; ask the operator for a refund"


class ReceiptNotAvailable(ApiError):
    status, code = 409, "receipt_not_available"
    zh, en = "付款到账后才能申请捐赠票据", "a donation receipt can be requested once the payment has arrived"


class InvalidReceipt(ApiError):
    code, zh, en = "invalid_receipt", "捐赠票据信息不完整或格式不对", "the receipt details are incomplete or malformed"


class PaymentRefused(ApiError):
    """A provider's notification or reply we will not accept (the adapter's code and sentence)."""

    # Raised with the adapter's own code (PAYMENT_REFUSALS below lists them); the class's own is the
    # one the notification route gives itself, for a provider without a notification address.
    status, code = 404, "unknown_provider"
    zh, en = "没有这个支付方式的通知地址", "there is no notification address for this provider"

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__()
        self.code, self.status, self._message = code, status, message

    @property
    def message(self) -> str:
        return self._message


class ProviderDown(ApiError):
    """The provider timed out or answered 5xx: nothing was written; try again."""

    status, code = 503, "provider_unavailable"
    zh, en = "支付服务暂时无法连接，请稍后再试", "the payment provider is not answering; try again shortly"

    def __init__(self, message: str | None = None, retry_after: int = 30) -> None:
        super().__init__(headers={"Retry-After": str(retry_after)})
        self._message = message

    @property
    def message(self) -> str:
        return self._message or f"{self.zh} / {self.en}"


#: The codes the payment adapters refuse with (chalicelib/providers), by HTTP status: each is a
#: documented subclass of PaymentRefused so the OpenAPI document lists them.
PAYMENT_REFUSAL_CODES = {
    "bad_signature": 401,
    "missing_signature_headers": 401,
    "missing_signature": 401,
    "unsupported_signature_type": 401,
    "unknown_platform_serial": 401,
    "wrong_merchant": 401,
    "stale_notification": 400,
    "replayed_notification": 400,
    "bad_ciphertext": 400,
    "malformed_notification": 400,
    "unknown_channel": 400,
    "payer_hint_required": 400,
    "bad_reference": 400,
    "bad_payer_account": 400,
    "bad_bank_serial": 400,
    "bad_paid_at": 400,
    "already_paid": 409,
    "provider_refused": 409,
    "wrong_order": 409,
    "notification_too_large": 413,
}
PAYMENT_REFUSALS: tuple[type[PaymentRefused], ...] = tuple(
    type("".join(w.title() for w in code.split("_")) + "Refusal", (PaymentRefused,), {"code": code, "status": status})
    for code, status in PAYMENT_REFUSAL_CODES.items()
)


# ---- 5xx ------------------------------------------------------------------------


class ServiceBusy(ApiError):
    """The store throttled or stayed contended after bounded retries; nothing was written."""

    status, code = 503, "busy"
    zh, en = "当前访问人数过多，请稍后重试（本次未记账）", "too busy right now; retry shortly (nothing was recorded)"

    def __init__(self, retry_after: int = 1) -> None:
        super().__init__(headers={"Retry-After": str(retry_after)})


class NotConfigured(ApiError):
    status, code = 503, "not_configured"
    zh, en = "服务端缺少配置", "the server is missing a setting for this route"


class CatalogueMissing(NotConfigured):
    code = "catalogue_missing"
    zh = "项目目录文件缺失，请先运行 make catalogue"
    en = "the catalogue file is missing; run `make catalogue` first"


class InternalError(ApiError):
    status, code = 500, "internal_error"
    zh, en = "服务器内部错误", "an internal error occurred"


def all_error_classes() -> list[type[ApiError]]:
    """Every concrete error class (the OpenAPI document lists their codes)."""
    seen: list[type[ApiError]] = []
    todo: list[type[ApiError]] = [ApiError]
    while todo:
        cls = todo.pop(0)
        seen.append(cls)
        todo.extend(cls.__subclasses__())
    return seen


# ---- store-level errors (the store's edge; never reach a route) ----------------------


class StoreError(Exception):
    """Raised by the store; the ledger decides what it means."""


class ConditionFailed(StoreError):
    """One or more conditions in a write or transaction did not hold; ``failed`` lists their indexes."""

    def __init__(self, failed: list[int]) -> None:
        super().__init__(f"condition failed at {failed}")
        self.failed = failed


class Contention(StoreError):
    """Another transaction touched the same items at the same time; safe to retry."""


class Throttled(StoreError):
    """The store refused for capacity; safe to retry later."""


# ---- volunteer teams: claims and home-visit books --------------------------------------
# Defined after the helpers above; all_error_classes() walks subclasses at call time.


class TokenExpired(Unauthorized):
    code = "token_expired"
    zh, en = "这个令牌已过期，请向管理员申请新的令牌", "this token has expired; ask an operator for a new one"


class UnscopedRole(Forbidden):
    code = "unscoped_role"
    zh = "不再接受不限项目群的 operator 角色，请向平台管理员换领 operator:<项目群编号> 令牌"
    en = "the unscoped operator role is no longer accepted; ask a platform admin for an operator:<programme_id> token"


class OtherProgramme(Forbidden):
    code = "other_programme"
    zh = "这个令牌的角色不包括这条记录所属的项目群"
    en = "this token's role does not cover the programme this record belongs to"


class TokenMapInvalid(NotConfigured):
    code = "token_map_invalid"

    def __init__(self, refs: list[str]) -> None:
        joined = ", ".join(refs)
        super().__init__(
            f"令牌表中的操作员/管理员令牌必须有 expires（到期时间），缺少的条目：{joined}（摘要前 8 位）",
            f"every operator and admin entry of the token map needs an expires; these lack one: {joined}"
            " (first 8 digits of the digest)",
        )


class UnregisteredTeam(Forbidden):
    code = "unregistered_team"
    zh, en = "这个志愿服务队未在目录中登记", "this volunteer team is not registered in the catalogue"


class UnknownNeed(NotFound):
    code, zh, en = "unknown_need", "没有这个志愿需求", "no such need"


class UnknownCottage(NotFound):
    code, zh, en = "unknown_cottage", "没有这个希望小屋", "no such cottage"


class UnknownProgramme(NotFound):
    code, zh, en = "unknown_programme", "没有这个项目计划", "no such programme"


class NeedNotClaimable(ApiError):
    status, code = 409, "need_not_claimable"
    zh, en = "只有处于“发布”阶段的需求可以认领", "only a need at the published stage can be claimed"


class ClaimWindowClosed(ApiError):
    status, code = 409, "claim_window_closed"
    zh, en = "不在这个需求的认领时间内", "the need is outside its claim window (claim_opens to claim_closes)"


class NeedAlreadyClaimed(ApiError):
    status, code = 409, "need_already_claimed"
    zh, en = "这个需求已被其他志愿服务队认领", "another volunteer team already holds this need"


class ClaimNotPending(ApiError):
    status, code = 409, "claim_not_pending"
    zh, en = "这个需求没有可以审核的认领", "this need has no claim in a state that allows this decision"


class InvalidVisitDate(ApiError):
    code = "invalid_visit_date"
    zh = "走访日期必须是 YYYY-MM-DD，且不晚于今天、不早于 2015-01-01"
    en = "date must be YYYY-MM-DD, not in the future and not before 2015-01-01"


class InvalidDuration(ApiError):
    code = "invalid_duration"
    zh, en = "走访时长必须是 1 到 1440 之间的整数（分钟）", "duration_minutes must be a whole number from 1 to 1440"


class InvalidVisitText(ApiError):
    code = "invalid_visit_text"
    zh = "走访内容必填，且走访内容和孩子的心愿各不超过 300 字"
    en = "what_was_done is required; it and child_asked_for are at most 300 characters each"
