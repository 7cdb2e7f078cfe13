"""Export of yibao's own settled data in the WAREHOUSE layout, and the batch run on it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tests.factories import make_actor
from tests.knowledge import load_knowledge
from tests.settlement.helpers import DRUG_B, HOSPITAL, World, at, build_world, fee, open_visit, request_id
from yibao.audit.models import AuditEntry
from yibao.bootstrap import Container
from yibao.cli import app
from yibao.core.security import SYSTEM, Role
from yibao.domain.errors import BusinessError
from yibao.monitoring import export, service
from yibao.monitoring.export import EXPORTED, export_dataset
from yibao.settings import get_settings
from yibao.settlement import service as settlement
from yibao.supervision import service as supervision
from yibao.synthetic.writer import SCHEMAS

OVER_CAP = "GZ10000102001000"  # 医疗服务项目超限定单价收费 (002 §3 最高限价)
BED_HANGING = "YB20000204009000"  # 挂床住院（查房不在床）


@pytest.fixture
def world(container: Container) -> World:
    made = build_world(container, account_fen=0)
    load_knowledge(container)
    return made


def _settle_stay(container: Container, psn_no: str, day: str, drug_price: str) -> str:
    """A three-day stay: 诊查费 3 × 20.00, the 乙类 drug (cap 1.50) 10 × `drug_price`, then settlement."""
    mdtrt_id = open_visit(container, psn_no, day=day)
    with container.uow(SYSTEM) as uow:
        settlement.upload_fees(
            uow=uow,
            mdtrt_id=mdtrt_id,
            fees=[
                fee("1", "ZL001", "20.00", cnt="3", day=day),
                fee("2", "YP001", drug_price, cnt="10", day=day),
            ],
        )
    end = at(day, 9).replace(day=at(day).day + 3)
    with container.uow(SYSTEM) as uow:
        settlement.discharge(uow=uow, mdtrt_id=mdtrt_id, endtime=end)
    with container.uow(SYSTEM) as uow:
        settlement.settle(uow=uow, mdtrt_id=mdtrt_id, request_id=request_id())
    return mdtrt_id


def _export(container: Container, out: Path, begin: date, end: date) -> dict[str, int]:
    with container.uow(SYSTEM) as uow:
        return export_dataset(uow=uow, admdvs="439901", begin=begin, end=end, out=out).rows


def test_a_settled_month_exports_every_table_with_the_generator_schemas(
    container: Container, world: World, tmp_path: Path
) -> None:
    """Money is yuan with two decimals (WAREHOUSE.md); the cap is the catalog's 最高限价 1.50 yuan."""
    mdtrt_id = _settle_stay(container, world.worker, "2024-03-04", "2.00")
    _settle_stay(container, world.resident, "2024-04-08", "1.50")  # outside the period
    out = tmp_path / "march"
    rows = _export(container, out, date(2024, 3, 1), date(2024, 3, 31))
    assert rows["setl_d"] == 1 and rows["mdtrt_d"] == 1 and rows["fee_list_d"] == 2
    assert rows["setl_list_diag_d"] == 1 and rows["fixmedins_b"] == 1 and rows["ward_round_d"] == 0
    for table in EXPORTED:
        schema = pq.read_schema(out / f"{table}.parquet")
        assert schema.names == SCHEMAS[table].names
        for got, want in zip(schema, SCHEMAS[table], strict=True):  # Parquet keeps seconds as ms
            assert got.type == want.type or (
                pa.types.is_timestamp(got.type) and pa.types.is_timestamp(want.type)
            )
    visit = pq.read_table(out / "mdtrt_d.parquet").to_pylist()[0]
    assert visit["mdtrt_id"] == mdtrt_id and visit["fixmedins_code"] == HOSPITAL
    assert visit["hosp_lv"] == "2" and visit["ipt_days"] == 3 and visit["dscg_maindiag_code"] == "J18.900"
    assert visit["begntime"] == datetime(2024, 3, 4, 17, 0)  # 09:00 UTC is 17:00 in Beijing
    drug = next(
        r for r in pq.read_table(out / "fee_list_d.parquet").to_pylist() if r["med_list_codg"] == DRUG_B
    )
    assert drug["pric"] == Decimal("2.00") and drug["pric_uplmt_amt"] == Decimal("1.50")
    assert drug["det_item_fee_sumamt"] == Decimal("20.00") and drug["cnt"] == Decimal("10.00")
    assert drug["overlmt_selfpay"] == Decimal("5.00")  # (2.00 − 1.50) × 10
    setl = pq.read_table(out / "setl_d.parquet").to_pylist()[0]
    assert setl["medfee_sumamt"] == Decimal("80.00")  # 3 × 20.00 + 10 × 2.00
    assert setl["refd_setl_flag"] == "0" and setl["year"] == 2024
    with container.uow(SYSTEM) as uow:
        audit = uow.session.scalar(select(AuditEntry).where(AuditEntry.action == "monitoring.export"))
        assert audit is not None and audit.admdvs == "439901"


def test_the_batch_on_an_export_finds_the_line_above_its_cap_and_not_in_the_clean_twin_month(
    container: Container, world: World, tmp_path: Path
) -> None:
    """002 §3: 10 × 2.00 against a cap of 1.50 is 5.00 yuan at stake; April at 1.50 is clean."""
    over = _settle_stay(container, world.worker, "2024-03-04", "2.00")
    _settle_stay(container, world.worker, "2024-04-08", "1.50")
    _export(container, tmp_path / "march", date(2024, 3, 1), date(2024, 3, 31))
    _export(container, tmp_path / "april", date(2024, 4, 1), date(2024, 4, 30))
    found = {}
    for month in ("march", "april"):
        with container.uow(SYSTEM) as uow:
            service.run_batch(
                uow=uow, data_dir=tmp_path / month, out_dir=tmp_path / f"{month}-out", day=date(2024, 3, 1)
            )
        table = pq.read_table(tmp_path / f"{month}-out" / "findings.parquet").to_pylist()
        found[month] = [r for r in table if r["rule_id"] == OVER_CAP]
    assert [(r["mdtrt_id"], r["bkkp_sn"], r["vola_amt"]) for r in found["march"]] == [
        (over, f"{over}-2", Decimal("5.00"))
    ]
    assert found["april"] == []


def test_an_export_never_overwrites_and_needs_the_monitoring_permission(
    container: Container, world: World, tmp_path: Path
) -> None:
    folder = tmp_path / "exports"
    out = folder / "full"
    out.mkdir(parents=True)
    (out / "keep.txt").write_text("x")
    with container.uow(SYSTEM) as uow, pytest.raises(BusinessError) as err:
        export_dataset(uow=uow, admdvs="439901", begin=date(2024, 3, 1), end=date(2024, 3, 31), out=out)
    assert err.value.code == "EXPORT_OUT_EXISTS"
    assert sorted(p.name for p in folder.iterdir()) == ["full"]  # no staging folder left behind
    clerk = make_actor(Role.INSTITUTION, institution_code=HOSPITAL, username="op")
    with container.uow(clerk) as uow, pytest.raises(BusinessError):
        export_dataset(
            uow=uow, admdvs="439901", begin=date(2024, 3, 1), end=date(2024, 3, 31), out=folder / "x"
        )
    assert sorted(p.name for p in folder.iterdir()) == ["full"]


def test_a_failure_half_way_leaves_no_data_set(
    container: Container, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Write then rename: the settlements are written, the ward rounds fail, nothing appears."""
    _settle_stay(container, world.worker, "2024-03-04", "2.00")

    def broken(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(export, "_ward_rounds", broken)
    folder = tmp_path / "exports"
    folder.mkdir()
    with pytest.raises(OSError, match="disk full"):
        _export(container, folder / "march", date(2024, 3, 1), date(2024, 3, 31))
    assert list(folder.iterdir()) == []
    with container.uow(SYSTEM) as uow:
        assert uow.session.scalar(select(AuditEntry).where(AuditEntry.action == "monitoring.export")) is None


def test_cli_export_then_run(
    container: Container, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _settle_stay(container, world.worker, "2024-03-04", "2.00")
    monkeypatch.setenv("YIBAO_DATABASE_URL", container.settings.database_url)
    get_settings.cache_clear()
    try:
        out = tmp_path / "march"
        args = ["monitor", "export", "--admdvs", "439901", "--begin", "2024-03-01", "--end", "2024-03-31"]
        done = CliRunner().invoke(app, [*args, "--out", str(out)])
        assert done.exit_code == 0, done.output
        assert "导出完成" in done.output and "fee_list_d 2" in done.output
        ran = CliRunner().invoke(app, ["monitor", "run", "--data", str(out), "--out", str(tmp_path / "o")])
        assert ran.exit_code == 0, ran.output
        bad = CliRunner().invoke(app, [*args[:5], "2024-13-01", *args[6:], "--out", str(tmp_path / "b")])
        assert bad.exit_code == 2 and "begin" in bad.output
    finally:
        get_settings.cache_clear()


def test_a_reversed_and_settled_again_visit_is_one_visit_with_its_lines_once_across_chunks(
    container: Container, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """冲正 then settling again: three settlement rows (the reversal flagged), one visit, the two lines
    under the settlement in force; chunks of one settlement each change nothing."""
    mdtrt_id = _settle_stay(container, world.worker, "2024-03-04", "2.00")
    with container.uow(SYSTEM) as uow:
        first = settlement.get_visit(uow=uow, mdtrt_id=mdtrt_id).settlements[0].setl_id
    with container.uow(SYSTEM) as uow:
        settlement.reverse(uow=uow, setl_id=first, request_id=request_id())
    with container.uow(SYSTEM) as uow:
        second = settlement.settle(uow=uow, mdtrt_id=mdtrt_id, request_id=request_id()).setl_id
    monkeypatch.setattr(export, "CHUNK", 1)
    out = tmp_path / "march"
    rows = _export(container, out, date(2024, 3, 1), date(2024, 3, 31))
    assert (rows["setl_d"], rows["mdtrt_d"], rows["fee_list_d"], rows["setl_list_diag_d"]) == (3, 1, 2, 1)
    setl = pq.read_table(out / "setl_d.parquet").to_pylist()
    assert [r["refd_setl_flag"] for r in setl] == ["0", "1", "0"]
    assert setl[1]["init_setl_id"] == first and setl[1]["medfee_sumamt"] == Decimal("-80.00")
    assert {r["setl_id"] for r in pq.read_table(out / "fee_list_d.parquet").to_pylist()} == {second}


def test_a_ward_round_missing_the_patient_exports_and_the_batch_finds_bed_hanging(
    container: Container, world: World, tmp_path: Path
) -> None:
    """挂床: the round of 5 March (10:00 Beijing) found the worker's bed empty during the stay."""
    absent = _settle_stay(container, world.worker, "2024-03-04", "1.50")
    present = _settle_stay(container, world.resident, "2024-03-04", "1.50")
    patients = [
        {"psn_no": world.worker, "mdtrt_id": absent, "present": False},
        {"psn_no": world.resident, "mdtrt_id": present, "present": True},
    ]
    with container.uow(SYSTEM) as uow:
        supervision.record_ward_round(
            uow=uow,
            fixmedins_code=HOSPITAL,
            round_at=datetime(2024, 3, 5, 2, 0, tzinfo=UTC),
            inspectors=["稽查员甲", "稽查员乙"],
            patients=patients,
            standard_fen=0,
        )
    out = tmp_path / "march"
    _export(container, out, date(2024, 3, 1), date(2024, 3, 31))
    rounds = pq.read_table(out / "ward_round_d.parquet").to_pylist()
    assert sorted((r["mdtrt_id"], r["in_bed"], r["fixmedins_code"]) for r in rounds) == sorted(
        [(absent, 0, HOSPITAL), (present, 1, HOSPITAL)]
    )
    assert rounds[0]["round_time"] == datetime(2024, 3, 5, 10, 0)
    with container.uow(SYSTEM) as uow:
        service.run_batch(uow=uow, data_dir=out, out_dir=tmp_path / "o", day=date(2024, 3, 1))
    findings = pq.read_table(tmp_path / "o" / "findings.parquet").to_pylist()
    assert [r["mdtrt_id"] for r in findings if r["rule_id"] == BED_HANGING] == [absent]


DISCHARGE_DRUGS = "YB20000204008000"  # 出院带药超量 (001 第6篇 第31条: acute ≤ 7 days)


def _stay_with_take_home_drug(container: Container, psn_no: str, day: str, supply_days: str) -> str:
    """A stay whose oral 丙类 drug (YP002) goes home for `supply_days` days; discharge 离院方式 1."""
    mdtrt_id = open_visit(container, psn_no, day=day)
    take_home = replace(
        fee("2", "YP002", "3.00", cnt="20", day=day),
        bilg_dr_codg="D110105000009",
        prd_days=Decimal(supply_days),
        dscg_tkdrug_flag="1",
    )
    with container.uow(SYSTEM) as uow:
        settlement.upload_fees(
            uow=uow, mdtrt_id=mdtrt_id, fees=[fee("1", "ZL001", "20.00", day=day), take_home]
        )
    with container.uow(SYSTEM) as uow:
        settlement.discharge(
            uow=uow, mdtrt_id=mdtrt_id, endtime=at(day).replace(day=at(day).day + 3), dscg_way="1"
        )
    with container.uow(SYSTEM) as uow:
        settlement.settle(uow=uow, mdtrt_id=mdtrt_id, request_id=request_id())
    return mdtrt_id


def test_take_home_drugs_export_with_their_supply_days_and_the_batch_finds_the_long_one_only(
    container: Container, world: World, tmp_path: Path
) -> None:
    """001 第6篇 第31条: an acute stay (肺炎) may send oral drugs home for 7 days; 20 days is too many
    (13 of 20 days' cost at stake), the April twin of 7 days is clean. The line's own supply days,
    discharge-drug flag and ordering doctor reach the warehouse, and so do 离院方式 and the diagnosis name."""
    long = _stay_with_take_home_drug(container, world.worker, "2024-03-04", "19.5")
    _stay_with_take_home_drug(container, world.worker, "2024-04-08", "7")
    _export(container, tmp_path / "march", date(2024, 3, 1), date(2024, 3, 31))
    _export(container, tmp_path / "april", date(2024, 4, 1), date(2024, 4, 30))
    line = next(
        r for r in pq.read_table(tmp_path / "march" / "fee_list_d.parquet").to_pylist() if r["prd_days"]
    )
    assert (line["prd_days"], line["dscg_tkdrug_flag"], line["bilg_dr_code"]) == (20, "1", "D110105000009")
    assert pq.read_table(tmp_path / "march" / "mdtrt_d.parquet").to_pylist()[0]["dscg_way"] == "1"
    diagnosis = pq.read_table(tmp_path / "march" / "setl_list_diag_d.parquet").to_pylist()[0]
    assert diagnosis["diag_code"] == "J18.900" and diagnosis["diag_name"]
    found = {}
    for month in ("march", "april"):
        with container.uow(SYSTEM) as uow:
            service.run_batch(
                uow=uow, data_dir=tmp_path / month, out_dir=tmp_path / f"{month}-out", day=date(2024, 3, 1)
            )
        table = pq.read_table(tmp_path / f"{month}-out" / "findings.parquet").to_pylist()
        found[month] = [
            (r["mdtrt_id"], r["bkkp_sn"], r["vola_amt"]) for r in table if r["rule_id"] == DISCHARGE_DRUGS
        ]
    assert found["march"] == [(long, f"{long}-2", Decimal("39.00"))]  # 60.00 × 13 / 20
    assert found["april"] == []


IMPERSONATION = "YB20000204011000"  # 冒名就医（身份核验不符）


def test_a_failed_identity_check_exports_and_the_batch_finds_the_impersonation_not_its_twin(
    container: Container, world: World, tmp_path: Path
) -> None:
    """人证核验: the March stay's face check did not match the insured person, the April stay's did."""
    impostor = _settle_stay(container, world.worker, "2024-03-04", "1.50")
    twin = _settle_stay(container, world.worker, "2024-04-08", "1.50")
    for mdtrt_id, day, matched in ((impostor, "2024-03-04", False), (twin, "2024-04-08", True)):
        with container.uow(SYSTEM) as uow:
            settlement.record_identity_check(
                uow=uow, mdtrt_id=mdtrt_id, check_time=at(day, 10), method="1", matched=matched
            )
    found = {}
    for month, begin, end in (
        ("march", date(2024, 3, 1), date(2024, 3, 31)),
        ("april", date(2024, 4, 1), date(2024, 4, 30)),
    ):
        rows = _export(container, tmp_path / month, begin, end)
        assert rows["identity_check_d"] == 1
        with container.uow(SYSTEM) as uow:
            service.run_batch(
                uow=uow, data_dir=tmp_path / month, out_dir=tmp_path / f"{month}-out", day=date(2024, 3, 1)
            )
        table = pq.read_table(tmp_path / f"{month}-out" / "findings.parquet").to_pylist()
        found[month] = [r["mdtrt_id"] for r in table if r["rule_id"] == IMPERSONATION]
    check = pq.read_table(tmp_path / "march" / "identity_check_d.parquet").to_pylist()[0]
    assert (check["mdtrt_id"], check["check_time"], check["result"]) == (
        impostor,
        datetime(2024, 3, 4, 18, 0),
        0,
    )
    assert found == {"march": [impostor], "april": []}
