"""First-run preparation shared by `yibao serve` and the demo: schema, reference data, administrator."""

from __future__ import annotations

import gc
from datetime import date

from rich.console import Console

from yibao.bootstrap import Container
from yibao.schema import upgrade
from yibao.staff import service as staff

REFERENCE_BEGIN = date(2024, 1, 1)


def prepare(container: Container, *, console: Console | None = None) -> None:
    """Upgrade the schema, load the reference data (skipped when loaded) and create the first admin."""
    out = console or Console(quiet=True)
    upgrade(container.engine)
    from yibao.reference import service as reference

    results = reference.load_all(
        new_uow=container.uow, reference_dir=container.settings.reference_dir, begin=REFERENCE_BEGIN
    )
    for result in results:
        state = "已加载，跳过" if result.skipped else f"{result.rows} 行"
        out.print(f"参考数据 {result.kind} {result.version}：{state}")
    with container.uow() as uow:
        settings = container.settings
        if staff.ensure_admin(uow=uow, username=settings.admin_username, password=settings.admin_password):
            out.print(f"[yellow]已创建初始管理员 {settings.admin_username}（请尽快修改密码）[/yellow]")
    warm_caches(container)


def warm_caches(container: Container) -> None:
    """Load the hot-path lookups now and move them out of the garbage collector's way.

    The dictionaries, ICD code lists and the policy index are long-lived; frozen, they are no longer
    walked by every full collection, which otherwise adds tens of milliseconds to random requests.
    """
    from yibao.policy.lookup import policy_index
    from yibao.reference.lookup import diagnoses, dictionaries, procedures

    with container.uow() as uow:
        dictionaries(uow.session)
        diagnoses(uow.session)
        procedures(uow.session)
        policy_index(uow.session)
    gc.collect()
    gc.freeze()
