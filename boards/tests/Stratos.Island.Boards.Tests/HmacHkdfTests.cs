using System;
using System.Security.Cryptography;
using System.Text;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Firmware.Bundle;

namespace Stratos.Island.Boards.Tests;

/// <summary>
/// The firmware-dialect HMAC-SHA256 and HKDF-SHA256 (used by the island's authenticated link) against
/// the RFC 4231 and RFC 5869 test vectors, and against .NET's HMACSHA256 / HKDF (used by the agent)
/// on the same inputs: both ends of the link must compute the same keys and tags.
/// </summary>
[TestClass]
public sealed class HmacHkdfTests
{
    private static byte[] Repeat(byte value, int count)
    {
        byte[] bytes = new byte[count];
        Array.Fill(bytes, value);
        return bytes;
    }

    private static string IslandHmac(byte[] key, byte[] data, int chunk)
    {
        var hmac = new HmacSha256();
        hmac.SetKey(key, 0, key.Length);
        hmac.Begin();
        for (int offset = 0; offset < data.Length; offset += chunk)
        {
            hmac.Update(data, offset, Math.Min(chunk, data.Length - offset));
        }
        byte[] tag = new byte[34];
        hmac.Final(tag, 1, 32);
        return Convert.ToHexStringLower(tag, 1, 32);
    }

    private static string IslandHkdf(byte[] ikm, byte[] salt, byte[] info, int length)
    {
        byte[] okm = new byte[length + 3];
        new HkdfSha256().DeriveKey(ikm, 0, ikm.Length, salt, 0, salt.Length, info, 0, info.Length, okm, 3, length);
        return Convert.ToHexStringLower(okm, 3, length);
    }

    [TestMethod]
    [DataRow("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "4869205468657265", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7", DisplayName = "RFC 4231 test case 1")]
    [DataRow("4a656665", "7768617420646f2079612077616e7420666f72206e6f7468696e673f", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", DisplayName = "RFC 4231 test case 2")]
    public void Rfc_4231_vectors_match_in_both_implementations(string keyHex, string dataHex, string expected)
    {
        byte[] key = Convert.FromHexString(keyHex);
        byte[] data = Convert.FromHexString(dataHex);
        Assert.AreEqual(expected, IslandHmac(key, data, 64));
        Assert.AreEqual(expected, IslandHmac(key, data, 3));
        Assert.AreEqual(expected, Convert.ToHexStringLower(HMACSHA256.HashData(key, data)));
    }

    [TestMethod]
    public void Rfc_4231_test_case_6_key_longer_than_a_block_is_hashed_first()
    {
        byte[] key = Repeat(0xaa, 131);
        byte[] data = Encoding.ASCII.GetBytes("Test Using Larger Than Block-Size Key - Hash Key First");
        const string expected = "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54";
        Assert.AreEqual(expected, IslandHmac(key, data, 64));
        Assert.AreEqual(expected, Convert.ToHexStringLower(HMACSHA256.HashData(key, data)));
    }

    [TestMethod]
    public void Rfc_5869_test_case_1_basic_derivation_matches_in_both_implementations()
    {
        byte[] ikm = Repeat(0x0b, 22);
        byte[] salt = Convert.FromHexString("000102030405060708090a0b0c");
        byte[] info = Convert.FromHexString("f0f1f2f3f4f5f6f7f8f9");
        const string expected = "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865";
        Assert.AreEqual(expected, IslandHkdf(ikm, salt, info, 42));
        Assert.AreEqual(expected, Convert.ToHexStringLower(HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, 42, salt, info)));
    }

    [TestMethod]
    public void Rfc_5869_test_case_3_empty_salt_and_info_match_in_both_implementations()
    {
        byte[] ikm = Repeat(0x0b, 22);
        const string expected = "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8";
        Assert.AreEqual(expected, IslandHkdf(ikm, Array.Empty<byte>(), Array.Empty<byte>(), 42));
        Assert.AreEqual(expected, Convert.ToHexStringLower(HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, 42, Array.Empty<byte>(), Array.Empty<byte>())));
    }

    [TestMethod]
    public void Random_keys_and_messages_give_the_same_tags_in_both_implementations()
    {
        var random = new Random(15);
        var hmac = new HmacSha256();
        byte[] tag = new byte[32];
        for (int round = 0; round < 200; round++)
        {
            byte[] key = new byte[random.Next(0, 150)];
            byte[] data = new byte[random.Next(0, 600)];
            random.NextBytes(key);
            random.NextBytes(data);
            hmac.SetKey(key, 0, key.Length);
            // The same keyed instance twice: the precomputed ipad/opad states are reused, not consumed.
            for (int again = 0; again < 2; again++)
            {
                hmac.Begin();
                hmac.Update(data, 0, data.Length);
                hmac.Final(tag, 0, 32);
                CollectionAssert.AreEqual(HMACSHA256.HashData(key, data), tag, $"round {round}, key {key.Length} bytes, data {data.Length} bytes");
            }
        }
    }

    [TestMethod]
    public void Hmac_allocates_nothing_per_message()
    {
        var hmac = new HmacSha256();
        byte[] key = Repeat(7, 32);
        byte[] data = Repeat(9, 480);
        byte[] tag = new byte[16];
        hmac.SetKey(key, 0, key.Length);
        hmac.Begin();
        hmac.Update(data, 0, data.Length);
        hmac.Final(tag, 0, 16);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            hmac.Begin();
            hmac.Update(data, 0, data.Length);
            hmac.Final(tag, 0, 16);
        }
        Assert.AreEqual(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
