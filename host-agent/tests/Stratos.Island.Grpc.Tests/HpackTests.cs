using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Grpc.Http2;

namespace Stratos.Island.Grpc.Tests;

/// <summary>HPACK against the examples of RFC 7541 Appendix C, plus malformed blocks.</summary>
[TestClass]
public sealed class HpackTests
{
    [TestMethod]
    [DataRow(10, 5, "0a")]
    [DataRow(1337, 5, "1f9a0a")]
    [DataRow(42, 8, "2a")]
    public void Integers_match_rfc_7541_c1(int value, int prefixBits, string hex)
    {
        var buffer = new byte[8];
        int length = HpackEncoder.WriteInteger(buffer, 0, value, prefixBits, 0);
        Assert.AreEqual(hex, Convert.ToHexString(buffer, 0, length).ToLowerInvariant());
        int offset = 0;
        Assert.AreEqual(value, HpackDecoder.ReadInteger(Bytes(hex), ref offset, prefixBits));
        Assert.AreEqual(length, offset);
    }

    [TestMethod]
    public void Literal_with_indexing_c2_1_enters_the_dynamic_table()
    {
        var decoder = new HpackDecoder();
        var fields = Decode(decoder, "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572");
        AssertFields(fields, "custom-key", "custom-header");
        Assert.AreEqual(1, decoder.DynamicTableCount);
        Assert.AreEqual(55, decoder.DynamicTableSizeBytes);
    }

    [TestMethod]
    public void Literal_without_indexing_c2_2_leaves_the_table_empty()
    {
        var decoder = new HpackDecoder();
        AssertFields(Decode(decoder, "040c 2f73 616d 706c 652f 7061 7468"), ":path", "/sample/path");
        Assert.AreEqual(0, decoder.DynamicTableCount);
    }

    [TestMethod]
    public void Never_indexed_literal_c2_3_and_indexed_field_c2_4_decode()
    {
        var decoder = new HpackDecoder();
        AssertFields(Decode(decoder, "1008 7061 7373 776f 7264 0673 6563 7265 74"), "password", "secret");
        AssertFields(Decode(decoder, "82"), ":method", "GET");
        Assert.AreEqual(0, decoder.DynamicTableCount);
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void Request_series_c3_and_c4_share_one_dynamic_table(bool huffman)
    {
        string[] blocks = huffman
            ? new[] { "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff", "8286 84be 5886 a8eb 1064 9cbf", "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf" }
            : new[] { "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d", "8286 84be 5808 6e6f 2d63 6163 6865", "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65" };
        var decoder = new HpackDecoder();
        AssertFields(Decode(decoder, blocks[0]), ":method", "GET", ":scheme", "http", ":path", "/", ":authority", "www.example.com");
        Assert.AreEqual(57, decoder.DynamicTableSizeBytes);
        AssertFields(Decode(decoder, blocks[1]), ":method", "GET", ":scheme", "http", ":path", "/", ":authority", "www.example.com", "cache-control", "no-cache");
        Assert.AreEqual(110, decoder.DynamicTableSizeBytes);
        AssertFields(Decode(decoder, blocks[2]), ":method", "GET", ":scheme", "https", ":path", "/index.html", ":authority", "www.example.com", "custom-key", "custom-value");
        Assert.AreEqual(164, decoder.DynamicTableSizeBytes);
        Assert.AreEqual(("custom-key", "custom-value"), decoder.DynamicEntry(1));
        Assert.AreEqual(("cache-control", "no-cache"), decoder.DynamicEntry(2));
        Assert.AreEqual((":authority", "www.example.com"), decoder.DynamicEntry(3));
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void Response_series_c5_and_c6_evict_from_a_256_byte_table(bool huffman)
    {
        string[] blocks = huffman
            ? new[]
            {
                "4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3",
                "4883 640e ffc1 c0bf",
                "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07",
            }
            : new[]
            {
                "4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
                "4803 3330 37c1 c0bf",
                "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31",
            };
        var decoder = new HpackDecoder(256);
        AssertFields(Decode(decoder, blocks[0]), ":status", "302", "cache-control", "private", "date", "Mon, 21 Oct 2013 20:13:21 GMT", "location", "https://www.example.com");
        Assert.AreEqual(222, decoder.DynamicTableSizeBytes);
        Assert.AreEqual(4, decoder.DynamicTableCount);

        AssertFields(Decode(decoder, blocks[1]), ":status", "307", "cache-control", "private", "date", "Mon, 21 Oct 2013 20:13:21 GMT", "location", "https://www.example.com");
        Assert.AreEqual(222, decoder.DynamicTableSizeBytes);
        Assert.AreEqual((":status", "307"), decoder.DynamicEntry(1));
        Assert.AreEqual(("cache-control", "private"), decoder.DynamicEntry(4));

        const string cookie = "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1";
        AssertFields(Decode(decoder, blocks[2]), ":status", "200", "cache-control", "private", "date", "Mon, 21 Oct 2013 20:13:22 GMT",
            "location", "https://www.example.com", "content-encoding", "gzip", "set-cookie", cookie);
        Assert.AreEqual(215, decoder.DynamicTableSizeBytes);
        Assert.AreEqual(3, decoder.DynamicTableCount);
        Assert.AreEqual(("set-cookie", cookie), decoder.DynamicEntry(1));
        Assert.AreEqual(("content-encoding", "gzip"), decoder.DynamicEntry(2));
        Assert.AreEqual(("date", "Mon, 21 Oct 2013 20:13:22 GMT"), decoder.DynamicEntry(3));
    }

    [TestMethod]
    public void Huffman_strings_of_the_rfc_decode()
    {
        var output = new MemoryStream();
        HpackHuffman.Decode(Bytes("f1e3 c2e5 f23a 6ba0 ab90 f4ff"), output);
        Assert.AreEqual("www.example.com", Encoding.ASCII.GetString(output.ToArray()));
    }

    [TestMethod]
    [DataRow("ff", "padding")]
    [DataRow("1fff", "padding")]
    [DataRow("00", "padding")]
    [DataRow("ffffffff fc", "EOS")]
    public void Bad_huffman_strings_are_rejected(string hex, string fragment)
    {
        var e = Assert.ThrowsExactly<HpackException>(() => HpackHuffman.Decode(Bytes(hex), new MemoryStream()));
        StringAssert.Contains(e.Message, fragment);
    }

    [TestMethod]
    public void Index_beyond_both_tables_names_the_index_and_offset()
    {
        var e = Assert.ThrowsExactly<HpackException>(() => Decode(new HpackDecoder(), "82 ff10"));
        StringAssert.Contains(e.Message, "index 143");
        StringAssert.Contains(e.Message, "offset 1");
    }

    [TestMethod]
    public void Size_update_above_the_advertised_limit_is_rejected()
    {
        var e = Assert.ThrowsExactly<HpackException>(() => Decode(new HpackDecoder(), "3fe2 1f"));
        StringAssert.Contains(e.Message, "exceeds the advertised 4096");
    }

    [TestMethod]
    public void Size_update_to_zero_empties_the_dynamic_table()
    {
        var decoder = new HpackDecoder();
        Decode(decoder, "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572");
        Decode(decoder, "20");
        Assert.AreEqual(0, decoder.DynamicTableCount);
        Assert.AreEqual(0, decoder.DynamicTableSizeBytes);
    }

    [TestMethod]
    public void String_running_past_the_block_is_rejected()
    {
        var e = Assert.ThrowsExactly<HpackException>(() => Decode(new HpackDecoder(), "400a 6375 7374"));
        StringAssert.Contains(e.Message, "runs past the end");
    }

    [TestMethod]
    public void Encoder_output_decodes_to_the_same_fields()
    {
        var buffer = new byte[256];
        int length = HpackEncoder.WriteField(buffer, 0, ":path", "/stratos.island.agent.v1.VmService/ListVms");
        length = HpackEncoder.WriteField(buffer, length, "grpc-timeout", "15000m");
        var fields = new List<KeyValuePair<string, string>>();
        var decoder = new HpackDecoder();
        decoder.Decode(buffer.AsSpan(0, length), fields);
        AssertFields(fields, ":path", "/stratos.island.agent.v1.VmService/ListVms", "grpc-timeout", "15000m");
        Assert.AreEqual(0, decoder.DynamicTableCount);
    }

    private static byte[] Bytes(string hex) => Convert.FromHexString(hex.Replace(" ", string.Empty, StringComparison.Ordinal));

    private static List<KeyValuePair<string, string>> Decode(HpackDecoder decoder, string hex)
    {
        var fields = new List<KeyValuePair<string, string>>();
        decoder.Decode(Bytes(hex), fields);
        return fields;
    }

    private static void AssertFields(List<KeyValuePair<string, string>> fields, params string[] expected)
    {
        var actual = new List<string>();
        foreach (var field in fields)
        {
            actual.Add(field.Key);
            actual.Add(field.Value);
        }

        CollectionAssert.AreEqual(expected, actual);
    }
}
