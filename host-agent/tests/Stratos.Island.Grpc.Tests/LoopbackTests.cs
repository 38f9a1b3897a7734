using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Agent.Api;
using Stratos.Island.Protocol.Agent.V1;
using Stratos.Island.Protocol.Common.V1;

namespace Stratos.Island.Grpc.Tests;

/// <summary>Our client against our server over a real UNIX socket with real HTTP/2.</summary>
[TestClass]
public sealed class LoopbackTests
{
    private DemoService _service = null!;
    private DemoServer _demo = null!;
    private GrpcClient _client = null!;
    private string _socket = null!;

    [TestInitialize]
    public async Task StartAsync()
    {
        _demo = await DemoServer.StartAsync();
        (_socket, _service, _client) = (_demo.Socket, _demo.Service, _demo.Client);
    }

    [TestCleanup]
    public Task StopAsync() => _demo.DisposeAsync().AsTask();

    [TestMethod]
    public async Task Unary_call_returns_the_response()
    {
        var response = await _client.UnaryAsync(DemoService.ListVms, new ListVmsRequest(), ListVmsResponse.Parser);
        CollectionAssert.AreEqual(new[] { "base", "web" }, response.Vms.Select(v => v.Name).ToArray());
        Assert.AreEqual(Criticality.AsilB, response.Vms[1].Criticality);
    }

    [TestMethod]
    public async Task Handler_error_arrives_as_status_and_message()
    {
        var e = await Assert.ThrowsExactlyAsync<GrpcException>(() => _client.UnaryAsync(DemoService.StartVm, new StartVmRequest { Name = "dbx" }, StartVmResponse.Parser));
        Assert.AreEqual(GrpcStatusCode.NotFound, e.Status);
        Assert.AreEqual("VM 'dbx' not found; known VMs: base, web", e.Message);
    }

    [TestMethod]
    public async Task Unknown_methods_and_services_are_unimplemented()
    {
        // GrpcRequestGuard answers before Grpc.AspNetCore's own "Method is unimplemented.", naming the path.
        var method = await Assert.ThrowsExactlyAsync<GrpcException>(() => _client.UnaryAsync("/stratos.island.agent.v1.VmService/Explode", new ListVmsRequest(), ListVmsResponse.Parser));
        var service = await Assert.ThrowsExactlyAsync<GrpcException>(() => _client.UnaryAsync("/stratos.island.agent.v1.NoSuchService/ListVms", new ListVmsRequest(), ListVmsResponse.Parser));
        Assert.AreEqual(GrpcStatusCode.Unimplemented, method.Status);
        Assert.AreEqual("method /stratos.island.agent.v1.VmService/Explode is not served by this agent (unknown service or method)", method.Message);
        Assert.AreEqual(GrpcStatusCode.Unimplemented, service.Status);
        Assert.AreEqual("method /stratos.island.agent.v1.NoSuchService/ListVms is not served by this agent (unknown service or method)", service.Message);
    }

    [TestMethod]
    public async Task Server_stream_delivers_every_message_then_ok()
    {
        var sequences = new List<uint>();
        await DemoService.ReadSequencesAsync(_client, 10, sequences);

        CollectionAssert.AreEqual(new uint[] { 10, 11, 12, 13, 14 }, sequences);
    }

    [TestMethod]
    public async Task Server_stream_error_after_messages_arrives_in_trailers()
    {
        var sequences = new List<uint>();
        var e = await Assert.ThrowsExactlyAsync<GrpcException>(() => DemoService.ReadSequencesAsync(_client, 900, sequences));
        CollectionAssert.AreEqual(new uint[] { 900, 901 }, sequences);
        Assert.AreEqual(GrpcStatusCode.DataLoss, e.Status);
        Assert.AreEqual("event log page 3 failed its CRC", e.Message);
    }

    [TestMethod]
    public async Task Deadline_exceeded_ends_the_call_and_cancels_the_handler()
    {
        var e = await Assert.ThrowsExactlyAsync<GrpcException>(() => _client.UnaryAsync(DemoService.StopVm, new StopVmRequest { Name = "web", Reason = "10000" }, StopVmResponse.Parser, TimeSpan.FromMilliseconds(200)));
        Assert.AreEqual(GrpcStatusCode.DeadlineExceeded, e.Status);
        Assert.IsTrue(await _service.SlowCallCancelled.Task.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [TestMethod]
    public async Task A_call_that_finishes_inside_its_deadline_succeeds()
    {
        var response = await _client.UnaryAsync(DemoService.StopVm, new StopVmRequest { Name = "web", Reason = "10" }, StopVmResponse.Parser, TimeSpan.FromSeconds(10));
        Assert.AreEqual(VmState.Stopped, response.Vm.State);
    }

    [TestMethod]
    public async Task Cancelling_a_stream_reaches_the_server_handler()
    {
        var received = new List<uint>();
        var e = await Assert.ThrowsExactlyAsync<GrpcException>(() => DemoService.ReadSequencesAsync(_client, 0, received, cancelAfter: 3));
        Assert.AreEqual(GrpcStatusCode.Cancelled, e.Status);
        Assert.AreEqual(3, received.Count);
        Assert.IsTrue(await _service.SlowCallCancelled.Task.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [TestMethod]
    public async Task Many_concurrent_calls_share_one_connection()
    {
        var calls = Enumerable.Range(0, 50).Select(_ => _client.UnaryAsync(DemoService.ListVms, new ListVmsRequest(), ListVmsResponse.Parser));
        var responses = await Task.WhenAll(calls);
        Assert.AreEqual(50, responses.Count(r => r.Vms.Count == 2));
    }

    [TestMethod]
    public void Socket_is_created_with_mode_0600()
    {
        var mode = File.GetUnixFileMode(_socket);
        Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
    }

    [TestMethod]
    public async Task A_second_server_on_a_live_socket_is_refused()
    {
        var e = await Assert.ThrowsExactlyAsync<IOException>(() => ApiServer.StartAsync(new ApiServices(), new ApiServerOptions { UnixSocketPath = _socket }));
        StringAssert.Contains(e.Message, _socket);
    }
}

[TestClass]
public sealed class ServerLifecycleTests
{
    [TestMethod]
    public async Task Calling_a_socket_nobody_listens_on_is_unavailable_and_names_the_path()
    {
        var path = DemoService.NewSocketPath();
        using var client = GrpcClient.ForUnixSocket(path);
        var e = await Assert.ThrowsExactlyAsync<GrpcException>(() => client.UnaryAsync(DemoService.ListVms, new ListVmsRequest(), ListVmsResponse.Parser));
        Assert.AreEqual(GrpcStatusCode.Unavailable, e.Status);
        StringAssert.Contains(e.Message, path);
    }

    [TestMethod]
    public async Task A_stale_socket_file_is_replaced_and_removed_on_stop()
    {
        var path = DemoService.NewSocketPath();
        // A socket file that is bound but not listening: what a crashed server leaves behind.
        // (.NET unlinks the file when a bound socket is disposed, so keep this one open.)
        using var stale = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        stale.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
        Assert.IsTrue(File.Exists(path));
        var server = await ApiServer.StartAsync(new DemoService().CreateServices(), new ApiServerOptions { UnixSocketPath = path });
        using (var client = GrpcClient.ForUnixSocket(path))
        {
            var response = await client.UnaryAsync(DemoService.ListVms, new ListVmsRequest(), ListVmsResponse.Parser);
            Assert.AreEqual(2, response.Vms.Count);
        }

        await server.DisposeAsync();
        Assert.IsFalse(File.Exists(path));
    }

    [TestMethod]
    public async Task Plaintext_tcp_listener_is_refused()
    {
        var e = await Assert.ThrowsExactlyAsync<ArgumentException>(() => ApiServer.StartAsync(new ApiServices(), new ApiServerOptions { TcpEndpoint = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0) }));
        StringAssert.Contains(e.Message, "TLS");
    }
}

/// <summary>The blocking unary call (the CLI's) against our server: same results and statuses as the async one.</summary>
[TestClass]
public sealed class BlockingCallTests
{
    private DemoService _service = null!;
    private DemoServer _demo = null!;
    private GrpcClient _client = null!;

    [TestInitialize]
    public async Task StartAsync()
    {
        _demo = await DemoServer.StartAsync();
        (_service, _client) = (_demo.Service, _demo.Client);
    }

    [TestCleanup]
    public Task StopAsync() => _demo.DisposeAsync().AsTask();

    [TestMethod]
    public void Blocking_unary_call_returns_the_response_twice_on_one_connection()
    {
        for (int i = 0; i < 2; i++)
        {
            var response = _client.Unary(DemoService.ListVms, new ListVmsRequest(), ListVmsResponse.Parser);
            CollectionAssert.AreEqual(new[] { "base", "web" }, response.Vms.Select(v => v.Name).ToArray());
        }
    }

    [TestMethod]
    public void Blocking_unary_call_reports_the_handler_status()
    {
        var e = Assert.ThrowsExactly<GrpcException>(() => _client.Unary(DemoService.StartVm, new StartVmRequest { Name = "dbx" }, StartVmResponse.Parser));
        Assert.AreEqual(GrpcStatusCode.NotFound, e.Status);
        Assert.AreEqual("VM 'dbx' not found; known VMs: base, web", e.Message);
    }

    [TestMethod]
    public async Task Blocking_unary_call_honours_its_deadline_and_cancels_the_handler()
    {
        // 1 s rather than less: on a loaded machine the handler must have started before the reset.
        var e = Assert.ThrowsExactly<GrpcException>(() => _client.Unary(DemoService.StopVm, new StopVmRequest { Name = "web", Reason = "10000" }, StopVmResponse.Parser, TimeSpan.FromSeconds(1)));
        Assert.AreEqual(GrpcStatusCode.DeadlineExceeded, e.Status);
        Assert.IsTrue(await _service.SlowCallCancelled.Task.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [TestMethod]
    public async Task Cancelling_a_blocking_call_ends_it_as_cancelled()
    {
        // Cancelled once the handler runs (on a loaded machine a fixed delay could cancel the call
        // before it reached the server, and then no handler would be there to see the cancellation).
        using var cts = new CancellationTokenSource();
        Task cancelOnceStarted = _service.SlowCallStarted.Task.WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => cts.Cancel(), TaskScheduler.Default);
        var e = Assert.ThrowsExactly<GrpcException>(() => _client.Unary(DemoService.StopVm, new StopVmRequest { Name = "web", Reason = "10000" }, StopVmResponse.Parser, cancellationToken: cts.Token));
        Assert.AreEqual(GrpcStatusCode.Cancelled, e.Status);
        Assert.IsTrue(_service.SlowCallStarted.Task.IsCompleted, "the handler never started");
        Assert.IsTrue(await _service.SlowCallCancelled.Task.WaitAsync(TimeSpan.FromSeconds(5)));
        await cancelOnceStarted;
    }
}
