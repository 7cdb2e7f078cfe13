"""Use cases of the synthetic region: generate a data set, and the main job `yibao demo`.

The demo loads a generated region into a database through the real services (regions, reference data,
institutions, catalog and code mappings, policies, units, persons, contributions, chronic registrations)
and settles every visit through the national interface in process: each institution gets an interface
credential, signs in (9001) and sends its visits as its HIS would (`synthetic.his`: 2201 → 2203 → 2204 →
2206 → 2207 outpatient, 2401 → 2301 → 2402 → 2303 → 2304 inpatient, 2101 → 2102 pharmacy), each call
served by `interface.service.call_service`, the function behind the interface's HTTP route. Bulk
registry steps run many service calls in one transaction (`BatchUnitOfWork`: a service's `commit()` only
flushes; the batch commits once), which keeps every check of the services and the speed of a batch.
"""

from __future__ import annotations

import csv
import gc
import io
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from yibao.core.clock import LOCAL_TZ
from yibao.core.security import SYSTEM, Actor, Role
from yibao.core.uow import UnitOfWork
from yibao.domain.errors import invalid
from yibao.synthetic import knobs as knob_rules
from yibao.synthetic.generator import CHRONIC_CODES, Chunk, Generator, Visit, load_policies
from yibao.synthetic.knobs import Knobs
from yibao.synthetic.world import World, build_world, doctor_certnos
from yibao.synthetic.writer import Counts
from yibao.synthetic.writer import generate as write_dataset

ROOT = Path(__file__).resolve().parents[3]
POLICY_DIR = ROOT / "examples" / "policy"
# Visits per person-year in the demo relative to the generator's common rates: 20,000 persons give about
# 6,600 visits settled through the national interface (about 33 ms of CPU each, 4.8 calls), about 250 s of
# CPU for the whole job on one core of a loaded machine (docs/PERFORMANCE.md), inside the demo's five
# minutes. 0.2 (the volume when the demo called the settlement service directly) takes about 8 minutes.
DEMO_VISIT_SCALE = 0.1
PROGRESS = 200  # visits between two progress updates of the settlement step
PERSON_FILE = 10_000  # persons per import file (`enrolment.import_persons`, one transaction)
CONTRIBUTION_BATCH = 10_000  # persons per contribution batch (`enrolment.record_contributions`)

Step = Callable[[str, int, int, str], None]


def check(
    *,
    persons: int,
    months: int,
    seed: int,
    admdvs: str,
    visit_scale: float,
    rates: dict[str, float] | None,
    outliers: int = 0,
) -> Knobs:
    """The knobs, refused with the option named when impossible."""
    return knob_rules.check_knobs(
        persons=persons,
        months=months,
        seed=seed,
        admdvs=admdvs,
        visit_scale=visit_scale,
        rates=rates,
        outliers=outliers,
    )


def check_format(fmt: str) -> str:
    if fmt not in knob_rules.FORMATS:
        raise invalid("KNOB_FORMAT", "--format", f"选项 --format 只能是 parquet 或 csv：{fmt!r}")
    return fmt


def check_out(out: Path) -> Path:
    return knob_rules.check_out_dir(out)


def parse_rates(pairs: list[str]) -> dict[str, float]:
    """`family=x` pairs (from --rate and the --rate-<family> options) as a dict."""
    rates: dict[str, float] = {}
    for pair in pairs:
        family, _, value = pair.partition("=")
        family = family.strip().replace("-", "_")
        option = f"--rate-{family.replace('_', '-')}"
        try:
            rates[family] = float(value)
        except ValueError as exc:
            raise invalid("KNOB_RANGE", option, f"选项 {option} 必须是 0 到 1 之间的小数：{value!r}") from exc
    return rates


def reference_dir() -> Path:
    from yibao.settings import get_settings

    return Path(get_settings().reference_dir)


def make_world(knobs: Knobs) -> World:
    return build_world(
        persons=knobs.persons,
        seed=knobs.seed,
        admdvs=knobs.admdvs,
        year=knobs.start_year,
        reference=reference_dir(),
        outlier_rate=knobs.rate("provider_outlier"),
        outliers=knobs.outliers,
    )


def generate(
    *,
    knobs: Knobs,
    out: Path,
    fmt: str = "parquet",
    progress: Callable[[int, int, int], None] | None = None,
    on_chunk: Callable[[Generator, Chunk], None] | None = None,
    world: World | None = None,
) -> Counts:
    """Generate the region of `knobs` into `out` (WAREHOUSE layout + labels)."""
    out = check_out(out)
    world = world or make_world(knobs)
    return write_dataset(
        world=world,
        knobs=knobs,
        policies=load_policies(POLICY_DIR),
        out=out,
        fmt=fmt,
        progress=progress,
        on_chunk=on_chunk,
    )


# ---------------------------------------------------------------------------------------------- demo


class BatchUnitOfWork(UnitOfWork):
    """A unit of work for bulk loading: a service's `commit()` flushes, `commit_batch()` commits."""

    def __enter__(self) -> BatchUnitOfWork:
        super().__enter__()
        return self

    def commit(self) -> None:
        self.session.flush()

    def commit_batch(self) -> None:
        self.session.commit()


@dataclass
class DemoResult:
    """What the demo did, what it found, and where its files are."""

    db_url: str
    out: Path
    seconds: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    report_html: Path | None = None
    report_xlsx: Path | None = None
    refused: Counter[str] = field(default_factory=Counter)
    refusals: dict[str, str] = field(default_factory=dict)  # the first message of each refusal code
    messages: Counter[str] = field(default_factory=Counter)  # interface transactions answered, by infno


def run_monitoring(
    container: Any, dataset: Path, *, out: Path, admdvs: str, day: date
) -> dict[str, dict[str, Any]]:
    """Run the monitoring library over the demo's data set (`monitoring.run_batch`, DuckDB) and compare its
    findings with the generator's labels family by family (`monitoring.evaluate`).

    Returns {rule_family: {labelled, found, hits, precision, recall, auc}} (precision/recall None where
    nothing was found/labelled) and writes the run's files into `out` (findings.parquet, run.json …).
    The run is recorded in the database (运行记录) like any batch run, so `yibao serve` shows it.
    """
    from yibao.monitoring import service as monitoring

    out.mkdir(parents=True, exist_ok=True)
    with container.uow(SYSTEM) as uow:
        monitoring.run_batch(
            uow=uow, data_dir=dataset, out_dir=out, day=day, admdvs=admdvs, reference_dir=reference_dir()
        )
    found: dict[str, dict[str, Any]] = {}
    for q in monitoring.evaluate(data_dir=dataset, findings_dir=out):
        found[q.family] = {
            "labelled": q.labelled,
            "found": q.found,
            "hits": q.true_positive,
            "precision": q.precision,
            "recall": q.recall,
            "auc": q.auc,
        }
    return dict(sorted(found.items()))


@contextmanager
def _quiet_gc() -> Iterator[None]:
    """Keep the long-lived generated visits out of the collector's passes and collect less often while
    the bulk steps create and drop millions of short-lived ORM objects (restored afterwards)."""
    thresholds = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def _no_step(name: str, done: int, total: int, note: str = "") -> None:
    del name, done, total, note


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=LOCAL_TZ)


def run_demo(*, knobs: Knobs, db_url: str, out: Path, step: Step | None = None) -> DemoResult:  # noqa: PLR0915
    """Generate, enrol, settle every visit through the services, monitor, summarise and report."""
    from yibao.bootstrap import bootstrap
    from yibao.settings import Settings, get_settings
    from yibao.setup import prepare

    tick: Step = step or _no_step
    result = DemoResult(db_url=db_url, out=out)
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        result.seconds[name] = round(now - clock, 2)
        clock = now

    if db_url.startswith("sqlite:///"):
        path = Path(db_url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    settings = Settings(**{**get_settings().model_dump(), "database_url": db_url})
    container = bootstrap(settings)
    tick("准备数据库与参考数据", 0, 1, "")
    prepare(container)
    tick("准备数据库与参考数据", 1, 1, "")
    lap("prepare")

    # 1. The region on disk (the same model the generator writes), visits kept for settlement.
    world = make_world(knobs)
    visits: list[Visit] = []
    labels: Counter[str] = Counter()

    def keep(_gen: Generator, chunk: Chunk) -> None:
        visits.extend(chunk.visits)
        for visit in chunk.visits:
            labels.update(family for family, _, _ in visit.labels)

    dataset = out / "dataset"
    dataset.mkdir(parents=True, exist_ok=True)
    counts = generate(
        knobs=knobs,
        out=dataset,
        world=world,
        on_chunk=keep,
        progress=lambda done, total, lines: tick("生成统筹区数据", done, total, f"{lines:,} 条明细"),
    )
    labels.update({"provider_outlier": int(world.institutions.outlier.sum())})
    result.counts.update(
        {"persons": len(world.persons), "visits": len(visits), "fee_lines": counts.rows["fee_list_d"]}
    )
    lap("generate")

    with _quiet_gc():
        # 2. Registries through the services.
        psn_of = _load_registries(container, world, visits, tick)
        lap("enrol")
        # 3. Every visit through the settlement service, in the order of settlement.
        _settle_all(container, world, visits, psn_of, result, tick)
        lap("settle")

    # 4. Monitoring over the data set (事后分析), findings against the labels; summary, reports.
    tick("智能监控（事后分析）", 0, 1, "")
    findings = run_monitoring(
        container, dataset, out=out / "monitoring", admdvs=knobs.admdvs, day=_last_day(world, knobs.months)
    )
    tick("智能监控（事后分析）", 1, 1, f"{sum(f['found'] for f in findings.values()):,} 条疑点")
    lap("monitor")
    from yibao.synthetic import report

    with container.uow() as uow:
        summary = report.summarise(uow.session, admdvs=knobs.admdvs)
    summary["labels"] = dict(sorted(labels.items()))
    summary["findings"] = findings
    summary["counts"] = result.counts
    result.summary = summary
    result.report_html, result.report_xlsx = report.write_reports(summary, out)
    lap("report")
    result.summary["seconds"] = result.seconds
    container.engine.dispose()
    return result


def _last_day(world: World, months: int) -> date:
    """The last day of the demo's period (the day whose rule settings the monitoring run applies)."""
    month = world.start.month - 1 + months
    first_after = date(world.start.year + month // 12, month % 12 + 1, 1)
    return date.fromordinal(first_after.toordinal() - 1)


def _operator(code: str) -> Actor:
    return Actor(
        user_id=None,
        username=f"op-{code}",
        roles=frozenset({Role.INSTITUTION}),
        regions=frozenset(),
        all_regions=False,
        institution_code=code,
    )


def _csv(rows: list[dict[str, object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _load_registries(container: Any, world: World, visits: list[Visit], tick: Step) -> dict[int, str]:  # noqa: PLR0915
    """Region, institutions, catalog, mappings, policies, units, persons, contributions, registrations."""
    from yibao.catalog import service as catalog
    from yibao.enrolment import service as enrolment
    from yibao.institutions import service as institutions
    from yibao.policy import service as policy
    from yibao.regions import service as regions
    from yibao.settlement import service as settlement

    admdvs = world.admdvs
    start = world.start
    name = "登记：统筹区、机构、目录、政策"
    tick(name, 0, 5, "")
    with container.uow(SYSTEM) as uow:
        regions.create_region(uow=uow, admdvs=admdvs, name="示范市", level="city", begin=date(2020, 1, 1))
    inst = world.institutions
    with BatchUnitOfWork(container.session_factory, SYSTEM) as uow:
        for i in range(len(inst)):
            institutions.create_institution(
                uow=uow,
                fixmedins_code=inst.code[i],
                name=inst.name[i],
                fixmedins_type=inst.fixmedins_type[i],
                admdvs=admdvs,
                hosp_lv=inst.hosp_lv[i],
                agreement_begin=date(2020, 1, 1),
                agreement_end=date(2030, 12, 31),
            )
        uow.commit_batch()
    n_doctors = _register_doctors(container, world)
    tick(name, 1, 5, f"{len(inst)} 家机构，{n_doctors} 名医保医师/药师")
    items = world.catalog.items
    by_type: dict[str, list[dict[str, object]]] = {}
    for item in items:
        r = item.restrictions
        caps = item.caps
        row: dict[str, object] = {
            "code": item.code,
            "name": item.name,
            "list_type": item.list_type,
            "begin": start.isoformat(),
            "chrgitm_lv": item.chrgitm_lv,
            "selfpay_ratio": f"{item.selfpay_bp / 10000:.4f}",
            "restr_gend": r.gend or "",
            "restr_age_min": "" if r.age_min is None else r.age_min,
            "restr_age_max": "" if r.age_max is None else r.age_max,
            "restr_hosp_levels": ",".join(sorted(r.hosp_levels)),
            "restr_benefit_only": r.benefit_only or "",
        }
        if item.kind == "service":
            row.update(
                price_cap_lv1=_yuan(caps.get("1")),
                price_cap_lv2=_yuan(caps.get("2")),
                price_cap_lv3=_yuan(caps.get("3")),
                unit=item.unit,
                med_chrgitm_type=item.med_chrgitm_type,
            )
        else:
            row["price_cap"] = _yuan(caps.get("1"))
            if item.kind == "consumable":
                row["unit"] = item.unit
        by_type.setdefault(item.list_type, []).append(row)
    with container.uow(SYSTEM) as uow:
        for list_type, rows in by_type.items():
            catalog.import_items(uow=uow, list_type=list_type, filename=f"{list_type}.csv", data=_csv(rows))
    tick(name, 2, 5, f"{len(items)} 个目录项目")
    # Code mappings (对码): each institution maps the codes it bills to the national codes.
    used: dict[int, set[tuple[str, int]]] = {}
    for visit in visits:
        for line in visit.lines:
            own = "G" if line[6] is not None else "L"
            used.setdefault(visit.inst, set()).add((own, int(line[0])))
    n_mappings = 0
    for i, pairs in sorted(used.items()):
        with BatchUnitOfWork(container.session_factory, _operator(inst.code[i])) as uow:
            ids = []
            for own, item_idx in sorted(pairs):
                mapping = catalog.submit_mapping(
                    uow=uow,
                    fixmedins_code=inst.code[i],
                    medins_list_codg=f"{own}{item_idx:05d}",
                    medins_list_name=items[item_idx].name,
                    hilist_code=items[item_idx].code,
                    begin=start,
                )
                ids.append(mapping.id)
            uow.commit_batch()
        with BatchUnitOfWork(container.session_factory, SYSTEM) as uow:
            for mapping_id in ids:
                catalog.approve_mapping(uow=uow, mapping_id=mapping_id)
            uow.commit_batch()
        n_mappings += len(ids)
    tick(name, 3, 5, f"{n_mappings} 条对码")
    for path in sorted(POLICY_DIR.glob("*.toml")):
        with container.uow(SYSTEM) as uow:
            policy.load_policy(uow=uow, text=path.read_text(encoding="utf-8"), filename=path.name)
    tick(name, 5, 5, "待遇政策已载入")

    # Units and persons (参保单位、参保人) by the all-or-nothing import of the enrolment service.
    p = world.persons
    with BatchUnitOfWork(container.session_factory, SYSTEM) as uow:
        for code, unit_name in p.units:
            enrolment.create_unit(
                uow=uow,
                uscc=code,
                name=unit_name,
                admdvs=admdvs,
                unit_type="enterprise",
                begin=date(2020, 1, 1),
            )
        uow.commit_batch()
    psn_of: dict[int, str] = {}
    total = len(p)
    step = PERSON_FILE
    label = "参保登记与缴费"
    for begin in range(0, total, step):
        end = min(total, begin + step)
        people: list[dict[str, object]] = []
        for i in range(begin, end):
            unit = int(p.unit[i])
            people.append(
                {
                    "certno": str(p.certno[i]),
                    "name": f"参保人{i + 1}",
                    "admdvs": admdvs,
                    "insutype": str(p.insutype[i]),
                    "psn_type": str(p.psn_type[i]),
                    "begin": max(date(2020, 1, 1), p.birth[i].astype(object)).isoformat(),
                    "unit_uscc": p.units[unit][0] if unit >= 0 else "",
                    "idet_type": str(p.idet_type[i]),
                }
            )
        with container.uow(SYSTEM) as uow:
            report = enrolment.import_persons(uow=uow, filename="persons.csv", data=_csv(people))
        if not report.ok:
            first = report.errors[0]
            raise invalid(
                "DEMO_PERSONS", "persons", f"参保人导入失败：第{first.row}行 {first.field} {first.message}"
            )
        for offset, psn_no in enumerate(report.created):
            psn_of[begin + offset] = psn_no
        tick(label, end, total * 2, f"{end:,} 人已登记")
    # Contributions (缴费): residents one year; employees every month of the demo (unit + individual),
    # recorded as the county's contribution file is: `record_contributions`, one batch per transaction.
    for begin in range(0, total, CONTRIBUTION_BATCH):
        end = min(total, begin + CONTRIBUTION_BATCH)
        payments: list[enrolment.ContributionInput] = []
        with container.uow(SYSTEM) as uow:
            relations = _relations(uow, [psn_of[i] for i in range(begin, end)])
            for i in range(begin, end):
                psn_no = psn_of[i]
                relation_id = relations[psn_no]
                if str(p.insutype[i]) == "390":
                    subsidy = {"2304": 38_000, "2303": 19_000}.get(str(p.idet_type[i]), 0)
                    payments.append(
                        enrolment.ContributionInput(
                            psn_no=psn_no,
                            relation_id=relation_id,
                            period=str(start.year),
                            individual_fen=38_000 - subsidy,
                            subsidy_fen=subsidy,
                            paid_on=date(start.year - 1, 12, 1),
                        )
                    )
                    continue
                retired = str(p.psn_type[i]) == "12"
                payments.extend(
                    enrolment.ContributionInput(
                        psn_no=psn_no,
                        relation_id=relation_id,
                        period=f"{start.year}-{month:02d}",
                        unit_fen=0 if retired else 48_000,
                        individual_fen=0 if retired else 12_000,
                        base_wage_fen=None if retired else 600_000,
                        paid_on=date(start.year, month, 1),
                    )
                    for month in range(1, 13)
                )
            enrolment.record_contributions(uow=uow, rows=payments, source=f"contributions-{begin + 1}-{end}")
        tick(label, total + end, total * 2, f"{end:,} 人已缴费")
    chronic = [i for i in range(total) if int(p.chronic[i]) > 0]
    with BatchUnitOfWork(container.session_factory, SYSTEM) as uow:
        for i in chronic:
            settlement.register_chronic(
                uow=uow,
                psn_no=psn_of[i],
                disease_code=CHRONIC_CODES[int(p.chronic[i])][2],
                begin=date(2020, 1, 1),
            )
        uow.commit_batch()
    return psn_of


def _register_doctors(container: Any, world: World) -> int:
    """The institutions' departments (`institutions.add_department`) and their insurance doctors and
    pharmacists (医保医师/药师) by one registry file (`institutions.import_doctors`, all or nothing), each
    practising in their department since 2020, so the visits' `dr_code` are registered codes that the
    settlement service checks (qualification on the day, practice at the institution)."""
    from yibao.institutions import service as institutions

    inst = world.institutions
    with BatchUnitOfWork(container.session_factory, SYSTEM) as uow:
        for i in range(len(inst)):
            for dept_code, dept_name, caty in inst.departments[i]:
                institutions.add_department(
                    uow=uow,
                    fixmedins_code=inst.code[i],
                    dept_code=dept_code,
                    name=dept_name,
                    caty=caty,
                    begin=date(2020, 1, 1),
                )
        uow.commit_batch()
    codes = [(i, dr) for i in range(len(inst)) for dr in inst.doctors[i]]
    certnos = doctor_certnos(len(codes))
    rows: list[dict[str, object]] = [
        {
            "dr_code": dr,
            "name": f"{'药师' if dr.startswith('Y') else '医师'}{n + 1}",
            "certno": certnos[n],
            "kind": "pharmacist" if dr.startswith("Y") else "doctor",
            "admdvs": world.admdvs,
            "fixmedins_code": inst.code[i],
            "dept_code": "" if dr.startswith("Y") else inst.doctor_dept[dr],
            "begin": "2020-01-01",
        }
        for n, (i, dr) in enumerate(codes)
    ]
    with container.uow(SYSTEM) as uow:
        report = institutions.import_doctors(uow=uow, data=_csv(rows), filename="doctors.csv")
    return report.created


def _relations(uow: UnitOfWork, psn_nos: list[str]) -> dict[str, int]:
    from yibao.synthetic.repository import SyntheticRepository

    return SyntheticRepository(uow.session).basic_relations(psn_nos)


def _yuan(fen: int | None) -> str:
    if fen is None:
        return ""
    return f"{Decimal(fen) / 100:.2f}"


def _settle_all(
    container: Any, world: World, visits: list[Visit], psn_of: dict[int, str], result: DemoResult, tick: Step
) -> None:
    """Every visit through the national interface, in the order of settlement, as its institution's HIS
    sends it (`synthetic.his`: 2201 → 2203 → 2204 → 2206 → 2207, 2401 → 2301 → 2402 → 2303 → 2304, a
    pharmacy's 2101 → 2102), each call served in process by `interface.service.call_service`.

    A refused visit is counted with its error code and withdrawn (2202 / 2405 + 2404), so nothing of it
    stays in force; the others go on.
    """
    from yibao.synthetic.his import RefusedError, Region

    ordered = sorted(visits, key=lambda v: (v.end if v.med_type.startswith("2") else v.begin, v.person))
    total = len(ordered)
    settled = 0
    name = "逐笔结算（国家接口）"
    region = Region(container, world, psn_of)
    tick(name, 0, total, f"{region.issue_credentials()} 家机构已发放接入密钥")
    try:
        for n, visit in enumerate(ordered, start=1):
            try:
                _send(region, visit, n)
            except RefusedError as exc:
                result.refused[exc.code] += 1
                result.refusals.setdefault(exc.code, f"{exc.infno}：{exc.message}")
            else:
                settled += 1
            if n % PROGRESS == 0 or n == total:
                tick(name, n, total, f"{settled:,} 笔已结算")
    finally:
        region.close()
    result.counts["settled"] = settled
    result.messages.update(region.calls)


def _send(region: Any, visit: Visit, n: int) -> None:
    """One visit through the interface (a seam for the tests)."""
    del n
    region.send(visit)


def print_summary(result: DemoResult, console: Any) -> None:
    """The bureau head's summary on the terminal."""
    from yibao.synthetic import report

    summary = result.summary
    console.print("[bold]示范统筹区运行摘要[/bold]")
    for line in report.lines(summary):
        console.print(line)
    top = summary.get("top") or []
    if top:
        console.print("费用最高的机构：")
        for t in top[:5]:
            console.print(
                f"  {t['name']}（{t['code']}）{t['count']:,} 笔，医疗总费用 {report.yuan(t['medfee'])} 元"
            )
    console.print("违规类别（智能监控发现对照注入标注：标注/发现/命中，精确率/召回率）：")
    for row in report.quality_rows(summary):
        console.print(
            f"  {row['family']}：标注 {row['labelled']:,}，发现 {row['found']:,}，命中 {row['hits']:,}，"
            f"精确率 {row['precision']}，召回率 {row['recall']}"
        )
    if result.refused:
        console.print(
            f"[yellow]结算被拒 {sum(result.refused.values())} 笔：{dict(result.refused)}"
            f" {result.refusals}[/yellow]"
        )
    if result.messages:
        sent = "，".join(f"{infno} ×{n:,}" for infno, n in sorted(result.messages.items()))
        console.print(f"国家接口报文（进程内，均已应答）：{sent}")
    console.print(f"各步用时（秒）：{result.seconds}，合计 {sum(result.seconds.values()):.0f}s")
    console.print(f"报告：{result.report_html}  {result.report_xlsx}")
    console.print(f"数据库：{result.db_url}（yibao serve 可打开，admin / admin12345）")
