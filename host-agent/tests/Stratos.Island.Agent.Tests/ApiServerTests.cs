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
/// early failures answered Trailers-Only before the handler runs.
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
    public async Task The_health_service_answers_serving_for_the_server_and_each_api_service()
    {
        await using AgentApiTests.Rig rig = await AgentApiTests.Rig.StartAsync(withIsland: false);
        using IslandClient client = IslandClient.ForUnixSocket(rig.Agent.Options.SocketPath);
        var health = new Health.HealthClient(client.Channel);

        HealthCheckResponse server = await health.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(5));
        Assert.AreEqual(HealthCheckResponse.Types.ServingStatus.Serving, server.Status);
        foreach (string service in AgentServices)
        {
            HealthCheckResponse one = await health.CheckAsync(new HealthCheckRequest { Service = service }, deadline: DateTime.UtcNow.AddSeconds(5));
            Assert.AreEqual(HealthCheckResponse.Types.ServingStatus.Serving, one.Status, service);
        }

        var unknown = await Assert.ThrowsExactlyAsync<RpcException>(async () => await health.CheckAsync(new HealthCheckRequest { Service = "no.such.Service" }));
        Assert.AreEqual(StatusCode.NotFound, unknown.StatusCode);
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
        using var request = new HttpRequestMessage(HttpMethod.Post, "http://localhost" + AgentMethods.ListVms)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(new byte[] { 0, 0, 0, 0, 0 }),   // one empty ListVmsRequest
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TryAddWithoutValidation("te", "trailers");

        using HttpResponseMessage response = await http.SendAsync(request);
        byte[] body = await response.Content.ReadAsByteArrayAsync();

        // Without the island ListVms fails before any message: the status travels in the one HEADERS frame.
        Assert.AreEqual(HttpStatusCode.OK, response.StatusCode);
        Assert.AreEqual("14", response.Headers.GetValues("grpc-status").Single(), "UNAVAILABLE in the headers");
        StringAssert.StartsWith(Uri.UnescapeDataString(response.Headers.GetValues("grpc-message").Single()), "island link is down (");
        Assert.AreEqual(0, body.Length);
        Assert.IsFalse(response.TrailingHeaders.Any(), "no trailers after a Trailers-Only response");
    }
}
