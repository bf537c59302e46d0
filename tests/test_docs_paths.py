"""The store paths the docs and the examples use agree (issue 15 item 10)."""

from __future__ import annotations

import re

import pytest
import yaml
from conftest import ROOT

CONVERT = re.compile(r"mmsim convert\s+(?P<src>\S+)(?:\s*\\\s*\n\s*|\s+)(?:\S+\s+)*?-o\s+(?P<out>\S+)")


def _example_headers() -> dict[str, tuple[str, str]]:
    """example file -> (source of its `mmsim convert` header line, the -o store)."""
    out = {}
    for p in sorted((ROOT / "examples").glob("*.yaml")):
        header = "\n".join(line[1:] for line in p.read_text().splitlines() if line.startswith("#"))
        m = CONVERT.search(header)
        if m:
            out[p.name] = (m["src"], m["out"])
    return out


def test_each_example_reads_the_store_its_header_writes():
    headers = _example_headers()
    assert len(headers) >= 8
    for name, (_, store) in headers.items():
        doc = yaml.safe_load((ROOT / "examples" / name).read_text())
        data = doc.get("data") or doc["base"]["data"]
        # Headers are run from the repository root; `data:` is read against examples/.
        assert (ROOT / "examples" / data).resolve() == (ROOT / store).resolve(), name
        assert store.startswith("stores/"), name


def test_the_docs_convert_into_the_stores_the_examples_read():
    by_source = {src: store for src, store in _example_headers().values()}
    seen = 0
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for m in CONVERT.finditer(page.read_text()):
            out = m["out"]
            if out in ("STORE", "OUT") or out.startswith(("$", "<")):
                continue  # a placeholder, not an example path
            seen += 1
            assert out.startswith("stores/"), f"{page.name}: mmsim convert ... -o {out}"
            if m["src"] in by_source:
                assert out == by_source[m["src"]], f"{page.name}: {m['src']} -> {out}"
    assert seen >= 5


_WRITES = re.compile(r"^(?:\$ )?mmsim (?:run|synth|convert) ", re.M)


def _sections(text: str) -> list[str]:
    """The page cut at its headings (#, ##, ###) outside code blocks."""
    out: list[list[str]] = [[]]
    fence = False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fence = not fence
        if not fence and re.match(r"#{1,3} ", line):
            out.append([])
        out[-1].append(line)
    return ["\n".join(s) for s in out]


def _runs_a_writer(section: str) -> bool:
    code = "\n".join(re.findall(r"```(?:bash|console|sh)\n(.*?)```", section, re.S))
    return bool(_WRITES.search(code))


@pytest.mark.parametrize("page", ["README.md", *sorted(p.name for p in (ROOT / "docs").glob("*.md"))])
def test_a_page_that_runs_a_writing_command_says_a_second_run_needs_force(page):
    """`mmsim run/synth/convert` into a fixed folder stops the second time (the message says --force): the page
    says so where it first runs one, and the README in every section that does (polish5 item 3)."""
    path = ROOT / page if page == "README.md" else ROOT / "docs" / page
    writers = [s for s in _sections(path.read_text()) if _runs_a_writer(s)]
    for s in writers if page == "README.md" else writers[:1]:
        assert "--force" in s, f"{page}: section {s.splitlines()[0]!r} runs a command that writes a fixed folder"
