using System;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using System.Threading.Tasks;
using Grpc.Core;
using Grpc.Health.V1;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Client;
using Stratos.Island.Grpc;
using Stratos.Island.Grpc.Tests;
using Stratos.Island.Protocol;
using Stratos.Island.Protocol.Agent.V1;

namespace Stratos.Island.Agent.Tests;

/// <summary>
/// The agent's gRPC server (Grpc.AspNetCore) as any gRPC tool sees it: the standard health service,
/// server reflection (a peer that has no .proto file lists the services and calls one), and the
/// early failures answered Trailers-Only before the handler runs (an unknown method or a malformed
/// grpc-timeout named in the message).
/// </summary>
[TestClass]
public sealed class ApiServerTests
{
    private static readonly string[] AgentServices =
    {
        "stratos.island.agent.v1.VmService", "stratos.island.agent.v1.SupervisionService", "stratos.island.agent.v1.PowerService",
        "stratos.island.agent.v1.EventService", "stratos.island.agent.v1.IslandService", "stratos.island.agent.v1.BoardService",
    };

    [TestMethod]
    [Verifies("IslDsgn~grpc-wire~1")]
    public async Task The_health_service_follows_the_island_link_for_the_server_and_each_island_backed_service()
    {
        await using AgentApiTests.Rig rig = await AgentApiTests.Rig.StartAsync();
        using IslandClient client = IslandClient.ForUnixSocket(rig.Agent.Options.SocketPath);
        var health = new Health.HealthClient(client.Channel);
        await rig.WaitUpAsync();

        Assert.AreEqual(HealthCheckResponse.Types.ServingStatus.Serving, await StatusAsync(health, string.Empty), "link up: the server serves");
        foreach (string service in AgentServices)
        {
            Assert.AreEqual(HealthCheckResponse.Types.ServingStatus.Serving, await StatusAsync(health, service), service);
        }

        // The island goes away: the server and every service answered from the island stop serving;
        // BoardService reads board files and keeps serving.
        await rig.Island.DisposeAsync();
        await rig.Island.WaitForAsync(() => !rig.Agent.Link.IsUp, "the agent sees the link down", 10000);
        await WaitStatusAsync(health, string.Empty, HealthCheckResponse.Types.ServingStatus.NotServing);
        foreach (string service in AgentServices)
        {
            HealthCheckResponse.Types.ServingStatus expected = service.EndsWith(".BoardService", StringComparison.Ordinal)
                ? HealthCheckResponse.Types.ServingStatus.Serving : HealthCheckResponse.Types.ServingStatus.NotServing;
            Assert.AreEqual(expected, await StatusAsync(health, service), service);
        }

        var unknown = await Assert.ThrowsExactlyAsync<RpcException>(async () => await health.CheckAsync(new HealthCheckRequest { Service = "no.such.Service" }));
        Assert.AreEqual(StatusCode.NotFound, unknown.StatusCode);
    }

    [TestMethod]
    [Verifies("IslDsgn~grpc-wire~1")]
    public async Task Without_the_island_the_server_is_not_serving_until_the_link_comes_up()
    {
        await using AgentApiTests.Rig rig = await AgentApiTests.Rig.StartAsync(withIsland: false);
        using IslandClient client = IslandClient.ForUnixSocket(rig.Agent.Options.SocketPath);
        var health = new Health.HealthClient(client.Channel);

        Assert.AreEqual(HealthCheckResponse.Types.ServingStatus.NotServing, await StatusAsync(health, string.Empty));
        Assert.AreEqual(HealthCheckResponse.Types.ServingStatus.NotServing, await StatusAsync(health, "stratos.island.agent.v1.VmService"));
        Assert.AreEqual(HealthCheckResponse.Types.ServingStatus.Serving, await StatusAsync(health, "stratos.island.agent.v1.BoardService"));
    }

    private static async Task<HealthCheckResponse.Types.ServingStatus> StatusAsync(Health.HealthClient health, string service) =>
        (await health.CheckAsync(new HealthCheckRequest { Service = service }, deadline: DateTime.UtcNow.AddSeconds(5))).Status;

    private static async Task WaitStatusAsync(Health.HealthClient health, string service, HealthCheckResponse.Types.ServingStatus expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        HealthCheckResponse.Types.ServingStatus last;
        while ((last = await StatusAsync(health, service)) != expected && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.AreEqual(expected, last, $"health of '{service}'");
    }

    [TestMethod]
    [DataRow("/stratos.island.agent.v1.VmService/NoSuchMethod")]
    [DataRow("/no.such.Service/Call")]
    [Verifies("IslDsgn~grpc-wire~1")]
    public async Task A_call_to_an_unknown_method_is_unimplemented_naming_the_method(string path)
    {
        await using AgentApiTests.Rig rig = await AgentApiTests.Rig.StartAsync(withIsland: false);

        (HttpResponseMessage response, _) = await RawCallAsync(rig, path);

        Assert.AreEqual(((int)StatusCode.Unimplemented).ToString(), response.Headers.GetValues("grpc-status").Single());
        StringAssert.Contains(Uri.UnescapeDataString(response.Headers.GetValues("grpc-message").Single()), "method " + path + " is not served");
        response.Dispose();
    }

    [TestMethod]
    [DataRow("soon")]
    [DataRow("5x")]
    [DataRow("123456789m")]
    [DataRow("m")]
    [DataRow("-5S")]
    [Verifies("IslDsgn~grpc-wire~1")]
    public async Task A_malformed_grpc_timeout_is_invalid_argument_naming_the_header(string timeout)
    {
        await using AgentApiTests.Rig rig = await AgentApiTests.Rig.StartAsync(withIsland: false);

        (HttpResponseMessage response, _) = await RawCallAsync(rig, AgentMethods.ListVms, timeout);

        Assert.AreEqual(((int)StatusCode.InvalidArgument).ToString(), response.Headers.GetValues("grpc-status").Single());
        StringAssert.StartsWith(Uri.UnescapeDataString(response.Headers.GetValues("grpc-message").Single()), $"malformed grpc-timeout header '{timeout}'");
        response.Dispose();
    }

    [TestMethod]
    [DataRow("5S")]
    [DataRow("99999999n")]
    [Verifies("IslDsgn~grpc-wire~1")]
    public async Task A_valid_grpc_timeout_reaches_the_handler(string timeout)
    {
        await using AgentApiTests.Rig rig = await AgentApiTests.Rig.StartAsync(withIsland: false);

        (HttpResponseMessage response, _) = await RawCallAsync(rig, AgentMethods.ListVms, timeout);

        // The handler ran: without the island ListVms is UNAVAILABLE (99999999n = 0.1 s may also pass first).
        string status = response.Headers.GetValues("grpc-status").Single();
        CollectionAssert.Contains(new[] { ((int)StatusCode.Unavailable).ToString(), ((int)StatusCode.DeadlineExceeded).ToString() }, status);
        response.Dispose();
    }

    // One unary gRPC request over the agent's UNIX socket with an empty message, by hand.
    private static async Task<(HttpResponseMessage Response, byte[] Body)> RawCallAsync(AgentApiTests.Rig rig, string path, string? timeout = null)
    {
        var endpoint = new UnixDomainSocketEndPoint(rig.Agent.Options.SocketPath);
        using var http = new HttpClient(new SocketsHttpHandler
        {
            ConnectCallback = async (_, token) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await socket.ConnectAsync(endpoint, token);
                return new NetworkStream(socket, ownsSocket: true);
            },
        });
        using var request = new HttpRequestMessage(HttpMethod.Post, "http://localhost" + path)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(new byte[] { 0, 0, 0, 0, 0 }),   // one empty message
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TryAddWithoutValidation("te", "trailers");
        if (timeout is not null)
        {
            request.Headers.TryAddWithoutValidation("grpc-timeout", timeout);
        }

        HttpResponseMessage response = await http.SendAsync(request);
        byte[] body = await response.Content.ReadAsByteArrayAsync();
        Assert.AreEqual(HttpStatusCode.OK, response.StatusCode);
        return (response, body);
    }

    [TestMethod]
    [Verifies("IslDsgn~grpc-wire~1")]
    public async Task Through_reflection_buf_curl_lists_the_services_and_calls_one_without_the_proto_files()
    {
        await using AgentApiTests.Rig rig = await AgentApiTests.Rig.StartAsync();
        await rig.WaitUpAsync();

        var (exit, stdout, stderr) = BufCurl.Run(RepoPaths.Root, rig.Agent.Options.SocketPath, "--list-services", "http://localhost");
        Assert.AreEqual(0, exit, stderr);
        string[] services = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        CollectionAssert.IsSubsetOf(AgentServices.Append("grpc.health.v1.Health").ToArray(), services, stdout);

        // No --schema: buf curl asks the server's reflection service for the method's types.
        (exit, stdout, stderr) = BufCurl.Run(RepoPaths.Root, rig.Agent.Options.SocketPath, "-d", "{}", "http://localhost/stratos.island.agent.v1.VmService/ListVms");
        Assert.AreEqual(0, exit, stderr);
        string[] names = JsonDocument.Parse(stdout).RootElement.GetProperty("vms").EnumerateArray().Select(v => v.GetProperty("name").GetString()!).ToArray();
        CollectionAssert.AreEqual(new[] { "base", "web", "linux" }, names);
    }

    [TestMethod]
    [Verifies("IslDsgn~grpc-wire~1")]
    public async Task An_error_before_any_message_is_a_trailers_only_response()
    {
        await using AgentApiTests.Rig rig = await AgentApiTests.Rig.StartAsync(withIsland: false);
        (HttpResponseMessage response, byte[] body) = await RawCallAsync(rig, AgentMethods.ListVms);
        using HttpResponseMessage disposed = response;

        // Without the island ListVms fails before any message: the status travels in the one HEADERS frame.
        Assert.AreEqual(HttpStatusCode.OK, response.StatusCode);
        Assert.AreEqual("14", response.Headers.GetValues("grpc-status").Single(), "UNAVAILABLE in the headers");
        StringAssert.StartsWith(Uri.UnescapeDataString(response.Headers.GetValues("grpc-message").Single()), "island link is down (");
        Assert.AreEqual(0, body.Length);
        Assert.IsFalse(response.TrailingHeaders.Any(), "no trailers after a Trailers-Only response");
    }
}
