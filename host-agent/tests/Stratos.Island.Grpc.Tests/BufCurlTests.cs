using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Agent.Api;

namespace Stratos.Island.Grpc.Tests;

/// <summary>`buf curl` (npm @bufbuild/buf), a third independent gRPC client, against our server.</summary>
[TestClass]
public sealed class BufCurlTests
{
    private static ApiServer _server = null!;
    private static string _socket = null!;

    [ClassInitialize]
    public static async Task StartAsync(TestContext _)
    {
        _socket = DemoService.NewSocketPath();
        _server = await ApiServer.StartAsync(new DemoService().CreateServices(), new ApiServerOptions { UnixSocketPath = _socket });
    }

    [ClassCleanup]
    public static async Task StopAsync() => await _server.DisposeAsync();

    [TestMethod]
    public void Buf_curl_lists_vms()
    {
        var (exit, stdout, stderr) = BufCurl("VmService/ListVms", "{}");
        Assert.AreEqual(0, exit, stderr);
        var names = JsonDocument.Parse(stdout).RootElement.GetProperty("vms").EnumerateArray().Select(v => v.GetProperty("name").GetString()).ToArray();
        CollectionAssert.AreEqual(new[] { "base", "web" }, names);
    }

    [TestMethod]
    public void Buf_curl_reports_the_error_code_and_message()
    {
        var (exit, _, stderr) = BufCurl("VmService/StartVm", "{\"name\":\"dbx\"}");
        Assert.AreNotEqual(0, exit);
        var error = JsonDocument.Parse(stderr).RootElement;
        Assert.AreEqual("not_found", error.GetProperty("code").GetString());
        Assert.AreEqual("VM 'dbx' not found; known VMs: base, web", error.GetProperty("message").GetString());
    }

    private static (int Exit, string Stdout, string Stderr) BufCurl(string method, string json) =>
        Grpc.Tests.BufCurl.Run(InteropPeers.RepoRoot, _socket, "--schema", InteropPeers.ProtoRoot, "-d", json, "http://localhost/stratos.island.agent.v1." + method);
}
