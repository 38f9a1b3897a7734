// Signed firmware bundles for tests, built as `island flash bundle` builds them: a scratch folder,
// a fresh P-256 release key, the stm32mp157c-dk2 board and the virtual board's vms.yaml. The host
// tooling's tests (FirmwareBundleTests) and the island's verifier tests (island-sim's
// BundleVerificationTests, which compile this file) derive from it.
using System;
using System.IO;
using System.Security.Cryptography;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Boards.Flashing;

namespace Stratos.Island.Boards.Tests;

public abstract class BundleFixture
{
    protected static readonly DateTimeOffset Created = new(2026, 11, 21, 21, 30, 0, TimeSpan.Zero);
    protected string _dir = null!;
    protected ECDsa _key = null!;
    protected BoardDescriptor _board = null!;
    protected string _vms = null!;

    [TestInitialize]
    public void SetUpBundle()
    {
        string boards = BoardLoader.FindRepoBoardsDir(AppContext.BaseDirectory);
        _dir = Path.Combine(Path.GetTempPath(), "stratos-bundle-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
        _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        _board = BoardLoader.LoadById(boards, "stm32mp157c-dk2");
        _vms = Path.Combine(boards, "virtual", "vms.yaml");
    }

    [TestCleanup]
    public void TearDownBundle()
    {
        _key.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    protected string WriteImage(string name, int size)
    {
        string path = Path.Combine(_dir, name);
        var data = new byte[size];
        new Random(size).NextBytes(data);
        File.WriteAllBytes(path, data);
        return path;
    }

    protected string Build(params string[] images)
    {
        string output = Path.Combine(_dir, "bundle.tar");
        FirmwareBundle.Build(_board, images, _vms, _key, output, Created, "1.2.3");
        return output;
    }

    /// <summary>A bundle that provisions a fresh link key (returned raw, 32 bytes).</summary>
    protected string BuildWithLinkKey(out byte[] key)
    {
        string keyFile = Path.Combine(_dir, "link.key");
        key = LinkKeyFile.Create(keyFile);
        string output = Path.Combine(_dir, "keyed.tar");
        FirmwareBundle.Build(_board, [WriteImage("island.elf", 10)], _vms, _key, output, Created, "1.2.3", keyFile);
        return output;
    }

    protected static byte[] FlipByte(byte[] data)
    {
        byte[] copy = (byte[])data.Clone();
        copy[copy.Length / 2] ^= 0x01;
        return copy;
    }
}
