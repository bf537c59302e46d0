"""The store paths the docs and the examples use agree (issue 15 item 10)."""

from __future__ import annotations

import re

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
