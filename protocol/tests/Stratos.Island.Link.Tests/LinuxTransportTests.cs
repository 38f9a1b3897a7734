using System;
using System.IO;
using System.Runtime.InteropServices;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Link.Linux;

namespace Stratos.Island.Link.Tests;

[TestClass]
public sealed class MappedFileAndKickTests
{
    [TestMethod]
    public void Two_mappings_of_the_same_shm_file_see_each_other()
    {
        using TestPaths paths = new();
        using MappedFileSharedMemory created = MappedFileSharedMemory.Create(paths.Shm, 0x10000);
        using MappedFileSharedMemory opened = MappedFileSharedMemory.Open(paths.Shm, 0x10000);
        created.WriteUInt32(0x100, 0xCAFEF00D);
        created.WriteUInt16(0x105, 0xBEEF);
        created.FullBarrier();
        Assert.AreEqual(0xCAFEF00Du, opened.ReadUInt32(0x100));
        Assert.AreEqual((ushort)0xBEEF, opened.ReadUInt16(0x105));
        Assert.AreEqual((byte)0x0D, opened.ReadByte(0x100), "little-endian in the file");
        Assert.IsFalse(opened.FileWasReplaced());
    }

    [TestMethod]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void With_a_link_group_the_shm_file_and_kick_socket_are_0660_to_it_even_over_a_wider_file_left_behind()
    {
        // island-sim --link-group (docs/security.md): a group agent may map and connect, others may not.
        int group = PrivateEndpoints.GroupId("daemon");
        using TestPaths paths = new();
        File.WriteAllBytes(paths.Shm, new byte[16]);
        File.SetUnixFileMode(paths.Shm, (UnixFileMode)0x1B6);   // 0666, as an older run might leave it
        using SharedMemoryLinkPort port = SharedMemoryLinkPort.OpenDevice(paths.Shm, paths.Socket, LinkLayout.CreateOpenAmpLinuxReference(), 0, groupId: group);
        const UnixFileMode ownerAndGroup = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite;
        Assert.AreEqual(ownerAndGroup, File.GetUnixFileMode(paths.Shm));
        Assert.AreEqual(ownerAndGroup, File.GetUnixFileMode(paths.Socket));
        Assert.AreEqual(group, GroupOf(paths.Shm));
        Assert.AreEqual(group, GroupOf(paths.Socket));
    }

    private static int GroupOf(string path)
    {
        var stat = new System.Diagnostics.ProcessStartInfo("/usr/bin/stat", new[] { "-c", "%g", path }) { RedirectStandardOutput = true };
        using var p = System.Diagnostics.Process.Start(stat)!;
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return int.Parse(output.Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    [TestMethod]
    public void Wake_from_another_thread_ends_a_wait_at_once_and_is_harmless_after_dispose()
    {
        using TestPaths paths = new();
        using UnixKickChannel island = UnixKickChannel.Listen(paths.Socket);
        UnixKickChannel agent = UnixKickChannel.Connect(paths.Socket, 2_000);
        island.Wait(100);   // accept the agent

        var waited = System.Diagnostics.Stopwatch.StartNew();
        var waker = new System.Threading.Thread(() =>
        {
            System.Threading.Thread.Sleep(50);
            agent.Wake();
        });
        waker.Start();
        KickWaitResult result = agent.Wait(10_000);
        waited.Stop();
        waker.Join();

        Assert.AreEqual(KickWaitResult.Kicked, result);
        Assert.AreEqual(1, agent.Wakeups);
        Assert.IsLessThan(5_000L, waited.ElapsedMilliseconds, "woken, not timed out");
        Assert.AreEqual(KickWaitResult.Timeout, agent.Wait(20), "the wake was consumed");
        agent.Dispose();
        agent.Wake();
    }

    [TestMethod]
    [Verifies("IslDsgn~one-inode~1")]
    public void Shm_file_replaced_by_someone_else_is_noticed_and_remapped()
    {
        using TestPaths paths = new();
        MappedFileSharedMemory first = MappedFileSharedMemory.Create(paths.Shm, 0x1000);
        using MappedFileSharedMemory agent = MappedFileSharedMemory.Open(paths.Shm, 0x1000);
        first.Dispose();
        File.Delete(paths.Shm);
        using MappedFileSharedMemory second = MappedFileSharedMemory.Create(paths.Shm, 0x1000);
        second.WriteUInt32(0, 42);
        Assert.IsTrue(agent.FileWasReplaced());
        agent.Remap();
        Assert.IsFalse(agent.FileWasReplaced());
        Assert.AreEqual(1, agent.Remaps);
        Assert.AreEqual(42u, agent.ReadUInt32(0));
    }

    [TestMethod]
    public void Shm_file_smaller_than_the_layout_is_refused_with_its_name()
    {
        using TestPaths paths = new();
        File.WriteAllBytes(paths.Shm, new byte[100]);
        InvalidDataException error = Assert.ThrowsExactly<InvalidDataException>(() => MappedFileSharedMemory.Open(paths.Shm, 0x80000));
        StringAssert.Contains(error.Message, paths.Shm);
    }

    [TestMethod]
    public void Access_outside_the_window_throws_instead_of_touching_other_memory()
    {
        using TestPaths paths = new();
        using MappedFileSharedMemory shm = MappedFileSharedMemory.Create(paths.Shm, 0x1000);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => shm.ReadUInt32(0xFFE));
    }

    [TestMethod]
    public void Kick_wakes_the_listener_and_a_closed_connection_reports_a_peer_reset()
    {
        using TestPaths paths = new();
        using UnixKickChannel island = UnixKickChannel.Listen(paths.Socket);
        UnixKickChannel agent = UnixKickChannel.Connect(paths.Socket, 2_000);
        Assert.AreEqual(KickWaitResult.Kicked, island.Wait(1_000), "the first connection is a plain wake-up");
        Assert.IsTrue(island.IsConnected);
        Assert.AreEqual(KickWaitResult.Timeout, island.Wait(20));
        agent.Kick();
        agent.Kick();
        Assert.AreEqual(KickWaitResult.Kicked, island.Wait(1_000));
        Assert.AreEqual(KickWaitResult.Timeout, island.Wait(20), "both kicks were drained by one wait");
        island.Kick();
        Assert.AreEqual(KickWaitResult.Kicked, agent.Wait(1_000));
        using UnixKickChannel newAgent = UnixKickChannel.Connect(paths.Socket, 2_000);
        Assert.AreEqual(KickWaitResult.PeerReset, island.Wait(1_000), "a connection replacing a live one is a restart");
        newAgent.Dispose();
        Assert.AreEqual(KickWaitResult.PeerReset, island.Wait(1_000), "a closed connection is a restart");
        Assert.IsFalse(island.IsConnected);
        agent.Dispose();
    }

    [TestMethod]
    public void Agent_reconnects_inside_wait_after_the_island_comes_back()
    {
        using TestPaths paths = new();
        UnixKickChannel island = UnixKickChannel.Listen(paths.Socket);
        using UnixKickChannel agent = UnixKickChannel.Connect(paths.Socket, 2_000);
        island.Wait(500);
        island.Dispose();
        Assert.AreEqual(KickWaitResult.PeerReset, agent.Wait(1_000));
        Assert.AreEqual(KickWaitResult.Timeout, agent.Wait(30), "nobody listening yet");
        using UnixKickChannel island2 = UnixKickChannel.Listen(paths.Socket);
        Assert.AreEqual(KickWaitResult.PeerReset, agent.Wait(2_000));
        Assert.IsTrue(agent.IsConnected);
    }
}

[TestClass]
public sealed unsafe class RpmsgCharTests
{
    private const int AF_UNIX = 1;
    private const int SOCK_SEQPACKET = 5;
    private const int SOCK_NONBLOCK = 0x800;

    [DllImport("libc", SetLastError = true)]
    private static extern int socketpair(int domain, int type, int protocol, int* fds);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);

    private static (RpmsgCharEndpoint Endpoint, RpmsgCharEndpoint Remote) Pair(bool nonBlocking)
    {
        int* fds = stackalloc int[2];
        Assert.AreEqual(0, socketpair(AF_UNIX, SOCK_SEQPACKET | (nonBlocking ? SOCK_NONBLOCK : 0), 0, fds));
        return (RpmsgCharEndpoint.FromFileDescriptor(fds[0]), RpmsgCharEndpoint.FromFileDescriptor(fds[1]));
    }

    [TestMethod]
    public void Ioctl_numbers_equal_the_kernel_uapi_values()
    {
        Assert.AreEqual(0x4028b501u, RpmsgIoctl.CreateEndpoint);
        Assert.AreEqual(0x0000b502u, RpmsgIoctl.DestroyEndpoint);
        Assert.AreEqual(0x4028b503u, RpmsgIoctl.CreateDevice);
        Assert.AreEqual(0x4028b504u, RpmsgIoctl.ReleaseDevice);
        // _IOR(0xb5, 0x5, int) from the flow-control extension, to check the read direction too.
        Assert.AreEqual(0x8004b505u, RpmsgIoctl.Ior(0xb5, 5, 4));
    }

    [TestMethod]
    public void Endpoint_info_is_40_bytes_with_src_at_32_and_dst_at_36()
    {
        Assert.AreEqual(40, RpmsgEndpointInfo.Size);
        RpmsgEndpointInfo info = RpmsgEndpointInfo.Create("rpmsg-raw", 0x400, 0xFFFFFFFF);
        byte* p = (byte*)&info;
        Assert.AreEqual((byte)'r', p[0]);
        Assert.AreEqual((byte)0, p[9]);
        Assert.AreEqual(0x400u, *(uint*)(p + 32));
        Assert.AreEqual(0xFFFFFFFFu, *(uint*)(p + 36));
        Assert.ThrowsExactly<ArgumentException>(() => RpmsgEndpointInfo.Create(new string('x', 32), 0, 0));
    }

    [TestMethod]
    public void Each_read_returns_one_message_and_excess_bytes_are_dropped()
    {
        var (endpoint, remote) = Pair(nonBlocking: false);
        using (endpoint)
        using (remote)
        {
            byte[] first = LinkPair.Bytes(100, 1);
            Assert.AreEqual(RpmsgCharResult.Ok, remote.TrySend(first, 0, 100));
            Assert.AreEqual(RpmsgCharResult.Ok, remote.TrySend(new byte[] { 9, 8, 7 }, 0, 3));
            byte[] small = new byte[10];
            Assert.AreEqual(RpmsgCharResult.Ok, endpoint.TryReceive(small, 1_000, out int length));
            Assert.AreEqual(10, length);
            CollectionAssert.AreEqual(first[..10], small);
            Assert.AreEqual(RpmsgCharResult.Ok, endpoint.TryReceive(small, 1_000, out length));
            Assert.AreEqual(3, length, "the rest of the first message was dropped, not merged");
            Assert.AreEqual(RpmsgCharResult.Timeout, endpoint.TryReceive(small, 10, out _));
        }
    }

    [TestMethod]
    [Verifies("IslDsgn~sends-never-block~1")]
    public void Full_tx_with_O_NONBLOCK_maps_EAGAIN_to_WouldBlock()
    {
        var (endpoint, remote) = Pair(nonBlocking: true);
        using (endpoint)
        using (remote)
        {
            byte[] payload = new byte[496];
            RpmsgCharResult result = RpmsgCharResult.Ok;
            for (int i = 0; i < 100_000 && result == RpmsgCharResult.Ok; i++)
            {
                result = endpoint.TrySend(payload, 0, payload.Length);
            }

            Assert.AreEqual(RpmsgCharResult.WouldBlock, result);
            Assert.AreEqual(11, endpoint.LastErrno);
        }
    }

    [TestMethod]
    public void Write_after_the_endpoint_is_gone_maps_EPIPE_to_EndpointGone()
    {
        var (endpoint, remote) = Pair(nonBlocking: false);
        using (endpoint)
        {
            remote.Dispose();
            Assert.AreEqual(RpmsgCharResult.EndpointGone, endpoint.TrySend(new byte[4], 0, 4));
            Assert.AreEqual(32, endpoint.LastErrno);
        }
    }

    [TestMethod]
    public void Errno_mapping_covers_device_reset_and_unknown_errors()
    {
        Assert.AreEqual(RpmsgCharResult.DeviceGone, RpmsgCharEndpoint.MapErrno(102));
        Assert.AreEqual(RpmsgCharResult.DeviceGone, RpmsgCharEndpoint.MapErrno(19));
        Assert.AreEqual(RpmsgCharResult.WouldBlock, RpmsgCharEndpoint.MapErrno(11));
        Assert.AreEqual(RpmsgCharResult.EndpointGone, RpmsgCharEndpoint.MapErrno(32));
        Assert.AreEqual(RpmsgCharResult.IoError, RpmsgCharEndpoint.MapErrno(5));
    }

    [TestMethod]
    public void Message_over_496_bytes_is_refused_before_the_syscall()
    {
        var (endpoint, remote) = Pair(nonBlocking: false);
        using (endpoint)
        using (remote)
        {
            Assert.AreEqual(RpmsgCharResult.TooLarge, endpoint.TrySend(new byte[497], 0, 497));
        }
    }

    [TestMethod]
    public void Opening_a_missing_rpmsg_device_reports_an_error_instead_of_throwing()
    {
        Assert.AreEqual(RpmsgCharResult.IoError, RpmsgCharEndpoint.TryOpen("/dev/rpmsg-does-not-exist", true, out RpmsgCharEndpoint? endpoint));
        Assert.IsNull(endpoint);
    }
}
