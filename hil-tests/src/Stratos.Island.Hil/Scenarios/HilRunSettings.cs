using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;

namespace Stratos.Island.Hil.Scenarios;

/// <summary>
/// How ./hil.sh tells the MSTest scenario suites what to run on: environment variables, read once.
///   HIL_BENCH       virtual (default) | board
///   HIL_BENCH_FILE  bench file for the board bench (required with board)
///   HIL_SUITE       quick (default) | full: printed in the reports
///   HIL_RUN_DIR     where the reports go (default out/hil/&lt;run id&gt; under the repository)
///   HIL_SOAK        number of soak faults (0 = no soak)
///   HIL_SEED        soak seed (default: derived from the run id, printed in the report)
///   HIL_VMM         qemu (default) | xen: the virtual bench on the Xen board (XenBench)
/// </summary>
public sealed record HilRunSettings(string Bench, string? BenchFile, string Suite, string RunId, string RunDirectory, int SoakFaults, int Seed)
{
    /// <summary>The virtual bench's VMM: qemu, or xen (the Xen board, docs/hil.md "The Xen bench").</summary>
    public string Vmm { get; init; } = "qemu";

    public static HilRunSettings FromEnvironment(IDictionary<string, string?> env, string repositoryRoot, DateTimeOffset now)
    {
        string bench = Value(env, "HIL_BENCH") ?? "virtual";
        if (bench is not ("virtual" or "board"))
            throw new ArgumentException($"HIL_BENCH: '{bench}' is not virtual or board");
        string? benchFile = Value(env, "HIL_BENCH_FILE");
        if (bench == "board" && benchFile is null)
            throw new ArgumentException("HIL_BENCH_FILE: the board bench needs a bench file (./hil.sh --bench board --bench-file FILE)");
        string suite = Value(env, "HIL_SUITE") ?? "quick";
        if (suite is not ("quick" or "full"))
            throw new ArgumentException($"HIL_SUITE: '{suite}' is not quick or full");
        string runId = now.UtcDateTime.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        string runDir = Value(env, "HIL_RUN_DIR") ?? Path.Combine(repositoryRoot, "out", "hil", runId);
        int soak = Int(env, "HIL_SOAK", 0, 0, 100_000);
        int seed = Int(env, "HIL_SEED", (int)(now.ToUnixTimeSeconds() & 0x7fffffff), 0, int.MaxValue);
        string vmm = Value(env, "HIL_VMM") ?? "qemu";
        if (vmm is not ("qemu" or "xen"))
            throw new ArgumentException($"HIL_VMM: '{vmm}' is not qemu or xen");
        if (vmm == "xen" && (bench != "virtual" || soak > 0))
            throw new ArgumentException("HIL_VMM: xen runs on the virtual bench, without a soak");
        return new HilRunSettings(bench, benchFile, suite, runId, runDir, soak, seed) { Vmm = vmm };
    }

    private static string? Value(IDictionary<string, string?> env, string name) =>
        env.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;

    private static int Int(IDictionary<string, string?> env, string name, int fallback, int min, int max)
    {
        string? text = Value(env, name);
        if (text is null)
            return fallback;
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) || value < min || value > max)
            throw new ArgumentException($"{name}: expected an integer {min}..{max}, got '{text}'");
        return value;
    }
}
