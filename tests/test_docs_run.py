"""Every code block in README.md and docs/*.md runs (issue 15 item 9).

Each page's fenced blocks run in page order in a scratch copy of the
repository's ``examples/`` and ``strategies/``, with ``../shared/data`` beside
it (a link to the real data) and ``mmsim`` on PATH:

- ``python``: the block as a script in a fresh interpreter;
- ``bash``/``sh``: every command line (``\\`` continues a line), each must exit 0;
- ``console``: the ``$ `` lines the same way (the rest is the output shown);
- ``yaml``: parsed, and read as what it is: with ``<!-- file: PATH -->`` before it,
  it must equal that file; else a run config (or a fragment of one) or a sweep grid,
  checked by mmsim's own loader;
- ``toml``: parsed;
- ``text``: output, formulas and synopses: not code, not run.

A block that is deliberately not runnable has a visible marker just before its
fence, ``<!-- not run: the reason -->``; the test lists them, so their count is
in every CI log. A fence without an info string is an error (say what it is).
A page whose blocks read ``../shared/data`` is skipped, with the reason, where
that data is absent. Pages run two at a time (each in its own scratch copy, its
blocks in page order); each page's test reports its own page.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, SHARED_DATA

import mmsim

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
RUNNABLE = {"python", "bash", "sh", "console", "yaml", "toml"}
KNOWN = RUNNABLE | {"text"}
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>```+|~~~+)(?P<info>[^\n`]*)$")
NOT_RUN = re.compile(r"<!--\s*not run:\s*(?P<why>.+?)\s*-->")
FILE = re.compile(r"<!--\s*file:\s*(?P<path>\S+)\s*-->")
TIMEOUT_S = 300


@dataclass
class Block:
    page: Path
    line: int  # of the opening fence, 1-based
    lang: str
    text: str
    not_run: str | None
    file: str | None

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def blocks(page: Path) -> list[Block]:
    """The fenced blocks of a page, with the marker comment just before each (if any)."""
    lines = page.read_text(encoding="utf-8").splitlines()
    out: list[Block] = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, indent = m["fence"], len(m["indent"])
        j = i + 1
        while j < len(lines) and not lines[j].strip().startswith(fence):
            j += 1
        body = "\n".join(line[indent:] if line[:indent].strip() == "" else line for line in lines[i + 1:j])
        k = i - 1
        while k >= 0 and not lines[k].strip():
            k -= 1
        before = lines[k] if k >= 0 else ""
        nr, fm = NOT_RUN.search(before), FILE.search(before)
        out.append(Block(page, i + 1, m["info"].strip().split(" ")[0].lower(), body + "\n",
                         nr["why"] if nr else None, fm["path"] if fm else None))
        i = j + 1
    return out


ALL = [b for p in PAGES for b in blocks(p)]


def test_every_fence_says_what_it_holds():
    untagged = [b.where for b in ALL if b.lang not in KNOWN]
    assert not untagged, f"fences without a known info string ({', '.join(sorted(KNOWN))}): {untagged}"


def test_the_blocks_that_do_not_run_are_few_and_say_why(capsys):
    skipped = [b for b in ALL if b.not_run]
    with capsys.disabled():
        print(f"\ndoc blocks: {len(ALL)} in {len(PAGES)} pages; "
              f"{sum(b.lang in RUNNABLE and not b.not_run for b in ALL)} run or checked, "
              f"{sum(b.lang == 'text' for b in ALL)} text, {len(skipped)} marked not run:")
        for b in skipped:
            print(f"  {b.where} [{b.lang}] not run: {b.not_run}")
    assert all(b.lang in RUNNABLE for b in skipped), "only code is marked not run"
    assert len(skipped) <= 12


def _commands(b: Block) -> list[str]:
    cmds: list[str] = []
    pending = ""
    for raw in b.text.splitlines():
        line = raw.rstrip()
        if b.lang == "console":
            if not pending:
                if not line.startswith("$ "):
                    continue  # output
                line = line[2:]
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        cmds.append(pending + line)
        pending = ""
    return cmds


def _scratch(tmp: Path) -> Path:
    """A scratch checkout: examples/ and strategies/ copied, ../shared/data linked to the real data."""
    repo = tmp / "checkout"
    repo.mkdir()
    for d in ("examples", "strategies"):
        shutil.copytree(ROOT / d, repo / d, ignore=shutil.ignore_patterns("__pycache__"))
    (tmp / "shared").mkdir()
    if SHARED_DATA.exists():
        (tmp / "shared" / "data").symlink_to(SHARED_DATA.resolve())
    return repo


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["COLUMNS"] = "100"
    env["MPLBACKEND"] = "Agg"
    return env


def _check_yaml(b: Block, repo: Path) -> None:
    doc = yaml.safe_load(b.text)
    if b.file is not None:
        assert doc == yaml.safe_load((repo / b.file).read_text()), f"{b.where}: differs from {b.file}"
        return
    assert isinstance(doc, dict), f"{b.where}: a YAML block is a mapping"
    from mmsim.sweep import parse_grid

    if {"base", "base_config", "axes", "points"} & set(doc):
        parse_grid(doc, base_dir=repo / "examples")
        return
    run = dict(doc)
    run.setdefault("strategy", {"path": "strategies/fixed_spread.py:FixedSpread"})  # a fragment of a run config
    mmsim.RunConfig.from_dict(run)


def _run(b: Block, repo: Path) -> None:
    if b.lang == "yaml":
        _check_yaml(b, repo)
        return
    if b.lang == "toml":
        tomllib = pytest.importorskip("tomllib", reason="tomllib is Python >= 3.11")
        tomllib.loads(b.text)
        return
    if b.lang == "python":
        script = repo / f"_block_{b.line}.py"
        script.write_text(b.text)
        todo = [shlex.join([sys.executable, script.name])]
    else:
        todo = _commands(b)
    for cmd in todo:
        proc = subprocess.run(cmd, shell=True, executable="/bin/bash", cwd=repo, env=_env(), capture_output=True,
                              text=True, timeout=TIMEOUT_S)
        assert proc.returncode == 0, (f"{b.where} [{b.lang}]: `{cmd}` exited {proc.returncode}\n"
                                      f"--- stdout\n{proc.stdout[-3000:]}\n--- stderr\n{proc.stderr[-3000:]}")


#: Pages with a block to run (the others hold prose, tables and text blocks only).
RUN_PAGES = [p for p in PAGES if any(b.lang in RUNNABLE and not b.not_run for b in blocks(p))]


def _run_page(page: Path, tmp: Path) -> None:
    todo = [b for b in blocks(page) if b.lang in RUNNABLE and not b.not_run]
    repo = _scratch(tmp)
    for i, b in enumerate(todo):
        if not SHARED_DATA.exists() and "../shared/data" in b.text:
            # What comes after may use what this block makes: the page stops here.
            pytest.skip(f"{page.name}: {i} of {len(todo)} blocks ran; {b.where} reads ../shared/data, not found "
                        f"at {SHARED_DATA}")
        _run(b, repo)


#: Pages run two at a time: a page's blocks run in order, one after the other, in its own scratch
#: checkout, so pages share nothing but the numba cache (written atomically, as by a sweep's workers).
#: Most of a page's time is one single-threaded child process; two pages keep both CI cores busy.
PAGE_WORKERS = 2


def _cost(page: Path) -> int:
    """Commands a page runs: the longest pages start first."""
    return sum(len(_commands(b)) if b.lang not in ("python", "yaml", "toml") else b.lang == "python"
               for b in blocks(page) if b.lang in RUNNABLE and not b.not_run)


@pytest.fixture(scope="module")
def page_runs(request, tmp_path_factory):
    """Each selected page's run, started at the first page's test: ``{page: Future}``; ``None`` in a pytest-xdist
    worker, where each page's test runs its page itself (the worker runs only the pages xdist sends it, and the
    workers already keep the cores busy).

    A failure or a skip is raised again, unchanged, by the page's own test (``Future.result``).
    """
    if hasattr(request.config, "workerinput"):
        yield None
        return
    selected = {item.callspec.params["page"] for item in request.session.items
                if getattr(item, "originalname", None) == "test_page_code_runs"}
    pool = ThreadPoolExecutor(max_workers=PAGE_WORKERS, thread_name_prefix="docs-page")
    futures = {page: pool.submit(_run_page, page, tmp_path_factory.mktemp(page.stem))
               for page in sorted(selected, key=_cost, reverse=True)}
    yield futures
    pool.shutdown(wait=True, cancel_futures=True)


@pytest.mark.parametrize("page", RUN_PAGES, ids=[p.name for p in RUN_PAGES])
def test_page_code_runs(page, page_runs, tmp_path):
    if page_runs is None:
        _run_page(page, tmp_path)
    else:
        page_runs[page].result()


# ----------------------------------------------------------------------------- files the docs name


REFERENCE = re.compile(r"(?<![\w./-])(?:\.\./)?((?:docs|examples|strategies|bench|tests|tools|cpp|rust)/"
                       r"[\w./-]*[\w-])")


def _references() -> list[tuple[str, str]]:
    sources = PAGES + sorted((ROOT / "src" / "mmsim").rglob("*.py")) + sorted((ROOT / "strategies").glob("*.py")) \
        + sorted((ROOT / "examples").glob("*.yaml")) + sorted((ROOT / "bench").glob("*.py")) \
        + sorted((ROOT / "tests").glob("*.py")) + [ROOT / "CHANGELOG.md"]
    out = []
    for src in sources:
        for n, line in enumerate(src.read_text(encoding="utf-8").splitlines(), 1):
            for m in REFERENCE.finditer(line):
                out.append((f"{src.relative_to(ROOT)}:{n}", m.group(1)))
    return out


def test_every_file_the_docs_and_code_name_exists():
    refs = _references()
    assert len(refs) > 100
    missing = []
    for where, ref in refs:
        path = ref.rstrip(".")
        if any(ch in path for ch in "*<>") or path.endswith("/"):
            continue
        target = ROOT / path
        if not (target.exists() or Path(str(target).rstrip(":")).exists()):
            missing.append(f"{where}: {path}")
    assert not missing, "files named but absent:\n" + "\n".join(missing)


LINK = re.compile(r"\]\((?P<target>[^)\s#]+)(?:#[^)\s]*)?\)")


def test_every_relative_link_of_the_docs_resolves():
    seen, broken = 0, []
    for page in PAGES:
        for n, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
            for m in LINK.finditer(line):
                target = m["target"]
                if re.match(r"^[a-z]+:", target):  # http:, https:, mailto:
                    continue
                seen += 1
                if not (page.parent / target).exists():
                    broken.append(f"{page.relative_to(ROOT)}:{n}: {target}")
    assert seen > 20
    assert not broken, "links to nothing:\n" + "\n".join(broken)
