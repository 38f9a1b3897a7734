using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Link.Linux;

namespace Stratos.Island.Link.Tests;

/// <summary>
/// What an unmodified OpenAMP peer (libmetal on Linux) needs from the shared file: metal_map() takes
/// flock(LOCK_EX) and waits without limit, then maps once. Peers/exclusive_lock_peer.py does exactly
/// that from a second process; /proc/locks shows who holds what.
/// </summary>
[TestClass]
public sealed class OpenAmpInteropTests
{
    private const int Size = 0x80000;

    // `stat -c %i`: the inode as another process sees it (the test needs no P/Invoke of its own).
    private static ulong InodeOf(string path)
    {
        var start = new System.Diagnostics.ProcessStartInfo("stat") { RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("%i");
        start.ArgumentList.Add(path);
        using var process = System.Diagnostics.Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        return ulong.Parse(output, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The /proc/locks lines about one inode ("1: FLOCK ADVISORY WRITE pid maj:min:inode start end").</summary>
    private static string[] LocksOn(ulong inode) =>
        File.ReadAllLines("/proc/locks").Where(line => line.Contains(":" + inode + " ", StringComparison.Ordinal)).ToArray();

    [TestMethod]
    [Verifies("IslDsgn~lock-free-mapping~1")]
    public void Mapping_takes_no_lock_so_a_libmetal_style_exclusive_flock_is_granted_at_once()
    {
        using TestPaths paths = new();
        using MappedFileSharedMemory island = MappedFileSharedMemory.Create(paths.Shm, Size);
        using MappedFileSharedMemory agent = MappedFileSharedMemory.Open(paths.Shm, Size);
        ulong inode = island.Inode;
        Assert.AreEqual(0, LocksOn(inode).Length, "no lock while only this process maps the file: " + string.Join(" | ", LocksOn(inode)));
        island.WriteUInt32(0x100, 0xC0FFEE01);

        using PythonPeer peer = PythonPeer.Start("exclusive_lock_peer.py", paths.Shm, Size.ToString());
        string locked = peer.ReadLine(5_000, "get flock(LOCK_EX) (a FileStream's LOCK_SH would block it forever)");
        Assert.AreEqual("locked " + inode, locked);
        string[] locks = LocksOn(inode);
        Assert.AreEqual(1, locks.Length, string.Join(" | ", locks));
        StringAssert.Contains(locks[0], "FLOCK");
        StringAssert.Contains(locks[0], " " + peer.Pid + " ", "the one lock is the peer's");
        Assert.AreEqual("u32 " + 0xC0FFEE01u, peer.Ask("u32 0x100"), "the peer's mapping sees the island's store");
        Assert.AreEqual("ok", peer.Ask("w8 0x104 0x5a"));
        Assert.AreEqual((byte)0x5a, agent.ReadByte(0x104), "and the agent sees the peer's");
    }

    // Why the mapping avoids FileStream: the runtime takes flock(LOCK_SH) on every file it opens that
    // way, and a libmetal peer then waits for LOCK_EX without limit (the hang of issue 14). This is
    // what the test above would see if MappedFileSharedMemory went back to a FileStream.
    [TestMethod]
    public void A_dotnet_FileStream_on_the_file_blocks_a_exclusive_lock_peer_until_it_is_closed()
    {
        using TestPaths paths = new();
        using (MappedFileSharedMemory.Create(paths.Shm, Size))
        {
        }

        FileStream stream = new(paths.Shm, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        using PythonPeer peer = PythonPeer.Start("exclusive_lock_peer.py", paths.Shm, Size.ToString());
        try
        {
            Assert.IsNull(peer.TryReadLine(1_000), "the peer got LOCK_EX while a FileStream held the file");
            StringAssert.Contains(string.Join("\n", LocksOn(InodeOf(paths.Shm))), "FLOCK");
        }
        finally
        {
            stream.Dispose();
        }

        StringAssert.StartsWith(peer.ReadLine(5_000, "get the lock once the FileStream is closed"), "locked ");
    }

    [TestMethod]
    [Verifies("IslDsgn~lock-free-mapping~1")]
    public void A_peer_holding_LOCK_EX_does_not_keep_the_island_or_the_agent_from_mapping_the_file()
    {
        using TestPaths paths = new();
        using (MappedFileSharedMemory.Create(paths.Shm, Size))
        {
        }

        using PythonPeer peer = PythonPeer.Start("exclusive_lock_peer.py", paths.Shm, Size.ToString());
        peer.ReadLine(5_000, "lock the file");
        Task<(MappedFileSharedMemory Island, MappedFileSharedMemory Agent)> mapping = Task.Run(() =>
            (MappedFileSharedMemory.Create(paths.Shm, Size), MappedFileSharedMemory.Open(paths.Shm, Size)));
        Assert.IsTrue(mapping.Wait(5_000), "mapping waited for the peer's exclusive flock");
        using MappedFileSharedMemory island = mapping.Result.Island;
        using MappedFileSharedMemory agent = mapping.Result.Agent;
        island.WriteUInt32(0x200, 77);
        Assert.AreEqual("u32 77", peer.Ask("u32 0x200"));
    }

    [TestMethod]
    [Verifies("IslDsgn~one-inode~1")]
    public void Island_create_reuses_the_file_in_place_and_never_changes_its_inode()
    {
        using TestPaths paths = new();
        MappedFileSharedMemory first = MappedFileSharedMemory.Create(paths.Shm, 0x1000);
        using MappedFileSharedMemory agent = MappedFileSharedMemory.Open(paths.Shm, 0x1000);
        ulong inode = first.Inode;
        first.Dispose();
        Assert.IsTrue(File.Exists(paths.Shm), "disposing the island's mapping keeps the file");
        using MappedFileSharedMemory second = MappedFileSharedMemory.Create(paths.Shm, 0x1000);
        second.WriteUInt32(0, 42);
        Assert.AreEqual(inode, second.Inode);
        Assert.AreEqual(inode, InodeOf(paths.Shm));
        Assert.IsFalse(agent.FileWasReplaced());
        Assert.AreEqual(42u, agent.ReadUInt32(0), "the agent's one mapping sees the new boot's stores");
        Assert.AreEqual(0, agent.Remaps);
    }

    [TestMethod]
    [Verifies("IslDsgn~one-inode~1")]
    public void Island_create_grows_a_short_file_in_place_and_refuses_a_directory()
    {
        using TestPaths paths = new();
        File.WriteAllBytes(paths.Shm, new byte[100]);
        ulong inode = InodeOf(paths.Shm);
        using (MappedFileSharedMemory grown = MappedFileSharedMemory.Create(paths.Shm, 0x2000))
        {
            Assert.AreEqual(inode, grown.Inode);
            Assert.AreEqual(0x2000, new FileInfo(paths.Shm).Length);
        }

        string directory = paths.Shm + ".dir";
        Directory.CreateDirectory(directory);
        try
        {
            IOException error = Assert.ThrowsExactly<IOException>(() => MappedFileSharedMemory.Create(directory, 0x1000));
            StringAssert.Contains(error.Message, directory);
        }
        finally
        {
            Directory.Delete(directory);
        }
    }
}
