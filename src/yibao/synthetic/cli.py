"""`yibao generate` and `yibao demo`: the synthetic region (模拟统筹区) and the main job."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from yibao.core.cli_support import refusals
from yibao.synthetic import service
from yibao.synthetic.knobs import DEFAULT_RATES

NAME = "synthetic"
app = typer.Typer(
    help="模拟统筹区：生成数据集、演示主流程 Synthetic region and the demo", no_args_is_help=True
)
console = Console()


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[note]}"),
        TimeElapsedColumn(),
        console=console,
    )


def generate(
    persons: int = typer.Option(20_000, "--persons", help="参保人数"),
    months: int = typer.Option(12, "--months", help="月数（从 2024-01 起）"),
    seed: int = typer.Option(1, "--seed", help="随机种子：同一种子生成相同的数据"),
    out: Path = typer.Option(Path("var/synthetic"), "--out", help="输出目录"),
    fmt: str = typer.Option("parquet", "--format", help="parquet 或 csv"),
    admdvs: str = typer.Option("439901", "--admdvs", help="统筹区编码（6位）"),
    visit_scale: float = typer.Option(1.0, "--visit-scale", help="就诊量倍数（1 = 常见就诊率）"),
    rate: list[str] = typer.Option(
        [], "--rate", help="违规注入比例 family=x，如 --rate split_admission=0.05（可重复）"
    ),
    outliers: int = typer.Option(
        0, "--outliers", help="费用快速增长的异常医院至少几家（provider_outlier，0 = 按比例）"
    ),
) -> None:
    """生成模拟统筹区数据集（WAREHOUSE 布局 + labels.parquet）。Generate a synthetic region data set."""
    with refusals():
        rates = service.parse_rates(rate)
        knobs = service.check(
            persons=persons,
            months=months,
            seed=seed,
            admdvs=admdvs,
            visit_scale=visit_scale,
            rates=rates,
            outliers=outliers,
        )
        service.check_format(fmt)
        out_dir = service.check_out(out)
        started = time.perf_counter()
        with _progress() as bar:
            task = bar.add_task("生成", total=None, note="")

            def tick(done: int, total: int, lines: int) -> None:
                bar.update(task, completed=done, total=total, note=f"{lines:,} 条明细")

            counts = service.generate(knobs=knobs, out=out_dir, fmt=fmt, progress=tick)
        seconds = time.perf_counter() - started
    lines = counts.rows["fee_list_d"]
    console.print(
        f"[green]已生成[/green] {out_dir}：{counts.rows['mdtrt_d']:,} 次就诊，{lines:,} 条明细，"
        f"{counts.rows['labels']:,} 条违规标注；用时 {seconds:.1f}s"
        f"（{lines / max(seconds, 1e-9) * 60:,.0f} 条/分钟）"
    )


# One option per abuse family, so `--rate-split-admission 0.05` works as the issue names it.
def _with_rate_options() -> None:
    import inspect

    signature = inspect.signature(generate)
    params = list(signature.parameters.values())
    for family in DEFAULT_RATES:
        params.append(
            inspect.Parameter(
                f"rate_{family}",
                inspect.Parameter.KEYWORD_ONLY,
                default=typer.Option(
                    None, f"--rate-{family.replace('_', '-')}", help=f"{family} 注入比例 0..1"
                ),
                annotation=float | None,
            )
        )
    original = generate

    def wrapper(**kwargs: object) -> None:
        extra = [
            f"{f}={kwargs.pop(f'rate_{f}')}" for f in DEFAULT_RATES if kwargs.get(f"rate_{f}") is not None
        ]
        for f in DEFAULT_RATES:
            kwargs.pop(f"rate_{f}", None)
        kwargs["rate"] = list(kwargs.get("rate") or []) + extra  # type: ignore[call-overload]
        original(**kwargs)  # type: ignore[arg-type]

    wrapper.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    wrapper.__name__ = "generate"
    wrapper.__doc__ = original.__doc__
    globals()["generate_command"] = wrapper


_with_rate_options()


def demo(
    persons: int = typer.Option(20_000, "--persons", help="参保人数"),
    months: int = typer.Option(12, "--months", help="月数（从 2024-01 起）"),
    seed: int = typer.Option(1, "--seed", help="随机种子"),
    db: str = typer.Option("sqlite:///var/demo.db", "--db", help="数据库 URL（演示会重建该库）"),
    out: Path = typer.Option(Path("var/demo"), "--out", help="数据集与报告目录"),
    visit_scale: float = typer.Option(
        service.DEMO_VISIT_SCALE, "--visit-scale", help="就诊量倍数（默认值使 2 核机器 5 分钟内完成）"
    ),
) -> None:
    """主流程演示：生成统筹区、参保登记、逐笔结算、监测，输出局长摘要与报告。Run the whole job."""
    with refusals():
        knobs = service.check(
            persons=persons, months=months, seed=seed, admdvs="439901", visit_scale=visit_scale, rates=None
        )
        out_dir = service.check_out(out)
        with _progress() as bar:
            tasks: dict[str, object] = {}

            def step(name: str, done: int, total: int, note: str = "") -> None:
                if name not in tasks:
                    tasks[name] = bar.add_task(name, total=total, note=note)
                bar.update(tasks[name], completed=done, total=total, note=note)  # type: ignore[arg-type]

            result = service.run_demo(knobs=knobs, db_url=db, out=out_dir, step=step)
    service.print_summary(result, console)


TOP_LEVEL = [globals()["generate_command"], demo]
