"""A ``RunResult`` rendered for people (Markdown, HTML) and for CI test views (JUnit XML).

Each lists every operation with its answers by status code and its count of 2xx answers (a run where every
answer was 401 reads as such), says what was *not run* and why (an operation the options kept out, a phase or
flow check that could not run: never counted as passed; JUnit gets a skipped test case for each), and what the
run changed and could not undo ("Left behind").
"""

from __future__ import annotations

import html
from xml.etree import ElementTree as ET

from ._engine import RunResult, histogram


def _summary(run: RunResult) -> list[tuple[str, str]]:
    total = run.statuses
    successes = sum(n for code, n in total.items() if 200 <= code < 300)
    return [("target", run.target),
            ("verdict", "passed" if run.ok else "FAILED"),
            ("operations", f"{len(run.operations)}: {len(run.passed)} passed, {len(run.failed)} failed, "
                           f"{len(run.skipped)} not run"),
            ("answers", f"{sum(total.values())}, of which 2xx: {successes} ({histogram(total)})"),
            ("examples per operation", str(run.max_examples)),
            ("seed", f"{run.seed} (rerun with --seed {run.seed})"),
            ("phases", ", ".join(run.phases)), ("mode", run.mode),
            ("checks", ", ".join(run.checks)), ("time", f"{run.elapsed:.1f}s")]


def _verdict(o) -> str:
    if o.findings:
        return "FAILED: " + ", ".join(sorted({f.title for f in o.findings}))
    return "ok" if o.ran else f"not run: {o.not_run}"


def _successes(o) -> int:
    return o.successes


def markdown_report(run: RunResult) -> str:
    lines = ["# Cartwright conformance report", ""]
    lines += [f"- {k}: {v}" for k, v in _summary(run)]
    lines += ["", "| operation | operationId | cases | answers | 2xx | result |", "| --- | --- | ---: | --- | ---: | --- |"]
    lines += [f"| `{o.operation}` | {o.operation_id} | {o.cases} | {histogram(o.statuses)} | {_successes(o)} | "
              f"{_verdict(o)} |" for o in run.operations]
    if run.errors:
        lines += ["", "## Errors", ""] + [f"- {e}" for e in run.errors]
    if run.not_run or run.skipped:
        lines += ["", "## Not run", "", "Not tested, so neither passed nor failed:", ""]
        lines += [f"- {o.operation_id}: {o.not_run}" for o in run.skipped]
        lines += [f"- {what}: {why}" for what, why in run.not_run]
    notes = [(o, n) for o in run.operations for n in o.notes]
    if notes:
        lines += ["", "## Notes", ""] + [f"- {o.operation_id}: {n}" for o, n in notes]
    if run.leftovers:
        lines += ["", "## Left behind", "", "What the run changed and could not undo:", ""]
        lines += [f"- {x}" for x in run.leftovers]
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

    def row(o) -> str:
        css = "failed" if o.findings else ("ok" if o.ran else "notrun")
        return (f"<tr class='{css}'><td><code>{e(o.operation)}</code></td><td>{e(o.operation_id)}</td>"
                f"<td>{o.cases}</td><td>{e(histogram(o.statuses))}</td><td>{_successes(o)}</td>"
                f"<td>{e(_verdict(o))}</td></tr>")

    rows = "".join(row(o) for o in run.operations)
    failures = []
    for o in run.failed:
        items = "".join(
            f"<div class='finding'><h3>{e(f.title)}</h3><p>check <code>{e(f.check)}</code>, phase {e(f.phase or '-')}"
            f"{f', HTTP {f.status}' if f.status is not None else ''}</p><pre>{e(f.message)}</pre>"
            + (f"<p>Reproduce:</p><pre>{e(f.curl)}</pre>" if f.curl else "") + "</div>"
            for f in o.findings)
        failures.append(f"<section><h2><code>{e(o.operation)}</code> ({e(o.operation_id)})</h2>{items}</section>")

    def listing(title: str, entries: list[str], lead: str = "") -> str:
        if not entries:
            return ""
        return f"<h2>{e(title)}</h2>{f'<p>{e(lead)}</p>' if lead else ''}<ul>" + "".join(
            f"<li>{e(x)}</li>" for x in entries) + "</ul>"

    not_run = [f"{o.operation_id}: {o.not_run}" for o in run.skipped] + [f"{w}: {y}" for w, y in run.not_run]
    notes = [f"{o.operation_id}: {n}" for o in run.operations for n in o.notes]
    summary = "".join(f"<li>{e(k)}: {e(v)}</li>" for k, v in _summary(run))
    verdict = "passed" if run.ok else "FAILED"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Cartwright conformance: {verdict}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;max-width:80em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:.3em .6em;text-align:left}}tr.failed td{{background:#fde8e8}}
tr.notrun td{{background:#f3f3f3;color:#555}}
tr.ok td:last-child{{color:#176917}}pre{{background:#f6f6f6;padding:.6em;overflow-x:auto;white-space:pre-wrap}}</style>
</head><body><h1>Cartwright conformance report: {verdict}</h1><ul>{summary}</ul>
{listing("Errors", run.errors)}
<table><thead><tr><th>operation</th><th>operationId</th><th>cases</th><th>answers by status</th><th>2xx</th>
<th>result</th></tr></thead>
<tbody>{rows}</tbody></table>
{listing("Not run", not_run, "Not tested, so neither passed nor failed.")}
{listing("Notes", notes)}
{listing("Left behind", run.leftovers, "What the run changed and could not undo.")}
{'<h2>Failures</h2>' if failures else ''}{''.join(failures)}
</body></html>
"""


def junit_xml(run: RunResult) -> str:
    skipped = len(run.skipped) + len(run.not_run)
    tests, failures = str(len(run.operations) + len(run.not_run)), str(len(run.failed))
    suite = ET.Element("testsuite", name="cartwright-conformance", tests=tests, failures=failures,
                       errors=str(len(run.errors)), skipped=str(skipped), time=f"{run.elapsed:.3f}")
    for o in run.operations:
        tc = ET.SubElement(suite, "testcase", classname=o.operation_id or "operation", name=o.operation,
                           time=f"{o.elapsed:.3f}")
        if not o.ran and not o.findings:
            ET.SubElement(tc, "skipped", message=f"not run: {o.not_run}")
        for f in o.findings:
            el = ET.SubElement(tc, "failure", message=f"{f.title}: {f.message.splitlines()[0] if f.message else ''}",
                               type=f.check)
            el.text = f"{f.message}\n\nReproduce:\n{f.curl}" if f.curl else f.message
        ET.SubElement(tc, "system-out").text = (f"answers by status: {histogram(o.statuses)}; 2xx: {o.successes}"
                                                + "".join(f"\nnote: {n}" for n in o.notes))
    for what, why in run.not_run:
        tc = ET.SubElement(suite, "testcase", classname="not run", name=what, time="0")
        ET.SubElement(tc, "skipped", message=f"not run: {why}")
    for n, err in enumerate(run.errors):
        tc = ET.SubElement(suite, "testcase", classname="run", name=f"error {n + 1}", time="0")
        ET.SubElement(tc, "error", message=err.splitlines()[0]).text = err
    root = ET.Element("testsuites", tests=tests, failures=failures)
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
