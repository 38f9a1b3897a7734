using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Codec;
using Stratos.Island.Firmware.Bundle;
using Stratos.Island.Firmware.Nano;
using PbCommon = Stratos.Island.Protocol.Common.V1;

namespace Stratos.Island.Firmware.Tests;

// The nanoFramework app's configuration partition (Firmware.Nano/ConfigPartition.cs, README
// "Configuration partition"): a real P-256 signature over a real manifest, real protobuf VM
// definitions, and every kind of damage reported by name, never thrown.
[TestClass]
public sealed class NanoConfigPartitionTests
{
    private const int PartitionSize = 0x4000;

    private sealed class EcdsaVerifier(ECDsa key) : ISignatureVerifier
    {
        public bool VerifyDigest(byte[] digest, byte[] signature, int signatureOffset, int signatureLength) =>
            key.VerifyHash(digest, signature.AsSpan(signatureOffset, signatureLength));
    }

    private static readonly ECDsa SigningKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    private static ISignatureVerifier Verifier => new EcdsaVerifier(SigningKey);

    private sealed class Image
    {
        public byte[] Config = ConfigBin();
        public int VringNum = 256;
        public bool SignWithOtherKey;
        public int BoardBlockCut;
        /// <summary>The link's board key the bundle carries (listed in the manifest) and the partition holds.</summary>
        public byte[]? LinkKey;
        /// <summary>What the partition holds instead (a key the A side planted): not the listed one.</summary>
        public byte[]? PartitionLinkKey;

        public byte[] Build()
        {
            string sha = Convert.ToHexStringLower(SHA256.HashData(Config));
            byte[] manifest = Encoding.UTF8.GetBytes(
                "{\"format\":\"stratos-island-bundle/1\",\"board\":\"test-board\",\"tool_version\":\"1.0.0\",\"created_utc\":\"2026-11-21T00:00:00Z\","
                + "\"config_hash\":\"0x12345678\",\"files\":[{\"name\":\"config.bin\",\"role\":\"config\",\"size\":" + Config.Length
                + ",\"sha256\":\"" + sha + "\"}"
                + (LinkKey is null ? "" : ",{\"name\":\"link.key\",\"role\":\"link-key\",\"size\":32,\"sha256\":\"" + Convert.ToHexStringLower(SHA256.HashData(LinkKey)) + "\"}")
                + "]}");
            using ECDsa other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            byte[] signature = (SignWithOtherKey ? other : SigningKey).SignHash(SHA256.HashData(manifest));
            Assert.AreEqual(64, signature.Length);
            byte[] board = BoardBlock(VringNum);
            if ((PartitionLinkKey ?? LinkKey) is byte[] key)
            {
                board = board.Concat(BitConverter.GetBytes(key.Length)).Concat(key).ToArray();
            }
            board = board[..(board.Length - BoardBlockCut)];

            var image = new MemoryStream();
            var w = new BinaryWriter(image);
            w.Write(ConfigPartition.Magic);
            w.Write((uint)manifest.Length);
            w.Write((uint)Config.Length);
            w.Write((uint)board.Length);
            w.Write(manifest);
            w.Write(signature);
            w.Write(Config);
            w.Write(board);
            return image.ToArray();
        }
    }

    private static byte[] ConfigBin()
    {
        var stream = new MemoryStream();
        var w = new BinaryWriter(stream);
        foreach (var vm in new[] { LinkedIsland.Vm(1, "base", PbCommon.Criticality.AsilB, 1, 1), LinkedIsland.Vm(2, "web", PbCommon.Criticality.Qm, 2, 2, 1) })
        {
            byte[] encoded = vm.ToByteArray();
            w.Write((uint)encoded.Length);
            w.Write(encoded);
        }
        return stream.ToArray();
    }

    private static void WriteString(BinaryWriter w, string value)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(value);
        w.Write((byte)bytes.Length);
        w.Write(bytes);
    }

    private static byte[] BoardBlock(int vringNum)
    {
        var stream = new MemoryStream();
        var w = new BinaryWriter(stream);
        WriteString(w, "test-board");
        foreach (int v in new[] { 16, 8, 10, 3, 120, 0x12345678 })
        {
            w.Write(v);
        }
        WriteString(w, "stratos-island");
        foreach (int v in new[] { 0x80000, 0, 0x4000, 0x8000, 0x1000, vringNum, 0x10000, 512, 512 })
        {
            w.Write(v);
        }
        w.Write(3);
        (int Id, int Scmi, Criticality C, byte On, byte A, string Name)[] domains =
        {
            (0, 7, Criticality.Qm, 1, 1, "a-cluster"),
            (1, 8, Criticality.AsilB, 1, 0, "vm-base"),
            (2, 9, Criticality.Qm, 0, 0, "vm-web"),
        };
        foreach (var d in domains)
        {
            w.Write(d.Id);
            w.Write(d.Scmi);
            w.Write((int)d.C);
            w.Write(d.On);
            w.Write(d.A);
            WriteString(w, d.Name);
        }
        return stream.ToArray();
    }

    [TestMethod]
    public void A_partition_with_the_bundles_link_key_yields_it_and_one_without_yields_none()
    {
        byte[] key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
        ConfigPartition keyed = ConfigPartition.Parse(new Image { LinkKey = key }.Build(), PartitionSize, Verifier);
        Assert.IsNull(keyed.Error, keyed.Error);
        CollectionAssert.AreEqual(key, keyed.LinkKey);
        Assert.AreEqual(2, keyed.Config.Vms.Length, "the rest of the partition reads as before");

        ConfigPartition plain = ConfigPartition.Parse(new Image().Build(), PartitionSize, Verifier);
        Assert.IsNull(plain.Error, plain.Error);
        Assert.IsNull(plain.LinkKey);
    }

    [TestMethod]
    public void A_link_key_that_is_not_the_signed_one_or_is_cut_is_refused_by_name()
    {
        byte[] key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
        byte[] planted = key.Select(b => (byte)(b ^ 0x5A)).ToArray();
        ConfigPartition p = ConfigPartition.Parse(new Image { LinkKey = key, PartitionLinkKey = planted }.Build(), PartitionSize, Verifier);
        StringAssert.Contains(p.Error, "link key at offset");
        StringAssert.Contains(p.Error, "failed bundle verification (status " + (int)BundleStatus.DigestMismatch + ")");
        Assert.IsNull(p.Config);

        ConfigPartition unlisted = ConfigPartition.Parse(new Image { PartitionLinkKey = key }.Build(), PartitionSize, Verifier);
        StringAssert.Contains(unlisted.Error, "status " + (int)BundleStatus.FileNotListed + ")");

        ConfigPartition cut = ConfigPartition.Parse(new Image { LinkKey = key, BoardBlockCut = 5 }.Build(), PartitionSize, Verifier);
        StringAssert.Contains(cut.Error, "link key of 32 bytes");
        StringAssert.Contains(cut.Error, "a link key is 32 bytes and ends the block");
    }

    [TestMethod]
    public void A_signed_partition_yields_the_configuration_layout_and_power_domains()
    {
        ConfigPartition p = ConfigPartition.Parse(new Image().Build(), PartitionSize, Verifier);

        Assert.IsNull(p.Error);
        Assert.IsNotNull(p.Config);
        Assert.AreEqual(2, p.Config.Vms.Length);
        Assert.AreEqual(2, p.Definitions.Length);
        Assert.AreEqual("test-board", p.BoardId);
        Assert.AreEqual(10, p.Config.Limits.SupervisionCyclePeriodMs);
        Assert.AreEqual(16, p.Config.Limits.MaxVms);
        Assert.AreEqual(120, p.WatchdogTimeoutMs);
        Assert.AreEqual(0x12345678u, p.ConfigHash);
        Assert.AreEqual("stratos-island", p.ChannelName);
        Assert.AreEqual(256, p.Layout.VringNum);
        Assert.AreEqual(0x8000, p.Layout.Vring1Address);
        Assert.AreEqual(512, p.Layout.BufferCount);
        CollectionAssert.AreEqual(new[] { 0, 1, 2 }, p.DomainIds);
        CollectionAssert.AreEqual(new[] { 7, 8, 9 }, p.ScmiIds);
        Assert.AreEqual(PowerState.Off, p.Config.PowerDomains.Single(d => d.Id == 2).InitialState);
        Assert.IsTrue(p.Config.PowerDomains.Single(d => d.Id == 0).IsACluster);
    }

    [TestMethod]
    [Verifies("IslDsgn~config-validation~1")]
    public void A_changed_config_byte_fails_bundle_verification_naming_config_bin()
    {
        var image = new Image();
        byte[] bytes = image.Build();
        int configOffset = bytes.Length - image.Config.Length - BoardBlock(256).Length;
        bytes[configOffset + 5] ^= 0x01;

        ConfigPartition p = ConfigPartition.Parse(bytes, PartitionSize, Verifier);

        Assert.IsNull(p.Config);
        StringAssert.Contains(p.Error, "config.bin at offset " + configOffset);
        StringAssert.Contains(p.Error, "status " + (int)BundleStatus.DigestMismatch);
    }

    [TestMethod]
    [Verifies("IslDsgn~config-validation~1")]
    public void A_manifest_signed_by_another_key_is_rejected()
    {
        ConfigPartition p = ConfigPartition.Parse(new Image { SignWithOtherKey = true }.Build(), PartitionSize, Verifier);

        Assert.IsNull(p.Config);
        StringAssert.Contains(p.Error, "status " + (int)BundleStatus.BadSignature);
    }

    [TestMethod]
    public void Erased_flash_is_reported_as_a_bad_magic_at_offset_0()
    {
        byte[] erased = Enumerable.Repeat((byte)0xFF, 64).ToArray();

        ConfigPartition p = ConfigPartition.Parse(erased, PartitionSize, Verifier);

        StringAssert.Contains(p.Error, "bad magic at offset 0");
    }

    [TestMethod]
    public void Lengths_larger_than_the_partition_are_rejected_with_both_sizes()
    {
        byte[] bytes = new Image().Build();

        ConfigPartition p = ConfigPartition.Parse(bytes, bytes.Length - 1, Verifier);

        StringAssert.Contains(p.Error, "add up to " + bytes.Length + " bytes, the partition holds " + (bytes.Length - 1));
    }

    [TestMethod]
    public void A_truncated_board_block_names_the_missing_field()
    {
        // The last domain's name (1 length byte + "vm-web") is cut off.
        ConfigPartition p = ConfigPartition.Parse(new Image { BoardBlockCut = 7 }.Build(), PartitionSize, Verifier);

        Assert.IsNull(p.Config);
        StringAssert.Contains(p.Error, "board block: power domain name");
    }

    [TestMethod]
    public void An_unusable_link_layout_is_rejected_with_the_layout_rule()
    {
        ConfigPartition p = ConfigPartition.Parse(new Image { VringNum = 200 }.Build(), PartitionSize, Verifier);

        Assert.IsNull(p.Config);
        StringAssert.Contains(p.Error, "VringNum must be a power of two");
    }

    [TestMethod]
    [Verifies("IslDsgn~config-validation~1")]
    public void Every_truncation_and_every_flipped_board_or_header_byte_is_an_error_or_a_config_never_an_exception()
    {
        byte[] good = new Image().Build();
        int boardStart = good.Length - BoardBlock(256).Length;
        int outcomes = 0;
        for (int length = 0; length < good.Length; length += 7)
        {
            ConfigPartition p = ConfigPartition.Parse(good[..length], PartitionSize, Verifier);
            Assert.IsNotNull(p.Error, "truncated to " + length);
            outcomes++;
        }

        var positions = Enumerable.Range(0, 16).Concat(Enumerable.Range(boardStart, good.Length - boardStart));
        foreach (int i in positions)
        {
            byte[] bad = (byte[])good.Clone();
            bad[i] ^= 0xA5;
            ConfigPartition p = ConfigPartition.Parse(bad, PartitionSize, Verifier);
            Assert.IsTrue(p.Error != null || p.Config != null, "flip at " + i);
            outcomes++;
        }

        Assert.IsGreaterThan(100, outcomes);
    }
}
