using System;
using System.Linq;
using FsCheck;
using FsCheck.Fluent;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Codec;
using HostLink = Stratos.Island.Protocol.Link.V1;

namespace Stratos.Island.Protocol.Tests;

/// <summary>FsCheck properties over random messages within the proto limits. FsCheck draws the body
/// case and a seed; the message is built from the descriptors by MessageFiller (edge values, multi-byte
/// strings, full and partial repeated fields, unknown enum values). A failure prints the body and seed,
/// which reproduce the message exactly.</summary>
[TestClass]
public sealed class PropertyTests
{
    private const int CasesPerProperty = 300;

    private static readonly FieldDescriptor[] Bodies = HostLink.Envelope.Descriptor.Oneofs[0].Fields.ToArray();

    private static Config Config => Config.QuickThrowOnFailure.WithMaxTest(CasesPerProperty);

    private static Arbitrary<(int Body, int Seed)> BodyAndSeed() =>
        Gen.Zip(Gen.Choose(0, Bodies.Length - 1), Gen.Choose(0, int.MaxValue)).ToArbitrary();

    private static HostLink.Envelope RandomEnvelope(int body, int seed)
    {
        var random = new Random(seed);
        var envelope = new HostLink.Envelope();
        MessageFiller.FillRandom(envelope, random, Bodies[body]);
        return envelope;
    }

    private static HostLink.VmDefinition RandomVmDefinition(int seed)
    {
        var definition = new HostLink.VmDefinition();
        MessageFiller.FillRandom(definition, new Random(seed));
        return definition;
    }

    /// <summary>Google bytes -> island Decode -> island Encode gives the same bytes, and Google parses
    /// them back to the original message.</summary>
    private static bool GoogleBytesRoundTripThroughIsland(IMessage original)
    {
        byte[] bytes = original.ToByteArray();
        object island = Mirror.NewIsland(original.Descriptor);
        CodecStatus status = IslandCodec.Decode(island, bytes);
        if (status != CodecStatus.Ok) throw new AssertFailedException($"island Decode returned {status} for {original}");
        byte[] again = IslandCodec.EncodeOk(island);
        if (!again.AsSpan().SequenceEqual(bytes)) throw new AssertFailedException($"island re-encoding differs for {original}");
        return original.Descriptor.Parser.ParseFrom(again).Equals(original);
    }

    /// <summary>An island-built message encodes to Google's canonical bytes, and Google decodes it to
    /// the same values.</summary>
    private static bool IslandBuiltMessageDecodesEquallyWithGoogle(IMessage model)
    {
        object island = Mirror.NewIsland(model.Descriptor);
        Mirror.ToIsland(model, island);
        byte[] bytes = IslandCodec.EncodeOk(island);
        if (IslandCodec.ComputeSize(island) != bytes.Length) throw new AssertFailedException("ComputeSize disagrees with Encode");
        IMessage parsed = model.Descriptor.Parser.ParseFrom(bytes);
        return parsed.Equals(model)
            && parsed.Equals(Mirror.ToGoogle(island, model.Descriptor))
            && parsed.ToByteArray().AsSpan().SequenceEqual(bytes);
    }

    [TestMethod]
    public void Random_envelopes_round_trip_from_google_through_the_island_codec()
    {
        Prop.ForAll(BodyAndSeed(), input =>
                GoogleBytesRoundTripThroughIsland(RandomEnvelope(input.Body, input.Seed)))
            .Check(Config);
    }

    [TestMethod]
    public void Random_island_built_envelopes_decode_equally_with_google()
    {
        Prop.ForAll(BodyAndSeed(), input =>
                IslandBuiltMessageDecodesEquallyWithGoogle(RandomEnvelope(input.Body, input.Seed)))
            .Check(Config);
    }

    [TestMethod]
    public void Random_vm_definitions_round_trip_both_ways()
    {
        Prop.ForAll(Gen.Choose(0, int.MaxValue).ToArbitrary(), seed =>
            {
                HostLink.VmDefinition definition = RandomVmDefinition(seed);
                return GoogleBytesRoundTripThroughIsland(definition) && IslandBuiltMessageDecodesEquallyWithGoogle(definition);
            })
            .Check(Config);
    }

    [TestMethod]
    public void Every_body_case_is_drawn_by_the_generator()
    {
        // Guards the generator itself: over the property's sample size every body case occurs.
        var drawn = BodyAndSeed().Generator.Sample(CasesPerProperty).Select(x => x.Body).Distinct().Count();
        Assert.AreEqual(Bodies.Length, drawn);
    }

    [TestMethod]
    public void Random_utf8_strings_encode_like_dotnet_and_validate()
    {
        Prop.ForAll(Gen.Choose(0, int.MaxValue).ToArbitrary(), seed =>
            {
                string text = MessageFiller.RandomString(new Random(seed), 64);
                byte[] expected = System.Text.Encoding.UTF8.GetBytes(text);
                var buffer = new byte[256];
                int end = Utf8.Write(text, buffer, 0);
                return Utf8.ByteCount(text) == expected.Length
                    && buffer.AsSpan(0, end).SequenceEqual(expected)
                    && Utf8.IsValid(buffer, 0, end);
            })
            .Check(Config);
    }

    [TestMethod]
    public void Lone_surrogates_are_encoded_as_replacement_characters_like_google_protobuf()
    {
        var error = new HostLink.Error { Message = "a\uD800b\uDC00" };
        var island = new Stratos.Island.Codec.Link.Error { Message = error.Message };
        CollectionAssert.AreEqual(error.ToByteArray(), IslandCodec.EncodeOk(island));
    }

    [TestMethod]
    public void Random_utf8_strings_decode_truncate_and_write_at_most_like_dotnet()
    {
        Prop.ForAll(Gen.Choose(0, int.MaxValue).ToArbitrary(), seed =>
            {
                var random = new Random(seed);
                string text = MessageFiller.RandomString(random, 64);
                byte[] bytes = System.Text.Encoding.UTF8.GetBytes(text);
                int max = random.Next(0, bytes.Length + 2);
                string cut = Utf8.Truncate(text, max);
                var buffer = new byte[256];
                int written = Utf8.WriteAtMost(text, buffer, 3, max) - 3;
                byte[] cutBytes = System.Text.Encoding.UTF8.GetBytes(cut);
                return Utf8.Decode(bytes, 0, bytes.Length) == System.Text.Encoding.UTF8.GetString(bytes)
                    && text.StartsWith(cut, StringComparison.Ordinal)
                    && cutBytes.Length <= max
                    && (cut.Length == text.Length || cutBytes.Length + System.Text.Encoding.UTF8.GetByteCount(text.Substring(cut.Length, char.IsSurrogatePair(text, cut.Length) ? 2 : 1)) > max)
                    && buffer.AsSpan(3, written).SequenceEqual(cutBytes);
            })
            .Check(Config);
    }

    [TestMethod]
    public void Characters_beyond_U_FFFF_encode_as_four_bytes_like_google_protobuf_and_decode_back()
    {
        const string text = "vm \U0001F680 \U00010348 end";
        var error = new HostLink.Error { Message = text };
        var island = new Stratos.Island.Codec.Link.Error { Message = text };
        byte[] encoded = IslandCodec.EncodeOk(island);
        CollectionAssert.AreEqual(error.ToByteArray(), encoded);
        Assert.AreEqual(16, Utf8.ByteCount(text));
        var decoded = new Stratos.Island.Codec.Link.Error();
        Assert.AreEqual(CodecStatus.Ok, decoded.Decode(encoded, 0, encoded.Length));
        Assert.AreEqual(text, decoded.Message);
        Assert.AreEqual("vm \U0001F680", Utf8.Truncate(text, 7));
        Assert.AreEqual("vm ", Utf8.Truncate(text, 6), "a character is never split");
        Assert.AreEqual("\uFFFD", Utf8.Decode(new byte[] { 0xC0 }, 0, 1), "an ill-formed byte decodes as U+FFFD");
    }
}
