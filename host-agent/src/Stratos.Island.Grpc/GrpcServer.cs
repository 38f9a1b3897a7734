using System;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Stratos.Island.Grpc;

/// <summary>Where and how the gRPC server listens.</summary>
public sealed class GrpcServerOptions
{
    /// <summary>UNIX socket path (created, mode <see cref="UnixSocketMode"/>; a stale file is replaced).</summary>
    public string? UnixSocketPath { get; init; }

    /// <summary>File mode of the UNIX socket, set between bind and listen (nobody connects under
    /// another mode); 0600 by default: only the owner (and root) connect.</summary>
    public UnixFileMode UnixSocketMode { get; init; } = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Binds, gives its mode and group to, and listens on the UNIX socket path instead of
    /// the default (bind, <see cref="UnixSocketMode"/>, listen): the agent passes its least-privilege
    /// rule (docs/security.md).</summary>
    public Func<string, Socket>? UnixListener { get; init; }

    /// <summary>Optional TCP endpoint; requires <see cref="TlsCertificate"/> (plaintext TCP is refused).</summary>
    public IPEndPoint? TcpEndpoint { get; init; }

    /// <summary>Server certificate for the TCP listener.</summary>
    public X509Certificate2? TlsCertificate { get; init; }
}

/// <summary>
/// Hosts a <see cref="GrpcServiceRegistry"/> on Kestrel: HTTP/2 only (gRPC needs it; prior knowledge
/// on the UNIX socket), every POST routed to the registry.
/// </summary>
public sealed class GrpcServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string? _socketPath;

    private readonly Socket? _unixListener;

    private GrpcServer(WebApplication app, string? socketPath, Socket? unixListener)
    {
        _app = app;
        _socketPath = socketPath;
        _unixListener = unixListener;
    }

    /// <summary>Builds and starts the server; returns once it accepts connections.</summary>
    public static async Task<GrpcServer> StartAsync(GrpcServiceRegistry registry, GrpcServerOptions options, ILoggerProvider? loggerProvider = null, CancellationToken cancellationToken = default)
    {
        if (options.UnixSocketPath is null && options.TcpEndpoint is null)
        {
            throw new ArgumentException("gRPC server needs a UNIX socket path or a TCP endpoint", nameof(options));
        }

        if (options.TcpEndpoint is not null && options.TlsCertificate is null)
        {
            throw new ArgumentException($"TCP listener {options.TcpEndpoint} requires a TLS certificate: plaintext TCP is not offered", nameof(options));
        }

        Socket? unixListener = null;
        if (options.UnixSocketPath is not null)
        {
            PrepareSocketPath(options.UnixSocketPath);
            unixListener = options.UnixListener is { } listen ? listen(options.UnixSocketPath) : Listen(options.UnixSocketPath, options.UnixSocketMode);
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (loggerProvider is not null)
        {
            builder.Logging.AddProvider(loggerProvider);
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            if (unixListener is not null)
            {
                // Kestrel serves the socket we bound (mode set before listen), by its descriptor.
                kestrel.ListenHandle((ulong)unixListener.Handle, listen => listen.Protocols = HttpProtocols.Http2);
            }

            if (options.TcpEndpoint is not null)
            {
                kestrel.Listen(options.TcpEndpoint, listen =>
                {
                    listen.Protocols = HttpProtocols.Http2;
                    listen.UseHttps(options.TlsCertificate!);
                });
            }
        });

        var app = builder.Build();
        app.Run(registry.HandleAsync);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        return new GrpcServer(app, options.UnixSocketPath, unixListener);
    }

    /// <summary>Stops accepting calls, ends running ones, removes the socket file.</summary>
    public async ValueTask DisposeAsync()
    {
        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2)))
        {
            await _app.StopAsync(cts.Token).ConfigureAwait(false);
        }

        await _app.DisposeAsync().ConfigureAwait(false);
        _unixListener?.Dispose();
        if (_socketPath is not null && File.Exists(_socketPath))
        {
            File.Delete(_socketPath);
        }
    }

    private static Socket Listen(string path, UnixFileMode mode)
    {
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(path));
            File.SetUnixFileMode(path, mode);
            listener.Listen(512);
            return listener;
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }

    private static void PrepareSocketPath(string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir))
        {
            Directory.CreateDirectory(dir);
        }

        if (!File.Exists(path))
        {
            return;
        }

        // A socket file left by a process that died: replace it only if nobody listens on it.
        using var probe = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        try
        {
            probe.Connect(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
        }
        catch (System.Net.Sockets.SocketException)
        {
            File.Delete(path);
            return;
        }

        throw new IOException($"another server is already listening on {path}");
    }
}
