using Stratos.Island.Grpc;

namespace Stratos.Island.Cli;

/// <summary>
/// Exit codes of the `island` CLI (documented in docs/cli.md; scripts rely on them).
/// </summary>
public static class ExitCodes
{
    /// <summary>The command did what was asked.</summary>
    public const int Ok = 0;

    /// <summary>The command failed for a reason not listed below (internal error, data loss).</summary>
    public const int Failed = 1;

    /// <summary>The command line was wrong (unknown command or option, bad value).</summary>
    public const int Usage = 2;

    /// <summary>The agent could not be reached (not running, wrong socket, link to the island down).</summary>
    public const int Unavailable = 3;

    /// <summary>The named VM, power domain, board, remoteproc, debug probe or tool does not exist.</summary>
    public const int NotFound = 4;

    /// <summary>The island refused the request (state, policy, dependencies, quarantine, budget).</summary>
    public const int Refused = 5;

    /// <summary>The call did not finish before its deadline (--timeout).</summary>
    public const int Timeout = 6;

    /// <summary>Validation failed: a board descriptor or fragment, a bundle's signature or digest, an image too large.</summary>
    public const int Invalid = 7;

    /// <summary>Interrupted by Ctrl-C.</summary>
    public const int Interrupted = 130;

    /// <summary>The one mapping from a gRPC status to an exit code.</summary>
    public static int FromStatus(GrpcStatusCode status) => status switch
    {
        GrpcStatusCode.Ok => Ok,
        GrpcStatusCode.InvalidArgument or GrpcStatusCode.OutOfRange => Usage,
        GrpcStatusCode.Unavailable => Unavailable,
        GrpcStatusCode.NotFound => NotFound,
        GrpcStatusCode.FailedPrecondition or GrpcStatusCode.PermissionDenied or GrpcStatusCode.ResourceExhausted
            or GrpcStatusCode.AlreadyExists or GrpcStatusCode.Aborted => Refused,
        GrpcStatusCode.DeadlineExceeded => Timeout,
        GrpcStatusCode.Cancelled => Interrupted,
        _ => Failed,
    };
}
