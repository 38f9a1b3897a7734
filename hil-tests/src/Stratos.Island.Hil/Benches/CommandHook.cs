using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;

namespace Stratos.Island.Hil.Benches;

/// <summary>
/// Runs a bench hook (a shell command line: a USB relay tool, a PDU CLI, ssh to a lab controller)
/// through /bin/sh -c, with a time limit. A non-zero exit or a timeout is an error naming the hook.
/// </summary>
public static class CommandHook
{
    public static async Task<string> RunAsync(string hookName, string commandLine, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(commandLine);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"hook '{hookName}': /bin/sh did not start");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException($"hook '{hookName}' ({commandLine}) did not finish within {timeout.TotalMilliseconds:0} ms");
        }
        string output = await stdout.ConfigureAwait(false);
        string errors = await stderr.ConfigureAwait(false);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"hook '{hookName}' ({commandLine}) exited with {process.ExitCode}: {errors.Trim()}");
        return output;
    }
}
