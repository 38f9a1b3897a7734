using System;
using System.IO;
using FsCheck;
using FsCheck.Fluent;
using Google.Protobuf;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Codec;

namespace Stratos.Island.Protocol.Tests;

/// <summary>ProtoWriter / ProtoReader primitives against Google.Protobuf's CodedOutputStream and
/// CodedInputStream.</summary>
[TestClass]
public sealed class LowLevelTests
{
    private static byte[] GoogleBytes(Action<CodedOutputStream> write)
    {
        var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        write(output);
        output.Flush();
        return stream.ToArray();
    }

    private static readonly ulong[] Boundaries =
    {
        0, 1, 0x7F, 0x80, 0x3FFF, 0x4000, 0x1FFFFF, 0x200000, 0xFFFFFFF, 0x10000000, 0xFFFFFFFF,
        0x100000000, 0x7FFFFFFFFFFFFFFF, 0x8000000000000000, ulong.MaxValue,
    };

    [TestMethod]
    public void Varint_sizes_and_bytes_equal_google_protobuf_at_every_boundary()
    {
        var buffer = new byte[10];
        foreach (ulong value in Boundaries)
        {
            Assert.AreEqual(CodedOutputStream.ComputeUInt64Size(value), ProtoWriter.VarintSize64(value), $"size of {value}");
            int position = 0;
            ProtoWriter.WriteVarint64(buffer, ref position, value);
            CollectionAssert.AreEqual(GoogleBytes(o => o.WriteUInt64(value)), buffer[..position], $"bytes of {value}");
            var reader = new ProtoReader(buffer, 0, position);
            Assert.AreEqual(CodecStatus.Ok, reader.ReadVarint64(out ulong back));
            Assert.AreEqual(value, back);
            if (value <= uint.MaxValue)
            {
                Assert.AreEqual(CodedOutputStream.ComputeUInt32Size((uint)value), ProtoWriter.VarintSize32((uint)value));
            }
        }
    }

    [TestMethod]
    public void Int32_and_sint32_encodings_equal_google_protobuf()
    {
        Prop.ForAll(Gen.Choose(int.MinValue, int.MaxValue).ToArbitrary(), value =>
            {
                var buffer = new byte[10];
                int position = 0;
                ProtoWriter.WriteInt32(buffer, ref position, value);
                bool int32 = buffer.AsSpan(0, position).SequenceEqual(GoogleBytes(o => o.WriteInt32(value)))
                    && ProtoWriter.Int32Size(value) == CodedOutputStream.ComputeInt32Size(value);
                position = 0;
                ProtoWriter.WriteVarint32(buffer, ref position, ProtoWriter.ZigZag32(value));
                bool sint32 = buffer.AsSpan(0, position).SequenceEqual(GoogleBytes(o => o.WriteSInt32(value)))
                    && ProtoWriter.UnZigZag32(ProtoWriter.ZigZag32(value)) == value;
                return int32 && sint32;
            })
            .Check(Config.QuickThrowOnFailure.WithMaxTest(500));
    }

    [TestMethod]
    public void Zigzag_maps_small_magnitudes_to_small_values()
    {
        Assert.AreEqual(0u, ProtoWriter.ZigZag32(0));
        Assert.AreEqual(1u, ProtoWriter.ZigZag32(-1));
        Assert.AreEqual(2u, ProtoWriter.ZigZag32(1));
        Assert.AreEqual(0xFFFFFFFFu, ProtoWriter.ZigZag32(int.MinValue));
        Assert.AreEqual(0xFFFFFFFFFFFFFFFFul, ProtoWriter.ZigZag64(long.MinValue));
        Assert.AreEqual(long.MinValue, ProtoWriter.UnZigZag64(ProtoWriter.ZigZag64(long.MinValue)));
    }

    [TestMethod]
    public void Fixed_values_are_little_endian_like_google_protobuf()
    {
        var buffer = new byte[12];
        int position = 0;
        ProtoWriter.WriteFixed32(buffer, ref position, 0x01020304);
        ProtoWriter.WriteFixed64(buffer, ref position, 0x0102030405060708);
        byte[] google = GoogleBytes(o =>
        {
            o.WriteFixed32(0x01020304);
            o.WriteFixed64(0x0102030405060708);
        });
        CollectionAssert.AreEqual(google, buffer);
        var reader = new ProtoReader(buffer, 0, buffer.Length);
        Assert.AreEqual(CodecStatus.Ok, reader.ReadFixed32(out uint fixed32));
        Assert.AreEqual(CodecStatus.Ok, reader.ReadFixed64(out ulong fixed64));
        Assert.AreEqual(0x01020304u, fixed32);
        Assert.AreEqual(0x0102030405060708ul, fixed64);
        Assert.IsTrue(reader.AtEnd);
        Assert.AreEqual(CodecStatus.Truncated, new ProtoReader(buffer, 0, 7).ReadFixed64(out _));
    }

    [TestMethod]
    public void Reader_never_reads_past_its_limit()
    {
        byte[] buffer = { 0x96, 0x01, 0xFF };
        var reader = new ProtoReader(buffer, 0, 1);
        Assert.AreEqual(CodecStatus.Truncated, reader.ReadVarint64(out _));
        Assert.AreEqual(0, reader.Position);
        reader = new ProtoReader(buffer, 0, 2);
        Assert.AreEqual(CodecStatus.Ok, reader.ReadVarint32(out uint value));
        Assert.AreEqual(150u, value);
    }

    [TestMethod]
    public void Skip_field_handles_every_wire_type()
    {
        byte[] bytes = GoogleBytes(o =>
        {
            o.WriteTag(1, WireFormat.WireType.Varint); o.WriteUInt64(ulong.MaxValue);
            o.WriteTag(2, WireFormat.WireType.Fixed64); o.WriteFixed64(7);
            o.WriteTag(3, WireFormat.WireType.LengthDelimited); o.WriteString("skip me");
            o.WriteTag(4, WireFormat.WireType.StartGroup); o.WriteTag(1, WireFormat.WireType.Fixed32); o.WriteFixed32(1); o.WriteTag(4, WireFormat.WireType.EndGroup);
            o.WriteTag(5, WireFormat.WireType.Fixed32); o.WriteFixed32(9);
        });
        var reader = new ProtoReader(bytes, 0, bytes.Length);
        int fields = 0;
        while (!reader.AtEnd)
        {
            Assert.AreEqual(CodecStatus.Ok, reader.ReadTag(out int number, out int wireType));
            Assert.AreEqual(CodecStatus.Ok, reader.SkipField(number, wireType));
            fields++;
        }

        Assert.AreEqual(5, fields);
        Assert.AreEqual(bytes.Length, reader.Position);
    }
}
