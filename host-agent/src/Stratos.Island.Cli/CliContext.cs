using System;
using System.Collections;
using System.CommandLine;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Google.Protobuf;
using Stratos.Island.Grpc;
using Stratos.Island.Protocol;

namespace Stratos.Island.Cli;

/// <summary>Output format of read commands.</summary>
public enum OutputFormat
{
    Table,
    Json,
}

/// <summary>The options every command shares (System.CommandLine declarations; <see cref="CliContext"/> holds their values).</summary>
public static class GlobalOptions
{
    public static readonly Option<string?> SocketOption = new("--socket")
    {
        Description = "Agent API socket (default: $ISLAND_SOCKET, /run/island/agent.sock as root, $XDG_RUNTIME_DIR/island/agent.sock otherwise)",
        Recursive = true,
    };

    public static readonly Option<string> OutputOption = CreateOutputOption();

    public static readonly Option<bool> QuietOption = new("--quiet", "-q")
    {
        Description = "Print names or ids only, one per line",
        Recursive = true,
    };

    public static readonly Option<double> TimeoutOption = new("--timeout")
    {
        Description = "Seconds to wait for the agent before giving up",
        DefaultValueFactory = _ => 15.0,
        Recursive = true,
    };

    public static readonly Option<bool> NoColorOption = new("--no-color")
    {
        Description = "Never colour the output (also: NO_COLOR set, or output not a terminal)",
        Recursive = true,
    };

    private static Option<string> CreateOutputOption()
    {
        var option = new Option<string>("--output", "-o")
        {
            Description = "Output format of read commands (json is stable for scripts)",
            DefaultValueFactory = _ => "table",
            Recursive = true,
        };
        option.AcceptOnlyFromAmong("table", "json");
        return option;
    }
}

/// <summary>
/// Options every command shares, and the lazily opened connection to the agent. Commands ask it
/// for calls and for output; they never build sockets or format errors themselves.
/// </summary>
public sealed class CliContext : IDisposable
{
    private readonly IDictionary _environment;

    private GrpcClient? _client;

    public CliContext(ParseResult parse, TextWriter stdout, TextWriter stderr, IDictionary environment, bool stdoutIsTerminal)
        : this(parse.GetValue(GlobalOptions.SocketOption), parse.GetValue(GlobalOptions.OutputOption) == "json", parse.GetValue(GlobalOptions.QuietOption),
            parse.GetValue(GlobalOptions.TimeoutOption), parse.GetValue(GlobalOptions.NoColorOption), stdout, stderr, environment, stdoutIsTerminal)
    {
    }

    /// <summary>From plain values (<see cref="FastPath"/> parses them without System.CommandLine).</summary>
    public CliContext(string? socket, bool json, bool quiet, double timeoutSeconds, bool noColor, TextWriter stdout, TextWriter stderr, IDictionary environment, bool stdoutIsTerminal)
    {
        Out = stdout;
        Error = stderr;
        _environment = environment;
        SocketPath = AgentSocket.Resolve(socket, environment, AgentSocket.CurrentUserIsRoot());
        Endpoint = socket is null && environment[EndpointVariable] is string endpoint && endpoint.Length > 0 ? endpoint : null;
        Format = json ? OutputFormat.Json : OutputFormat.Table;
        Quiet = quiet;
        Timeout = timeoutSeconds > 0 ? TimeSpan.FromSeconds(timeoutSeconds) : null;
        Colour = stdoutIsTerminal && !noColor && environment["NO_COLOR"] is null;
    }

    public TextWriter Out { get; }

    public TextWriter Error { get; }

    public string SocketPath { get; }

    /// <summary>$ISLAND_ENDPOINT: the environment variable naming the agent's TLS listener (HOST:PORT).</summary>
    public const string EndpointVariable = "ISLAND_ENDPOINT";

    /// <summary>$ISLAND_TLS_CA: the PEM certificate the TLS listener's certificate must chain to (pinned).</summary>
    public const string TlsCaVariable = "ISLAND_TLS_CA";

    /// <summary>
    /// HOST:PORT of the agent's TLS listener ($ISLAND_ENDPOINT, unless --socket is given), or null for
    /// the UNIX socket. The Xen board's agent runs in dom0, whose listener `island up --vmm xen`
    /// forwards to the host (docs/cli.md "Reaching an agent over TLS").
    /// </summary>
    public string? Endpoint { get; }

    /// <summary>Where the agent is, for messages: the socket path or "tls://HOST:PORT".</summary>
    public string AgentAddress => Endpoint is null ? SocketPath : "tls://" + Endpoint;

    public OutputFormat Format { get; }

    public bool Quiet { get; }

    public bool Colour { get; }

    public TimeSpan? Timeout { get; }

    public IDictionary Environment => _environment;

    private GrpcClient Client => _client ??= Endpoint is null ? GrpcClient.ForUnixSocket(SocketPath) : TlsClient(Endpoint, _environment[TlsCaVariable] as string);

    // A bad $ISLAND_ENDPOINT or $ISLAND_TLS_CA is the caller's error (INVALID_ARGUMENT), named with its value.
    private static GrpcClient TlsClient(string endpoint, string? caFile)
    {
        int colon = endpoint.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(endpoint.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
        {
            throw new GrpcException(GrpcStatusCode.InvalidArgument, $"{EndpointVariable} '{endpoint}' is not HOST:PORT (e.g. 127.0.0.1:7443)");
        }

        System.Security.Cryptography.X509Certificates.X509Certificate2? trusted = null;
        if (!string.IsNullOrEmpty(caFile))
        {
            try
            {
                trusted = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(File.ReadAllText(caFile));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
            {
                throw new GrpcException(GrpcStatusCode.InvalidArgument, $"{TlsCaVariable} '{caFile}': not a readable PEM certificate: {e.Message}");
            }
        }

        return GrpcClient.ForTls(endpoint[..colon], port, trusted);
    }

    /// <summary>
    /// One unary call, blocking: a CLI process makes a call or two and exits, and starting the async
    /// machinery would cost more than the call itself (docs/grpc.md).
    /// </summary>
    public TResponse Call<TRequest, TResponse>(string method, TRequest request, MessageParser<TResponse> parser, CancellationToken cancellationToken)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>
        => (TResponse)Client.Unary(method, (IMessage)request, (MessageParser)parser, Timeout, cancellationToken);   // the non-generic overload (see there)

    /// <summary><see cref="Call"/> for async command bodies (it completes before returning).</summary>
    public Task<TResponse> CallAsync<TRequest, TResponse>(string method, TRequest request, MessageParser<TResponse> parser, CancellationToken cancellationToken)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>
        => Task.FromResult(Call(method, request, parser, cancellationToken));

    public System.Collections.Generic.IAsyncEnumerable<TResponse> StreamAsync<TRequest, TResponse>(string method, TRequest request, MessageParser<TResponse> parser, CancellationToken cancellationToken)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>
        => Client.ServerStreamingAsync(method, request, parser, null, cancellationToken);

    /// <summary>Writes a response as JSON with the .proto field names (stable for scripts).</summary>
    public void WriteJson(IMessage message)
    {
        var formatter = new JsonFormatter(JsonFormatter.Settings.Default.WithFormatDefaultValues(true).WithPreserveProtoFieldNames(true));
        Out.WriteLine(formatter.Format(message));
    }

    /// <summary>
    /// A response in the chosen output: JSON, else the quiet form (one key a line, for scripts), else
    /// the human form; the command then succeeded.
    /// </summary>
    public int Show<TResponse>(TResponse response, Action<TResponse> quiet, Action<TResponse> human)
        where TResponse : IMessage
    {
        if (Format == OutputFormat.Json)
        {
            WriteJson(response);
        }
        else if (Quiet)
        {
            quiet(response);
        }
        else
        {
            human(response);
        }

        return ExitCodes.Ok;
    }

    /// <summary>An accepted request's answer: JSON, else nothing when quiet, else the line.</summary>
    public int Acknowledge(IMessage response, string line)
    {
        if (Format == OutputFormat.Json)
        {
            WriteJson(response);
        }
        else if (!Quiet)
        {
            Out.WriteLine(line);
        }

        return ExitCodes.Ok;
    }

    public void Dispose() => _client?.Dispose();
}
