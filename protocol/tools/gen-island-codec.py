#!/usr/bin/env python3
"""Writes the island codec (protocol/src/Stratos.Island.Codec: Link/*.cs, one class per link.proto
message plus EnvelopeBody, and Enums.cs, the enums of common.proto and link.proto) from the
descriptors protoc produces for protocol/proto/stratos/island/link/v1/link.proto.

The island cannot run Google.Protobuf (nanoFramework has no generics, no Span), so its codec is
plain C# in the firmware dialect. Writing 32 message classes and 17 enums by hand invites slips;
this script writes them from the proto, including the (max_len) / (max_count) limits and the
comments. It does not parse .proto text: protoc compiles link.proto and its imports into a
FileDescriptorSet (--include_imports --include_source_info), which this script reads with
python3-protobuf's descriptor_pb2. The output is checked in (the nanoFramework build cannot run
this script); GeneratedCodeTests in protocol/tests/Stratos.Island.Protocol.Tests regenerates it
into a temporary folder and fails when a committed file differs.

Usage: python3 protocol/tools/gen-island-codec.py [--out DIR]
  --out DIR  write under DIR (DIR/Enums.cs, DIR/Link/*.cs) instead of protocol/src/Stratos.Island.Codec
Needs protoc (Debian protobuf-compiler) and google.protobuf (Debian python3-protobuf; run it with
/usr/bin/python3 where another python3 comes first in PATH).

Naming: messages and fields as Google.Protobuf's C# generator names them (PascalCase). Enum values
drop the enum's prefix and become PascalCase, also as Google.Protobuf does
(VM_STATE_RUNNING -> VmState.Running, CRITICALITY_ASIL_A -> Criticality.AsilA); ENUM_VALUE_NAMES
below overrides a name where the island's must differ (empty today). Supported subset of proto3
(anything else stops the script with the element it cannot write): top-level messages and enums,
one oneof of messages (Envelope.body), singular scalars, enums, strings, bytes and messages,
repeated strings, uint32 and messages; every string, bytes and repeated field needs its limit.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap

try:
    from google.protobuf import descriptor_pb2
except ImportError:
    sys.exit("gen-island-codec.py needs google.protobuf (Debian package python3-protobuf), which %s cannot import; "
             "run it with /usr/bin/python3" % sys.executable)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PROTO_ROOT = os.path.join(ROOT, "protocol/proto")
PROTO = "stratos/island/link/v1/link.proto"
LIMITS_PACKAGE = "stratos.island.options.v1"
CODEC = os.path.join(ROOT, "protocol/src/Stratos.Island.Codec")

# (enum name, proto value name) -> C# member name, where the island's name must differ from the rule.
ENUM_VALUE_NAMES = {}

FDP = descriptor_pb2.FieldDescriptorProto
SCALARS = {
    # descriptor type: (C# type, wire type, kind)
    FDP.TYPE_UINT32: ("uint", 0, "uint32"),
    FDP.TYPE_INT32: ("int", 0, "int32"),
    FDP.TYPE_SINT32: ("int", 0, "sint32"),
    FDP.TYPE_UINT64: ("ulong", 0, "uint64"),
    FDP.TYPE_BOOL: ("bool", 0, "bool"),
    FDP.TYPE_FIXED32: ("uint", 5, "fixed32"),
    FDP.TYPE_FIXED64: ("ulong", 1, "fixed64"),
    FDP.TYPE_STRING: ("string", 2, "string"),
    FDP.TYPE_BYTES: ("byte[]", 2, "bytes"),
}

# FileDescriptorProto / DescriptorProto / EnumDescriptorProto field numbers, for source_code_info paths.
FILE_MESSAGE_TYPE, FILE_ENUM_TYPE, MESSAGE_FIELD, ENUM_VALUE = 4, 5, 2, 2


def pascal(name):
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def comment_lines(text, indent):
    """A proto comment as C# // lines wrapped to 100 columns."""
    return [indent + "// " + line for line in textwrap.wrap(text, 100 - len(indent) - 3)]


def camel(name):
    p = pascal(name)
    return p[:1].lower() + p[1:]


def compile_descriptors():
    """Runs protoc on link.proto; returns its FileDescriptorSet (imports and source info included).
    google/protobuf/descriptor.proto (imported by limits.proto) comes from python3-protobuf's own
    descriptor, handed to protoc with --descriptor_set_in, so no protobuf include folder is needed."""
    if shutil.which("protoc") is None:
        sys.exit("gen-island-codec.py needs protoc (Debian package protobuf-compiler, see scripts/install-deps.sh)")
    with tempfile.TemporaryDirectory(prefix="gen-island-codec-") as tmp:
        well_known = descriptor_pb2.FileDescriptorSet()
        descriptor_pb2.DESCRIPTOR.CopyToProto(well_known.file.add())
        well_known_path = os.path.join(tmp, "descriptor.pb")
        with open(well_known_path, "wb") as fh:
            fh.write(well_known.SerializeToString())
        out_path = os.path.join(tmp, "link.pb")
        result = subprocess.run(["protoc", "-I", PROTO_ROOT, "--descriptor_set_in=" + well_known_path,
                                 "--include_imports", "--include_source_info", "--descriptor_set_out=" + out_path,
                                 os.path.join(PROTO_ROOT, PROTO)], capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit("protoc could not compile %s:\n%s" % (PROTO, result.stderr))
        descriptors = descriptor_pb2.FileDescriptorSet()
        with open(out_path, "rb") as fh:
            descriptors.ParseFromString(fh.read())
        return descriptors


def leading_comments(proto_file):
    """source_code_info path -> the element's leading comment, its lines stripped and joined by spaces."""
    comments = {}
    for location in proto_file.source_code_info.location:
        if location.HasField("leading_comments"):
            lines = location.leading_comments.split("\n")
            if lines and lines[-1] == "":
                lines.pop()
            comments[tuple(location.path)] = " ".join(line.strip() for line in lines)
    return comments


def unknown_varints(data):
    """Field number -> varint value of the varint fields of an encoded message (options here)."""
    values, position = {}, 0

    def varint():
        nonlocal position
        value, shift = 0, 0
        while True:
            byte = data[position]
            position += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return value

    while position < len(data):
        key = varint()
        number, wire_type = key >> 3, key & 7
        if wire_type == 0:
            values[number] = varint()
        elif wire_type == 1:
            position += 8
        elif wire_type == 2:
            position += varint()
        elif wire_type == 5:
            position += 4
        else:
            sys.exit("unexpected wire type %d in field options" % wire_type)
    return values


def limit_numbers(descriptors):
    """The extension numbers of (max_len) and (max_count), read from limits.proto's descriptor."""
    numbers = {}
    for proto_file in descriptors.file:
        if proto_file.package == LIMITS_PACKAGE:
            for extension in proto_file.extension:
                numbers[extension.name] = extension.number
    if set(numbers) != {"max_len", "max_count"}:
        sys.exit("%s does not declare the extensions max_len and max_count" % LIMITS_PACKAGE)
    return numbers


def load(descriptors):
    """Messages of link.proto and enums of link.proto and its imports, as the generator's dicts."""
    limits = limit_numbers(descriptors)
    link = next(f for f in descriptors.file if f.name == PROTO)
    comments = leading_comments(link)
    messages = []
    for mi, message in enumerate(link.message_type):
        where = "%s.%s" % (link.package, message.name)
        if message.nested_type or message.enum_type:
            sys.exit("%s: nested messages and enums are not supported by the island codec generator" % where)
        if message.oneof_decl and (message.name, [o.name for o in message.oneof_decl]) != ("Envelope", ["body"]):
            sys.exit("%s: the only oneof the island codec generator writes is Envelope.body" % where)
        msg = {"name": message.name, "comment": comments.get((FILE_MESSAGE_TYPE, mi), ""), "fields": [],
               "oneof": message.oneof_decl[0].name if message.oneof_decl else None,
               "file": os.path.basename(link.name), "package": link.package}
        for fi, field in enumerate(message.field):
            if field.proto3_optional:
                sys.exit("%s.%s: proto3 optional is not supported" % (where, field.name))
            options = unknown_varints(field.options.SerializeToString())
            if field.type in SCALARS:
                kind = None
                type_name = None
            elif field.type in (FDP.TYPE_MESSAGE, FDP.TYPE_ENUM):
                kind = "message" if field.type == FDP.TYPE_MESSAGE else "enum"
                type_name = field.type_name.split(".")[-1]
            else:
                sys.exit("%s.%s: field type %s is not supported" % (where, field.name, FDP.Type.Name(field.type)))
            msg["fields"].append({
                "repeated": field.label == FDP.LABEL_REPEATED,
                "type": field.type,
                "type_name": type_name,
                "kind": kind,
                "name": field.name,
                "number": field.number,
                "max_len": options.get(limits["max_len"]),
                "max_count": options.get(limits["max_count"]),
                "comment": comments.get((FILE_MESSAGE_TYPE, mi, MESSAGE_FIELD, fi), ""),
                "oneof": field.HasField("oneof_index"),
            })
        messages.append(msg)
    enums = []
    for proto_file in descriptors.file:
        if proto_file.name.startswith("google/"):
            continue
        file_comments = leading_comments(proto_file)
        for ei, enum in enumerate(proto_file.enum_type):
            enums.append({
                "name": enum.name,
                "file": os.path.basename(proto_file.name),
                "comment": file_comments.get((FILE_ENUM_TYPE, ei), ""),
                "values": [(value.name, value.number, file_comments.get((FILE_ENUM_TYPE, ei, ENUM_VALUE, vi), ""))
                           for vi, value in enumerate(enum.value)],
            })
    return messages, enums


def enum_member_name(enum_name, value_name):
    """VM_STATE_RUNNING in VmState -> Running: drop the enum's prefix, PascalCase the rest."""
    override = ENUM_VALUE_NAMES.get((enum_name, value_name))
    if override:
        return override
    prefix = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", enum_name).upper() + "_"
    if not value_name.startswith(prefix):
        sys.exit("enum value %s of %s does not start with %s: add it to ENUM_VALUE_NAMES" % (value_name, enum_name, prefix))
    return "".join(part[:1] + part[1:].lower() for part in value_name[len(prefix):].split("_"))


def classify(field):
    if field["kind"] is None:
        return SCALARS[field["type"]]
    return field["type_name"], (2 if field["kind"] == "message" else 0), field["kind"]


def tag_size(number):
    tag = number << 3
    size = 1
    while tag > 0x7F:
        size += 1
        tag >>= 7
    return size


# Lines that several field kinds emit alike; indent is the C# indentation of the first line.
def status_check(indent):
    return indent + "if (status != CodecStatus.Ok) return status;"


def nested_measure(target, tag_bytes, indent):
    """A nested message's size with its tag and length prefix (Measure caches it for WriteTo)."""
    return [indent + "status = %s.Measure(out inner);" % target, status_check(indent),
            indent + "size += %d + ProtoWriter.VarintSize32((uint)inner) + inner;" % tag_bytes]


def nested_write(target, tag_value, indent):
    return [indent + "ProtoWriter.WriteVarint32(buffer, ref position, %du);" % tag_value,
            indent + "ProtoWriter.WriteVarint32(buffer, ref position, (uint)%s.cachedSize);" % target,
            indent + "%s.WriteTo(buffer, ref position);" % target]


def nested_merge(target, indent):
    return [indent + "status = reader.BeginMessage(out outerLimit);", status_check(indent),
            indent + "status = %s.MergeFrom(ref reader);" % target, status_check(indent),
            indent + "reader.EndMessage(outerLimit);"]


def string_measure(value, byte_count, max_length, bytes_var, byte_count_target, tag_bytes, indent):
    """A string's UTF-8 size checked against its max_len and kept for WriteString."""
    return [indent + "int %s = %s;" % (bytes_var, byte_count),
            indent + "if (%s > %s) return CodecStatus.StringTooLong;" % (bytes_var, max_length),
            indent + "%s = %s;" % (byte_count_target, bytes_var),
            indent + "size += %d + ProtoWriter.VarintSize32((uint)%s) + %s;" % (tag_bytes, bytes_var, bytes_var)]


def max_length_const(field, kind, message):
    """The ...MaxLength constant of a string or bytes field, which must carry (max_len)."""
    if field["max_len"] is None:
        sys.exit("%s field %s.%s has no max_len" % (kind, message, field["name"]))
    return "        public const int %sMaxLength = %d;" % (pascal(field["name"]), field["max_len"])


def body_switch(selector, bodies, case_lines):
    """A switch over the body oneof: under each body's case label, case_lines(field)."""
    out = ["            switch (%s)" % selector, "            {"]
    for f in bodies:
        out.append("                case EnvelopeBody.%s:" % pascal(f["name"]))
        out.extend(case_lines(f))
        out.append("                    break;")
    out.append("            }")
    return out


def field_write(condition, tag_value, write_line):
    """WriteTo lines of a singular field: its tag and value when it is not the default."""
    return ["            if (%s)" % condition, "            {",
            "                ProtoWriter.WriteVarint32(buffer, ref position, %du);" % tag_value,
            "                " + write_line, "            }"]


def field_decode(number, wire_name, read_line, after=()):
    """MergeFrom's case of a singular field: wire type checked, value read, then any conversion."""
    return (["                    case %d:" % number,
             "                        if (wireType != ProtoWriter.%s) return CodecStatus.WrongWireType;" % wire_name,
             "                        " + read_line, status_check("                        ")]
            + ["                        " + line for line in after] + ["                        break;"])


def varint_element(P, indent):
    """One more element of a repeated uint32 (packed or not)."""
    return [indent + "if (%sCount >= %sMaxCount) return CodecStatus.TooManyElements;" % (P, P),
            indent + "status = reader.ReadVarint32(out %s[%sCount]);" % (P, P), status_check(indent),
            indent + "%sCount++;" % P]


def gen_message(msg):
    name = msg["name"]
    fields = sorted(msg["fields"], key=lambda f: f["number"])
    plain = [f for f in fields if not f["oneof"]]
    bodies = [f for f in fields if f["oneof"]]
    decl, consts, clear, measure, write, decode, privates = [], [], [], [], [], [], ["        internal int cachedSize;"]
    factories = []

    for f in plain:
        cs, wt, kind = classify(f)
        P = pascal(f["name"])
        c = camel(f["name"])
        n = f["number"]
        T = tag_size(n)
        tagv = (n << 3) | wt
        decl.extend(comment_lines(f["comment"], "        "))
        if f["repeated"]:
            mc = f["max_count"]
            if mc is None:
                sys.exit("repeated field %s.%s has no max_count" % (name, f["name"]))
            consts.append("        public const int %sMaxCount = %d;" % (P, mc))
            decl.append("        public readonly %s[] %s = new %s[%sMaxCount];" % (cs, P, cs, P) if kind != "message"
                        else "        public readonly %s[] %s = New%s();" % (cs, P, P))
            decl.append("        public int %sCount;" % P)
            clear.append("            %sCount = 0;" % P)
            measure.append("            if (%sCount < 0 || %sCount > %sMaxCount) return CodecStatus.TooManyElements;" % (P, P, P))
            if kind == "message":
                factories.append("")
                factories.append("        private static %s[] New%s()" % (cs, P))
                factories.append("        {")
                factories.append("            %s[] items = new %s[%sMaxCount];" % (cs, cs, P))
                factories.append("            for (int i = 0; i < items.Length; i++) items[i] = new %s();" % cs)
                factories.append("            return items;")
                factories.append("        }")
                measure.append("            for (int i = 0; i < %sCount; i++)" % P)
                measure.append("            {")
                measure.extend(nested_measure("%s[i]" % P, T, "                "))
                measure.append("            }")
                write.append("            for (int i = 0; i < %sCount; i++)" % P)
                write.append("            {")
                write.extend(nested_write("%s[i]" % P, tagv, "                "))
                write.append("            }")
                decode.append("                    case %d:" % n)
                decode.append("                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;")
                decode.append("                        if (%sCount >= %sMaxCount) return CodecStatus.TooManyElements;" % (P, P))
                decode.append("                        %s[%sCount].Clear();" % (P, P))
                decode.extend(nested_merge("%s[%sCount]" % (P, P), "                        "))
                decode.append("                        %sCount++;" % P)
                decode.append("                        break;")
            elif kind == "string":
                consts.append(max_length_const(f, kind, name))
                privates.append("        private readonly int[] %sByteCounts = new int[%sMaxCount];" % (c, P))
                measure.append("            for (int i = 0; i < %sCount; i++)" % P)
                measure.append("            {")
                measure.append("                string item = %s[i];" % P)
                measure.extend(string_measure("item", "item == null ? 0 : Utf8.ByteCount(item)", "%sMaxLength" % P, "itemBytes",
                                              "%sByteCounts[i]" % c, T, "                "))
                measure.append("            }")
                write.append("            for (int i = 0; i < %sCount; i++)" % P)
                write.append("            {")
                write.append("                ProtoWriter.WriteVarint32(buffer, ref position, %du);" % tagv)
                write.append("                ProtoWriter.WriteString(buffer, ref position, %s[i] == null ? string.Empty : %s[i], %sByteCounts[i]);" % (P, P, c))
                write.append("            }")
                decode.append("                    case %d:" % n)
                decode.append("                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;")
                decode.append("                        if (%sCount >= %sMaxCount) return CodecStatus.TooManyElements;" % (P, P))
                decode.append("                        status = reader.ReadString(%sMaxLength, out %s[%sCount]);" % (P, P, P))
                decode.append("                        if (status != CodecStatus.Ok) return status;")
                decode.append("                        %sCount++;" % P)
                decode.append("                        break;")
            elif kind == "uint32":
                privates.append("        private int %sPackedSize;" % c)
                measure.append("            if (%sCount != 0)" % P)
                measure.append("            {")
                measure.append("                int packed = 0;")
                measure.append("                for (int i = 0; i < %sCount; i++) packed += ProtoWriter.VarintSize32(%s[i]);" % (P, P))
                measure.append("                %sPackedSize = packed;" % c)
                measure.append("                size += %d + ProtoWriter.VarintSize32((uint)packed) + packed;" % T)
                measure.append("            }")
                ptag = (n << 3) | 2
                write.append("            if (%sCount != 0)" % P)
                write.append("            {")
                write.append("                ProtoWriter.WriteVarint32(buffer, ref position, %du);" % ptag)
                write.append("                ProtoWriter.WriteVarint32(buffer, ref position, (uint)%sPackedSize);" % c)
                write.append("                for (int i = 0; i < %sCount; i++) ProtoWriter.WriteVarint32(buffer, ref position, %s[i]);" % (P, P))
                write.append("            }")
                decode.append("                    case %d:" % n)
                decode.append("                        if (wireType == ProtoWriter.WireLengthDelimited)")
                decode.append("                        {")
                decode.append("                            status = reader.BeginMessage(out outerLimit);")
                decode.append("                            if (status != CodecStatus.Ok) return status;")
                decode.append("                            while (reader.Position < reader.Limit)")
                decode.append("                            {")
                decode.extend(varint_element(P, "                                "))
                decode.append("                            }")
                decode.append("")
                decode.append("                            reader.EndMessage(outerLimit);")
                decode.append("                        }")
                decode.append("                        else if (wireType == ProtoWriter.WireVarint)")
                decode.append("                        {")
                decode.extend(varint_element(P, "                            "))
                decode.append("                        }")
                decode.append("                        else")
                decode.append("                        {")
                decode.append("                            return CodecStatus.WrongWireType;")
                decode.append("                        }")
                decode.append("")
                decode.append("                        break;")
            else:
                sys.exit("unsupported repeated kind %s in %s.%s" % (kind, name, f["name"]))
            continue

        if kind == "message":
            decl.append("        public readonly %s %s = new %s();" % (cs, P, cs))
            decl.append("        public bool Has%s;" % P)
            clear.append("            Has%s = false;" % P)
            measure.append("            if (Has%s)" % P)
            measure.append("            {")
            measure.extend(nested_measure(P, T, "                "))
            measure.append("            }")
            write.append("            if (Has%s)" % P)
            write.append("            {")
            write.extend(nested_write(P, tagv, "                "))
            write.append("            }")
            decode.append("                    case %d:" % n)
            decode.append("                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;")
            decode.append("                        if (!Has%s)" % P)
            decode.append("                        {")
            decode.append("                            %s.Clear();" % P)
            decode.append("                            Has%s = true;" % P)
            decode.append("                        }")
            decode.append("")
            decode.extend(nested_merge(P, "                        "))
            decode.append("                        break;")
            continue

        if kind == "string":
            consts.append(max_length_const(f, kind, name))
            decl.append("        public string %s = string.Empty;" % P)
            privates.append("        private int %sByteCount;" % c)
            clear.append("            %s = string.Empty;" % P)
            measure.append("            if (%s != null && %s.Length != 0)" % (P, P))
            measure.append("            {")
            measure.extend(string_measure(P, "Utf8.ByteCount(%s)" % P, "%sMaxLength" % P, "bytes", "%sByteCount" % c, T, "                "))
            measure.append("            }")
            write.extend(field_write("%s != null && %s.Length != 0" % (P, P), tagv,
                                     "ProtoWriter.WriteString(buffer, ref position, %s, %sByteCount);" % (P, c)))
            decode.extend(field_decode(n, "WireLengthDelimited", "status = reader.ReadString(%sMaxLength, out %s);" % (P, P)))
            continue

        if kind == "bytes":
            consts.append(max_length_const(f, kind, name))
            decl.append("        public readonly byte[] %s = new byte[%sMaxLength];" % (P, P))
            decl.append("        public int %sLength;" % P)
            clear.append("            %sLength = 0;" % P)
            measure.append("            if (%sLength < 0) return CodecStatus.InvalidLength;" % P)
            measure.append("            if (%sLength > %sMaxLength) return CodecStatus.StringTooLong;" % (P, P))
            measure.append("            if (%sLength != 0) size += %d + ProtoWriter.VarintSize32((uint)%sLength) + %sLength;" % (P, T, P, P))
            write.extend(field_write("%sLength != 0" % P, tagv, "ProtoWriter.WriteBytes(buffer, ref position, %s, %sLength);" % (P, P)))
            decode.extend(field_decode(n, "WireLengthDelimited", "status = reader.ReadBytes(%s, out %sLength);" % (P, P)))
            continue

        # Singular scalars and enums.
        decl.append("        public %s %s;" % (cs, P))
        zero = "false" if kind == "bool" else ("0" if kind != "enum" else "0")
        clear.append("            %s = %s;" % (P, zero if kind != "enum" else "(%s)0" % cs))
        cond = P if kind == "bool" else "%s != 0" % P
        size_expr = {
            "uint32": "ProtoWriter.VarintSize32(%s)" % P,
            "int32": "ProtoWriter.Int32Size(%s)" % P,
            "enum": "ProtoWriter.Int32Size((int)%s)" % P,
            "sint32": "ProtoWriter.VarintSize32(ProtoWriter.ZigZag32(%s))" % P,
            "uint64": "ProtoWriter.VarintSize64(%s)" % P,
            "bool": "1",
            "fixed32": "4",
            "fixed64": "8",
        }[kind]
        write_expr = {
            "uint32": "ProtoWriter.WriteVarint32(buffer, ref position, %s);" % P,
            "int32": "ProtoWriter.WriteInt32(buffer, ref position, %s);" % P,
            "enum": "ProtoWriter.WriteInt32(buffer, ref position, (int)%s);" % P,
            "sint32": "ProtoWriter.WriteVarint32(buffer, ref position, ProtoWriter.ZigZag32(%s));" % P,
            "uint64": "ProtoWriter.WriteVarint64(buffer, ref position, %s);" % P,
            "bool": "buffer[position++] = 1;",
            "fixed32": "ProtoWriter.WriteFixed32(buffer, ref position, %s);" % P,
            "fixed64": "ProtoWriter.WriteFixed64(buffer, ref position, %s);" % P,
        }[kind]
        if kind == "enum":
            cond = "%s != 0" % P
        measure.append("            if (%s) size += %d + %s;" % (cond, T, size_expr))
        write.extend(field_write(cond, tagv, write_expr))
        wname = {0: "WireVarint", 1: "WireFixed64", 5: "WireFixed32"}[wt]
        read_line = {
            "uint32": "status = reader.ReadVarint32(out %s);" % P,
            "int32": "status = reader.ReadVarint32(out low32);",
            "enum": "status = reader.ReadVarint32(out low32);",
            "sint32": "status = reader.ReadVarint32(out low32);",
            "uint64": "status = reader.ReadVarint64(out %s);" % P,
            "bool": "status = reader.ReadBool(out %s);" % P,
            "fixed32": "status = reader.ReadFixed32(out %s);" % P,
            "fixed64": "status = reader.ReadFixed64(out %s);" % P,
        }[kind]
        after = {
            "int32": ["%s = (int)low32;" % P],
            "enum": ["%s = (%s)(int)low32;" % (P, cs)],
            "sint32": ["%s = ProtoWriter.UnZigZag32(low32);" % P],
        }.get(kind, [])
        decode.extend(field_decode(n, wname, read_line, after))

    if bodies:
        decl.append("        // Which body is set (a value of EnvelopeBody: the body's field number, None = 0).")
        decl.append("        public EnvelopeBody BodyCase;")
        for f in bodies:
            cs, wt, kind = classify(f)
            P = pascal(f["name"])
            decl.extend(comment_lines(f["comment"], "        "))
            decl.append("        public readonly %s %s = new %s();" % (cs, P, cs))
        clear.append("            BodyCase = EnvelopeBody.None;")
        measure.extend(body_switch("BodyCase", bodies, lambda f: nested_measure(pascal(f["name"]), tag_size(f["number"]), "                    ")))
        write.extend(body_switch("BodyCase", bodies, lambda f: nested_write(pascal(f["name"]), (f["number"] << 3) | 2, "                    ")))
        for f in bodies:
            P = pascal(f["name"])
            decode.append("                    case %d:" % f["number"])
            decode.append("                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;")
            decode.append("                        if (BodyCase != EnvelopeBody.%s) SetBody(EnvelopeBody.%s);" % (P, P))
            decode.extend(nested_merge(P, "                        "))
            decode.append("                        break;")

    uses_inner = any(l.strip().startswith("status = ") for l in measure)
    uses_low32 = any("low32" in l for l in decode)
    uses_outer = any("outerLimit" in l for l in decode)

    out = []
    out.extend(comment_lines("%s (%s, package %s): %s" % (name, msg["file"], msg["package"], msg["comment"]), ""))
    out.append("//")
    out.append("// Written by protocol/tools/gen-island-codec.py from link.proto; regenerate instead of editing.")
    out.append("// Encode writes the canonical proto3 encoding (fields in number order, default values omitted,")
    out.append("// repeated scalars packed), byte-identical to Google.Protobuf. Decode accepts any valid")
    out.append("// encoding: any field order, unknown fields skipped, packed or unpacked repeated scalars, last")
    out.append("// value wins for scalars, repeated occurrences of a nested message merge. Limits from")
    out.append("// (max_len) / (max_count) are enforced both ways. See docs/codec.md.")
    out.append("namespace Stratos.Island.Codec.Link")
    out.append("{")
    out.append("    public sealed class %s" % name)
    out.append("    {")
    if consts:
        out.extend(consts)
        out.append("")
    out.extend(decl)
    out.append("")
    out.extend(privates)
    out.extend(factories)
    out.append("")
    if bodies:
        out.append("        // Clears the chosen body and makes it the Envelope's body (BodyCase = which). None clears the body.")
        out.append("        public void SetBody(EnvelopeBody which)")
        out.append("        {")
        out.extend(body_switch("which", bodies, lambda f: ["                    %s.Clear();" % pascal(f["name"])]))
        out.append("")
        out.append("            BodyCase = which;")
        out.append("        }")
        out.append("")
    out.append("        // Resets every field to its default. Nested messages are cleared when they are selected again")
    out.append("        // (Has... = true, a repeated element appended, SetBody), not here, so Clear stays cheap.")
    out.append("        public void Clear()")
    out.append("        {")
    out.extend(clear)
    out.append("        }")
    out.append("")
    out.append("        // Size in bytes of the canonical encoding, or -1 when a field breaks its limit (Encode says which).")
    out.append("        public int ComputeSize()")
    out.append("        {")
    out.append("            int size;")
    out.append("            return Measure(out size) == CodecStatus.Ok ? size : -1;")
    out.append("        }")
    out.append("")
    out.append("        // Writes the canonical encoding into buffer[offset .. offset + capacity). Returns")
    out.append("        // BufferTooSmall (writing nothing) when it does not fit.")
    out.append("        public CodecStatus Encode(byte[] buffer, int offset, int capacity, out int written)")
    out.append("        {")
    out.append("            written = 0;")
    out.append("            CodecStatus status = ProtoWriter.CheckRange(buffer, offset, capacity);")
    out.append("            if (status != CodecStatus.Ok) return status;")
    out.append("            int size;")
    out.append("            status = Measure(out size);")
    out.append("            if (status != CodecStatus.Ok) return status;")
    out.append("            if (size > capacity) return CodecStatus.BufferTooSmall;")
    out.append("            int position = offset;")
    out.append("            WriteTo(buffer, ref position);")
    out.append("            written = position - offset;")
    out.append("            return CodecStatus.Ok;")
    out.append("        }")
    out.append("")
    out.append("        // Clears this message, then reads buffer[offset .. offset + count) into it.")
    out.append("        public CodecStatus Decode(byte[] buffer, int offset, int count)")
    out.append("        {")
    out.append("            Clear();")
    out.append("            CodecStatus status = ProtoWriter.CheckRange(buffer, offset, count);")
    out.append("            if (status != CodecStatus.Ok) return status;")
    out.append("            ProtoReader reader = new ProtoReader(buffer, offset, count);")
    out.append("            return MergeFrom(ref reader);")
    out.append("        }")
    out.append("")
    if bodies:
        out.extend(gen_decode_head(bodies))
    out.append("        // Computes the encoded size, checks the limits and caches the sizes WriteTo needs.")
    out.append("        internal CodecStatus Measure(out int size)")
    out.append("        {")
    out.append("            size = 0;")
    if uses_inner:
        out.append("            CodecStatus status;")
        out.append("            int inner;")
    out.extend(measure)
    out.append("            cachedSize = size;")
    out.append("            return CodecStatus.Ok;")
    out.append("        }")
    out.append("")
    out.append("        // Writes the fields; Measure must have run and the bytes must be reserved.")
    out.append("        internal void WriteTo(byte[] buffer, ref int position)")
    out.append("        {")
    out.extend(write)
    out.append("        }")
    out.append("")
    out.append("        // Reads fields until the reader's limit, merging into the current values.")
    out.append("        internal CodecStatus MergeFrom(ref ProtoReader reader)")
    out.append("        {")
    if uses_low32:
        out.append("            uint low32;")
    if uses_outer:
        out.append("            int outerLimit;")
    out.append("            while (reader.Position < reader.Limit)")
    out.append("            {")
    out.append("                int fieldNumber;")
    out.append("                int wireType;")
    out.append("                CodecStatus status = reader.ReadTag(out fieldNumber, out wireType);")
    out.append("                if (status != CodecStatus.Ok) return status;")
    out.append("                switch (fieldNumber)")
    out.append("                {")
    out.extend(decode)
    out.append("                    default:")
    out.append("                        status = reader.SkipField(fieldNumber, wireType);")
    out.append("                        if (status != CodecStatus.Ok) return status;")
    out.append("                        break;")
    out.append("                }")
    out.append("            }")
    out.append("")
    out.append("            return CodecStatus.Ok;")
    out.append("        }")
    out.append("    }")
    out.append("}")
    text = "\n".join(out) + "\n"
    text = re.sub(r"\n\n+(\s*})", r"\n\1", text)
    return text


def gen_decode_head(bodies):
    """DecodeHead of a message with a body oneof: every field but the body read as Decode reads it."""
    out = ["        // Like Decode, but the body is only named (BodyCase) and its bytes skipped, unread (the body's",
           "        // message keeps what it held): for a reader that decodes bodies with other types, once.",
           "        public CodecStatus DecodeHead(byte[] buffer, int offset, int count)",
           "        {",
           "            Clear();",
           "            CodecStatus status = ProtoWriter.CheckRange(buffer, offset, count);",
           "            if (status != CodecStatus.Ok) return status;",
           "            ProtoReader reader = new ProtoReader(buffer, offset, count);",
           "            while (reader.Position < reader.Limit)",
           "            {",
           "                int start = reader.Position;",
           "                int fieldNumber;",
           "                int wireType;",
           "                status = reader.ReadTag(out fieldNumber, out wireType);",
           "                if (status != CodecStatus.Ok) return status;",
           "                bool body = false;",
           "                switch (fieldNumber)",
           "                {"]
    out += ["                    case %d:" % f["number"] for f in bodies]
    out += ["                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;",
            "                        body = true;",
            "                        break;",
            "                }",
            "",
            "                status = reader.SkipField(fieldNumber, wireType);",
            "                if (status != CodecStatus.Ok) return status;",
            "                if (body)",
            "                {",
            "                    BodyCase = (EnvelopeBody)fieldNumber;",
            "                }",
            "                else",
            "                {",
            "                    ProtoReader field = new ProtoReader(buffer, start, reader.Position - start);",
            "                    status = MergeFrom(ref field);",
            "                    if (status != CodecStatus.Ok) return status;",
            "                }",
            "            }",
            "",
            "            return CodecStatus.Ok;",
            "        }",
            ""]
    return out


def gen_body_enum(envelope):
    out = ["// Which body an Envelope carries: the values are the field numbers of link.proto's",
           "// Envelope.body oneof (None = 0, no body). Written by protocol/tools/gen-island-codec.py.",
           "namespace Stratos.Island.Codec.Link", "{", "    public enum EnvelopeBody", "    {",
           "        // No body set.", "        None = 0,"]
    for f in sorted(envelope["fields"], key=lambda x: x["number"]):
        if f["oneof"]:
            out.extend(comment_lines(f["comment"], "        "))
            out.append("        %s = %d," % (pascal(f["name"]), f["number"]))
    out += ["    }", "}"]
    return "\n".join(out) + "\n"


def gen_enums(enums):
    files = []
    for enum in enums:
        if enum["file"] not in files:
            files.append(enum["file"])
    out = ["// The enums of %s for the island: values are the wire values," % " and ".join(files),
           "// names drop the proto prefix (VM_STATE_RUNNING -> VmState.Running).",
           "// Written by protocol/tools/gen-island-codec.py; regenerate instead of editing.",
           "// A test compares them with the host's Google.Protobuf types."]
    out += ["namespace Stratos.Island.Codec", "{"]
    for i, enum in enumerate(enums):
        if i:
            out.append("")
        out.extend(comment_lines(enum["comment"], "    "))
        out += ["    public enum %s" % enum["name"], "    {"]
        for value_name, number, comment in enum["values"]:
            out.extend(comment_lines(comment, "        "))
            out.append("        %s = %d," % (enum_member_name(enum["name"], value_name), number))
        out.append("    }")
    out.append("}")
    return "\n".join(out) + "\n"


def generate():
    """Relative path under the codec folder -> text, for every generated file."""
    messages, enums = load(compile_descriptors())
    files = {"Enums.cs": gen_enums(enums)}
    for msg in messages:
        files["Link/" + msg["name"] + ".cs"] = gen_message(msg)
        if msg["name"] == "Envelope":
            files["Link/EnvelopeBody.cs"] = gen_body_enum(msg)
    return files


def main():
    args = sys.argv[1:]
    if args and not (len(args) == 2 and args[0] == "--out"):
        sys.exit("usage: gen-island-codec.py [--out DIR]")
    out = os.path.abspath(args[1]) if args else CODEC
    files = generate()
    link = os.path.join(out, "Link")
    os.makedirs(link, exist_ok=True)
    for name in os.listdir(link):
        if name.endswith(".cs") and "Link/" + name not in files:
            os.remove(os.path.join(link, name))
    for name, text in files.items():
        with open(os.path.join(out, name), "w", newline="\n") as fh:
            fh.write(text)
    print("wrote %d files to %s" % (len(files), os.path.relpath(out, ROOT) if out.startswith(ROOT) else out))


if __name__ == "__main__":
    main()
