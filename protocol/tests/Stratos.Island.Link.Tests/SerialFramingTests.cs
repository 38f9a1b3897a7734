using System.Collections.Generic;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Codec;
using Stratos.Island.Link.Serial;

namespace Stratos.Island.Link.Tests;

[TestClass]
public sealed class SerialFramingTests
{
    private sealed class Wire : IByteSink, ISerialFrameSink
    {
        public readonly List<byte> Bytes = new();
        public readonly List<byte[]> Frames = new();

        public void Write(byte[] buffer, int offset, int count)
        {
            for (int i = 0; i < count; i++) Bytes.Add(buffer[offset + i]);
        }

        public void OnFrame(byte[] buffer, int offset, int length) => Frames.Add(buffer[offset..(offset + length)]);
    }

    private static byte[] Encode(byte[] payload)
    {
        Wire wire = new();
        Assert.IsTrue(new SerialFrameWriter(wire).TryWrite(payload, 0, payload.Length));
        return wire.Bytes.ToArray();
    }

    [TestMethod]
    public void Crc32_matches_the_IEEE_check_value()
    {
        byte[] check = System.Text.Encoding.ASCII.GetBytes("123456789");
        Assert.AreEqual(0xCBF43926u, Crc32.Compute(check, 0, check.Length));
    }

    [TestMethod]
    public void Cobs_encoding_of_a_known_payload_matches_the_hand_computed_bytes()
    {
        // payload 11 00 22: the first block is "11" (code 2), then the zero is implied by the code.
        byte[] frame = Encode(new byte[] { 0x11, 0x00, 0x22 });
        Assert.AreEqual(0x02, frame[0]);
        Assert.AreEqual(0x11, frame[1]);
        Assert.AreEqual(0x00, frame[^1]);
        Assert.AreEqual(-1, System.Array.IndexOf(frame, (byte)0, 0, frame.Length - 1), "no zero inside the frame");
    }

    [TestMethod]
    public void Frames_round_trip_for_all_sizes_and_any_chunking()
    {
        Wire wire = new();
        SerialFrameWriter writer = new(wire);
        List<byte[]> sent = new();
        foreach (int size in new[] { 0, 1, 253, 254, 255, 256, 508, 509, 512 })
        {
            byte[] payload = new byte[size];
            for (int i = 0; i < size; i++) payload[i] = (byte)(i % 3 == 0 ? 0 : i);
            sent.Add(payload);
            Assert.IsTrue(writer.TryWrite(payload, 0, size));
        }

        byte[] stream = wire.Bytes.ToArray();
        Wire receiver = new();
        SerialFrameDecoder decoder = new(receiver, null);
        for (int at = 0; at < stream.Length; at += 7)
        {
            decoder.Feed(stream, at, System.Math.Min(7, stream.Length - at));
        }

        Assert.AreEqual(sent.Count, receiver.Frames.Count);
        for (int i = 0; i < sent.Count; i++) CollectionAssert.AreEqual(sent[i], receiver.Frames[i]);
        Assert.AreEqual(sent.Count, decoder.Counters.Frames);
    }

    [TestMethod]
    public void Payload_over_512_bytes_is_refused_by_the_writer()
    {
        Wire wire = new();
        Assert.IsFalse(new SerialFrameWriter(wire).TryWrite(new byte[513], 0, 513));
        Assert.AreEqual(0, wire.Bytes.Count);
    }

    [TestMethod]
    public void Decoder_resynchronises_after_garbage_and_delivers_the_next_frame()
    {
        Wire receiver = new();
        SerialFrameDecoder decoder = new(receiver, null);
        byte[] garbage = { 0x45, 0x99, 0x13, 0x07, 0x88 };
        decoder.Feed(garbage, 0, garbage.Length);
        byte[] frame = Encode(new byte[] { 1, 2, 3 });
        decoder.Feed(frame, 0, frame.Length);
        // The garbage and the first frame merge into one body that fails; the next frame is clean.
        decoder.Feed(frame, 0, frame.Length);
        Assert.AreEqual(1, receiver.Frames.Count);
        CollectionAssert.AreEqual(new byte[] { 1, 2, 3 }, receiver.Frames[0]);
        Assert.AreEqual(1, decoder.Counters.BadCrc + decoder.Counters.Truncated);
    }

    [TestMethod]
    public void Frame_with_a_flipped_bit_is_counted_as_bad_crc()
    {
        Wire receiver = new();
        SerialFrameDecoder decoder = new(receiver, null);
        byte[] frame = Encode(new byte[] { 10, 20, 30, 40 });
        frame[2] ^= 0x01;
        decoder.Feed(frame, 0, frame.Length);
        Assert.AreEqual(0, receiver.Frames.Count);
        Assert.AreEqual(1, decoder.Counters.BadCrc);
    }

    [TestMethod]
    public void Endless_body_without_delimiter_is_counted_as_overlong_and_the_next_frame_is_delivered()
    {
        Wire receiver = new();
        SerialFrameDecoder decoder = new(receiver, null);
        byte[] noise = new byte[2000];
        for (int i = 0; i < noise.Length; i++) noise[i] = 0x5A;
        decoder.Feed(noise, 0, noise.Length);
        decoder.Feed(new byte[] { 0 }, 0, 1);
        byte[] frame = Encode(new byte[] { 7 });
        decoder.Feed(frame, 0, frame.Length);
        Assert.AreEqual(1, decoder.Counters.Overlong);
        Assert.AreEqual(1, receiver.Frames.Count);
    }

    [TestMethod]
    public void Frame_shorter_than_its_crc_is_counted_as_truncated()
    {
        Wire receiver = new();
        SerialFrameDecoder decoder = new(receiver, null);
        decoder.Feed(new byte[] { 0x03, 0x11, 0x22, 0x00 }, 0, 4);
        decoder.Feed(new byte[] { 0x09, 0x11, 0x00 }, 0, 3);
        Assert.AreEqual(2, decoder.Counters.Truncated);
        Assert.AreEqual(0, receiver.Frames.Count);
    }
}
