"""`yibao interface`: credentials, the transaction table, the simulated HIS against a live server."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from tests.interface.helpers import issue
from tests.settlement.helpers import HOSPITAL, build_world
from tests.settlement.test_pharmacy import PHARMACY, add_pharmacy
from yibao.bootstrap import Container
from yibao.cli import app
from yibao.interface.models import Credential, Message
from yibao.settlement.models import Settlement, VisitProcedure

runner = CliRunner()


def test_credentials_create_list_revoke(cli_env: Container) -> None:
    build_world(cli_env)
    created = runner.invoke(app, ["interface", "credentials", "create", HOSPITAL])
    assert created.exit_code == 0, created.output
    assert "secret:" in created.output
    with cli_env.uow() as uow:
        row = uow.session.scalars(select(Credential)).one()
        assert row.sealed_secret not in created.output  # the secret is stored sealed
    listed = runner.invoke(app, ["interface", "credentials", "list"])
    assert row.access_key in listed.output and "secret" not in listed.output
    assert runner.invoke(app, ["interface", "credentials", "revoke", row.access_key]).exit_code == 0
    again = runner.invoke(app, ["interface", "credentials", "revoke", row.access_key])
    assert again.exit_code == 2 and "CREDENTIAL_REVOKED" in again.output
    bad = runner.invoke(app, ["interface", "credentials", "create", "H00000000000"])
    assert bad.exit_code == 2 and "INSTITUTION_NOT_FOUND" in bad.output


def test_spec_table_lists_every_transaction(cli_env: Container, tmp_path: Path) -> None:
    target = tmp_path / "table.md"
    result = runner.invoke(app, ["interface", "spec-table", "--output", str(target)])
    assert result.exit_code == 0, result.output
    text = target.read_text(encoding="utf-8")
    assert "| 2207 | 门诊结算 | 已实现 implemented |" in text
    assert "| 3101 | 明细审核事前分析服务 | 已实现 implemented |" in text
    assert text.count("\n") == 211 + 2


def test_his_sim_runs_both_flows_over_http(cli_env: Container, live_server: str) -> None:
    world = build_world(cli_env, account_fen=10_000)
    access_key, secret = issue(cli_env)
    args = ["interface", "his-sim", "--url", live_server, "--access-key", access_key, "--secret", secret]
    args += ["--fixmedins-code", HOSPITAL, "--psn-no", world.worker, "--day", "2024-03-01"]
    args += ["--end-day", "2024-03-04", "--line", "ZL001:300.00:3", "--line", "YP001:1.20:10", "--reverse"]
    result = runner.invoke(app, [*args, "--procedure", "36.0601"])
    assert result.exit_code == 0, result.output
    assert "2207" in result.output and "2305" in result.output
    with cli_env.uow() as uow:
        assert [p.code for p in uow.session.scalars(select(VisitProcedure))] == ["36.0601"]
        kinds = sorted(s.kind for s in uow.session.scalars(select(Settlement)))
        infnos = {m.infno for m in uow.session.scalars(select(Message))}
    assert kinds == ["reversal", "reversal", "settlement", "settlement"]
    assert {
        "9001",
        "1101",
        "2201",
        "2204",
        "2206",
        "2207",
        "2208",
        "2401",
        "2301",
        "2303",
        "2304",
        "2402",
        "2305",
    } <= infnos


def test_the_docs_table_is_the_generated_one(cli_env: Container, tmp_path: Path) -> None:
    target = tmp_path / "table.md"
    assert runner.invoke(app, ["interface", "spec-table", "--output", str(target)]).exit_code == 0
    docs = Path(__file__).resolve().parents[2] / "docs" / "interface.md"
    assert docs.read_text(encoding="utf-8").endswith(target.read_text(encoding="utf-8"))


def test_his_sim_runs_the_pharmacy_flow_over_http(cli_env: Container, live_server: str) -> None:
    world = build_world(cli_env, account_fen=10_000)
    add_pharmacy(cli_env)
    access_key, secret = issue(cli_env, PHARMACY)
    args = ["interface", "his-sim", "--url", live_server, "--access-key", access_key, "--secret", secret]
    args += [
        "--fixmedins-code",
        PHARMACY,
        "--psn-no",
        world.worker,
        "--day",
        "2024-03-01",
        "--flow",
        "pharmacy",
    ]
    args += ["--line", "YP001:1.20:10", "--rounds", "2", "--reverse"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "2102" in result.output and "2103" in result.output
    with cli_env.uow() as uow:
        kinds = sorted(s.kind for s in uow.session.scalars(select(Settlement)))
    assert kinds == ["reversal", "reversal", "settlement", "settlement"]
