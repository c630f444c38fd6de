"""A ``RunResult`` rendered for people (Markdown, HTML) and for CI test views (JUnit XML)."""

from __future__ import annotations

import html
from xml.etree import ElementTree as ET

from ._engine import RunResult


def _summary(run: RunResult) -> list[tuple[str, str]]:
    return [("target", run.target),
            ("operations", f"{len(run.operations)}, failed: {len(run.failed)}"),
            ("examples per operation", str(run.max_examples)),
            ("seed", f"{run.seed} (rerun with --seed {run.seed})"),
            ("phases", ", ".join(run.phases)), ("mode", run.mode),
            ("checks", ", ".join(run.checks)), ("time", f"{run.elapsed:.1f}s")]


def _verdict(o) -> str:
    return "ok" if o.ok else "FAILED: " + ", ".join(sorted({f.title for f in o.findings}))


def markdown_report(run: RunResult) -> str:
    lines = ["# Cartwright conformance report", ""]
    lines += [f"- {k}: {v}" for k, v in _summary(run)]
    lines += ["", "| operation | operationId | cases | result |", "| --- | --- | ---: | --- |"]
    lines += [f"| `{o.operation}` | {o.operation_id} | {o.cases} | {_verdict(o)} |" for o in run.operations]
    if run.errors:
        lines += ["", "## Errors", ""] + [f"- {e}" for e in run.errors]
    if run.failed:
        lines += ["", "## Failures"]
        for o in run.failed:
            lines += ["", f"### `{o.operation}` ({o.operation_id})"]
            for f in o.findings:
                status = f" (HTTP {f.status})" if f.status is not None else ""
                lines += ["", f"**{f.title}** — check `{f.check}`, phase {f.phase or '-'}{status}", "", "```",
                          f.message, "```"]
                if f.curl:
                    lines += ["", "Reproduce:", "", "```sh", f.curl, "```"]
    return "\n".join(lines) + "\n"


def html_report(run: RunResult) -> str:
    e = html.escape
    rows = "".join(f"<tr class='{'ok' if o.ok else 'failed'}'><td><code>{e(o.operation)}</code></td>"
                   f"<td>{e(o.operation_id)}</td><td>{o.cases}</td><td>{e(_verdict(o))}</td></tr>"
                   for o in run.operations)
    failures = []
    for o in run.failed:
        items = "".join(
            f"<div class='finding'><h3>{e(f.title)}</h3><p>check <code>{e(f.check)}</code>, phase {e(f.phase or '-')}"
            f"{f', HTTP {f.status}' if f.status is not None else ''}</p><pre>{e(f.message)}</pre>"
            + (f"<p>Reproduce:</p><pre>{e(f.curl)}</pre>" if f.curl else "") + "</div>"
            for f in o.findings)
        failures.append(f"<section><h2><code>{e(o.operation)}</code> ({e(o.operation_id)})</h2>{items}</section>")
    errors = "".join(f"<li>{e(x)}</li>" for x in run.errors)
    summary = "".join(f"<li>{e(k)}: {e(v)}</li>" for k, v in _summary(run))
    verdict = "passed" if run.ok else "FAILED"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Cartwright conformance: {verdict}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;max-width:80em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:.3em .6em;text-align:left}}tr.failed td{{background:#fde8e8}}
tr.ok td:last-child{{color:#176917}}pre{{background:#f6f6f6;padding:.6em;overflow-x:auto;white-space:pre-wrap}}</style>
</head><body><h1>Cartwright conformance report: {verdict}</h1><ul>{summary}</ul>
{f'<h2>Errors</h2><ul>{errors}</ul>' if errors else ''}
<table><thead><tr><th>operation</th><th>operationId</th><th>cases</th><th>result</th></tr></thead>
<tbody>{rows}</tbody></table>
{'<h2>Failures</h2>' if failures else ''}{''.join(failures)}
</body></html>
"""


def junit_xml(run: RunResult) -> str:
    suite = ET.Element("testsuite", name="cartwright-conformance", tests=str(len(run.operations)),
                       failures=str(len(run.failed)), errors=str(len(run.errors)), skipped="0",
                       time=f"{run.elapsed:.3f}")
    for o in run.operations:
        tc = ET.SubElement(suite, "testcase", classname=o.operation_id or "operation", name=o.operation,
                           time=f"{o.elapsed:.3f}")
        for f in o.findings:
            el = ET.SubElement(tc, "failure", message=f"{f.title}: {f.message.splitlines()[0] if f.message else ''}",
                               type=f.check)
            el.text = f"{f.message}\n\nReproduce:\n{f.curl}" if f.curl else f.message
    for n, err in enumerate(run.errors):
        tc = ET.SubElement(suite, "testcase", classname="run", name=f"error {n + 1}", time="0")
        ET.SubElement(tc, "error", message=err.splitlines()[0]).text = err
    root = ET.Element("testsuites", tests=suite.get("tests"), failures=suite.get("failures"))
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
