using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Agent.Api;
using Stratos.Island.Protocol.Agent.V1;

namespace Stratos.Island.Grpc.Tests;

/// <summary>
/// Real gRPC peers call our server: the same scenarios from python3-grpcio and from @grpc/grpc-js.
/// </summary>
[TestClass]
public sealed class InteropClientTests
{
    private static DemoService _service = null!;
    private static ApiServer _server = null!;
    private static string _socket = null!;

    [ClassInitialize]
    public static async Task StartAsync(TestContext _)
    {
        _socket = DemoService.NewSocketPath();
        _service = new DemoService();
        _server = await ApiServer.StartAsync(_service.CreateServices(), new ApiServerOptions { UnixSocketPath = _socket });
    }

    [ClassCleanup]
    public static async Task StopAsync() => await _server.DisposeAsync();

    public static IEnumerable<object[]> Peers => new[]
    {
        new object[] { InteropPeers.Python, "python_client.py" },
        new object[] { "node", "node_client.js" },
    };

    [TestMethod]
    [DynamicData(nameof(Peers))]
    [Verifies("IslDsgn~grpc-wire~1")]
    public async Task Unary_call_from_peer_succeeds(string program, string script)
    {
        var r = await InteropPeers.RunClientAsync(program, script, _socket, "list");
        Assert.AreEqual("OK", r.GetProperty("code").GetString());
        CollectionAssert.AreEqual(new[] { "base", "web" }, r.GetProperty("names").EnumerateArray().Select(e => e.GetString()).ToArray());
    }

    [TestMethod]
    [DynamicData(nameof(Peers))]
    [Verifies("IslDsgn~grpc-wire~1")]
    public async Task Peer_sees_status_code_and_message_of_an_error(string program, string script)
    {
        var r = await InteropPeers.RunClientAsync(program, script, _socket, "notfound");
        Assert.AreEqual("NOT_FOUND", r.GetProperty("code").GetString());
        Assert.AreEqual("VM 'dbx' not found; known VMs: base, web", r.GetProperty("details").GetString());
    }

    [TestMethod]
    [DynamicData(nameof(Peers))]
    [Verifies("IslDsgn~grpc-wire~1")]
    public async Task Peer_deadline_is_honoured(string program, string script)
    {
        var r = await InteropPeers.RunClientAsync(program, script, _socket, "deadline");
        Assert.AreEqual("DEADLINE_EXCEEDED", r.GetProperty("code").GetString());
    }

    [TestMethod]
    [DynamicData(nameof(Peers))]
    public async Task Peer_receives_a_whole_server_stream(string program, string script)
    {
        var r = await InteropPeers.RunClientAsync(program, script, _socket, "stream");
        Assert.AreEqual("OK", r.GetProperty("code").GetString());
        CollectionAssert.AreEqual(new uint[] { 10, 11, 12, 13, 14 }, Sequences(r));
    }

    [TestMethod]
    [DynamicData(nameof(Peers))]
    public async Task Peer_receives_messages_then_the_stream_error(string program, string script)
    {
        var r = await InteropPeers.RunClientAsync(program, script, _socket, "stream_error");
        Assert.AreEqual("DATA_LOSS", r.GetProperty("code").GetString());
        Assert.AreEqual("event log page 3 failed its CRC", r.GetProperty("details").GetString());
        CollectionAssert.AreEqual(new uint[] { 900, 901 }, Sequences(r));
    }

    [TestMethod]
    [DynamicData(nameof(Peers))]
    public async Task Peer_cancellation_ends_the_stream(string program, string script)
    {
        var r = await InteropPeers.RunClientAsync(program, script, _socket, "cancel");
        Assert.AreEqual("CANCELLED", r.GetProperty("code").GetString());
    }

    private static uint[] Sequences(JsonElement r) =>
        r.TryGetProperty("sequences", out var s) ? s.EnumerateArray().Select(e => e.GetUInt32()).ToArray() : Array.Empty<uint>();
}

/// <summary>Our client against a python3-grpcio server.</summary>
[TestClass]
public sealed class InteropServerTests
{
    private static System.Diagnostics.Process _python = null!;
    private static string _socket = null!;
    private GrpcClient _client = null!;

    [ClassInitialize]
    public static void Start(TestContext _)
    {
        _socket = DemoService.NewSocketPath();
        _python = InteropPeers.StartPythonServer(_socket);
    }

    [ClassCleanup]
    public static void Stop() => InteropPeers.Stop(_python);

    [TestInitialize]
    public void Connect() => _client = GrpcClient.ForUnixSocket(_socket);

    [TestCleanup]
    public void Disconnect() => _client.Dispose();

    [TestMethod]
    public async Task Unary_call_to_python_server_succeeds()
    {
        var r = await _client.UnaryAsync(DemoService.ListVms, new ListVmsRequest(), ListVmsResponse.Parser);
        CollectionAssert.AreEqual(new[] { "base", "web" }, r.Vms.Select(v => v.Name).ToArray());
    }

    [TestMethod]
    public void Blocking_unary_call_to_python_server_succeeds()
    {
        var r = _client.Unary(DemoService.ListVms, new ListVmsRequest(), ListVmsResponse.Parser, TimeSpan.FromSeconds(10));
        CollectionAssert.AreEqual(new[] { "base", "web" }, r.Vms.Select(v => v.Name).ToArray());
    }

    [TestMethod]
    public async Task Python_server_error_arrives_with_code_and_message()
    {
        var e = await Assert.ThrowsExactlyAsync<GrpcException>(() => _client.UnaryAsync(DemoService.StartVm, new StartVmRequest { Name = "dbx" }, StartVmResponse.Parser));
        Assert.AreEqual(GrpcStatusCode.NotFound, e.Status);
        Assert.AreEqual("VM 'dbx' not found; known VMs: base, web", e.Message);
    }

    [TestMethod]
    public async Task Deadline_reaches_the_python_server()
    {
        var e = await Assert.ThrowsExactlyAsync<GrpcException>(() => _client.UnaryAsync(DemoService.StopVm, new StopVmRequest { Name = "web", Reason = "10000" }, StopVmResponse.Parser, TimeSpan.FromMilliseconds(300)));
        Assert.AreEqual(GrpcStatusCode.DeadlineExceeded, e.Status);
    }

    [TestMethod]
    public async Task Stream_from_python_server_is_read_whole()
    {
        var sequences = new List<uint>();
        await DemoService.ReadSequencesAsync(_client, 10, sequences);

        CollectionAssert.AreEqual(new uint[] { 10, 11, 12, 13, 14 }, sequences);
    }

    [TestMethod]
    public async Task Stream_error_from_python_server_follows_its_messages()
    {
        var sequences = new List<uint>();
        var e = await Assert.ThrowsExactlyAsync<GrpcException>(() => DemoService.ReadSequencesAsync(_client, 900, sequences));
        Assert.AreEqual(GrpcStatusCode.DataLoss, e.Status);
        CollectionAssert.AreEqual(new uint[] { 900, 901 }, sequences);
    }

    [TestMethod]
    public async Task Cancelling_a_python_stream_ends_it_as_cancelled()
    {
        var received = new List<uint>();
        var e = await Assert.ThrowsExactlyAsync<GrpcException>(() => DemoService.ReadSequencesAsync(_client, 0, received, cancelAfter: 3));
        Assert.AreEqual(GrpcStatusCode.Cancelled, e.Status);
        Assert.AreEqual(3, received.Count);
    }
}
