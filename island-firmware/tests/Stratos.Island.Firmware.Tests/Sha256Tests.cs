using System;
using System.Security.Cryptography;
using System.Text;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Crypto;

namespace Stratos.Island.Firmware.Tests;

/// <summary>The firmware-dialect SHA-256 against FIPS 180-4's example vectors and .NET's SHA256.</summary>
[TestClass]
public sealed class Sha256Tests
{
    private static string Hash(Sha256 sha, byte[] data, int chunk)
    {
        sha.Reset();
        for (int offset = 0; offset < data.Length; offset += chunk)
        {
            sha.Update(data, offset, Math.Min(chunk, data.Length - offset));
        }
        byte[] digest = new byte[36];
        sha.Final(digest, 2);
        return Convert.ToHexStringLower(digest, 2, 32);
    }

    [TestMethod]
    public void Fips_180_4_one_block_message_abc()
    {
        Assert.AreEqual("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Hash(new Sha256(), Encoding.ASCII.GetBytes("abc"), 64));
    }

    [TestMethod]
    public void Fips_180_4_two_block_message()
    {
        byte[] message = Encoding.ASCII.GetBytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq");
        Assert.AreEqual("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1", Hash(new Sha256(), message, 7));
    }

    [TestMethod]
    public void Fips_180_4_long_message_of_a_million_a()
    {
        byte[] message = new byte[1_000_000];
        Array.Fill(message, (byte)'a');
        Assert.AreEqual("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", Hash(new Sha256(), message, 4096));
    }

    [TestMethod]
    public void Empty_message()
    {
        Assert.AreEqual("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Hash(new Sha256(), [], 1));
    }

    [TestMethod]
    public void Agrees_with_dotnet_for_every_length_around_the_block_boundaries_and_any_chunking()
    {
        var random = new Random(180);
        var sha = new Sha256();
        for (int length = 0; length <= 300; length++)
        {
            byte[] data = new byte[length];
            random.NextBytes(data);
            string expected = Convert.ToHexStringLower(SHA256.HashData(data));
            Assert.AreEqual(expected, Hash(sha, data, length == 0 ? 1 : 1 + (length % 67)), "length " + length);
            Assert.AreEqual(expected, Hash(sha, data, Math.Max(1, length)), "one update, length " + length);
        }
    }
}
