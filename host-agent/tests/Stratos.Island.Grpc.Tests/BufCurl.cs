using System.Diagnostics;
using System.IO;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Stratos.Island.Grpc.Tests;

/// <summary>
/// Runs `buf curl` (npm @bufbuild/buf), an independent gRPC client, over a UNIX socket with HTTP/2
/// prior knowledge. Also compiled into the agent's tests (reflection against the real agent).
/// </summary>
internal static class BufCurl
{
    public static (int Exit, string Stdout, string Stderr) Run(string repoRoot, string socket, params string[] args)
    {
        string buf = Path.Combine(repoRoot, "node_modules", ".bin", "buf");
        Assert.IsTrue(File.Exists(buf), $"{buf} is missing: run scripts/install-deps.sh");
        var psi = new ProcessStartInfo(buf) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in new[] { "curl", "--protocol", "grpc", "--http2-prior-knowledge", "--unix-socket", socket }.Concat(args))
        {
            psi.ArgumentList.Add(arg);
        }

        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(30_000))
        {
            process.Kill(true);
            Assert.Fail("buf curl did not finish in 30 s");
        }

        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
