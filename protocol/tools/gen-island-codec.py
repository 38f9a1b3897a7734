#!/usr/bin/env python3
"""Writes the island codec's message classes (protocol/src/Stratos.Island.Codec/Link/*.cs) from
protocol/proto/stratos/island/link/v1/link.proto.

The island cannot run Google.Protobuf (nanoFramework has no generics, no Span), so its codec is
plain C# in the firmware dialect. Writing 32 message classes by hand invites slips; this script
writes them from the proto, including the (max_len) / (max_count) limits. The output is checked in
(the nanoFramework build cannot run this script) and is verified by the golden-vector, property and
worst-case tests in protocol/tests/Stratos.Island.Protocol.Tests, which compare every field with the
Google.Protobuf types through reflection: a field missing here fails them.

Usage: python3 protocol/tools/gen-island-codec.py [--check]
  --check  write nothing; exit 1 when the checked-in classes differ (run by the protocol tests)
The parser understands the subset of proto3 link.proto uses: messages, one oneof, scalar, enum,
message, repeated and limit options.
"""
import os
import re
import sys
import textwrap

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PROTO = os.path.join(ROOT, "protocol/proto/stratos/island/link/v1/link.proto")
OUT = os.path.join(ROOT, "protocol/src/Stratos.Island.Codec/Link")

SCALARS = {
    # proto type: (C# type, wire type, kind)
    "uint32": ("uint", 0, "uint32"),
    "int32": ("int", 0, "int32"),
    "sint32": ("int", 0, "sint32"),
    "uint64": ("ulong", 0, "uint64"),
    "bool": ("bool", 0, "bool"),
    "fixed32": ("uint", 5, "fixed32"),
    "fixed64": ("ulong", 1, "fixed64"),
    "string": ("string", 2, "string"),
    "bytes": ("byte[]", 2, "bytes"),
}


def pascal(name):
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def comment_lines(text, indent):
    """A proto comment as C# // lines wrapped to 100 columns."""
    return [indent + "// " + line for line in textwrap.wrap(text, 100 - len(indent) - 3)]


def camel(name):
    p = pascal(name)
    return p[:1].lower() + p[1:]


def parse(text):
    messages = []
    enums = set()
    comment = []
    stack = []  # message dicts / oneof markers
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("//"):
            comment.append(line[2:].strip())
            continue
        m = re.match(r"enum (\w+) \{", line)
        if m and not stack:
            enums.add(m.group(1))
            stack.append("enum")
            comment = []
            continue
        m = re.match(r"message (\w+) \{", line)
        if m:
            msg = {"name": m.group(1), "comment": " ".join(comment), "fields": [], "oneof": None}
            messages.append(msg)
            stack.append(msg)
            comment = []
            continue
        m = re.match(r"oneof (\w+) \{", line)
        if m:
            stack[-1]["oneof"] = m.group(1)
            stack.append("oneof")
            comment = []
            continue
        if line == "}":
            stack.pop()
            comment = []
            continue
        m = re.match(r"(repeated )?([\w.]+) (\w+) = (\d+)( \[(.*)\])?;", line)
        if m and stack and isinstance(stack[-1] if stack[-1] != "oneof" else stack[-2], dict):
            in_oneof = stack[-1] == "oneof"
            msg = stack[-2] if in_oneof else stack[-1]
            opts = m.group(6) or ""
            max_len = re.search(r"max_len\) = (\d+)", opts)
            max_count = re.search(r"max_count\) = (\d+)", opts)
            msg["fields"].append({
                "repeated": bool(m.group(1)),
                "type": m.group(2),
                "name": m.group(3),
                "number": int(m.group(4)),
                "max_len": int(max_len.group(1)) if max_len else None,
                "max_count": int(max_count.group(1)) if max_count else None,
                "comment": " ".join(comment),
                "oneof": in_oneof,
            })
            comment = []
            continue
        comment = []
    return messages, enums


def classify(field, message_names):
    t = field["type"]
    if t in SCALARS:
        cs, wt, kind = SCALARS[t]
        return cs, wt, kind
    short = t.split(".")[-1]
    if short in message_names:
        return short, 2, "message"
    return short, 0, "enum"


def tag_size(number):
    tag = number << 3
    size = 1
    while tag > 0x7F:
        size += 1
        tag >>= 7
    return size


def gen_message(msg, message_names):
    name = msg["name"]
    fields = sorted(msg["fields"], key=lambda f: f["number"])
    plain = [f for f in fields if not f["oneof"]]
    bodies = [f for f in fields if f["oneof"]]
    decl, consts, clear, measure, write, decode, privates = [], [], [], [], [], [], ["        internal int cachedSize;"]
    factories = []

    for f in plain:
        cs, wt, kind = classify(f, message_names)
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
                measure.append("                status = %s[i].Measure(out inner);" % P)
                measure.append("                if (status != CodecStatus.Ok) return status;")
                measure.append("                size += %d + ProtoWriter.VarintSize32((uint)inner) + inner;" % T)
                measure.append("            }")
                write.append("            for (int i = 0; i < %sCount; i++)" % P)
                write.append("            {")
                write.append("                ProtoWriter.WriteVarint32(buffer, ref position, %du);" % tagv)
                write.append("                ProtoWriter.WriteVarint32(buffer, ref position, (uint)%s[i].cachedSize);" % P)
                write.append("                %s[i].WriteTo(buffer, ref position);" % P)
                write.append("            }")
                decode.append("                    case %d:" % n)
                decode.append("                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;")
                decode.append("                        if (%sCount >= %sMaxCount) return CodecStatus.TooManyElements;" % (P, P))
                decode.append("                        %s[%sCount].Clear();" % (P, P))
                decode.append("                        status = reader.BeginMessage(out outerLimit);")
                decode.append("                        if (status != CodecStatus.Ok) return status;")
                decode.append("                        status = %s[%sCount].MergeFrom(ref reader);" % (P, P))
                decode.append("                        if (status != CodecStatus.Ok) return status;")
                decode.append("                        reader.EndMessage(outerLimit);")
                decode.append("                        %sCount++;" % P)
                decode.append("                        break;")
            elif kind == "string":
                ml = f["max_len"]
                if ml is None:
                    sys.exit("string field %s.%s has no max_len" % (name, f["name"]))
                consts.append("        public const int %sMaxLength = %d;" % (P, ml))
                privates.append("        private readonly int[] %sByteCounts = new int[%sMaxCount];" % (c, P))
                measure.append("            for (int i = 0; i < %sCount; i++)" % P)
                measure.append("            {")
                measure.append("                string item = %s[i];" % P)
                measure.append("                int itemBytes = item == null ? 0 : Utf8.ByteCount(item);")
                measure.append("                if (itemBytes > %sMaxLength) return CodecStatus.StringTooLong;" % P)
                measure.append("                %sByteCounts[i] = itemBytes;" % c)
                measure.append("                size += %d + ProtoWriter.VarintSize32((uint)itemBytes) + itemBytes;" % T)
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
                decode.append("                                if (%sCount >= %sMaxCount) return CodecStatus.TooManyElements;" % (P, P))
                decode.append("                                status = reader.ReadVarint32(out %s[%sCount]);" % (P, P))
                decode.append("                                if (status != CodecStatus.Ok) return status;")
                decode.append("                                %sCount++;" % P)
                decode.append("                            }")
                decode.append("")
                decode.append("                            reader.EndMessage(outerLimit);")
                decode.append("                        }")
                decode.append("                        else if (wireType == ProtoWriter.WireVarint)")
                decode.append("                        {")
                decode.append("                            if (%sCount >= %sMaxCount) return CodecStatus.TooManyElements;" % (P, P))
                decode.append("                            status = reader.ReadVarint32(out %s[%sCount]);" % (P, P))
                decode.append("                            if (status != CodecStatus.Ok) return status;")
                decode.append("                            %sCount++;" % P)
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
            measure.append("                status = %s.Measure(out inner);" % P)
            measure.append("                if (status != CodecStatus.Ok) return status;")
            measure.append("                size += %d + ProtoWriter.VarintSize32((uint)inner) + inner;" % T)
            measure.append("            }")
            write.append("            if (Has%s)" % P)
            write.append("            {")
            write.append("                ProtoWriter.WriteVarint32(buffer, ref position, %du);" % tagv)
            write.append("                ProtoWriter.WriteVarint32(buffer, ref position, (uint)%s.cachedSize);" % P)
            write.append("                %s.WriteTo(buffer, ref position);" % P)
            write.append("            }")
            decode.append("                    case %d:" % n)
            decode.append("                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;")
            decode.append("                        if (!Has%s)" % P)
            decode.append("                        {")
            decode.append("                            %s.Clear();" % P)
            decode.append("                            Has%s = true;" % P)
            decode.append("                        }")
            decode.append("")
            decode.append("                        status = reader.BeginMessage(out outerLimit);")
            decode.append("                        if (status != CodecStatus.Ok) return status;")
            decode.append("                        status = %s.MergeFrom(ref reader);" % P)
            decode.append("                        if (status != CodecStatus.Ok) return status;")
            decode.append("                        reader.EndMessage(outerLimit);")
            decode.append("                        break;")
            continue

        if kind == "string":
            ml = f["max_len"]
            if ml is None:
                sys.exit("string field %s.%s has no max_len" % (name, f["name"]))
            consts.append("        public const int %sMaxLength = %d;" % (P, ml))
            decl.append("        public string %s = string.Empty;" % P)
            privates.append("        private int %sByteCount;" % c)
            clear.append("            %s = string.Empty;" % P)
            measure.append("            if (%s != null && %s.Length != 0)" % (P, P))
            measure.append("            {")
            measure.append("                int bytes = Utf8.ByteCount(%s);" % P)
            measure.append("                if (bytes > %sMaxLength) return CodecStatus.StringTooLong;" % P)
            measure.append("                %sByteCount = bytes;" % c)
            measure.append("                size += %d + ProtoWriter.VarintSize32((uint)bytes) + bytes;" % T)
            measure.append("            }")
            write.append("            if (%s != null && %s.Length != 0)" % (P, P))
            write.append("            {")
            write.append("                ProtoWriter.WriteVarint32(buffer, ref position, %du);" % tagv)
            write.append("                ProtoWriter.WriteString(buffer, ref position, %s, %sByteCount);" % (P, c))
            write.append("            }")
            decode.append("                    case %d:" % n)
            decode.append("                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;")
            decode.append("                        status = reader.ReadString(%sMaxLength, out %s);" % (P, P))
            decode.append("                        if (status != CodecStatus.Ok) return status;")
            decode.append("                        break;")
            continue

        if kind == "bytes":
            ml = f["max_len"]
            if ml is None:
                sys.exit("bytes field %s.%s has no max_len" % (name, f["name"]))
            consts.append("        public const int %sMaxLength = %d;" % (P, ml))
            decl.append("        public readonly byte[] %s = new byte[%sMaxLength];" % (P, P))
            decl.append("        public int %sLength;" % P)
            clear.append("            %sLength = 0;" % P)
            measure.append("            if (%sLength < 0) return CodecStatus.InvalidLength;" % P)
            measure.append("            if (%sLength > %sMaxLength) return CodecStatus.StringTooLong;" % (P, P))
            measure.append("            if (%sLength != 0) size += %d + ProtoWriter.VarintSize32((uint)%sLength) + %sLength;" % (P, T, P, P))
            write.append("            if (%sLength != 0)" % P)
            write.append("            {")
            write.append("                ProtoWriter.WriteVarint32(buffer, ref position, %du);" % tagv)
            write.append("                ProtoWriter.WriteBytes(buffer, ref position, %s, %sLength);" % (P, P))
            write.append("            }")
            decode.append("                    case %d:" % n)
            decode.append("                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;")
            decode.append("                        status = reader.ReadBytes(%s, out %sLength);" % (P, P))
            decode.append("                        if (status != CodecStatus.Ok) return status;")
            decode.append("                        break;")
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
        write.append("            if (%s)" % cond)
        write.append("            {")
        write.append("                ProtoWriter.WriteVarint32(buffer, ref position, %du);" % tagv)
        write.append("                " + write_expr)
        write.append("            }")
        wname = {0: "WireVarint", 1: "WireFixed64", 5: "WireFixed32"}[wt]
        decode.append("                    case %d:" % n)
        decode.append("                        if (wireType != ProtoWriter.%s) return CodecStatus.WrongWireType;" % wname)
        if kind in ("uint32",):
            decode.append("                        status = reader.ReadVarint32(out %s);" % P)
        elif kind in ("int32", "enum", "sint32"):
            decode.append("                        status = reader.ReadVarint32(out low32);")
        elif kind == "uint64":
            decode.append("                        status = reader.ReadVarint64(out %s);" % P)
        elif kind == "bool":
            decode.append("                        status = reader.ReadBool(out %s);" % P)
        elif kind == "fixed32":
            decode.append("                        status = reader.ReadFixed32(out %s);" % P)
        elif kind == "fixed64":
            decode.append("                        status = reader.ReadFixed64(out %s);" % P)
        decode.append("                        if (status != CodecStatus.Ok) return status;")
        if kind == "int32":
            decode.append("                        %s = (int)low32;" % P)
        elif kind == "enum":
            decode.append("                        %s = (%s)(int)low32;" % (P, cs))
        elif kind == "sint32":
            decode.append("                        %s = ProtoWriter.UnZigZag32(low32);" % P)
        decode.append("                        break;")

    if bodies:
        decl.append("        // Which body is set (a value of EnvelopeBody: the body's field number, None = 0).")
        decl.append("        public EnvelopeBody BodyCase;")
        for f in bodies:
            cs, wt, kind = classify(f, message_names)
            P = pascal(f["name"])
            decl.extend(comment_lines(f["comment"], "        "))
            decl.append("        public readonly %s %s = new %s();" % (cs, P, cs))
        clear.append("            BodyCase = EnvelopeBody.None;")
        measure.append("            %s body = null;" % "object")
        measure.append("            switch (BodyCase)")
        measure.append("            {")
        for f in bodies:
            P = pascal(f["name"])
            T = tag_size(f["number"])
            measure.append("                case EnvelopeBody.%s:" % P)
            measure.append("                    status = %s.Measure(out inner);" % P)
            measure.append("                    if (status != CodecStatus.Ok) return status;")
            measure.append("                    size += %d + ProtoWriter.VarintSize32((uint)inner) + inner;" % T)
            measure.append("                    break;")
        measure.append("            }")
        measure.remove("            object body = null;")
        write.append("            switch (BodyCase)")
        write.append("            {")
        for f in bodies:
            P = pascal(f["name"])
            tagv = (f["number"] << 3) | 2
            write.append("                case EnvelopeBody.%s:" % P)
            write.append("                    ProtoWriter.WriteVarint32(buffer, ref position, %du);" % tagv)
            write.append("                    ProtoWriter.WriteVarint32(buffer, ref position, (uint)%s.cachedSize);" % P)
            write.append("                    %s.WriteTo(buffer, ref position);" % P)
            write.append("                    break;")
        write.append("            }")
        for f in bodies:
            P = pascal(f["name"])
            decode.append("                    case %d:" % f["number"])
            decode.append("                        if (wireType != ProtoWriter.WireLengthDelimited) return CodecStatus.WrongWireType;")
            decode.append("                        if (BodyCase != EnvelopeBody.%s) SetBody(EnvelopeBody.%s);" % (P, P))
            decode.append("                        status = reader.BeginMessage(out outerLimit);")
            decode.append("                        if (status != CodecStatus.Ok) return status;")
            decode.append("                        status = %s.MergeFrom(ref reader);" % P)
            decode.append("                        if (status != CodecStatus.Ok) return status;")
            decode.append("                        reader.EndMessage(outerLimit);")
            decode.append("                        break;")

    uses_inner = any(l.strip().startswith("status = ") for l in measure)
    uses_low32 = any("low32" in l for l in decode)
    uses_outer = any("outerLimit" in l for l in decode)

    out = []
    out.extend(comment_lines("%s (link.proto, package stratos.island.link.v1): %s" % (name, msg["comment"] or ""), ""))
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
        out.append("            switch (which)")
        out.append("            {")
        for f in bodies:
            P = pascal(f["name"])
            out.append("                case EnvelopeBody.%s:" % P)
            out.append("                    %s.Clear();" % P)
            out.append("                    break;")
        out.append("            }")
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


def gen_body_enum(envelope, message_names):
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


def main():
    check = sys.argv[1:] == ["--check"]
    if sys.argv[1:] and not check:
        sys.exit("usage: gen-island-codec.py [--check]")
    with open(PROTO) as fh:
        messages, _ = parse(fh.read())
    names = set(m["name"] for m in messages)
    files = {}
    for msg in messages:
        files[msg["name"] + ".cs"] = gen_message(msg, names)
        if msg["name"] == "Envelope":
            files["EnvelopeBody.cs"] = gen_body_enum(msg, names)
    if check:
        # --check: compare with the checked-in files, write nothing.
        existing = set(f for f in os.listdir(OUT) if f.endswith(".cs")) if os.path.isdir(OUT) else set()
        stale = sorted(existing.symmetric_difference(files))
        for name, text in sorted(files.items()):
            path = os.path.join(OUT, name)
            if os.path.exists(path):
                with open(path) as fh:
                    if fh.read() != text:
                        stale.append(name)
        if stale:
            print("stale island codec classes (run python3 protocol/tools/gen-island-codec.py): " + ", ".join(stale))
            sys.exit(1)
        print("island codec classes are up to date (%d files)" % len(files))
        return
    os.makedirs(OUT, exist_ok=True)
    for name in os.listdir(OUT):
        if name.endswith(".cs") and name not in files:
            os.remove(os.path.join(OUT, name))
    for name, text in files.items():
        with open(os.path.join(OUT, name), "w") as fh:
            fh.write(text)
    print("wrote %d message classes to %s" % (len(messages), os.path.relpath(OUT, ROOT)))


if __name__ == "__main__":
    main()
