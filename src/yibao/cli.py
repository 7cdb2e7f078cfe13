"""The `yibao` command: database, reference data, registries and the server."""

from __future__ import annotations

import typer
from rich.console import Console

from yibao.core.cli_support import refusals
from yibao.features import entry_modules

app = typer.Typer(help="yibao 医保核心平台命令行", no_args_is_help=True, pretty_exceptions_enable=False)
console = Console()


@app.command()
def migrate() -> None:
    """创建或升级数据库结构（Alembic 迁移）。Create or upgrade the database schema."""
    from yibao.bootstrap import bootstrap
    from yibao.schema import upgrade

    container = bootstrap()
    upgrade(container.engine)
    console.print(f"[green]数据库已升级[/green] {container.settings.database_url}")


@app.command()
def serve(
    host: str = typer.Option(None, help="监听地址（默认 127.0.0.1）"),
    port: int = typer.Option(None, help="端口（默认 8000）"),
    workers: int = typer.Option(None, min=1, max=64, help="服务进程数（默认 1；一般每个 CPU 核一个）"),
    setup: bool = typer.Option(True, help="启动前升级数据库、加载参考数据并创建初始管理员"),
) -> None:
    """启动 API 与管理台。Serve the REST API and the console."""
    from yibao.bootstrap import bootstrap
    from yibao.setup import prepare
    from yibao.web.app import create_app
    from yibao.web.server import serve as run_server

    container = bootstrap()
    if setup:
        with refusals():
            prepare(container, console=console)
    settings = container.settings
    host, port, workers = host or settings.host, port or settings.port, workers or settings.workers
    console.print(f"管理台：http://{host}:{port}/console  API 文档：/docs  服务进程：{workers}")
    if workers == 1:
        run_server(lambda: create_app(container), host=host, port=port)
        return
    container.engine.dispose()  # each worker opens its own connections after the fork
    run_server(_worker_app, host=host, port=port, workers=workers)


def _worker_app() -> object:
    """The application of one server process: its own container, its hot-path caches loaded."""
    from yibao.bootstrap import bootstrap
    from yibao.setup import warm_caches
    from yibao.web.app import create_app

    container = bootstrap()
    warm_caches(container)
    return create_app(container)


for _module in entry_modules("cli"):
    app.add_typer(_module.app, name=_module.NAME, help=_module.app.info.help)
    # An area may also offer extra command groups (`yibao drg …`) and top-level commands (`yibao demo`).
    for _name, _group in getattr(_module, "MORE_APPS", {}).items():
        app.add_typer(_group, name=_name, help=_group.info.help)
    for _command in getattr(_module, "TOP_LEVEL", []):
        app.command()(_command)


def main() -> None:
    """Entry point of the `yibao` console script."""
    app()
