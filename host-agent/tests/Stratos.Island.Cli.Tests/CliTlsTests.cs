using System;
using System.Collections;
using System.IO;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Stratos.Island.Cli.Tests;

/// <summary>
/// The CLI against the agent's TLS listener ($ISLAND_ENDPOINT, $ISLAND_TLS_CA; docs/cli.md
/// "Reaching an agent over TLS"): a real TLS listener of the agent's server, its self-signed
/// certificate for 127.0.0.1 pinned, as `island up --vmm xen` sets it up.
/// </summary>
[TestClass]
public sealed class CliTlsTests
{
    private static ApiDouble _api = null!;
    private static string _dir = null!;
    private static string _ca = null!;
    private static string _otherCa = null!;

    [ClassInitialize]
    public static async Task StartAsync(TestContext _)
    {
        _dir = Path.Combine(Path.GetTempPath(), "stratos-cli-tls-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_dir);
        X509Certificate2 certificate = SelfSigned(out string pem);
        _ca = Path.Combine(_dir, "cert.pem");
        File.WriteAllText(_ca, pem);
        SelfSigned(out string other).Dispose();
        _otherCa = Path.Combine(_dir, "other.pem");
        File.WriteAllText(_otherCa, other);
        _api = await ApiDouble.StartTlsAsync(certificate);
    }

    [ClassCleanup]
    public static async Task StopAsync()
    {
        await _api.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private static X509Certificate2 SelfSigned(out string pem)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=island-agent", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using X509Certificate2 selfSigned = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        pem = selfSigned.ExportCertificatePem();
        return X509CertificateLoader.LoadPkcs12(selfSigned.Export(X509ContentType.Pkcs12), null);
    }

    private static async Task<(int Exit, string Out, string Err)> Run(Hashtable env, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int exit = await Program.RunAsync(args, stdout, stderr, env, false);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private static Hashtable Tls(string? ca = null) => new() { ["ISLAND_ENDPOINT"] = "127.0.0.1:" + _api.Port, ["ISLAND_TLS_CA"] = ca ?? _ca };

    [TestMethod]
    public async Task With_ISLAND_ENDPOINT_and_the_pinned_certificate_commands_reach_the_agent_over_TLS()
    {
        var (exit, output, error) = await Run(Tls(), "vm", "list");
        Assert.AreEqual(ExitCodes.Ok, exit, error);
        StringAssert.Contains(output, "base");
        (exit, output, error) = await Run(Tls(), "-o", "json", "vm", "show", "web");
        Assert.AreEqual(ExitCodes.Ok, exit, error);
        StringAssert.Contains(output, "\"name\": \"web\"");
        Assert.AreEqual(ExitCodes.Ok, FastPath.TryRun(["vm", "list", "-q"], new StringWriter(), new StringWriter(), Tls(), false), "the fast path of vm list too");
    }

    [TestMethod]
    public async Task A_listener_whose_certificate_is_not_the_pinned_one_is_refused_naming_ISLAND_TLS_CA()
    {
        var (exit, _, error) = await Run(Tls(_otherCa), "vm", "list");
        Assert.AreEqual(ExitCodes.FromStatus(Stratos.Island.Grpc.GrpcStatusCode.Unavailable), exit, error);
        StringAssert.Contains(error, "tls://127.0.0.1:" + _api.Port);
        StringAssert.Contains(error, "TLS handshake");
        StringAssert.Contains(error, "Is $ISLAND_TLS_CA the listener's certificate?");
    }

    [TestMethod]
    public async Task Bad_endpoint_and_certificate_variables_are_named_in_the_error()
    {
        var (exit, _, error) = await Run(new Hashtable { ["ISLAND_ENDPOINT"] = "no-port" }, "vm", "list");
        Assert.AreEqual(ExitCodes.FromStatus(Stratos.Island.Grpc.GrpcStatusCode.InvalidArgument), exit, error);
        StringAssert.Contains(error, "ISLAND_ENDPOINT 'no-port' is not HOST:PORT");
        (exit, _, error) = await Run(Tls(Path.Combine(_dir, "missing.pem")), "status");
        Assert.AreEqual(ExitCodes.FromStatus(Stratos.Island.Grpc.GrpcStatusCode.InvalidArgument), exit, error);
        StringAssert.Contains(error, "ISLAND_TLS_CA '" + Path.Combine(_dir, "missing.pem") + "': not a readable PEM certificate");
        (exit, _, error) = await Run(new Hashtable { ["ISLAND_ENDPOINT"] = "127.0.0.1:1" }, "vm", "list");
        StringAssert.Contains(error, "Is the board up");
    }

    [TestMethod]
    public async Task An_explicit_socket_wins_over_ISLAND_ENDPOINT()
    {
        var env = Tls();
        var (exit, _, error) = await Run(env, "--socket", Path.Combine(_dir, "none.sock"), "vm", "list");
        Assert.AreNotEqual(ExitCodes.Ok, exit);
        StringAssert.Contains(error, "none.sock");
    }
}
