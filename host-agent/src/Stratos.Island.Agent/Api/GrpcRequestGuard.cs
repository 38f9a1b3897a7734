// The checks of a gRPC request that Grpc.AspNetCore leaves vague, run after routing and before any
// handler (gRPC over HTTP/2, "Requests": https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md):
//
//   * a path that names no hosted method (unknown service or unknown method of a known service):
//     UNIMPLEMENTED naming the path ("method /x.Y/Z is not served by this agent"); Grpc.AspNetCore
//     itself answers only "Method is unimplemented." without saying which;
//   * a grpc-timeout header outside the spec's grammar (TimeoutValue: 1 to 8 ASCII digits,
//     TimeoutUnit: one of H M S m u n): INVALID_ARGUMENT naming the header and its value, where
//     Grpc.AspNetCore would ignore it and run the call without a deadline.
//
// Both answers are Trailers-Only (status in the one HEADERS frame), as for any error before a message.
using System;
using System.Threading.Tasks;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Microsoft.AspNetCore.Http;

namespace Stratos.Island.Agent.Api;

internal static class GrpcRequestGuard
{
    /// <summary>The spec's longest TimeoutValue.</summary>
    public const int MaxTimeoutDigits = 8;

    /// <summary>The middleware: answers the request itself when a check fails, else passes it on.</summary>
    public static Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        if (!IsGrpc(context.Request))
        {
            return next();
        }

        if (context.GetEndpoint()?.Metadata.GetMetadata<GrpcMethodMetadata>() is null)
        {
            return AnswerAsync(context, StatusCode.Unimplemented, $"method {context.Request.Path} is not served by this agent (unknown service or method)");
        }

        if (context.Request.Headers["grpc-timeout"] is { Count: > 0 } timeouts && TimeoutProblem(timeouts.ToString()) is string problem)
        {
            return AnswerAsync(context, StatusCode.InvalidArgument, problem);
        }

        return next();
    }

    /// <summary>Null when <paramref name="value"/> is a valid grpc-timeout, else the message naming what is wrong.</summary>
    public static string? TimeoutProblem(string value)
    {
        int digits = value.Length - 1;
        bool valid = digits >= 1 && digits <= MaxTimeoutDigits && "HMSmun".Contains(value[^1], StringComparison.Ordinal);
        for (int i = 0; valid && i < digits; i++)
        {
            valid = value[i] is >= '0' and <= '9';
        }

        return valid ? null
            : $"malformed grpc-timeout header '{value}': the gRPC spec wants 1 to {MaxTimeoutDigits} digits followed by a unit (H, M, S, m, u or n), e.g. 500m";
    }

    private static bool IsGrpc(HttpRequest request) =>
        HttpMethods.IsPost(request.Method)
        && request.ContentType is string type
        && type.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase);

    private static Task AnswerAsync(HttpContext context, StatusCode code, string message)
    {
        HttpResponse response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/grpc";
        response.Headers["grpc-status"] = ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture);
        response.Headers["grpc-message"] = Uri.EscapeDataString(message);
        return Task.CompletedTask;
    }
}
