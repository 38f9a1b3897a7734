"""Sphinx extension: requirement boxes (``.. req::``) and the traceability matrix (``.. trace-matrix::``).

A requirement is written once, in docs/spec/requirements/*.rst::

    .. req:: IslDsgn~alive-count~1
       :title: Alive indications are counted per reference cycle
       :covers: IslProd~alive-supervision~1
       :needs: test
       :code: island-firmware/src/Stratos.Island.Firmware/Supervision/SupervisedEntity.cs::SupervisedEntity
       :rationale: Why the requirement exists.
       :comments: Anything else (optional).

       Description: the island shall ...

The trace tool (tools/src/Stratos.Island.Trace) reads the same files, the [Verifies] attributes of
the compiled test assemblies and the TRX results of the run, checks the trace and writes
trace.json; this extension only renders: each box shows who covers the requirement and which
tests verify it with their last result, and ``.. trace-matrix::`` renders the whole matrix. A
missing trace.json is a warning (so a -W build fails): run the trace tool first (./test.sh does).
"""
import json
import os
import re

from docutils import nodes
from docutils.parsers.rst import Directive, directives
from docutils.statemachine import StringList
from sphinx.util import logging

logger = logging.getLogger(__name__)

ID_PATTERN = re.compile(r"^(IslMkt|IslProd|IslDsgn)~([a-z0-9-]+)~([0-9]+)$")
TIER_NAMES = {"IslMkt": "Market requirement", "IslProd": "Product requirement", "IslDsgn": "Design requirement"}
REPO_URL_PREFIX = ""  # code paths are shown repository-relative


def anchor(req_id):
    """HTML anchor of a requirement: IslDsgn~alive-count~1 -> isldsgn-alive-count."""
    m = ID_PATTERN.match(req_id)
    return (m.group(1) + "-" + m.group(2)).lower() if m else nodes.make_id(req_id)


def load_trace(app):
    env = app.env
    if getattr(env, "stratos_trace", None) is not None:
        return env.stratos_trace
    path = os.path.abspath(os.path.join(app.srcdir, app.config.requirements_trace_json))
    if not os.path.exists(path):
        logger.warning("requirements: %s not found; run the trace tool first (./test.sh does)" % path)
        env.stratos_trace = {}
        return env.stratos_trace
    with open(path, encoding="utf-8") as f:
        env.stratos_trace = json.load(f)
    return env.stratos_trace


def outcome_node(outcome):
    css = {"Passed": "trace-passed", "Failed": "trace-failed"}.get(outcome, "trace-notrun")
    return nodes.inline(text=outcome, classes=[css])


def req_ref(req_id, docname_of, fromdoc, builder):
    """A reference node to a requirement box (by its anchor), or plain text if unknown."""
    base = req_id.rsplit("~", 1)[0]
    target = docname_of.get(base)
    if target is None:
        return nodes.literal(text=req_id)
    ref = nodes.reference("", "", internal=True)
    ref["refuri"] = builder.get_relative_uri(fromdoc, target) + "#" + anchor(req_id)
    ref += nodes.literal(text=req_id)
    return ref


class pending_req_links(nodes.General, nodes.Element):
    """Placeholder for Covers / Covered by / Verified by, resolved once every document is read."""


class req_role_node(nodes.Inline, nodes.Element):
    """A :req:`IslDsgn~name~rev` reference in prose, resolved to a link to the requirement's box."""


def req_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    tag = text.strip()
    if not ID_PATTERN.match(tag):
        msg = inliner.reporter.error("'%s' is not a requirement tag (Tier~name~revision)" % tag, line=lineno)
        return [inliner.problematic(rawtext, rawtext, msg)], [msg]
    return [req_role_node(req_id=tag)], []


class ReqDirective(Directive):
    required_arguments = 1
    has_content = True
    option_spec = {
        "title": directives.unchanged_required,
        "covers": directives.unchanged,
        "needs": directives.unchanged,
        "code": directives.unchanged,
        "rationale": directives.unchanged,
        "comments": directives.unchanged,
    }

    def run(self):
        env = self.state.document.settings.env
        req_id = self.arguments[0].strip()
        m = ID_PATTERN.match(req_id)
        if not m:
            raise self.error("requirement id '%s' does not match Tier~name~revision (tiers IslMkt, IslProd, IslDsgn)" % req_id)
        base = req_id.rsplit("~", 1)[0]
        reqs = env.domaindata.setdefault("stratos_reqs", {})
        if base in reqs and reqs[base]["docname"] != env.docname:
            raise self.error("requirement %s is defined twice (also in %s)" % (base, reqs[base]["docname"]))
        reqs[base] = {"id": req_id, "docname": env.docname, "title": self.options.get("title", "")}

        box = nodes.container(classes=["requirement"], ids=[anchor(req_id)])
        head = nodes.paragraph(classes=["req-title"])
        head += nodes.literal(text=req_id)
        head += nodes.Text("  " + self.options.get("title", ""))
        box += head

        fields = nodes.field_list()

        def add_field(name, body_nodes):
            field = nodes.field()
            field += nodes.field_name(text=name)
            body = nodes.field_body()
            body.extend(body_nodes)
            field += body
            fields.append(field)

        description = nodes.container()
        self.state.nested_parse(self.content, self.content_offset, description)
        add_field("Description", description.children)
        for key, name in (("rationale", "Rationale"), ("comments", "Comments")):
            if self.options.get(key):
                para = nodes.container()
                self.state.nested_parse(StringList(self.options[key].split("\n"), source=self.state.document.current_source), self.content_offset, para)
                add_field(name, para.children)
        add_field("Needs", [nodes.paragraph(text=self.options.get("needs", "-") or "-")])
        if self.options.get("code"):
            items = nodes.bullet_list()
            for entry in self.options["code"].split():
                item = nodes.list_item()
                item += nodes.paragraph("", "", nodes.literal(text=entry))
                items += item
            add_field("Implemented by", [items])
        # Covers / Covered by / Verified by: resolved once every document is read (resolve_links).
        fields += pending_req_links(req_id=req_id, covers=self.options.get("covers", "").split())
        box += fields
        return [box]


def test_list(tests):
    items = nodes.bullet_list()
    for t in tests:
        item = nodes.list_item()
        para = nodes.paragraph()
        para += nodes.literal(text=t["test"])
        para += nodes.Text(" (%s) " % t["project"])
        para += outcome_node(t["outcome"])
        item += para
        items += item
    return items


def resolve_links(app, doctree, fromdoc):
    trace = load_trace(app)
    by_id = {r["id"].rsplit("~", 1)[0]: r for r in trace.get("requirements", [])}
    docname_of = {k: v["docname"] for k, v in app.env.domaindata.get("stratos_reqs", {}).items()}
    for node in doctree.traverse(pending_req_links):
        req_id = node["req_id"]
        base = req_id.rsplit("~", 1)[0]
        fields = nodes.field_list()

        def add(name, content):
            f = nodes.field()
            f += nodes.field_name(text=name)
            b = nodes.field_body()
            b += content
            f += b
            fields.append(f)

        def refs(ids):
            para = nodes.paragraph()
            for i, other in enumerate(ids):
                if i:
                    para += nodes.Text(", ")
                para += req_ref(other, docname_of, fromdoc, app.builder)
            if not ids:
                para += nodes.Text("-")
            return para

        add("Covers", refs(node["covers"]))
        info = by_id.get(base)
        if info is not None:
            if not req_id.startswith("IslDsgn"):
                add("Covered by", refs(info.get("coveredBy", [])))
            tests = info.get("tests", [])
            add("Verified by", test_list(tests) if tests else nodes.paragraph(text="-"))
        node.replace_self(fields.children)

    reqs = app.env.domaindata.get("stratos_reqs", {})
    for node in doctree.traverse(req_role_node):
        tag = node["req_id"]
        known = reqs.get(tag.rsplit("~", 1)[0])
        if known is None:
            logger.warning("requirements: %s names unknown requirement %s" % (fromdoc, tag))
        elif known["id"] != tag:
            logger.warning("requirements: %s names %s, but the requirement is at %s" % (fromdoc, tag, known["id"]))
        node.replace_self(req_ref(tag, docname_of, fromdoc, app.builder))

    for node in doctree.traverse(trace_matrix_node):
        node.replace_self(render_matrix(app, trace, docname_of, fromdoc))


class trace_matrix_node(nodes.General, nodes.Element):
    pass


class TraceMatrixDirective(Directive):
    has_content = False

    def run(self):
        return [trace_matrix_node()]


def table(headers, rows, widths, classes=("trace", "colwidths-given")):
    t = nodes.table(classes=list(classes))
    group = nodes.tgroup(cols=len(headers))
    t += group
    for w in widths:
        group += nodes.colspec(colwidth=w)
    head = nodes.thead()
    row = nodes.row()
    for h in headers:
        entry = nodes.entry()
        entry += nodes.paragraph(text=h)
        row += entry
    head += row
    group += head
    body = nodes.tbody()
    for cells in rows:
        row = nodes.row()
        for cell in cells:
            entry = nodes.entry()
            if isinstance(cell, nodes.Node):
                entry += cell
            else:
                entry += nodes.paragraph(text=str(cell))
            row += entry
        body += row
    group += body
    return t


def render_matrix(app, trace, docname_of, fromdoc):
    out = []
    if not trace:
        out.append(nodes.paragraph(text="The trace tool has not run: no matrix."))
        return out
    summary = trace.get("summary", {})
    para = nodes.paragraph()
    para += nodes.Text("Generated by the trace tool on %s from %d requirements, %d tracing tests in %d test assemblies and %d TRX result files. "
                       % (trace.get("generatedUtc", "?"), summary.get("requirements", 0), summary.get("tracingTests", 0),
                          summary.get("assemblies", 0), summary.get("resultFiles", 0)))
    para += nodes.Text("Trace errors: %d." % len(trace.get("errors", [])))
    out.append(para)
    if trace.get("errors"):
        items = nodes.bullet_list()
        for e in trace["errors"]:
            items += nodes.list_item("", nodes.paragraph(text=e))
        out.append(items)

    rows = []
    reqs = trace.get("requirements", [])
    for r in reqs:
        if not r["id"].startswith("IslDsgn"):
            continue
        code = nodes.paragraph()
        for i, c in enumerate(r.get("code", [])):
            if i:
                code += nodes.Text(" ")
            code += nodes.literal(text=c)
        tests = test_list(r.get("tests", [])) if r.get("tests") else nodes.paragraph(text="-")
        covers = nodes.paragraph()
        for i, c in enumerate(r.get("covers", [])):
            if i:
                covers += nodes.Text(", ")
            covers += req_ref(c, docname_of, fromdoc, app.builder)
        rows.append([covers, nodes.paragraph("", "", req_ref(r["id"], docname_of, fromdoc, app.builder)), code, tests])
    out.append(nodes.rubric(text="Product requirement -> design requirement -> code -> tests"))
    out.append(table(["Product", "Design", "Code", "Verifying tests (last result)"], rows, [14, 16, 24, 46]))

    rows = []
    for r in reqs:
        if r["id"].startswith("IslDsgn"):
            continue
        covered = nodes.paragraph()
        for i, c in enumerate(r.get("coveredBy", [])):
            if i:
                covered += nodes.Text(", ")
            covered += req_ref(c, docname_of, fromdoc, app.builder)
        rows.append([nodes.paragraph("", "", req_ref(r["id"], docname_of, fromdoc, app.builder)), r.get("title", ""),
                     covered, r.get("status", "")])
    out.append(nodes.rubric(text="Market and product requirements"))
    out.append(table(["Requirement", "Title", "Covered by", "Status"], rows, [22, 38, 28, 12]))

    coverage = trace.get("coverage", [])
    if coverage:
        rows = [[c["module"], "%.1f %%" % (100 * c["branchRate"]), "%d / %d" % (c["branchesCovered"], c["branchesValid"]),
                 "%.1f %%" % (100 * c["lineRate"])] for c in coverage]
        out.append(nodes.rubric(text="Branch coverage of this run (coverlet)"))
        out.append(table(["Assembly", "Branches", "Covered / total", "Lines"], rows, [40, 20, 20, 20]))
    return out


def setup(app):
    app.add_config_value("requirements_trace_json", "../../out/spec/trace.json", "env")
    app.add_node(pending_req_links)
    app.add_node(trace_matrix_node)
    app.add_node(req_role_node)
    app.add_role("req", req_role)
    app.add_directive("req", ReqDirective)
    app.add_directive("trace-matrix", TraceMatrixDirective)
    app.connect("doctree-resolved", resolve_links)

    def purge(app, env, docname):
        reqs = env.domaindata.get("stratos_reqs", {})
        for k in [k for k, v in reqs.items() if v["docname"] == docname]:
            del reqs[k]
    app.connect("env-purge-doc", purge)

    app.connect("env-before-read-docs", lambda app, env, docnames: setattr(env, "stratos_trace", None))
    return {"version": "1", "parallel_read_safe": False, "env_version": 1}
