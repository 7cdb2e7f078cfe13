"""Use cases for benefit policy versions (待遇政策): load, list, show, in force, diff, schema."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from yibao.core.db import utcnow
from yibao.core.paging import Page
from yibao.core.security import Perm
from yibao.core.uow import UnitOfWork
from yibao.core.validation import optional_text
from yibao.domain.errors import BusinessError, FieldError, conflict, invalid, not_found
from yibao.domain.periods import overlaps
from yibao.domain.policy import Policy
from yibao.domain.policy_diff import diff_documents, file_form, unit_of, units
from yibao.policy import lookup
from yibao.policy.document import decode, dump, file_schema, load_document, parse_file, sha256_of
from yibao.policy.models import PolicyVersion
from yibao.policy.repository import PolicyRepository
from yibao.reference.lookup import Dictionaries, dictionaries
from yibao.regions.models import Region

LOADED, UNCHANGED = "loaded", "unchanged"


@dataclass
class LoadResult:
    """What loading one policy file did: the version, loaded or unchanged, versions closed."""

    policy: PolicyVersion
    status: str
    closed: list[PolicyVersion] = field(default_factory=list)


@dataclass(frozen=True)
class PolicyChange:
    """One key that differs between two versions, in file units (yuan, decimal ratios)."""

    path: str
    old: Any
    new: Any
    unit: str | None


def _code_errors(policy: Policy, dicts: Dictionaries) -> list[FieldError]:
    """Every code of the document that is not in its national dictionary, by key path."""
    checks: list[tuple[str, str, str]] = [
        ("insutype", policy.insutype, "insutype"),
        ("hifp_fund_pay_type", policy.hifp_fund_pay_type, "fund_pay_type"),
    ]
    for i, rule in enumerate(policy.benefits):
        checks += [(f"benefits.{i}.med_types.{j}", m, "med_type") for j, m in enumerate(rule.med_types)]
        checks += [(f"benefits.{i}.group_tilts.{g}", g, "psn_idet_type") for g in rule.group_tilts]
    if policy.hifmi is not None:
        checks.append(("hifmi.fund_pay_type", policy.hifmi.fund_pay_type, "fund_pay_type"))
        checks += [(f"hifmi.group_tilts.{g}", g, "psn_idet_type") for g in policy.hifmi.group_tilts]
    if policy.maf is not None:
        checks += [(f"maf.groups.{g}", g, "psn_idet_type") for g in policy.maf.groups]
    subsidies: dict[str, object] = getattr(policy, "contribution_subsidies", {})  # 参保资助, when configured
    checks += [(f"contribution_subsidies.{g}", g, "psn_idet_type") for g in subsidies]
    checks += [
        (f"exclusions.injury_med_types.{j}", m, "med_type")
        for j, m in enumerate(policy.exclusions.injury_med_types)
    ]
    errors = []
    for path, code, dict_name in checks:
        if not dicts.has(dict_name, code):
            title = dicts.names.get(dict_name, dict_name)
            errors.append(
                FieldError(
                    path,
                    "POLICY_CODE",
                    f"政策文件 {path} 的值 {code!r} 不是字典 {dict_name}（{title}）中的有效代码",
                )
            )
    return errors


def _close(row: PolicyVersion, last_day: date) -> None:
    """End an open-ended version on `last_day` (its stored document follows)."""
    row.end = last_day
    document = json.loads(row.document)
    document["end"] = last_day.isoformat()
    row.document = json.dumps(document, ensure_ascii=False)


def load_policy(*, uow: UnitOfWork, text: str, filename: str = "policy.toml") -> LoadResult:
    """Load one policy file: checked key by key, in the actor's registered region, no overlapping period.

    A new version beginning inside an open-ended one closes that one the day before; the same file
    loaded again changes nothing; the same version with other content is refused.
    """
    uow.actor.require(Perm.POLICY_WRITE)
    name = optional_text(filename, field="filename", max_len=255, label="文件名") or "policy.toml"
    policy = parse_file(text)
    uow.actor.require_region(policy.admdvs)
    # the region row is locked: loads of one region wait for each other, so periods cannot overlap
    region = select(Region.id).where(Region.admdvs == policy.admdvs).with_for_update()
    if uow.session.scalar(region) is None:
        raise invalid("POLICY_REGION", "admdvs", f"字段 admdvs：统筹区 {policy.admdvs} 未登记")
    errors = _code_errors(policy, dictionaries(uow.session))
    if errors:
        first = errors[0]
        raise BusinessError(code="POLICY_CODE", message=first.message, field=first.field, errors=errors)
    for key, value, limit in (("version", policy.version, 64), ("name", policy.name, 128)):
        if not value.strip() or len(value) > limit:
            raise invalid("POLICY_INVALID", key, f"政策文件 {key} 不能为空，最多{limit}个字符")

    repo = PolicyRepository(uow.session)
    sha = sha256_of(text)
    existing = repo.by_key(policy.admdvs, policy.insutype, policy.version)
    if existing is not None:
        if existing.sha256 == sha:
            return LoadResult(existing, UNCHANGED)
        raise conflict(
            "POLICY_VERSION_EXISTS",
            f"字段 version：{policy.admdvs} 险种 {policy.insutype} 的版本 {policy.version} 已存在且内容不同，"
            "修改政策请使用新的版本号",
            "version",
        )
    to_close: list[PolicyVersion] = []
    for other in repo.of_scheme(policy.admdvs, policy.insutype, lock=True):
        if not overlaps(policy, other):
            continue
        if other.end is None and other.begin < policy.begin:
            to_close.append(other)
            continue
        raise conflict(
            "POLICY_OVERLAP",
            f"字段 begin：有效期 {policy.begin}—{policy.end or '长期'} 与已有版本 {other.version}"
            f"（{other.begin}—{other.end or '长期'}）重叠",
            "begin",
        )
    for other in to_close:
        before = other.snapshot()
        _close(other, policy.begin - timedelta(days=1))
        uow.audit(
            action="policy.close",
            entity="policy_version",
            entity_id=other.id,
            admdvs=other.admdvs,
            before=before,
            after=other.snapshot(),
            note=f"新版本 {policy.version} 自 {policy.begin} 起生效",
        )
    row = PolicyVersion(
        admdvs=policy.admdvs,
        insutype=policy.insutype,
        version=policy.version,
        name=policy.name,
        begin=policy.begin,
        end=policy.end,
        document=dump(policy),
        source=text,
        filename=name,
        sha256=sha,
        loaded_at=utcnow(),
        loaded_by=uow.actor.username,
    )
    repo.add(row)
    uow.flush()
    uow.audit(
        action="policy.load",
        entity="policy_version",
        entity_id=row.id,
        admdvs=row.admdvs,
        after=row.snapshot(),
    )
    uow.commit()
    lookup.invalidate()
    return LoadResult(row, LOADED, to_close)


def load_policy_file(*, uow: UnitOfWork, data: bytes, filename: str) -> LoadResult:
    """Load an uploaded policy file (UTF-8 TOML)."""
    uow.actor.require(Perm.POLICY_WRITE)
    return load_policy(uow=uow, text=decode(data), filename=filename)


def list_policies(
    *,
    uow: UnitOfWork,
    admdvs: str | None = None,
    insutype: str | None = None,
    on: date | None = None,
    q: str | None = None,
    page: int = 1,
    size: int = 20,
) -> Page[PolicyVersion]:
    """The policy versions the actor may see, by region, scheme, a day in force or name/version."""
    return PolicyRepository(uow.session).search(
        regions=uow.actor.region_filter(),
        admdvs=admdvs or None,
        insutype=insutype or None,
        on=on,
        q=q or None,
        page=page,
        size=size,
    )


def get_policy(*, uow: UnitOfWork, policy_id: int) -> PolicyVersion:
    """The policy version with this id, if the actor may see its region."""
    row = PolicyRepository(uow.session).get(policy_id)
    if row is None or not uow.actor.sees_region(row.admdvs):
        raise not_found("POLICY_NOT_FOUND", f"待遇政策版本 {policy_id} 不存在", "id")
    return row


def policy_of(row: PolicyVersion) -> Policy:
    """The checked policy model of a stored version."""
    return load_document(row.document)


def document_of(row: PolicyVersion) -> dict[str, Any]:
    """The stored document in file units (amounts in yuan)."""
    return file_form(json.loads(row.document))


def policy_in_force(*, uow: UnitOfWork, admdvs: str, insutype: str, on: date) -> PolicyVersion:
    """The version of a region and scheme in force on a day (the hot path uses `lookup`)."""
    if not uow.actor.sees_region(admdvs):
        raise not_found("POLICY_NOT_IN_FORCE", f"统筹区 {admdvs} 险种 {insutype} 在 {on} 没有生效的待遇政策")
    found = lookup.policy_in_force(uow.session, admdvs, insutype, on)
    if found is None:
        raise not_found("POLICY_NOT_IN_FORCE", f"统筹区 {admdvs} 险种 {insutype} 在 {on} 没有生效的待遇政策")
    row = PolicyRepository(uow.session).by_key(admdvs, insutype, found.version)
    if row is None:  # pragma: no cover - the index is built from the same table
        raise not_found("POLICY_NOT_IN_FORCE", f"统筹区 {admdvs} 险种 {insutype} 在 {on} 没有生效的待遇政策")
    return row


def diff_policies(*, uow: UnitOfWork, policy_id: int, other_id: int) -> list[PolicyChange]:
    """The keys that differ from version `policy_id` to version `other_id`, in file units."""
    old = document_of(get_policy(uow=uow, policy_id=policy_id))
    new = document_of(get_policy(uow=uow, policy_id=other_id))
    kinds = {**units(old), **units(new)}
    return [PolicyChange(c.path, c.old, c.new, unit_of(kinds, c.path)) for c in diff_documents(old, new)]


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a policy file (amounts in yuan, ratios as decimal strings)."""
    return file_schema()
