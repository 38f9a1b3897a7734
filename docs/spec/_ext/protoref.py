"""Sphinx extension: the per-message and per-field reference of the .proto files, generated at build time.

At builder-inited it runs `buf build --as-file-descriptor-set` on protocol/ (the same module that
`buf lint` checks; the output is a google.protobuf.FileDescriptorSet with source info, exactly what
`protoc --include_source_info --descriptor_set_out` writes), reads it with python3-protobuf and writes
one reStructuredText page per .proto file into _generated/proto/ (git-ignored, never hand-edited).
Every message, field, enum value, service and RPC gets its comment from the .proto source, its
field number, type (linked), label and the (max_len) / (max_count) limits of
stratos/island/options/v1/limits.proto. A .proto element without a comment is a build error
(buf lint's COMMENTS rule already demands one, this keeps the generated reference honest).

Labels: every message/enum is the target ``proto:<full.name>`` (e.g. ``proto:stratos.island.link.v1.Envelope``),
usable as :ref:`proto:stratos.island.link.v1.Envelope`.
"""
import os
import subprocess

from google.protobuf import descriptor_pb2
from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

# FieldDescriptorProto.Type -> proto scalar name.
SCALARS = {
    1: "double", 2: "float", 3: "int64", 4: "uint64", 5: "int32", 6: "fixed64", 7: "fixed32",
    8: "bool", 9: "string", 12: "bytes", 13: "uint32", 15: "sfixed32", 16: "sfixed64",
    17: "sint32", 18: "sint64",
}
TYPE_MESSAGE = 11
TYPE_ENUM = 14
LABEL_REPEATED = 3

# Extension numbers of stratos/island/options/v1/limits.proto.
MAX_LEN = 51001
MAX_COUNT = 51002

# SourceCodeInfo path components (descriptor.proto field numbers).
FILE_MESSAGE = 4
FILE_ENUM = 5
FILE_SERVICE = 6
FILE_SYNTAX = 12
MESSAGE_FIELD = 2
MESSAGE_NESTED = 3
MESSAGE_ENUM = 4
ENUM_VALUE = 2
SERVICE_METHOD = 2


def escape(text):
    """Escapes reStructuredText inline markup in comment text."""
    out = []
    for ch in text:
        if ch in "\\*`|_[]<>":
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def paragraphs(comment):
    """A .proto comment as reStructuredText paragraphs (blank comment lines separate them)."""
    blocks, current = [], []
    for line in comment.strip("\n").split("\n"):
        line = line.strip()
        if not line:
            if current:
                blocks.append(" ".join(current))
                current = []
        else:
            current.append(line)
    if current:
        blocks.append(" ".join(current))
    return [escape(b) for b in blocks]


def one_line(comment):
    return " ".join(paragraphs(comment))


def read_varint(data, pos):
    value, shift = 0, 0
    while True:
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, pos
        shift += 7


def field_limits(field):
    """(max_len, max_count) from the field options' extension fields, read from their wire bytes."""
    data = field.options.SerializeToString()
    found = {}
    pos = 0
    while pos < len(data):
        key, pos = read_varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = read_varint(data, pos)
            found[number] = value
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        elif wire == 2:
            length, pos = read_varint(data, pos)
            pos += length
        else:
            raise ExtensionError("protoref: unexpected wire type %d in the options of field %s" % (wire, field.name))
    return found.get(MAX_LEN), found.get(MAX_COUNT)


def label_of(full_name):
    return "proto:" + full_name.lstrip(".")


class ProtoFile:
    def __init__(self, fdp):
        self.fdp = fdp
        self.comments = {}
        for loc in fdp.source_code_info.location:
            self.comments[tuple(loc.path)] = loc.leading_comments or loc.trailing_comments or ""
        self.problems = []

    def comment(self, path, what):
        text = self.comments.get(tuple(path), "")
        if not text.strip():
            self.problems.append("%s: %s has no comment" % (self.fdp.name, what))
        return text


def type_ref(field):
    if field.type in (TYPE_MESSAGE, TYPE_ENUM):
        name = field.type_name.lstrip(".")
        short = name.rsplit(".", 1)[-1]
        return ":ref:`%s <%s>`" % (short, label_of(name))
    return "``%s``" % SCALARS[field.type]


def render_enum(pf, enum, path, full_name, lines, level_char):
    lines += [".. _%s:" % label_of(full_name), "", "enum " + enum.name, level_char * (5 + len(enum.name)), ""]
    for para in paragraphs(pf.comment(path, "enum " + full_name)):
        lines += [para, ""]
    lines += [".. list-table::", "   :header-rows: 1", "   :widths: 10 30 60", "",
              "   * - Number", "     - Value", "     - Meaning"]
    for i, value in enumerate(enum.value):
        text = one_line(pf.comment(path + [ENUM_VALUE, i], "enum value %s.%s" % (full_name, value.name)))
        lines += ["   * - %d" % value.number, "     - ``%s``" % value.name, "     - %s" % text]
    lines.append("")


def render_message(pf, msg, path, full_name, lines, level_char):
    lines += [".. _%s:" % label_of(full_name), "", "message " + msg.name, level_char * (8 + len(msg.name)), ""]
    for para in paragraphs(pf.comment(path, "message " + full_name)):
        lines += [para, ""]
    if msg.field:
        lines += [".. list-table::", "   :header-rows: 1", "   :widths: 6 20 22 14 38", "",
                  "   * - No.", "     - Field", "     - Type", "     - Limit", "     - Meaning"]
        for i, field in enumerate(msg.field):
            text = one_line(pf.comment(path + [MESSAGE_FIELD, i], "field %s.%s" % (full_name, field.name)))
            max_len, max_count = field_limits(field)
            limits = []
            if max_count is not None:
                limits.append("at most %d elements" % max_count)
            if max_len is not None:
                limits.append("at most %d bytes" % max_len)
            typ = type_ref(field)
            if field.label == LABEL_REPEATED:
                typ = "repeated " + typ
            if field.HasField("oneof_index"):
                typ += " (oneof ``%s``)" % msg.oneof_decl[field.oneof_index].name
            lines += ["   * - %d" % field.number, "     - ``%s``" % field.name, "     - %s" % typ,
                      "     - %s" % ("; ".join(limits) if limits else "none"), "     - %s" % text]
        lines.append("")
    else:
        lines += ["No fields.", ""]
    for i, nested in enumerate(msg.nested_type):
        if nested.options.map_entry:
            continue
        render_message(pf, nested, path + [MESSAGE_NESTED, i], full_name + "." + nested.name, lines, level_char)
    for i, enum in enumerate(msg.enum_type):
        render_enum(pf, enum, path + [MESSAGE_ENUM, i], full_name + "." + enum.name, lines, level_char)


def render_service(pf, service, path, full_name, lines):
    lines += [".. _%s:" % label_of(full_name), "", "service " + service.name, "-" * (8 + len(service.name)), ""]
    for para in paragraphs(pf.comment(path, "service " + full_name)):
        lines += [para, ""]
    lines += [".. list-table::", "   :header-rows: 1", "   :widths: 20 25 25 30", "",
              "   * - RPC", "     - Request", "     - Response", "     - Meaning"]
    for i, method in enumerate(service.method):
        text = one_line(pf.comment(path + [SERVICE_METHOD, i], "rpc %s.%s" % (full_name, method.name)))
        req = method.input_type.lstrip(".")
        resp = method.output_type.lstrip(".")
        stream = "stream " if method.server_streaming else ""
        lines += ["   * - ``%s``" % method.name,
                  "     - :ref:`%s <%s>`" % (req.rsplit(".", 1)[-1], label_of(req)),
                  "     - %s:ref:`%s <%s>`" % (stream, resp.rsplit(".", 1)[-1], label_of(resp)),
                  "     - %s" % text]
    lines.append("")


def render_file(fdp):
    pf = ProtoFile(fdp)
    title = "%s (package ``%s``)" % (fdp.name, fdp.package)
    lines = [".. This page is generated by _ext/protoref.py from %s at build time. Do not edit." % fdp.name, "",
             title, "=" * len(title), ""]
    primer = pf.comments.get((FILE_SYNTAX,), "")
    if not primer.strip():
        pf.problems.append("%s: the file has no primer comment above 'syntax'" % fdp.name)
    else:
        lines += ["The file's own primer (verbatim from the .proto source):", "", ".. code-block:: text", ""]
        lines += ["   " + l.rstrip() if l.strip() else "" for l in primer.strip("\n").split("\n")]
        lines.append("")
    prefix = "." + fdp.package if fdp.package else ""
    if fdp.service:
        for i, service in enumerate(fdp.service):
            render_service(pf, service, [FILE_SERVICE, i], (prefix + "." + service.name).lstrip("."), lines)
    for i, msg in enumerate(fdp.message_type):
        render_message(pf, msg, [FILE_MESSAGE, i], (prefix + "." + msg.name).lstrip("."), lines, "-")
    for i, enum in enumerate(fdp.enum_type):
        render_enum(pf, enum, [FILE_ENUM, i], (prefix + "." + enum.name).lstrip("."), lines, "-")
    if fdp.extension:
        lines += ["Field options", "-------------", ""]
        for i, ext in enumerate(fdp.extension):
            text = one_line(pf.comment([7, i], "extension " + ext.name))
            lines += ["``(%s.%s)`` = %d, on ``%s``: %s" % (fdp.package, ext.name, ext.number, ext.extendee.lstrip("."), text), ""]
    return "\n".join(lines) + "\n", pf.problems


def generate(app):
    config = app.config
    root = os.path.abspath(os.path.join(app.srcdir, config.protoref_module))
    buf = os.path.abspath(os.path.join(app.srcdir, config.protoref_buf))
    if not os.path.exists(buf):
        raise ExtensionError("protoref: %s not found (run scripts/install-deps.sh)" % buf)
    outdir = os.path.join(app.srcdir, "_generated", "proto")
    os.makedirs(outdir, exist_ok=True)
    image = os.path.join(app.doctreedir, "protoref.binpb")
    os.makedirs(app.doctreedir, exist_ok=True)
    run = subprocess.run([buf, "build", "--as-file-descriptor-set", "-o", image], cwd=root,
                         capture_output=True, text=True)
    if run.returncode != 0:
        raise ExtensionError("protoref: buf build failed in %s:\n%s" % (root, run.stderr))
    fds = descriptor_pb2.FileDescriptorSet()
    with open(image, "rb") as f:
        fds.ParseFromString(f.read())
    written = []
    for fdp in fds.file:
        if fdp.name.startswith("google/"):
            continue
        text, problems = render_file(fdp)
        for p in problems:
            logger.warning("protoref: " + p)
        page = fdp.name.replace("/", "_").replace(".proto", "") + ".rst"
        path = os.path.join(outdir, page)
        # Rewrite only on change, so Sphinx re-reads only what changed.
        old = open(path, encoding="utf-8").read() if os.path.exists(path) else None
        if old != text:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
        written.append(page)
    for stale in set(os.listdir(outdir)) - set(written):
        os.remove(os.path.join(outdir, stale))


def setup(app):
    app.add_config_value("protoref_module", "../../protocol", "env")
    app.add_config_value("protoref_buf", "../../node_modules/.bin/buf", "env")
    app.connect("builder-inited", generate)
    return {"version": "1", "parallel_read_safe": True}
