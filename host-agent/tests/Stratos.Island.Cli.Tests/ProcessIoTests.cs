using System;
using System.Collections;
using System.Diagnostics;
using System.IO;
using System.IO.Pipes;
using System.Text;
using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Cli.Output;
using Stratos.Island.Protocol.Common.V1;

namespace Stratos.Island.Cli.Tests;

/// <summary>
/// The CLI's own standard output (no System.Console), its live environment, and the spelled-out enum
/// names of the status tables; the last tests run the real `island` process on a pipe.
/// </summary>
[TestClass]
public sealed class ProcessIoTests
{
    private static ApiDouble _api = null!;

    [ClassInitialize]
    public static async Task StartAsync(TestContext _) => _api = await ApiDouble.StartAsync();

    [ClassCleanup]
    public static async Task StopAsync() => await _api.DisposeAsync();

    [TestMethod]
    public void The_writer_holds_text_until_a_line_ends_and_writes_utf8_without_a_bom()
    {
        string path = Path.GetTempFileName();
        try
        {
            using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Write);
            using var writer = new DescriptorWriter((int)file.DangerousGetHandle());
            writer.Write("état ");
            Assert.AreEqual(0L, new FileInfo(path).Length, "a partial line stays in the writer");
            writer.WriteLine("ok");
            writer.Write("tail".AsSpan());
            writer.Write(new[] { '!', '\n', 'x' }, 0, 2);
            writer.Write('y');
            writer.Flush();

            Assert.AreEqual("état ok\ntail!\ny", File.ReadAllText(path, new UTF8Encoding(false)));
            Assert.AreEqual(0xC3, File.ReadAllBytes(path)[0], "UTF-8, no byte order mark");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void A_reader_that_went_away_ends_output_quietly()
    {
        using var pipe = new AnonymousPipeServerStream(PipeDirection.Out);
        pipe.ClientSafePipeHandle.Dispose();   // no reader left: write(2) fails with EPIPE
        using var writer = new DescriptorWriter((int)pipe.SafePipeHandle.DangerousGetHandle());

        writer.WriteLine("nobody reads this");
        writer.WriteLine("nor this");
    }

    [TestMethod]
    public async Task A_non_blocking_descriptor_that_is_full_is_waited_for_and_nothing_is_lost()
    {
        string path = Path.Combine(Path.GetTempPath(), "processio-" + Guid.NewGuid().ToString("N")[..8] + ".sock");
        using var listener = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        listener.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        using var writeEnd = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        writeEnd.Connect(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
        using var readEnd = listener.Accept();
        writeEnd.Blocking = false;   // O_NONBLOCK: a full socket buffer makes write(2) fail with EAGAIN
        string line = new string('x', 999);
        const int Lines = 4000;      // ~4 MB, far more than a socket buffer

        Task<long> reader = Task.Run(async () =>
        {
            await Task.Delay(200);   // let the writer fill the buffer and meet EAGAIN first
            var buffer = new byte[65536];
            long total = 0;
            int read;
            while ((read = readEnd.Receive(buffer)) > 0)
                total += read;
            return total;
        });
        var writer = new DescriptorWriter((int)writeEnd.Handle);
        for (int i = 0; i < Lines; i++)
            writer.WriteLine(line);
        writeEnd.Shutdown(System.Net.Sockets.SocketShutdown.Send);

        Assert.AreEqual(Lines * 1000L, await reader);
        File.Delete(path);
    }

    [TestMethod]
    public void A_flush_for_size_never_splits_a_surrogate_pair()
    {
        string path = Path.GetTempFileName();
        try
        {
            using (var file = File.OpenHandle(path, FileMode.Open, FileAccess.Write))
            using (var writer = new DescriptorWriter((int)file.DangerousGetHandle()))
            {
                writer.Write(new string('a', 8191));
                writer.Write('\uD83D');   // the 8192nd character: a high surrogate, its pair still to come
                writer.Write('\uDE00');
                writer.Write(" end\n\uD83D");   // a line ends, and the next starts with half a pair
                writer.WriteLine("\uDE01");
            }

            Assert.AreEqual(new string('a', 8191) + "\U0001F600 end\n\U0001F601\n", File.ReadAllText(path, new UTF8Encoding(false)));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void A_bad_descriptor_is_an_io_error_that_names_it()
    {
        using var writer = new DescriptorWriter(987654);
        var e = Assert.ThrowsExactly<IOException>(() => writer.WriteLine("x"));
        StringAssert.Contains(e.Message, "file descriptor 987654");
    }

    [TestMethod]
    public void A_file_is_not_a_terminal()
    {
        using var file = File.OpenHandle(Path.GetTempFileName(), FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.DeleteOnClose);
        Assert.IsFalse(ProcessIo.IsTerminal((int)file.DangerousGetHandle()));
    }

    [TestMethod]
    public void The_live_environment_reads_variables_as_they_are_now_and_cannot_be_changed()
    {
        string name = "ISLAND_TEST_" + Guid.NewGuid().ToString("N")[..8];
        var environment = new LiveEnvironment();
        Assert.IsNull(environment[name]);
        Assert.IsFalse(environment.Contains(name));
        Environment.SetEnvironmentVariable(name, "/x.sock");
        try
        {
            Assert.AreEqual("/x.sock", environment[name]);
            Assert.IsTrue(environment.ContainsKey(name));
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }

        Assert.ThrowsExactly<NotSupportedException>(() => environment[name] = "y");
        Assert.ThrowsExactly<NotSupportedException>(() => environment.Add(name, "y"));
        Assert.ThrowsExactly<NotSupportedException>(() => environment.GetEnumerator());
        Assert.ThrowsExactly<NotSupportedException>(() => ((IEnumerable)environment).GetEnumerator());
        Assert.ThrowsExactly<NotSupportedException>(() => environment.Count, "not 0 as if the environment were empty");
        Assert.ThrowsExactly<NotSupportedException>(() => environment.Keys);
    }

    [TestMethod]
    public void Spelled_out_enum_names_match_the_generic_spelling_for_every_value()
    {
        foreach (VmState v in Enum.GetValues<VmState>())
            Assert.AreEqual(Names.Of((Enum)v), Names.Of(v), v.ToString());
        foreach (LocalStatus v in Enum.GetValues<LocalStatus>())
            Assert.AreEqual(Names.Of((Enum)v), Names.Of(v), v.ToString());
        foreach (GlobalStatus v in Enum.GetValues<GlobalStatus>())
            Assert.AreEqual(Names.Of((Enum)v), Names.Of(v), v.ToString());
        foreach (Criticality v in Enum.GetValues<Criticality>())
            Assert.AreEqual(Names.Of((Enum)v), Names.Of(v), v.ToString());
        foreach (PowerState v in Enum.GetValues<PowerState>())
            Assert.AreEqual(Names.Of((Enum)v), Names.Of(v), v.ToString());
        Assert.AreEqual("asil-b", Names.Of(Criticality.AsilB));
        Assert.AreEqual("42", Names.Of((VmState)42), "a value a newer agent sends");
    }

    [TestMethod]
    public void Coloured_cells_are_padded_outside_the_colour_codes_and_the_last_column_is_not_padded()
    {
        var table = new Table("NAME", "STATE", "NOTE");
        table.Add("base", new Table.Cell("ok", Table.Colour.Green), "x");
        table.Add("web-frontend", new Table.Cell("stopped", Table.Colour.Grey), "last");
        var output = new StringWriter();
        table.Write(output, colour: true);

        string[] lines = output.ToString().Split('\n');
        Assert.AreEqual("NAME          STATE    NOTE", lines[0]);
        Assert.AreEqual("base          \u001b[32mok\u001b[0m       x", lines[1]);
        Assert.AreEqual("web-frontend  \u001b[90mstopped\u001b[0m  last", lines[2]);
    }

    [TestMethod]
    public async Task The_real_process_prints_what_the_in_process_run_prints()
    {
        var expected = new StringWriter();
        await Program.RunAsync(new[] { "vm", "list" }, expected, new StringWriter(), new Hashtable { ["ISLAND_SOCKET"] = _api.Socket }, false);

        var (exit, output, error) = await RunIsland(closeStdout: false, "--socket", _api.Socket, "vm", "list");
        Assert.AreEqual(0, exit, error);
        Assert.AreEqual(expected.ToString(), output);
        Assert.AreEqual("", error);
    }

    [TestMethod]
    public async Task The_real_process_exits_cleanly_when_its_reader_is_gone()
    {
        var (exit, _, error) = await RunIsland(closeStdout: true, "--socket", _api.Socket, "vm", "list");
        Assert.AreEqual(0, exit, error);
        Assert.AreEqual("", error, "no stack trace for a closed pipe");
    }

    [TestMethod]
    public async Task The_real_process_writes_errors_to_stderr()
    {
        var (exit, output, error) = await RunIsland(closeStdout: false, "--socket", "/nonexistent/agent.sock", "vm", "list");
        Assert.AreEqual(ExitCodes.Unavailable, exit);
        Assert.AreEqual("", output);
        StringAssert.StartsWith(error, "island: the agent is not running (no socket at /nonexistent/agent.sock)");
    }

    [TestMethod]
    public async Task Ctrl_c_ends_a_followed_stream_quietly_with_exit_130()
    {
        using var process = StartIsland("--socket", _api.Socket, "events", "--follow", "--since", ApiDouble.OpenStreamFrom.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Task<string> error = process.StandardError.ReadToEndAsync();
        using var timeout = new System.Threading.CancellationTokenSource(TimeSpan.FromSeconds(30));
        for (int line = 0; line < 3; line++)
            StringAssert.Contains(await process.StandardOutput.ReadLineAsync(timeout.Token), "expired", "the three events before the stream idles");

        using (var kill = Process.Start("kill", new[] { "-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) })!)
            await kill.WaitForExitAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);

        Assert.AreEqual(ExitCodes.Interrupted, process.ExitCode);
        Assert.AreEqual("", await error, "Ctrl-C is not an error");
    }

    // The real CLI (the build next to this test assembly) as its own process, stdout and stderr piped.
    private static Process StartIsland(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "island.dll"));
        foreach (string a in args)
            start.ArgumentList.Add(a);
        return Process.Start(start)!;
    }

    private static async Task<(int Exit, string Out, string Err)> RunIsland(bool closeStdout, params string[] args)
    {
        using var process = StartIsland(args);
        string output = "";
        if (closeStdout)
            process.StandardOutput.Close();
        else
            output = await process.StandardOutput.ReadToEndAsync();
        string error = await process.StandardError.ReadToEndAsync();
        using var timeout = new System.Threading.CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, output, error);
    }
}
