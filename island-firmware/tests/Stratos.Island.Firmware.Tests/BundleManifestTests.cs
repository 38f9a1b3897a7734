using System;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using System.Security.Cryptography;
using System.Text;
using Stratos.Island.Firmware.Bundle;

namespace Stratos.Island.Firmware.Tests;

/// <summary>
/// The island's reader of signed bundle manifests (BundleVerifier) on well-formed and malformed
/// manifests. The signature is taken as valid (a verifier that accepts every signature), so that
/// every manifest reaches the reader: it must find the file's entry in any key order, skip members
/// it does not know whatever their nesting, and answer ManifestMalformed, never throw, on anything else.
/// </summary>
[TestClass]
public sealed class BundleManifestTests
{
    private sealed class AcceptingVerifier(bool accept) : ISignatureVerifier
    {
        public bool VerifyDigest(byte[] digest, byte[] signature, int signatureOffset, int signatureLength) => accept;
    }

    private static readonly byte[] Data = Encoding.ASCII.GetBytes("conf");
    private static readonly string Digest = Convert.ToHexStringLower(SHA256.HashData(Data));
    private static readonly string Entry = "{\"name\":\"config.bin\",\"size\":4,\"sha256\":\"" + Digest + "\"}";

    private static BundleStatus Verify(string manifest, bool signatureValid = true, int signatureLength = BundleVerifier.SignatureBytes)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(manifest);
        return new BundleVerifier(new AcceptingVerifier(signatureValid))
            .VerifyFile(bytes, bytes.Length, new byte[64], signatureLength, "config.bin", Data, 0, Data.Length);
    }

    [TestMethod]
    [Verifies("IslDsgn~config-validation~1")]
    [DataRow("{\"files\":[ENTRY]}")]
    [DataRow("{ \"version\" : 1 ,\n\t\"files\" : [ ENTRY ] }")]
    [DataRow("{\"files\":[{\"sha256\":\"DIGEST\",\"size\":4,\"name\":\"config.bin\"}]}")]
    [DataRow("{\"files\":[{\"size\":9,\"name\":\"other.bin\",\"sha256\":\"DIGEST\"},{\"sha256\":\"DIGEST\",\"size\":4,\"name\":\"config.bin\"}]}")]
    [DataRow("{\"meta\":{\"a\":[1,{\"b\":\"}]\"}],\"c\":\"x\\\"y\"},\"flag\":true,\"files\":[{\"name\":\"other\",\"extra\":[[],{}],\"size\":1,\"sha256\":\"DIGEST\"},ENTRY]}")]
    [DataRow("{\"files\":[{\"name\":\"config.bin\",\"size\":4,\"sha256\":\"UPPER\"}]}")]
    [DataRow("{\"meta\":[true],\"files\":[ENTRY]}")]
    [DataRow("{\"meta\":true ,\"files\":[ENTRY]}")]
    [DataRow("{\"meta\":null\r\n,\"files\":[ENTRY]}")]
    public void Well_formed_manifests_verify_the_listed_file(string manifest)
    {
        Assert.AreEqual(BundleStatus.Ok, Verify(Expand(manifest)));
    }

    [TestMethod]
    [Verifies("IslDsgn~config-validation~1")]
    [DataRow("{}", BundleStatus.FileNotListed)]
    [DataRow("{\"version\":1}", BundleStatus.FileNotListed)]
    [DataRow("{\"files\":[]}", BundleStatus.FileNotListed)]
    [DataRow("{\"files\":[{\"name\":\"other\",\"size\":4,\"sha256\":\"DIGEST\"}]}", BundleStatus.FileNotListed)]
    [DataRow("{\"files\":[{\"name\":\"config.bin\",\"size\":5,\"sha256\":\"DIGEST\"}]}", BundleStatus.SizeMismatch)]
    [DataRow("{\"files\":[{\"name\":\"config.bin\",\"size\":4,\"sha256\":\"ZERO\"}]}", BundleStatus.DigestMismatch)]
    [DataRow("[]", BundleStatus.ManifestMalformed)]
    [DataRow("", BundleStatus.ManifestMalformed)]
    [DataRow("{files:[]}", BundleStatus.ManifestMalformed)]
    [DataRow("{\"files\" []}", BundleStatus.ManifestMalformed)]
    [DataRow("{\"files\":{}}", BundleStatus.ManifestMalformed)]
    [DataRow("{\"files\":[1]}", BundleStatus.ManifestMalformed)]
    [DataRow("{\"files\":[{\"name\":\"o\",\"size\":1,\"sha256\":\"DIGEST\"};ENTRY]}", BundleStatus.ManifestMalformed)]
    [DataRow("{\"files\":[{\"name\":\"config.bin\",\"size\":4", BundleStatus.ManifestMalformed)]
    [DataRow("{\"files\":[{\"name\":\"config.bin", BundleStatus.ManifestMalformed)]
    [DataRow("{\"files\":[{\"name\":config.bin}]}", BundleStatus.ManifestMalformed)]
    [DataRow("{\"files\":[{name:\"config.bin\"}]}", BundleStatus.ManifestMalformed)]
    [DataRow("{\"files\":[{\"name\" \"config.bin\"}]}", BundleStatus.ManifestMalformed)]
    [DataRow("{\"files\":[{\"name\":\"config.bin\",\"size\":\"4\",\"sha256\":\"DIGEST\"}]}", BundleStatus.ManifestMalformed)]
    [DataRow("{\"files\":[{\"name\":\"config.bin\",\"size\":1234567890123456789,\"sha256\":\"DIGEST\"}]}", BundleStatus.ManifestMalformed)]
    [DataRow("{\"files\":[{\"name\":\"config.bin\",\"size\":4,\"sha256\":\"abc\"}]}", BundleStatus.ManifestMalformed)]
    [DataRow("{\"files\":[{\"name\":\"config.bin\",\"size\":4,\"sha256\":\"NONHEX\"}]}", BundleStatus.ManifestMalformed)]
    [DataRow("{\"files\":[{\"name\":\"config.bin\",\"size\":4,\"sha256\":DIGEST}]}", BundleStatus.ManifestMalformed)]
    [DataRow("{\"files\":[{\"name\":\"config.bin\",\"size\":4}]}", BundleStatus.ManifestMalformed)]
    [DataRow("{\"files\":[{\"name\":\"config.bin\",\"size\":4,\"sha256\":\"DIGEST\" \"x\":1}]}", BundleStatus.ManifestMalformed)]
    [DataRow("{\"files\":[{\"name\":\"config.bin\",\"size\":4,\"x\":,\"sha256\":\"DIGEST\"}]}", BundleStatus.ManifestMalformed)]
    [DataRow("{\"meta\":{\"a\":[1,2}", BundleStatus.ManifestMalformed)]
    [DataRow("{\"meta\":{\"a\":\"unterminated", BundleStatus.ManifestMalformed)]
    [DataRow("{\"a\":1 \"files\":[]}", BundleStatus.ManifestMalformed)]
    [DataRow("{\"a\":,\"files\":[]}", BundleStatus.ManifestMalformed)]
    [DataRow("{\"a\":\"x\"", BundleStatus.ManifestMalformed)]
    [DataRow("{\"a\" 1}", BundleStatus.ManifestMalformed)]
    public void Other_manifests_are_refused_with_the_reason(string manifest, BundleStatus expected)
    {
        Assert.AreEqual(expected, Verify(Expand(manifest)));
    }

    [TestMethod]
    [Verifies("IslDsgn~config-validation~1")]
    public void Bad_arguments_and_signatures_are_refused_without_throwing()
    {
        string manifest = "{\"files\":[" + Entry + "]}";
        var verifier = new BundleVerifier(new AcceptingVerifier(true));
        byte[] bytes = Encoding.UTF8.GetBytes(manifest);

        Assert.AreEqual(BundleStatus.BadSignature, Verify(manifest, signatureValid: false));
        Assert.AreEqual(BundleStatus.BadSignature, Verify(manifest, signatureLength: 63));
        Assert.AreEqual(BundleStatus.ManifestMalformed, verifier.VerifyFile(null!, 0, new byte[64], 64, "config.bin", Data, 0, 4));
        Assert.AreEqual(BundleStatus.ManifestMalformed, verifier.VerifyFile(bytes, bytes.Length + 1, new byte[64], 64, "config.bin", Data, 0, 4));
        Assert.AreEqual(BundleStatus.ManifestMalformed, verifier.VerifyFile(bytes, -1, new byte[64], 64, "config.bin", Data, 0, 4));
        Assert.AreEqual(BundleStatus.ManifestMalformed, verifier.VerifyFile(bytes, bytes.Length, null!, 64, "config.bin", Data, 0, 4));
        Assert.AreEqual(BundleStatus.ManifestMalformed, verifier.VerifyFile(bytes, bytes.Length, new byte[64], 64, "config.bin", null!, 0, 4));
        Assert.AreEqual(BundleStatus.BadSignature, verifier.VerifyFile(bytes, bytes.Length, new byte[10], 64, "config.bin", Data, 0, 4));
        Assert.AreEqual(BundleStatus.Ok, verifier.VerifyFile(bytes, bytes.Length, new byte[64], 64, "config.bin", Data, 0, 4), "the verifier is reusable");
    }

    private static string Expand(string manifest) => manifest
        .Replace("ENTRY", Entry, StringComparison.Ordinal)
        .Replace("UPPER", Digest.ToUpperInvariant(), StringComparison.Ordinal)
        .Replace("ZERO", new string('0', 64), StringComparison.Ordinal)
        .Replace("NONHEX", "g" + Digest.Substring(1), StringComparison.Ordinal)
        .Replace("DIGEST", Digest, StringComparison.Ordinal);
}
