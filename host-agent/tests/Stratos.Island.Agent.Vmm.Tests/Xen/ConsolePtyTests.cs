using System;
using System.Collections.Concurrent;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Microsoft.Win32.SafeHandles;
using Stratos.Island.Agent.Vmm.Xen;

namespace Stratos.Island.Agent.Vmm.Tests.Xen;

// The Xen backend's console path on a real pseudo-terminal: this test holds the master side, as
// xenconsoled does in dom0, and the backend opens the slave (the path xenstore names) through
// ConsolePty + GuestSerialReader exactly as for a domain.
[TestClass]
public sealed class ConsolePtyTests
{
    [TestMethod]
    public async Task Guest_lines_on_the_pty_become_heartbeats_and_commands_reach_the_master_without_echo()
    {
        using var pair = PtyPair.Open();
        await using var reader = GuestSerialReader.Attach(ConsolePty.Open(pair.SlavePath), pair.SlavePath);
        var heartbeats = new BlockingCollection<uint>();
        reader.Heartbeat += heartbeats.Add;
        reader.StartReading();

        // The kernel's own console lines interleave with the protocol (CR LF from a tty).
        pair.Master.Write(Encoding.ASCII.GetBytes("[    1.234] Run /init as init process\r\nREADY rate=200 cps=- emitting=1 os=linux\r\nHB 1\r\nHB 2\r\n"));
        pair.Master.Flush();
        Assert.IsTrue(heartbeats.TryTake(out uint first, 5000) && first == 1);
        Assert.IsTrue(heartbeats.TryTake(out uint second, 5000) && second == 2);
        Assert.AreEqual(1, reader.MalformedCount, "the kernel line is not a protocol line");

        await reader.SendCommandAsync("hang");
        byte[] buffer = new byte[64];
        int n = await pair.Master.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.AreEqual("hang\n", Encoding.ASCII.GetString(buffer, 0, n), "raw mode: LF stays LF");
        Assert.IsFalse(heartbeats.TryTake(out _, 300), "raw mode: no echo of the command back as a line");
    }

    [TestMethod]
    public async Task The_console_ends_when_the_master_closes_as_when_the_domain_is_gone()
    {
        var pair = PtyPair.Open();
        await using var reader = GuestSerialReader.Attach(ConsolePty.Open(pair.SlavePath), pair.SlavePath);
        reader.StartReading();
        pair.Dispose();
        await reader.Closed.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [TestMethod]
    public async Task Disposing_the_reader_ends_a_read_waiting_on_a_silent_console()
    {
        using var pair = PtyPair.Open();
        var reader = GuestSerialReader.Attach(ConsolePty.Open(pair.SlavePath), pair.SlavePath);
        reader.StartReading();
        await Task.Delay(100);
        await reader.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.IsTrue(reader.Closed.IsCompleted);
    }

    [TestMethod]
    public void A_path_that_is_not_a_terminal_is_refused_naming_it()
    {
        string file = Path.GetTempFileName();
        try
        {
            var e = Assert.ThrowsExactly<VmmException>(() => ConsolePty.Open(file));
            StringAssert.Contains(e.Message, file);
            StringAssert.Contains(e.Message, "not a terminal");
            e = Assert.ThrowsExactly<VmmException>(() => ConsolePty.Open("/dev/pts/nonexistent"));
            StringAssert.Contains(e.Message, "cannot open the domain console '/dev/pts/nonexistent'");
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>A pty master (posix_openpt) and its slave's path.</summary>
    internal sealed class PtyPair : IDisposable
    {
        private PtyPair(FileStream master, string slavePath)
        {
            Master = master;
            SlavePath = slavePath;
        }

        public FileStream Master { get; }

        public string SlavePath { get; }

        public static PtyPair Open()
        {
            int fd = PosixOpenPt(2 | 0x100);   // O_RDWR | O_NOCTTY
            Assert.IsTrue(fd >= 0, "posix_openpt");
            Assert.AreEqual(0, GrantPt(fd));
            Assert.AreEqual(0, UnlockPt(fd));
            string slave = Marshal.PtrToStringUTF8(PtsName(fd))!;
            return new PtyPair(new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.ReadWrite, 1), slave);
        }

        public void Dispose() => Master.Dispose();

        [DllImport("libc", EntryPoint = "posix_openpt")]
        private static extern int PosixOpenPt(int flags);

        [DllImport("libc", EntryPoint = "grantpt")]
        private static extern int GrantPt(int fd);

        [DllImport("libc", EntryPoint = "unlockpt")]
        private static extern int UnlockPt(int fd);

        [DllImport("libc", EntryPoint = "ptsname")]
        private static extern IntPtr PtsName(int fd);
    }
}
