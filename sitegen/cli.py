"""Command line: argument parsing, diagnostics and summary output, exit codes.

Exit status: 0 built (warnings allowed unless --strict); 1 built, but some input was
rejected; 2 nothing built and nothing imported (bad config, bad usage, unsafe output).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import traceback
from pathlib import Path
from typing import Sequence, TextIO

from .build import UnsafeOutput, build_site, import_only
from .config import SiteConfig, load_config
from .errors import ConfigError, Diagnostic
from .lock import LockBusy

EXIT_OK, EXIT_REJECTED, EXIT_NOTHING = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="PATH", help="site configuration (default: ./site.yaml)")
    common.add_argument("--output", metavar="DIR", help="output folder (default: public)")
    common.add_argument("--base-url", metavar="URL", help="absolute URL the site is served from")
    common.add_argument("--drafts", action="store_true", help="include pages with draft: true")
    common.add_argument("--strict", action="store_true", help="warnings fail the build (exit 1)")
    common.add_argument("--jobs", "-j", type=int, metavar="N",
                        help="processes for converting and rendering (default: all cores)")
    noise = common.add_mutually_exclusive_group()
    noise.add_argument("-q", "--quiet", action="store_true", help="print problems only")
    noise.add_argument("-v", "--verbose", action="store_true", help="print more detail")
    parser = argparse.ArgumentParser(
        prog="sitegen", parents=[common],
        description="Build a static news site from the seeds in seeds/ and the pages in content/.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    build = commands.add_parser("build", parents=[common],
                                help="import new seeds, then build the site (default)")
    build.add_argument("--timings", action="store_true",
                       help="also print the seconds each stage of the build took")
    commands.add_parser("import", parents=[common], help="import new seeds into content/ only")
    _live_parsers(commands, common)
    return parser


def _live_parsers(commands, common: argparse.ArgumentParser) -> None:
    """``serve`` and ``watch``: the live preview (sitegen.server, sitegen.watcher)."""
    watching = argparse.ArgumentParser(add_help=False)
    watching.add_argument("--poll", action="store_true",
                          help="poll for changes (network drives, containers, WSL)")
    serve = commands.add_parser("serve", parents=[common, watching],
                                help="build, serve with live reload, rebuild on changes")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
    commands.add_parser("watch", parents=[common, watching],
                        help="build, then rebuild on changes (no server)")


class _Printer:
    """Prints diagnostics (once each, to stderr) and summaries (to stdout)."""

    def __init__(self, quiet: bool, verbose: bool, out: TextIO, err: TextIO):
        self.quiet, self.verbose, self.out, self.err = quiet, verbose, out, err

    def problems(self, diagnostics: Sequence[Diagnostic]) -> None:
        for diagnostic in diagnostics:
            print(diagnostic.format(), file=self.err)

    def say(self, text: str) -> None:
        if not self.quiet:
            print(text, file=self.out)

    def detail(self, text: str) -> None:
        if self.verbose:
            print(text, file=self.out)


def _status(diagnostics: Sequence[Diagnostic], strict: bool) -> int:
    failing = [d for d in diagnostics if d.level == "error" or (strict and d.level == "warning")]
    return EXIT_REJECTED if failing else EXIT_OK


def _count(diagnostics: Sequence[Diagnostic]) -> str:
    errors = sum(d.level == "error" for d in diagnostics)
    warnings = len(diagnostics) - errors
    return f"{warnings} warning{'s' * (warnings != 1)}, {errors} error{'s' * (errors != 1)}"


def _import(config: SiteConfig, args: argparse.Namespace, printer: _Printer) -> int:
    result = import_only(config, jobs=args.jobs)
    printer.problems(result.diagnostics)
    for path in result.created:
        printer.detail(f"  new      {path}")
    for path in result.updated:
        printer.detail(f"  updated  {path}")
    printer.say(f"Imported {len(result.created)} new and {len(result.updated)} updated "
                f"page(s); {_count(result.diagnostics)}.")
    return _status(result.diagnostics, args.strict)


def _build(config: SiteConfig, args: argparse.Namespace, printer: _Printer) -> int:
    result = build_site(config, jobs=args.jobs)
    printer.problems(result.diagnostics)
    if not result.built:
        printer.say("Build failed; the previous site was left in place.")
        return EXIT_REJECTED
    rows = [("Pages", result.pages), ("Articles", result.articles), ("Topics", result.topics),
            ("Sources", result.sources), ("Feeds", result.feeds),
            ("New from seeds", result.imported), ("Rendered", result.rendered),
            ("Files written", result.written),
            ("Warnings", sum(d.level == "warning" for d in result.diagnostics)),
            ("Errors", sum(d.level == "error" for d in result.diagnostics))]
    printer.say("\n".join(f"  {name:<15}| {value:>6}" for name, value in rows))
    printer.say(f"Built {config.output_dir} in {result.seconds * 1000:.0f} ms")
    if getattr(args, "timings", False):
        printer.say("\n".join(["  Stage              | seconds"] + [
            f"  {stage:<19}| {seconds:>7.3f}" for stage, seconds in result.stages]))
    return _status(result.diagnostics, args.strict)


def _live(config: SiteConfig, args: argparse.Namespace, printer: _Printer) -> int:
    """``serve`` / ``watch``: build, then rebuild on every change until Ctrl-C or SIGTERM."""
    import threading

    from .build import check_output
    from .server import DevServer
    from .watcher import ConfigSource, Outcome, Rebuilder, SiteWatcher, watch_and_build

    check_output(config)
    source = ConfigSource(Path(args.config) if args.config else None,
                          output=str(Path(args.output).resolve()) if args.output else None,
                          base_url=args.base_url, drafts=args.drafts)
    rebuilder = Rebuilder(source, config)

    def say(text: str) -> None:  # flushed: a long-running command's output is often piped
        printer.say(text)
        printer.out.flush()

    def report(outcome: Outcome) -> None:
        printer.problems(outcome.diagnostics)
        result = outcome.result
        if result is None:
            say("Nothing built; the previous site is still served. Fix the problem above "
                "and save.")
        elif not result.built:
            say("Build failed; the previous site was left in place.")
        else:
            say(f"Built {result.pages} pages ({len(result.changed)} files changed) in "
                f"{result.seconds * 1000:.0f} ms; {_count(result.diagnostics)}.")

    options = {"poll": args.poll}
    if args.command == "serve":
        server = DevServer(rebuilder, host=args.host, port=args.port, watcher_options=options,
                           on_outcome=report, say=say, log_requests=args.verbose)
        try:
            server.bind()
        except OSError as exc:
            print(f"sitegen: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}",
                  file=printer.err)
            return EXIT_NOTHING
        server.run()
        return EXIT_OK
    stop = threading.Event()

    def terminate(signum, frame):
        raise KeyboardInterrupt

    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, terminate) if main_thread else None
    watcher = SiteWatcher.for_site(config, **options).start()  # before the build: no edit missed
    try:
        report(rebuilder.rebuild())
        say(f"Watching {config.root} for changes (Ctrl-C to stop).")
        watch_and_build(rebuilder, watcher, report, stop)
    except KeyboardInterrupt:
        say("Stopped watching.")
    finally:
        watcher.stop()
        if main_thread:
            signal.signal(signal.SIGTERM, previous)
    return EXIT_OK


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout,
         err: TextIO = sys.stderr) -> int:
    """Run sitegen; returns the exit status."""
    args = _parser().parse_args(argv)
    printer = _Printer(args.quiet, args.verbose, out, err)
    if args.verbose:   # e.g. the search index's timing
        logging.basicConfig(level=logging.INFO, format="  %(message)s", stream=out, force=True)
    try:
        output = str(Path(args.output).resolve()) if args.output else None  # as the shell means it
        config = load_config(Path(args.config) if args.config else None, output=output,
                             base_url=args.base_url, drafts=args.drafts)
        command = {"import": _import, "serve": _live, "watch": _live}.get(args.command, _build)
        if command is not _live:   # a polite kill stops like Ctrl-C: workers joined, staging removed
            signal.signal(signal.SIGTERM, _interrupt)
        return command(config, args, printer)
    except ConfigError as exc:
        printer.problems(exc.diagnostics)
        print(f"Nothing built: fix the configuration ({_count(exc.diagnostics)}).", file=err)
        return EXIT_NOTHING
    except LockBusy as exc:
        print(f"sitegen: {exc}; nothing imported or built.\n    hint: {exc.hint}", file=err)
        return EXIT_NOTHING
    except UnsafeOutput as exc:
        printer.problems([exc.diagnostic])
        print("Nothing imported or built.", file=err)
        return EXIT_NOTHING
    except KeyboardInterrupt:
        print("Interrupted; the previous site was left in place.", file=err)
        return 130
    except Exception as exc:  # a bug in sitegen, not bad input: say so plainly
        if args.verbose:
            traceback.print_exc(file=err)
        print(f"sitegen: internal error: {type(exc).__name__}: {exc} "
              "(please report it; -v shows the traceback)", file=err)
        return EXIT_NOTHING
