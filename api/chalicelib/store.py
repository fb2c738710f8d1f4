"""The ledger table behind a small vocabulary of writes.

The ledger says *what* to write (:class:`Put`, :class:`Update`, :class:`Check`
with :class:`Cond` conditions); a store carries it out:

* :class:`DynamoStore` renders it into DynamoDB expressions and calls boto3
  (created lazily: endpoint ``QINGYI_DYNAMODB_ENDPOINT``, table ``QINGYI_TABLE``,
  region ``AWS_DEFAULT_REGION``);
* :class:`MemoryStore` applies the same operations to a dict under a lock, with
  the same all-or-nothing transaction semantics (fast tests, and the capacity
  benchmark records the items it writes).

DynamoDB's vocabulary stops here: conditional-check failures become
:class:`errors.ConditionFailed` (with the indexes of the operations whose
condition failed), conflicts :class:`errors.Contention`, throttling
:class:`errors.Throttled`.
"""

from __future__ import annotations

import copy
import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import ConditionFailed, Contention, Throttled

Key = tuple[str, str]  # (pk, sk)


# ---- the vocabulary ----------------------------------------------------------------


@dataclass(frozen=True)
class Cond:
    """One condition on the item as it is before the write.

    ``absent``: the item does not exist. ``eq``/``ge``: the
    attribute equals / is at least ``value`` (a missing attribute fails).
    ``absent_or_eq``: the attribute is missing or equals ``value``;
    ``absent_or_lt``: the attribute is missing or below ``value``.
    """

    kind: str
    attr: str = ""
    value: Any = None


ABSENT = Cond("absent")


def eq(attr: str, value: Any) -> Cond:
    return Cond("eq", attr, value)


def ge(attr: str, value: Any) -> Cond:
    return Cond("ge", attr, value)


def absent_or_eq(attr: str, value: Any) -> Cond:
    return Cond("absent_or_eq", attr, value)


def absent_or_lt(attr: str, value: Any) -> Cond:
    """The item or the attribute is missing, or the attribute is below ``value`` (counters, expiry)."""
    return Cond("absent_or_lt", attr, value)


@dataclass
class Put:
    key: Key
    item: dict[str, Any]
    conds: tuple[Cond, ...] = ()


@dataclass
class Update:
    """SET ``set`` attributes, ADD ``add`` numbers (missing counts as 0), REMOVE ``remove``, if ``conds`` hold."""

    key: Key
    set: dict[str, Any] = field(default_factory=dict)
    add: dict[str, int] = field(default_factory=dict)
    conds: tuple[Cond, ...] = ()
    remove: tuple[str, ...] = ()


@dataclass
class Check:
    key: Key
    conds: tuple[Cond, ...] = ()


Op = Put | Update | Check


# ---- DynamoDB's published size rules (for write-unit accounting) ---------------------


def value_size(value: Any) -> int:
    """Bytes DynamoDB counts for one attribute value."""
    if value is None or isinstance(value, bool):
        return 1
    if isinstance(value, int):
        digits = len(str(abs(value)).rstrip("0")) or 1
        return (digits + 1) // 2 + 1
    if isinstance(value, str):
        return len(value.encode("utf-8"))
    if isinstance(value, list):
        return 3 + sum(1 + value_size(v) for v in value)
    if isinstance(value, dict):
        return 3 + sum(len(k.encode("utf-8")) + 1 + value_size(v) for k, v in value.items())
    raise TypeError(f"cannot size {type(value).__name__}")


def item_size(item: dict[str, Any]) -> int:
    """Bytes of an item: attribute names plus values."""
    return sum(len(k.encode("utf-8")) + value_size(v) for k, v in item.items())


def write_units(item: dict[str, Any], *, transactional: bool) -> int:
    """1 unit per started KB of the item written, twice that inside a transaction."""
    units = max(1, -(-item_size(item) // 1024))
    return units * 2 if transactional else units


# ---- attribute values ----------------------------------------------------------------


def to_attr(value: Any) -> dict[str, Any]:
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int):
        return {"N": str(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, list | tuple):
        return {"L": [to_attr(v) for v in value]}
    if isinstance(value, dict):
        return {"M": {k: to_attr(v) for k, v in value.items()}}
    raise TypeError(f"no DynamoDB type for {type(value).__name__} (money is integer fen)")


def from_attr(attr: dict[str, Any]) -> Any:
    ((kind, value),) = attr.items()
    if kind == "S":
        return value
    if kind == "N":
        return int(value) if "." not in value and "e" not in value.lower() else int(float(value))
    if kind == "BOOL":
        return value
    if kind == "NULL":
        return None
    if kind == "L":
        return [from_attr(v) for v in value]
    if kind == "M":
        return {k: from_attr(v) for k, v in value.items()}
    raise TypeError(f"unsupported DynamoDB type {kind}")


def to_item(item: dict[str, Any]) -> dict[str, Any]:
    return {k: to_attr(v) for k, v in item.items()}


def from_item(raw: dict[str, Any]) -> dict[str, Any]:
    return {k: from_attr(v) for k, v in raw.items()}


# ---- rendering expressions -------------------------------------------------------------


class _Names:
    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.values: dict[str, Any] = {}

    def name(self, attr: str) -> str:
        for placeholder, known in self.names.items():
            if known == attr:
                return placeholder
        placeholder = f"#n{len(self.names)}"
        self.names[placeholder] = attr
        return placeholder

    def value(self, value: Any) -> str:
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = to_attr(value)
        return placeholder

    def apply(self, params: dict[str, Any]) -> dict[str, Any]:
        if self.names:
            params["ExpressionAttributeNames"] = self.names
        if self.values:
            params["ExpressionAttributeValues"] = self.values
        return params


def _condition(conds: Sequence[Cond], names: _Names) -> str | None:
    parts = []
    for c in conds:
        if c.kind == "absent":
            parts.append(f"attribute_not_exists({names.name('pk')})")
        elif c.kind == "eq":
            parts.append(f"{names.name(c.attr)} = {names.value(c.value)}")
        elif c.kind == "ge":
            parts.append(f"{names.name(c.attr)} >= {names.value(c.value)}")
        elif c.kind == "absent_or_eq":
            n = names.name(c.attr)
            parts.append(f"(attribute_not_exists({n}) OR {n} = {names.value(c.value)})")
        elif c.kind == "absent_or_lt":
            n = names.name(c.attr)
            parts.append(f"(attribute_not_exists({n}) OR {n} < {names.value(c.value)})")
        else:  # pragma: no cover - programming error
            raise ValueError(c.kind)
    return " AND ".join(parts) or None


def _key(key: Key) -> dict[str, Any]:
    return {"pk": {"S": key[0]}, "sk": {"S": key[1]}}


def render(op: Op, table: str) -> tuple[str, dict[str, Any]]:
    """The (kind, parameters) of one operation, as TransactWriteItems and single calls take them."""
    names = _Names()
    if isinstance(op, Put):
        params: dict[str, Any] = {"TableName": table, "Item": to_item({"pk": op.key[0], "sk": op.key[1], **op.item})}
        cond = _condition(op.conds, names)
        if cond:
            params["ConditionExpression"] = cond
        return "Put", names.apply(params)
    if isinstance(op, Update):
        clauses = []
        if op.set:
            clauses.append("SET " + ", ".join(f"{names.name(k)} = {names.value(v)}" for k, v in op.set.items()))
        if op.add:
            clauses.append("ADD " + ", ".join(f"{names.name(k)} {names.value(v)}" for k, v in op.add.items()))
        if op.remove:
            clauses.append("REMOVE " + ", ".join(names.name(k) for k in op.remove))
        params = {"TableName": table, "Key": _key(op.key), "UpdateExpression": " ".join(clauses)}
        cond = _condition(op.conds, names)
        if cond:
            params["ConditionExpression"] = cond
        return "Update", names.apply(params)
    params = {"TableName": table, "Key": _key(op.key)}
    params["ConditionExpression"] = _condition(op.conds, names) or f"attribute_exists({names.name('pk')})"
    return "ConditionCheck", names.apply(params)


# ---- DynamoDB ----------------------------------------------------------------------------

_THROTTLES = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
}


class DynamoStore:
    """The ledger table in DynamoDB (or moto), through a lazily created low-level client."""

    def __init__(self, table: str | None = None, client: Any = None) -> None:
        self.table = table or os.environ.get("QINGYI_TABLE", "qingyi-ledger-dev")
        self._client = client
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = make_client()
        return self._client

    # ---- errors at the edge ----

    @staticmethod
    def _translate(exc: Exception) -> Exception:
        from botocore.exceptions import ClientError

        if not isinstance(exc, ClientError):
            return exc
        code = exc.response.get("Error", {}).get("Code", "")
        if code == "ConditionalCheckFailedException":
            return ConditionFailed([0])
        if code == "TransactionCanceledException":
            reasons = exc.response.get("CancellationReasons") or []
            codes = [r.get("Code", "None") for r in reasons]
            failed = [i for i, c in enumerate(codes) if c == "ConditionalCheckFailed"]
            if failed:
                return ConditionFailed(failed)
            if any(c in ("ThrottlingError", "ProvisionedThroughputExceeded") for c in codes):
                return Throttled(code)
            return Contention(code)
        if code in ("TransactionConflictException", "TransactionInProgressException"):
            return Contention(code)
        if code in _THROTTLES:
            return Throttled(code)
        return exc

    def _call(self, method: str, **params: Any) -> Any:
        try:
            return getattr(self.client, method)(**params)
        except Exception as exc:  # noqa: BLE001 - translated, or re-raised as is
            raise self._translate(exc) from exc

    # ---- reads ----

    def get(self, key: Key, *, consistent: bool = True) -> dict[str, Any] | None:
        out = self._call("get_item", TableName=self.table, Key=_key(key), ConsistentRead=consistent)
        raw = out.get("Item")
        return from_item(raw) if raw else None

    def get_many(self, keys: Iterable[Key], *, consistent: bool = True) -> dict[Key, dict[str, Any]]:
        wanted = list(dict.fromkeys(keys))
        found: dict[Key, dict[str, Any]] = {}
        for start in range(0, len(wanted), 100):
            request: dict[str, Any] = {
                self.table: {"Keys": [_key(k) for k in wanted[start : start + 100]], "ConsistentRead": consistent}
            }
            for _attempt in range(8):  # bounded: unprocessed keys come back under throttling
                out = self._call("batch_get_item", RequestItems=request)
                for raw in out.get("Responses", {}).get(self.table, []):
                    item = from_item(raw)
                    found[(item["pk"], item["sk"])] = item
                request = out.get("UnprocessedKeys") or {}
                if not request:
                    break
            else:
                raise Throttled("unprocessed keys")
        return found

    def query(
        self,
        partition: str,
        *,
        index: str | None = None,
        sk_below: str | None = None,
        sk_prefix: str | None = None,
        limit: int | None = None,
        newest_first: bool = False,
    ) -> list[dict[str, Any]]:
        pk_name, sk_name = ("gsi1pk", "gsi1sk") if index else ("pk", "sk")
        names = _Names()
        expr = f"{names.name(pk_name)} = {names.value(partition)}"
        if sk_below is not None:
            expr += f" AND {names.name(sk_name)} < {names.value(sk_below)}"
        elif sk_prefix is not None:
            expr += f" AND begins_with({names.name(sk_name)}, {names.value(sk_prefix)})"
        params: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": expr,
            "ScanIndexForward": not newest_first,
        }
        if index:
            params["IndexName"] = index
        names.apply(params)
        items: list[dict[str, Any]] = []
        while True:
            if limit is not None:
                params["Limit"] = limit - len(items)
            out = self._call("query", **params)
            items += [from_item(raw) for raw in out.get("Items", [])]
            last = out.get("LastEvaluatedKey")
            if not last or (limit is not None and len(items) >= limit):
                return items
            params["ExclusiveStartKey"] = last

    # ---- writes ----

    def write(self, op: Op) -> None:
        kind, params = render(op, self.table)
        method = {"Put": "put_item", "Update": "update_item"}[kind]
        self._call(method, **params)

    def transact(self, ops: Sequence[Op]) -> None:
        if len(ops) == 1 and not isinstance(ops[0], Check):
            self.write(ops[0])
            return
        items = [dict([render(op, self.table)]) for op in ops]
        self._call("transact_write_items", TransactItems=items)


def make_client() -> Any:
    """A DynamoDB client from the environment (imports boto3 only now: cold starts stay cheap)."""
    import boto3
    from botocore.config import Config

    endpoint = os.environ.get("QINGYI_DYNAMODB_ENDPOINT") or None
    config = Config(
        # The ledger builds every request itself and DynamoDB validates them again:
        # skipping botocore's client-side validation saves CPU on every call.
        parameter_validation=False,
        retries={"max_attempts": 2, "mode": "standard"},
        connect_timeout=2,
        read_timeout=20,
        max_pool_connections=64,
    )
    region = os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or "ap-east-1"
    return boto3.session.Session().client("dynamodb", endpoint_url=endpoint, region_name=region, config=config)


# ---- in memory -------------------------------------------------------------------------------


def _holds(item: dict[str, Any] | None, cond: Cond) -> bool:
    if cond.kind == "absent":
        return item is None
    current = None if item is None else item.get(cond.attr)
    if cond.kind == "eq":
        return current is not None and current == cond.value
    if cond.kind == "ge":
        return current is not None and current >= cond.value
    if cond.kind == "absent_or_eq":
        return current is None or current == cond.value
    if cond.kind == "absent_or_lt":
        return current is None or current < cond.value
    raise ValueError(cond.kind)  # pragma: no cover


class MemoryStore:
    """The same operations on a dict, atomic under one lock (benchmarks and fast unit tests)."""

    def __init__(self) -> None:
        self.items: dict[Key, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: Key, *, consistent: bool = True) -> dict[str, Any] | None:
        with self._lock:
            found = self.items.get(key)
            return copy.deepcopy(found) if found is not None else None

    def get_many(self, keys: Iterable[Key], *, consistent: bool = True) -> dict[Key, dict[str, Any]]:
        with self._lock:
            return {k: copy.deepcopy(self.items[k]) for k in keys if k in self.items}

    def query(
        self,
        partition: str,
        *,
        index: str | None = None,
        sk_below: str | None = None,
        sk_prefix: str | None = None,
        limit: int | None = None,
        newest_first: bool = False,
    ) -> list[dict[str, Any]]:
        pk_name, sk_name = ("gsi1pk", "gsi1sk") if index else ("pk", "sk")
        with self._lock:
            rows = [copy.deepcopy(i) for i in self.items.values() if i.get(pk_name) == partition and sk_name in i]
        rows = [
            r
            for r in rows
            if (sk_below is None or r[sk_name] < sk_below) and (sk_prefix is None or r[sk_name].startswith(sk_prefix))
        ]
        rows.sort(key=lambda r: r[sk_name], reverse=newest_first)
        return rows[:limit] if limit is not None else rows

    def write(self, op: Op) -> None:
        self.transact([op])

    def transact(self, ops: Sequence[Op]) -> None:
        with self._lock:
            failed = [i for i, op in enumerate(ops) if not all(_holds(self.items.get(op.key), c) for c in op.conds)]
            if failed:
                self.rejected(ops, failed)
                raise ConditionFailed(failed)
            for op in ops:
                self._apply(op, transactional=len(ops) > 1)

    def rejected(self, ops: Sequence[Op], failed: list[int]) -> None:
        """Hook: a write whose conditions failed (DynamoDB still charges for it)."""

    def _apply(self, op: Op, *, transactional: bool) -> None:
        if isinstance(op, Check):
            return
        if isinstance(op, Put):
            new = {"pk": op.key[0], "sk": op.key[1], **copy.deepcopy(op.item)}
        else:
            new = copy.deepcopy(self.items.get(op.key) or {"pk": op.key[0], "sk": op.key[1]})
            new.update(copy.deepcopy(op.set))
            for attr, delta in op.add.items():
                new[attr] = new.get(attr, 0) + delta
            for attr in op.remove:
                new.pop(attr, None)
        self.items[op.key] = new
        self.written(op, new, transactional=transactional)

    def written(self, op: Op, item: dict[str, Any], *, transactional: bool) -> None:
        """Hook: one item written (the capacity benchmark records it)."""


__all__ = [
    "ABSENT",
    "Check",
    "Cond",
    "DynamoStore",
    "Key",
    "MemoryStore",
    "Op",
    "Put",
    "Update",
    "absent_or_eq",
    "eq",
    "ge",
    "item_size",
    "make_client",
    "write_units",
]
