// The island's own bundle verifier (firmware core, BundleVerifier and IslandLinkAuthenticator's
// provisioned-key check) on bundles built by the host's tooling (Boards' FirmwareBundle), with the
// ECDSA signature check island-sim plugs into it: the two sides of one contract, tested where they
// meet (island-sim references both; Boards knows nothing of the firmware).
using System;
using System.IO;
using System.Security.Cryptography;
using System.Text;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Boards;
using Stratos.Island.Boards.Flashing;
using Stratos.Island.Boards.Tests;
using Stratos.Island.Firmware.Bundle;
using Stratos.Island.Firmware.Link;

namespace Stratos.Island.Sim.Tests;

[TestClass]
public sealed class BundleVerificationTests : BundleFixture
{
    [TestMethod]
    public void The_island_takes_only_the_provisioned_key_of_a_signed_bundle()
    {
        string bundle = BuildWithLinkKey(out byte[] key);
        byte[] manifest = FirmwareBundle.Extract(bundle, "manifest.json");
        byte[] signature = FirmwareBundle.Extract(bundle, "manifest.sig");
        var verifier = new BundleVerifier(new EcdsaSignatureVerifier(_key));
        BundleStatus Check(byte[] candidate) =>
            IslandLinkAuthenticator.VerifyProvisionedKey(verifier, manifest, manifest.Length, signature, signature.Length, candidate, 0, candidate.Length);

        Assert.AreEqual(BundleStatus.Ok, Check(key));
        byte[] other = (byte[])key.Clone();
        other[7] ^= 0x01;
        Assert.AreEqual(BundleStatus.DigestMismatch, Check(other), "a key the A side planted is not the signed one");
        Assert.AreEqual(BundleStatus.SizeMismatch, Check(key[..16]));
        using ECDsa stranger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.AreEqual(BundleStatus.BadSignature, IslandLinkAuthenticator.VerifyProvisionedKey(new BundleVerifier(new EcdsaSignatureVerifier(stranger)),
            manifest, manifest.Length, signature, signature.Length, key, 0, key.Length), "signed with another release key");

        byte[] plainManifest = FirmwareBundle.Extract(Build(WriteImage("island.elf", 10)), "manifest.json");
        byte[] plainSignature = FirmwareBundle.Extract(Path.Combine(_dir, "bundle.tar"), "manifest.sig");
        Assert.AreEqual(BundleStatus.FileNotListed, IslandLinkAuthenticator.VerifyProvisionedKey(verifier, plainManifest, plainManifest.Length,
            plainSignature, plainSignature.Length, key, 0, key.Length), "a bundle without a key provisions none");
    }

    private (byte[] Manifest, byte[] Signature, byte[] Config) Parts(string bundle) =>
        (FirmwareBundle.Extract(bundle, "manifest.json"), FirmwareBundle.Extract(bundle, "manifest.sig"), FirmwareBundle.Extract(bundle, "config.bin"));

    [TestMethod]
    public void Island_verifier_accepts_the_config_of_a_good_bundle()
    {
        var (manifest, signature, config) = Parts(Build(WriteImage("island.elf", 10)));
        var verifier = new BundleVerifier(new EcdsaSignatureVerifier(_key));
        Assert.AreEqual(BundleStatus.Ok, verifier.VerifyFile(manifest, manifest.Length, signature, signature.Length, "config.bin", config, 0, config.Length));
        byte[] image = File.ReadAllBytes(Path.Combine(_dir, "island.elf"));
        Assert.AreEqual(BundleStatus.Ok, verifier.VerifyFile(manifest, manifest.Length, signature, signature.Length, "island.elf", image, 0, image.Length));
    }

    [TestMethod]
    public void Island_verifier_reads_a_manifest_with_escaped_strings_in_other_fields()
    {
        string bundle = Path.Combine(_dir, "escaped.tar");
        FirmwareBundle.Build(_board, [WriteImage("island.elf", 10)], _vms, _key, bundle, Created, "1.0.0+abc \"quoted\"");
        var (manifest, signature, config) = Parts(bundle);
        StringAssert.Contains(Encoding.UTF8.GetString(manifest), "\\\"quoted\\\"");
        var verifier = new BundleVerifier(new EcdsaSignatureVerifier(_key));
        Assert.AreEqual(BundleStatus.Ok, verifier.VerifyFile(manifest, manifest.Length, signature, 64, "config.bin", config, 0, config.Length));
    }

    [TestMethod]
    public void Island_verifier_rejects_each_kind_of_tampering_with_its_status()
    {
        var (manifest, signature, config) = Parts(Build(WriteImage("island.elf", 10)));
        var verifier = new BundleVerifier(new EcdsaSignatureVerifier(_key));
        Assert.AreEqual(BundleStatus.DigestMismatch, verifier.VerifyFile(manifest, manifest.Length, signature, 64, "config.bin", FlipByte(config), 0, config.Length));
        Assert.AreEqual(BundleStatus.SizeMismatch, verifier.VerifyFile(manifest, manifest.Length, signature, 64, "config.bin", config, 0, config.Length - 1));
        Assert.AreEqual(BundleStatus.BadSignature, verifier.VerifyFile(FlipByte(manifest), manifest.Length, signature, 64, "config.bin", config, 0, config.Length));
        Assert.AreEqual(BundleStatus.BadSignature, verifier.VerifyFile(manifest, manifest.Length, FlipByte(signature), 64, "config.bin", config, 0, config.Length));
        Assert.AreEqual(BundleStatus.FileNotListed, verifier.VerifyFile(manifest, manifest.Length, signature, 64, "other.bin", config, 0, config.Length));
    }

    [TestMethod]
    public void Island_verifier_reports_a_signed_but_malformed_manifest_without_throwing()
    {
        var verifier = new BundleVerifier(new EcdsaSignatureVerifier(_key));
        foreach (string text in new[] { "", "[]", "{\"files\": [ {\"name\": \"config.bin\", \"size\": 3 } ] }", "{\"files\": [ {\"name\": \"config.bin\", \"sha256\": \"zz\"", "{\"files\": {" })
        {
            byte[] manifest = Encoding.UTF8.GetBytes(text);
            byte[] signature = _key.SignData(manifest, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
            Assert.AreEqual(BundleStatus.ManifestMalformed, verifier.VerifyFile(manifest, manifest.Length, signature, 64, "config.bin", [1, 2, 3], 0, 3), text);
        }
    }
}
