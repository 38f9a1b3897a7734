using System;
using System.Collections.Generic;
using System.Security.Cryptography;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Crypto;
using Stratos.Island.Link.Linux;

namespace Stratos.Island.Link.Tests;

/// <summary>
/// SHA-256's block function seam (ISha256Block): the software one (ScalarSha256Block, the firmware's)
/// and the host's (LibcryptoSha256Block, libcrypto's SHA256_Transform) give the FIPS 180-4 and
/// RFC 4231 answers, equal tags on random keys and messages, and the host falls back to the software
/// one, saying why, when libcrypto's function is missing.
/// </summary>
[TestClass]
public sealed class Sha256BlockTests
{
    private static ISha256Block Libcrypto()
    {
        Assert.IsTrue(LibcryptoSha256Block.TryLoad(LibcryptoSha256Block.LibraryName, LibcryptoSha256Block.SymbolName, out LibcryptoSha256Block? block, out string problem),
            "Debian 12's libcrypto.so.3 exports SHA256_Transform: " + problem);
        return block!;
    }

    private static ISha256Block Block(string kind) => kind == "libcrypto" ? Libcrypto() : new ScalarSha256Block();

    private static string Hash(ISha256Block block, byte[] data, int chunk)
    {
        var sha = new Sha256(block);
        for (int offset = 0; offset < data.Length; offset += chunk)
        {
            sha.Update(data, offset, Math.Min(chunk, data.Length - offset));
        }

        byte[] digest = new byte[Sha256.DigestBytes];
        sha.Final(digest, 0);
        return Convert.ToHexStringLower(digest);
    }

    private static byte[] Tag(ISha256Block block, byte[] key, byte[] data, int chunk)
    {
        var hmac = new HmacSha256(block);
        hmac.SetKey(key, 0, key.Length);
        hmac.Begin();
        for (int offset = 0; offset < data.Length; offset += chunk)
        {
            hmac.Update(data, offset, Math.Min(chunk, data.Length - offset));
        }

        byte[] tag = new byte[HmacSha256.TagBytes];
        hmac.Final(tag, 0, tag.Length);
        return tag;
    }

    [TestMethod]
    [DataRow("scalar")]
    [DataRow("libcrypto")]
    public void Fips_180_4_examples_hash_right_through_the_block_function(string kind)
    {
        ISha256Block block = Block(kind);
        Assert.AreEqual("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Hash(block, Encoding.ASCII.GetBytes("abc"), 64));
        Assert.AreEqual("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
            Hash(block, Encoding.ASCII.GetBytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"), 7));
        Assert.AreEqual("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Hash(block, [], 1));
        byte[] million = new byte[1_000_000];
        Array.Fill(million, (byte)'a');
        // 4096-byte updates: 64 blocks per call of the block function.
        Assert.AreEqual("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", Hash(block, million, 4096));
    }

    [TestMethod]
    [DataRow("scalar")]
    [DataRow("libcrypto")]
    public void Rfc_4231_vectors_give_the_same_macs_through_the_block_function(string kind)
    {
        ISha256Block block = Block(kind);
        byte[] longKey = new byte[131];
        Array.Fill(longKey, (byte)0xaa);
        var cases = new (byte[] Key, byte[] Data, string Mac)[]
        {
            (Convert.FromHexString("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"), Encoding.ASCII.GetBytes("Hi There"),
                "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
            (Encoding.ASCII.GetBytes("Jefe"), Encoding.ASCII.GetBytes("what do ya want for nothing?"),
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
            (longKey, Encoding.ASCII.GetBytes("Test Using Larger Than Block-Size Key - Hash Key First"),
                "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
            (longKey, Encoding.ASCII.GetBytes("This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm."),
                "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
        };
        for (int i = 0; i < cases.Length; i++)
        {
            Assert.AreEqual(cases[i].Mac, Convert.ToHexStringLower(Tag(block, cases[i].Key, cases[i].Data, 64)), "RFC 4231 case " + i);
            Assert.AreEqual(cases[i].Mac, Convert.ToHexStringLower(Tag(block, cases[i].Key, cases[i].Data, 5)), "RFC 4231 case " + i + " in 5-byte updates");
        }
    }

    [TestMethod]
    public void Software_and_libcrypto_block_functions_give_equal_tags_on_any_key_message_and_chunking()
    {
        ISha256Block libcrypto = Libcrypto();
        var scalar = new ScalarSha256Block();
        Gen<byte[]> Bytes(int maxLength) => Gen.Choose(0, maxLength).SelectMany(n => Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), n));
        Arbitrary<(byte[] Key, byte[] Data, int Chunk)> inputs = Gen.Zip(Gen.Zip(Bytes(100), Bytes(600)), Gen.Choose(1, 200))
            .Select(t => (t.Item1.Item1, t.Item1.Item2, t.Item2))
            .ToArbitrary();
        Prop.ForAll(inputs, input =>
            {
                byte[] software = Tag(scalar, input.Key, input.Data, input.Chunk);
                byte[] hardware = Tag(libcrypto, input.Key, input.Data, input.Chunk);
                return software.AsSpan().SequenceEqual(hardware)
                    && software.AsSpan().SequenceEqual(HMACSHA256.HashData(input.Key, input.Data));
            })
            .Check(Config.QuickThrowOnFailure.WithMaxTest(500));
    }

    [TestMethod]
    public void Host_selects_libcrypto_and_says_so()
    {
        var log = new List<string>();
        ISha256Block block = LibcryptoSha256Block.Select(log.Add);
        Assert.IsInstanceOfType<LibcryptoSha256Block>(block);
        CollectionAssert.AreEqual(new[] { "SHA-256 block function for the link's MACs: libcrypto.so.3 SHA256_Transform" }, log);
    }

    [TestMethod]
    public void A_missing_symbol_or_library_falls_back_to_the_software_block_function_with_the_reason()
    {
        var log = new List<string>();
        ISha256Block noSymbol = LibcryptoSha256Block.Select(LibcryptoSha256Block.LibraryName, "SHA256_NoSuchTransform", log.Add);
        ISha256Block noLibrary = LibcryptoSha256Block.Select("libstratos-no-such-crypto.so.9", LibcryptoSha256Block.SymbolName, log.Add);

        Assert.IsInstanceOfType<ScalarSha256Block>(noSymbol);
        Assert.IsInstanceOfType<ScalarSha256Block>(noLibrary);
        CollectionAssert.AreEqual(new[]
        {
            "SHA-256 block function for the link's MACs: software (libcrypto.so.3 has no SHA256_NoSuchTransform); every MAC costs about 4x more",
            "SHA-256 block function for the link's MACs: software (libstratos-no-such-crypto.so.9 cannot be loaded); every MAC costs about 4x more",
        }, log);
        Assert.AreEqual("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Hash(noSymbol, Encoding.ASCII.GetBytes("abc"), 3));
    }

    [TestMethod]
    public void Libcrypto_block_function_refuses_blocks_beyond_the_buffer_instead_of_reading_past_it()
    {
        ISha256Block block = Libcrypto();
        uint[] state = new uint[8];
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => block.Compress(state, new byte[127], 0, 2));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => block.Compress(state, new byte[128], 65, 1));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => block.Compress(new uint[7], new byte[64], 0, 1));
        CollectionAssert.AreEqual(new uint[8], state, "nothing was compressed");
    }

    [TestMethod]
    public void The_libcrypto_block_function_allocates_nothing()
    {
        ISha256Block block = Libcrypto();
        uint[] state = new uint[8];
        byte[] data = new byte[256];
        block.Compress(state, data, 0, 4);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            block.Compress(state, data, 64 * (i % 4), 1);
        }

        Assert.AreEqual(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
