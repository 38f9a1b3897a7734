using System;
using System.Collections.Generic;
using System.Formats.Tar;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Boards.Flashing;

namespace Stratos.Island.Boards.Tests;

[TestClass]
public sealed class FirmwareBundleTests : BundleFixture
{
    private static void RewriteEntry(string bundle, string name, Func<byte[], byte[]> change)
    {
        var entries = FirmwareBundle.ReadEntries(bundle);
        using var stream = File.Create(bundle);
        using var tar = new TarWriter(stream, TarEntryFormat.Ustar);
        foreach ((string entryName, byte[] data) in entries)
        {
            byte[] content = entryName == name ? change(data) : data;
            tar.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, entryName) { DataStream = new MemoryStream(content) });
        }
    }

    [TestMethod]
    public void Bundle_holds_manifest_signature_descriptor_config_and_images_in_order()
    {
        string bundle = Build(WriteImage("island.elf", 3000), WriteImage("island-b.bin", 100));
        var names = FirmwareBundle.ReadEntries(bundle).Select(e => e.Name).ToList();
        CollectionAssert.AreEqual(new[] { "manifest.json", "manifest.sig", "board.yaml", "config.bin", "vms.yaml", "island.elf", "island-b.bin" }, names);
        BundleManifest manifest = FirmwareBundle.Verify(bundle, _key);
        Assert.AreEqual("stm32mp157c-dk2", manifest.Board);
        Assert.AreEqual("1.2.3", manifest.ToolVersion);
        Assert.AreEqual(Created, manifest.CreatedUtc);
        Assert.AreEqual(IslandConfigLoader.Load(_vms, _board).ConfigHash, manifest.ConfigHash);
        BundleFile image = manifest.Files.Single(f => f.Name == "island.elf");
        Assert.AreEqual(3000, image.Size);
        Assert.AreEqual(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(_dir, "island.elf")))), image.Sha256);
        Assert.AreEqual(64, FirmwareBundle.Extract(bundle, "manifest.sig").Length);
    }

    [TestMethod]
    public void Config_is_each_vm_definition_with_a_little_endian_length()
    {
        IslandConfig config = IslandConfigLoader.Load(_vms, _board);
        byte[] encoded = FirmwareBundle.EncodeConfig(config);
        int offset = 0;
        foreach (var vm in config.Vms)
        {
            int length = BitConverter.ToInt32(encoded, offset);
            var decoded = Stratos.Island.Protocol.Link.V1.VmDefinition.Parser.ParseFrom(encoded, offset + 4, length);
            Assert.AreEqual(vm, decoded);
            offset += 4 + length;
        }
        Assert.AreEqual(encoded.Length, offset);
    }

    [TestMethod]
    public void Flipping_a_byte_in_any_file_is_detected_and_names_that_file()
    {
        string original = Build(WriteImage("island.elf", 3000));
        foreach (string name in FirmwareBundle.ReadEntries(original).Select(e => e.Name))
        {
            string copy = Path.Combine(_dir, "tampered-" + name + ".tar");
            File.Copy(original, copy);
            RewriteEntry(copy, name, FlipByte);
            BundleException error = Assert.ThrowsExactly<BundleException>(() => FirmwareBundle.Verify(copy, _key), name);
            string expected = name == "manifest.sig" ? "manifest.json: signature mismatch" : name + ": ";
            StringAssert.Contains(error.Message, copy + ": " + expected, name);
            Assert.AreEqual(name.StartsWith("manifest", StringComparison.Ordinal) ? BundleFailure.Signature : BundleFailure.Digest, error.Failure, name);
        }
    }

    [TestMethod]
    public void Bundle_signed_with_another_key_fails_the_signature_check()
    {
        string bundle = Build(WriteImage("island.elf", 10));
        using ECDsa other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        BundleException error = Assert.ThrowsExactly<BundleException>(() => FirmwareBundle.Verify(bundle, other));
        StringAssert.Contains(error.Message, "manifest.json: signature mismatch");
    }

    [TestMethod]
    public void File_not_listed_in_the_manifest_is_rejected()
    {
        string bundle = Build(WriteImage("island.elf", 10));
        var entries = FirmwareBundle.ReadEntries(bundle).ToList();
        using (var stream = File.Create(bundle))
        using (var tar = new TarWriter(stream, TarEntryFormat.Ustar))
        {
            foreach ((string name, byte[] data) in entries.Append(("extra.bin", new byte[] { 1, 2, 3 })))
            {
                tar.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data) });
            }
        }
        BundleException error = Assert.ThrowsExactly<BundleException>(() => FirmwareBundle.Verify(bundle, _key));
        StringAssert.Contains(error.Message, "extra.bin: not listed in the manifest");
    }

    [TestMethod]
    public void Image_larger_than_the_board_budget_is_refused()
    {
        BundleException error = Assert.ThrowsExactly<BundleException>(() => Build(WriteImage("island.elf", 0x40001)));
        Assert.AreEqual(BundleFailure.TooLarge, error.Failure);
        StringAssert.Contains(error.Message, "too large for board 'stm32mp157c-dk2' (image budget 0x40000 bytes");
    }

    [TestMethod]
    public void Something_that_is_not_a_tar_is_not_a_bundle()
    {
        string path = Path.Combine(_dir, "junk.tar");
        File.WriteAllBytes(path, Encoding.ASCII.GetBytes(new string('z', 1500)));
        BundleException error = Assert.ThrowsExactly<BundleException>(() => FirmwareBundle.Verify(path, _key));
        StringAssert.Contains(error.Message, "junk.tar: ");
    }

    [TestMethod]
    public void Generated_keys_sign_and_verify_and_the_private_key_is_owner_only()
    {
        string priv = Path.Combine(_dir, "k.pem");
        string pub = Path.Combine(_dir, "k.pub.pem");
        SigningKeys.Generate(priv, pub);
        Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(priv));
        using ECDsa signing = SigningKeys.LoadPrivate(priv);
        using ECDsa verifying = SigningKeys.LoadPublic(pub);
        string bundle = Path.Combine(_dir, "b.tar");
        FirmwareBundle.Build(_board, [WriteImage("island.elf", 10)], _vms, signing, bundle, Created, "1");
        Assert.AreEqual("stm32mp157c-dk2", FirmwareBundle.Verify(bundle, verifying).Board);
        StringAssert.Contains(Assert.ThrowsExactly<BundleException>(() => SigningKeys.LoadPrivate(pub)).Message, "holds a public key");
        StringAssert.Contains(Assert.ThrowsExactly<BundleException>(() => SigningKeys.Generate(priv, pub)).Message, "already exists");
    }

    // The link's board key provisioned through the bundle (docs/flashing.md, docs/link.md "Authentication").

    [TestMethod]
    public void A_link_key_travels_signed_in_a_bundle_that_is_its_owners_alone()
    {
        string bundle = BuildWithLinkKey(out byte[] key);
        BundleManifest manifest = FirmwareBundle.Verify(bundle, _key);
        BundleFile listed = manifest.Files.Single(f => f.Name == FirmwareBundle.LinkKeyName);
        Assert.AreEqual(FirmwareBundle.LinkKeyRole, listed.Role);
        Assert.AreEqual(32, listed.Size);
        CollectionAssert.AreEqual(key, FirmwareBundle.Extract(bundle, FirmwareBundle.LinkKeyName), "the raw 32 bytes, whatever the key file's form (hex here)");
        Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(bundle));
        using var stream = File.OpenRead(bundle);
        using var tar = new TarReader(stream);
        while (tar.GetNextEntry() is { } entry)
        {
            if (entry.Name == FirmwareBundle.LinkKeyName)
            {
                Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite, entry.Mode);
            }
        }
    }

    [TestMethod]
    public void A_link_key_file_others_can_read_is_refused_naming_it()
    {
        string keyFile = Path.Combine(_dir, "wide.key");
        File.WriteAllText(keyFile, Convert.ToHexStringLower(new byte[32]));
        File.SetUnixFileMode(keyFile, (UnixFileMode)0x1A4);   // 0644
        var e = Assert.ThrowsExactly<BundleException>(() =>
            FirmwareBundle.Build(_board, [WriteImage("island.elf", 10)], _vms, _key, Path.Combine(_dir, "x.tar"), Created, "1", keyFile));
        StringAssert.StartsWith(e.Message, "--link-key: ");
        StringAssert.Contains(e.Message, keyFile);
        Assert.IsFalse(File.Exists(Path.Combine(_dir, "x.tar")));
    }
}
