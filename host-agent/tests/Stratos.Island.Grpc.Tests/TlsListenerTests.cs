using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Agent.Api;

namespace Stratos.Island.Grpc.Tests;

/// <summary>The optional TCP listener (off by default, TLS only) served to a python3-grpcio TLS client.</summary>
[TestClass]
public sealed class TlsListenerTests
{
    [TestMethod]
    public async Task Python_client_calls_the_tls_tcp_listener()
    {
        await using var tls = await TlsServer.StartAsync();
        string ca = Path.Combine(Path.GetTempPath(), "stratos-grpc-tests", Guid.NewGuid().ToString("N")[..8] + "-ca.pem");
        Directory.CreateDirectory(Path.GetDirectoryName(ca)!);
        await File.WriteAllTextAsync(ca, tls.Root.ExportCertificatePem());
        try
        {
            var r = await InteropPeers.RunClientAsync(InteropPeers.Python, "python_client.py", $"tls://127.0.0.1:{tls.Port}@{ca}", "list");
            Assert.AreEqual("OK", r.GetProperty("code").GetString(), r.ToString());
            CollectionAssert.AreEqual(new[] { "base", "web" }, r.GetProperty("names").EnumerateArray().Select(e => e.GetString()).ToArray());

            // The same port refuses plaintext HTTP/2: a client without TLS gets no gRPC answer.
            var plain = await InteropPeers.RunClientAsync(InteropPeers.Python, "python_client.py", $"tcp://127.0.0.1:{tls.Port}", "list");
            Assert.AreEqual("UNAVAILABLE", plain.GetProperty("code").GetString());
        }
        finally
        {
            File.Delete(ca);
        }
    }

    [TestMethod]
    public async Task Our_client_calls_the_tls_tcp_listener_over_h2_and_checks_the_certificate()
    {
        await using var tls = await TlsServer.StartAsync();
        using (var client = GrpcClient.ForTls("localhost", tls.Port, tls.Root))
        {
            var response = await client.UnaryAsync(DemoService.ListVms, new Stratos.Island.Protocol.Agent.V1.ListVmsRequest(), Stratos.Island.Protocol.Agent.V1.ListVmsResponse.Parser);
            CollectionAssert.AreEqual(new[] { "base", "web" }, response.Vms.Select(v => v.Name).ToArray());
        }

        // Without trusting the self-signed root the handshake fails, as UNAVAILABLE naming TLS.
        using var untrusting = GrpcClient.ForTls("localhost", tls.Port);
        var e = await Assert.ThrowsExactlyAsync<GrpcException>(() => untrusting.UnaryAsync(DemoService.ListVms, new Stratos.Island.Protocol.Agent.V1.ListVmsRequest(), Stratos.Island.Protocol.Agent.V1.ListVmsResponse.Parser));
        Assert.AreEqual(GrpcStatusCode.Unavailable, e.Status);
        StringAssert.Contains(e.Message, "TLS handshake with localhost:" + tls.Port);
    }

    /// <summary>The agent's gRPC server with its TCP listener on a free loopback port, TLS with a fresh self-signed certificate for "localhost".</summary>
    private sealed class TlsServer : IAsyncDisposable
    {
        private readonly ApiServer _server;
        private readonly X509Certificate2 _certificate;

        private TlsServer(ApiServer server, X509Certificate2 certificate, X509Certificate2 root, int port)
        {
            _server = server;
            _certificate = certificate;
            Root = root;
            Port = port;
        }

        /// <summary>The self-signed certificate (no private key): what a client trusts.</summary>
        public X509Certificate2 Root { get; }

        public int Port { get; }

        public static async Task<TlsServer> StartAsync()
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
            var san = new SubjectAlternativeNameBuilder();
            san.AddDnsName("localhost");
            request.CertificateExtensions.Add(san.Build());
            using X509Certificate2 selfSigned = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
            X509Certificate2 certificate = X509CertificateLoader.LoadPkcs12(selfSigned.Export(X509ContentType.Pkcs12), null);
            X509Certificate2 root = X509CertificateLoader.LoadCertificate(selfSigned.Export(X509ContentType.Cert));

            int port;
            using (var probe = new TcpListener(IPAddress.Loopback, 0))
            {
                probe.Start();
                port = ((IPEndPoint)probe.LocalEndpoint).Port;
            }

            var server = await ApiServer.StartAsync(new DemoService().CreateServices(), new ApiServerOptions
            {
                UnixSocketPath = DemoService.NewSocketPath(),
                TcpEndpoint = new IPEndPoint(IPAddress.Loopback, port),
                TlsCertificate = certificate,
            });
            return new TlsServer(server, certificate, root, port);
        }

        public async ValueTask DisposeAsync()
        {
            await _server.DisposeAsync();
            _certificate.Dispose();
            Root.Dispose();
        }
    }
}
