"""A giving day or season (99公益日, 520公益日) with its matching (配捐) rules, as editors write it.

The matching-rule fields are not declared here. Each rule is declared once, in
:mod:`chalicelib.rules` (the dataclasses the API decides with), with its unit,
bounds and descriptions; :func:`_derive` turns those dataclasses into the
pydantic models that read the YAML and give the JSON Schema:

- a field in fen is written in yuan (``260600``, ``"26.06万"``, ``"¥260,600.00"``)
  and read by :data:`~site_src.money.Fen`, so yuan become fen here, once;
- a field in basis points is written as a decimal rate (``1``, ``0.2``) and read
  by :data:`Rate` into basis points;
- the editors' name of a field is its name without the unit (``minimum_pledge_fen``
  is written ``minimum_pledge``), given by :func:`chalicelib.rules.content_name`.

So a parsed campaign holds the same numbers the API keeps; :meth:`Campaign.matching`
renames the fields back and builds the :class:`chalicelib.rules.Campaign`, whose own
checks are the only range and consistency checks (the content check
``campaign_rules_accepted_by_matching`` reports them at the editor's line). Only
what is about content stays here: the campaign's programme, kind, sponsor, note and
the references to its projects.
"""

from __future__ import annotations

import dataclasses
import types
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Union, cast, get_args, get_origin, get_type_hints

from pydantic import AfterValidator, BaseModel, Field, create_model

from chalicelib import rules

from ..money import Fen
from .common import Base, Choice, Record, Ref, ShortText


def _basis_points(rate: Decimal) -> int:
    # decimal_places=4 below already refused anything finer than one basis point.
    return int(rate * rules.BP)


#: A rate editors write as a decimal (0.2 = 20 %, 1 = 1:1), kept as integer basis points.
Rate = Annotated[Decimal, Field(decimal_places=4), AfterValidator(_basis_points)]

_UNIT_TYPES: dict[str, Any] = {rules.FEN: Fen, rules.BASIS_POINTS: Rate, rules.COUNT: int}
_MODELS: dict[type, type[Base]] = {}


def _content_type(hint: Any) -> Any:
    """The pydantic type for a dataclass field's type (nested rule dataclasses become derived models)."""
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return _MODELS.get(hint) or _derive(hint)
    origin, args = get_origin(hint), get_args(hint)
    if origin is tuple:
        return list[_content_type(args[0])]  # type: ignore[misc]
    if origin in (Union, types.UnionType):
        (inner,) = (a for a in args if a is not type(None))
        return _content_type(inner) | None
    return hint


def _editor_default(f: dataclasses.Field[Any], value: Any) -> Any:
    """The default as editors would write it (a rate of 10000 bp is 1), for the JSON Schema."""
    if value is None:
        return None
    if f.metadata["unit"] == rules.BASIS_POINTS:
        return float(Decimal(value) / rules.BP)
    if f.metadata["unit"] == rules.FEN and value:
        return value / 100
    return value


def _derive(dc: type, base: type[BaseModel] = Base) -> type[Base]:
    """A content model with one field per declared field of the rules dataclass ``dc``."""
    hints = get_type_hints(dc)
    definitions: dict[str, Any] = {}
    for f in rules.content_fields(dc):
        unit, meta = f.metadata["unit"], f.metadata
        kind: Any = _UNIT_TYPES[unit] if unit else _content_type(hints[f.name])
        if unit and rules.optional(f):
            kind = kind | None
        extra: dict[str, Any] = {}
        if unit == rules.COUNT and meta["minimum"] is not None:
            extra["minimum"] = meta["minimum"]
        if unit == rules.BASIS_POINTS:
            extra |= {k: meta[m] / rules.BP for k, m in (("minimum", "minimum"), ("maximum", "maximum")) if meta[m] is not None}
        description = f"{meta['zh']} / {meta['en']}"
        if f.default_factory is not dataclasses.MISSING:
            # e.g. rules: CampaignRules() becomes the derived model's own defaults
            spec = Field(default_factory=_content_type(hints[f.name]), description=description)
        elif f.default is not dataclasses.MISSING or rules.optional(f):
            # an optional field may be left out even where the dataclass wants it said (Tier.max_fen)
            default = None if f.default is dataclasses.MISSING else f.default
            default = list(default) if isinstance(default, tuple) else default
            extra["default"] = _editor_default(f, default) if unit else default
            spec = Field(default, description=description, json_schema_extra=extra or None)
        else:
            spec = Field(description=description, json_schema_extra=extra or None)
        definitions[rules.content_name(f)] = (kind, spec)
    model = cast(type[Base], create_model(dc.__name__, __base__=base, **definitions))
    setattr(model, "RULES", dc)  # the dataclass it was derived from, for catalogue_form  # noqa: B010
    _MODELS[dc] = model
    return model


def catalogue_form(value: Any) -> Any:
    """A derived model's values under the rules' own field names (fen, basis points), recursively."""
    if isinstance(value, list):
        return [catalogue_form(v) for v in value]
    dc = getattr(type(value), "RULES", None)
    if dc is None:
        return value
    return {f.name: catalogue_form(getattr(value, rules.content_name(f))) for f in rules.content_fields(dc)}


class CampaignKind(Choice):
    GIVING_DAY = "giving_day", "公益日"
    SEASON = "season", "筹款季"


#: pool, windows, rules, projects and demo, as chalicelib.rules.Campaign declares them.
_CampaignRuleFields = _derive(rules.Campaign, base=Record)


class Campaign(_CampaignRuleFields):  # type: ignore[valid-type, misc]
    KIND: ClassVar[str] = "campaign"
    FOLDER: ClassVar[str] = "campaigns"
    TITLE_ZH: ClassVar[str] = "公益日活动"

    programme: Ref = Field(description="所属计划编号 / the programme's id")
    name: ShortText = Field(description="活动名称，如“2021年99公益日” / campaign name")
    kind: CampaignKind = Field(description="活动类型 / kind of campaign")
    sponsor: Ref = Field(description="配捐方 / matching sponsor organisation id")
    projects: list[Ref] = Field(min_length=1, description="参与项目 / participating projects")
    note: ShortText | None = Field(None, description="备注 / note")

    def matching(self) -> rules.Campaign:
        """The campaign as the API decides with it; raises :class:`chalicelib.rules.RulesInvalid`."""
        return rules.Campaign.from_catalogue(
            {**catalogue_form(self), "campaign_id": self.id, "name": self.name, "programme_id": self.programme}
        )


__all__ = ["Campaign", "CampaignKind", "Rate", "catalogue_form"]
