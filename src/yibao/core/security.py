"""Who is acting: roles (角色), permissions and the pooling regions (统筹区) a user may see."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from yibao.domain.errors import BusinessError, ErrorKind, forbidden


class Role(StrEnum):
    """Staff roles."""

    ADMIN = "admin"  # 系统管理员
    CLERK = "clerk"  # 经办
    REVIEWER = "reviewer"  # 审核
    SUPERVISOR = "supervisor"  # 监管/稽核
    ANALYST = "analyst"  # 分析
    INSTITUTION = "institution"  # 定点机构操作员


ROLE_NAMES_ZH = {
    Role.ADMIN: "系统管理员",
    Role.CLERK: "经办人员",
    Role.REVIEWER: "审核人员",
    Role.SUPERVISOR: "监管人员",
    Role.ANALYST: "分析人员",
    Role.INSTITUTION: "定点机构操作员",
}


class Perm(StrEnum):
    """Permissions a role grants."""

    REGION_WRITE = "region:write"
    USER_ADMIN = "user:admin"
    AUDIT_READ = "audit:read"
    REFERENCE_WRITE = "reference:write"
    ENROL_READ = "enrolment:read"
    ENROL_WRITE = "enrolment:write"
    PERSON_SENSITIVE = "person:sensitive"  # see full ID numbers
    CATALOG_READ = "catalog:read"
    CATALOG_WRITE = "catalog:write"
    MAPPING_SUBMIT = "mapping:submit"
    MAPPING_APPROVE = "mapping:approve"
    INSTITUTION_READ = "institution:read"
    INSTITUTION_WRITE = "institution:write"
    SETTLEMENT_READ = "settlement:read"
    SETTLE = "settlement:write"  # register visits, upload fees, settle and reverse
    POLICY_WRITE = "policy:write"  # load benefit policy versions (待遇政策)
    MONITOR_READ = "monitoring:read"  # rule library, runs, findings, cases (智能监控)
    MONITOR_WRITE = "monitoring:write"  # change rules and parameters, run, work on cases
    REVIEW_READ = "review:read"  # declarations and review results (审核)
    REVIEW_WRITE = "review:write"  # review decisions, deductions, appeal decisions
    DECLARE = "review:declare"  # an institution submits its monthly declaration and answers
    PAYMENT_READ = "payment:read"  # grouping, payment standards, budgets, clearing statements
    PAYMENT_WRITE = "payment:write"  # load payment tables, configure methods, run clearing
    ASSESS_READ = "assessment:read"  # agreement terms, assessments, credit grades, doctor points
    ASSESS_WRITE = "assessment:write"  # score, grade, deduct doctor points
    SUPERVISE_READ = "supervision:read"  # inspections, ward rounds, reports, decisions
    SUPERVISE_WRITE = "supervision:write"
    SYNTHETIC_RUN = "synthetic:run"  # generate a synthetic region into a database


_READ = {
    Perm.ENROL_READ,
    Perm.CATALOG_READ,
    Perm.INSTITUTION_READ,
    Perm.SETTLEMENT_READ,
    Perm.MONITOR_READ,
    Perm.REVIEW_READ,
    Perm.PAYMENT_READ,
    Perm.ASSESS_READ,
    Perm.SUPERVISE_READ,
}

ROLE_PERMS: dict[Role, frozenset[Perm]] = {
    Role.ADMIN: frozenset(Perm),
    Role.CLERK: frozenset(_READ | {Perm.ENROL_WRITE, Perm.PERSON_SENSITIVE, Perm.SETTLE}),
    Role.REVIEWER: frozenset(
        _READ | {Perm.MAPPING_APPROVE, Perm.CATALOG_WRITE, Perm.REVIEW_WRITE, Perm.MONITOR_WRITE}
    ),
    Role.SUPERVISOR: frozenset(
        _READ
        | {
            Perm.AUDIT_READ,
            Perm.INSTITUTION_WRITE,
            Perm.PERSON_SENSITIVE,
            Perm.MONITOR_WRITE,
            Perm.ASSESS_WRITE,
            Perm.SUPERVISE_WRITE,
        }
    ),
    Role.ANALYST: frozenset(_READ | {Perm.PAYMENT_WRITE}),
    Role.INSTITUTION: frozenset(
        {Perm.CATALOG_READ, Perm.MAPPING_SUBMIT, Perm.SETTLEMENT_READ, Perm.SETTLE, Perm.DECLARE}
    ),
}


@dataclass(frozen=True)
class Actor:
    """The authenticated user a unit of work acts for."""

    user_id: int | None
    username: str
    roles: frozenset[Role]
    regions: frozenset[str] = field(default_factory=frozenset)
    all_regions: bool = False  # a deployment administrator sees every region
    institution_code: str | None = None  # for institution operators: the one institution they act for

    @property
    def permissions(self) -> frozenset[Perm]:
        perms: set[Perm] = set()
        for role in self.roles:
            perms |= ROLE_PERMS[role]
        return frozenset(perms)

    def has(self, perm: Perm) -> bool:
        """Whether any of the actor's roles grants `perm`."""
        return perm in self.permissions

    def require(self, perm: Perm) -> None:
        """Refuse unless the actor holds `perm`."""
        if not self.has(perm):
            raise forbidden(f"当前用户（{self.username}）没有权限：{perm.value}")

    def sees_region(self, admdvs: str | None) -> bool:
        """Whether records of pooling region `admdvs` are visible to the actor."""
        return self.all_regions or admdvs is None or admdvs in self.regions

    def require_region(self, admdvs: str, *, field: str = "admdvs") -> None:
        """Refuse to act in a pooling region outside the actor's scope."""
        if not self.sees_region(admdvs):
            raise BusinessError(
                code="AUTH_REGION",
                message=f"字段 {field}：当前用户无权操作统筹区 {admdvs}",
                field=field,
                kind=ErrorKind.FORBIDDEN,
            )

    def region_filter(self) -> frozenset[str] | None:
        """The regions to filter lists by, or None when the actor sees all."""
        return None if self.all_regions else self.regions


SYSTEM = Actor(user_id=None, username="system", roles=frozenset({Role.ADMIN}), all_regions=True)
