using System;
using System.Security.Cryptography;
using System.Text;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Crypto;

namespace Stratos.Island.Firmware.Tests;

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
    [Verifies("IslDsgn~link-auth-keys~1")]
    public void Rfc_4231_vectors_match_in_both_implementations(string keyHex, string dataHex, string expected)
    {
        byte[] key = Convert.FromHexString(keyHex);
        byte[] data = Convert.FromHexString(dataHex);
        Assert.AreEqual(expected, IslandHmac(key, data, 64));
        Assert.AreEqual(expected, IslandHmac(key, data, 3));
        Assert.AreEqual(expected, Convert.ToHexStringLower(HMACSHA256.HashData(key, data)));
    }

    [TestMethod]
    [Verifies("IslDsgn~link-auth-keys~1")]
    public void Rfc_4231_test_case_6_key_longer_than_a_block_is_hashed_first()
    {
        byte[] key = Repeat(0xaa, 131);
        byte[] data = Encoding.ASCII.GetBytes("Test Using Larger Than Block-Size Key - Hash Key First");
        const string expected = "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54";
        Assert.AreEqual(expected, IslandHmac(key, data, 64));
        Assert.AreEqual(expected, Convert.ToHexStringLower(HMACSHA256.HashData(key, data)));
    }

    [TestMethod]
    [Verifies("IslDsgn~link-auth-keys~1")]
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
    [Verifies("IslDsgn~link-auth-keys~1")]
    public void Rfc_5869_test_case_3_empty_salt_and_info_match_in_both_implementations()
    {
        byte[] ikm = Repeat(0x0b, 22);
        const string expected = "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8";
        Assert.AreEqual(expected, IslandHkdf(ikm, Array.Empty<byte>(), Array.Empty<byte>(), 42));
        Assert.AreEqual(expected, Convert.ToHexStringLower(HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, 42, Array.Empty<byte>(), Array.Empty<byte>())));
    }

    [TestMethod]
    [Verifies("IslDsgn~link-auth-keys~1")]
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

    [TestMethod]
    [Verifies("IslDsgn~link-auth-keys~1")]
    public void Rfc_5869_test_case_2_long_inputs_and_a_three_block_output_match_in_both_implementations()
    {
        byte[] ikm = new byte[80];
        byte[] salt = new byte[80];
        byte[] info = new byte[80];
        for (int i = 0; i < 80; i++)
        {
            ikm[i] = (byte)i;
            salt[i] = (byte)(0x60 + i);
            info[i] = (byte)(0xb0 + i);
        }
        const string expected = "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87";
        Assert.AreEqual(expected, IslandHkdf(ikm, salt, info, 82));
        Assert.AreEqual(expected, Convert.ToHexStringLower(HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, 82, salt, info)));
    }

    [TestMethod]
    public void Hkdf_refuses_an_output_longer_than_255_blocks_or_negative_and_names_the_limit()
    {
        byte[] ikm = Repeat(1, 16);
        byte[] output = new byte[HkdfSha256.MaxOutputBytes + 1];
        var hkdf = new HkdfSha256();
        var tooLong = Assert.ThrowsExactly<ArgumentException>(() => hkdf.DeriveKey(ikm, 0, 16, ikm, 0, 0, ikm, 0, 0, output, 0, output.Length));
        StringAssert.Contains(tooLong.Message, "0..8160 bytes");
        Assert.ThrowsExactly<ArgumentException>(() => hkdf.DeriveKey(ikm, 0, 16, ikm, 0, 0, ikm, 0, 0, output, 0, -1));
        // The largest output is allowed, and a zero-length one writes nothing.
        hkdf.DeriveKey(ikm, 0, 16, ikm, 0, 0, ikm, 0, 0, output, 0, HkdfSha256.MaxOutputBytes);
        Assert.AreEqual(0, output[HkdfSha256.MaxOutputBytes]);
        byte[] untouched = Repeat(0x5a, 4);
        hkdf.DeriveKey(ikm, 0, 16, ikm, 0, 0, ikm, 0, 0, untouched, 0, 0);
        CollectionAssert.AreEqual(Repeat(0x5a, 4), untouched);
    }

    [TestMethod]
    public void Hmac_used_before_a_key_is_set_fails_instead_of_computing_an_unkeyed_tag()
    {
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => new HmacSha256().Begin());
        StringAssert.Contains(e.Message, "before SetKey");
    }

    [TestMethod]
    public void Sha256_state_is_saved_only_on_a_block_boundary()
    {
        var sha = new Sha256();
        sha.Update(Repeat(1, 10), 0, 10);
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => sha.SaveState(new uint[8]));
        StringAssert.Contains(e.Message, "64-byte block boundary");
    }
}
