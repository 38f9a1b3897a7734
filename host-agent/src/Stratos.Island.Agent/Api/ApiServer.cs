// The operator API's gRPC server: Grpc.AspNetCore on Kestrel, HTTP/2 only.
//
// Listeners: the UNIX socket (bound, given its mode and group, and only then listening, by
// ApiServerOptions.UnixListener: the agent's least-privilege rule, docs/security.md; Kestrel serves
// it by its descriptor, HTTP/2 with prior knowledge) and an optional TCP listener that requires TLS.
// Services: the operator API (generated bases from protocol/proto, thin handlers over the agent's
// services), server reflection (grpc.reflection.v1 and v1alpha) and the standard health service
// (grpc.health.v1.Health). Every request passes GrpcRequestGuard (an unknown method is UNIMPLEMENTED
// naming it, a malformed grpc-timeout INVALID_ARGUMENT naming the header), every call ApiCallInterceptor:
// the role check by SO_PEERCRED and the one ErrorCode -> status mapping (docs/grpc.md).
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using Grpc.Health.V1;
using Grpc.HealthCheck;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Stratos.Island.Agent.Api;

/// <summary>Where and how the API server listens, and who may call what.</summary>
public sealed class ApiServerOptions
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

    /// <summary>
    /// Access control, asked before every call: the full method name and the caller's credentials
    /// (null off a UNIX socket) in, null to allow or the PERMISSION_DENIED message out. Null: every
    /// caller that can connect may call everything.
    /// </summary>
    public Func<string, PeerCredentials?, string?>? Authorize { get; init; }

    /// <summary>Health at start per service name ("" = the whole server): true SERVING, false
    /// NOT_SERVING; null: everything SERVING. The owner changes it later through
    /// <see cref="ApiServer.SetServing"/> (the agent follows the island link).</summary>
    public Func<string, bool>? InitiallyServing { get; init; }

    /// <summary>Logs handler failures (answered INTERNAL); nothing else of ASP.NET Core is logged.</summary>
    public ILogger Logger { get; init; } = NullLogger.Instance;
}

/// <summary>The gRPC services one server hosts: instances of generated service bases.</summary>
public sealed class ApiServices
{
    private readonly List<Action<IServiceCollection>> _registrations = new();
    private readonly List<Action<IEndpointRouteBuilder>> _endpoints = new();
    private readonly List<string> _names = new();

    /// <summary>Serves <paramref name="service"/> (a class deriving a generated <c>XxxBase</c>) as <paramref name="fullName"/>.</summary>
    public ApiServices Add<TService>(string fullName, TService service)
        where TService : class
    {
        _registrations.Add(s => s.AddSingleton(service));
        _endpoints.Add(e => e.MapGrpcService<TService>());
        _names.Add(fullName);
        return this;
    }

    internal IReadOnlyList<string> Names => _names;

    internal void Register(IServiceCollection services) => _registrations.ForEach(r => r(services));

    internal void Map(IEndpointRouteBuilder endpoints) => _endpoints.ForEach(m => m(endpoints));
}

/// <summary>Hosts <see cref="ApiServices"/> with reflection and health on the configured listeners.</summary>
public sealed class ApiServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string? _socketPath;
    private readonly Socket? _unixListener;

    private ApiServer(WebApplication app, HealthServiceImpl health, string? socketPath, Socket? unixListener)
    {
        _app = app;
        Health = health;
        _socketPath = socketPath;
        _unixListener = unixListener;
    }

    /// <summary>The standard health service: "" and every hosted service, as set at start
    /// (<see cref="ApiServerOptions.InitiallyServing"/>) and by <see cref="SetServing"/>; "" NOT_SERVING once stopping.</summary>
    public HealthServiceImpl Health { get; }

    /// <summary>Sets the health of each named service ("" = the whole server); watchers are told.</summary>
    public void SetServing(bool serving, IEnumerable<string> services)
    {
        foreach (string service in services)
        {
            Health.SetStatus(service, ToStatus(serving));
        }
    }

    private static HealthCheckResponse.Types.ServingStatus ToStatus(bool serving) =>
        serving ? HealthCheckResponse.Types.ServingStatus.Serving : HealthCheckResponse.Types.ServingStatus.NotServing;

    /// <summary>Builds and starts the server; returns once it accepts connections.</summary>
    public static async Task<ApiServer> StartAsync(ApiServices services, ApiServerOptions options, CancellationToken cancellationToken = default)
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

        try
        {
            // The empty builder: no configuration sources (appsettings.json, ASPNETCORE_/DOTNET_
            // variables), so nothing but these options configures the server; above all no
            // reload-on-change watch of the content root. The slim builder's watch covered the
            // working directory recursively: one inotify watch per directory under it. The agent runs
            // from / in the Xen machine's dom0, where / is the host's whole tree over virtio-9p, and
            // Kestrel began serving minutes after the agent started (issue 18, docs/vmm.md "Xen").
            var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
            builder.WebHost.UseKestrelCore();
            builder.Services.AddRoutingCore();
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

            var health = new HealthServiceImpl();
            builder.Services.AddSingleton(new ApiCallInterceptor(options.Authorize, options.Logger));
            builder.Services.AddGrpc(grpc =>
            {
                grpc.Interceptors.Add<ApiCallInterceptor>();
                grpc.EnableDetailedErrors = false;
            });
            builder.Services.AddGrpcReflection();
            builder.Services.AddSingleton(health);
            services.Register(builder.Services);

            var app = builder.Build();
            app.UseRouting();
            app.Use(GrpcRequestGuard.InvokeAsync);   // unknown methods and malformed grpc-timeout, named
            services.Map(app);
            app.MapGrpcService<HealthServiceImpl>();
            app.MapGrpcReflectionService();
            foreach (string name in services.Names.Prepend(string.Empty))
            {
                health.SetStatus(name, ToStatus(options.InitiallyServing?.Invoke(name) ?? true));
            }

            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            return new ApiServer(app, health, options.UnixSocketPath, unixListener);
        }
        catch
        {
            unixListener?.Dispose();
            throw;
        }
    }

    /// <summary>Reports NOT_SERVING, stops accepting calls, ends running ones, removes the socket file.</summary>
    public async ValueTask DisposeAsync()
    {
        Health.SetStatus(string.Empty, HealthCheckResponse.Types.ServingStatus.NotServing);
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
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException)
        {
            File.Delete(path);
            return;
        }

        throw new IOException($"another server is already listening on {path}");
    }
}
