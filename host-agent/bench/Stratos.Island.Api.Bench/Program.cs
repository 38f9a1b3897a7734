// ./bench.sh api [--rounds N] [--before-agent PATH --before-cli PATH]   (N default 15)
//
// Per round, for each agent build (this tree's; and the other build's when given, order alternating
// round by round so drift and caches hit both alike):
// 1. agent_start_to_served_call: Process.Start of island-agent -> the first GetIslandInfo answered
//    through the lean client (polled every 1 ms; GetIslandInfo needs no island, so this is the
//    process start, the link set-up and the API server coming up);
// 2. once the island link is up: cli_list, the wall time of `island vm list` (that build's CLI,
//    published ReadyToRun as ./island runs it; median of 3), and unary_list, one ListVms through a
//    warm lean-client connection in-process (median of 200: the server's share without any process
//    start-up);
// then the agent is killed. Reference in the same run: floor, a ReadyToRun hello world
// (host-agent/bench/Stratos.Island.StartupFloor), 3 runs per round. Medians over the rounds.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using static Stratos.Island.Bench.BenchProcess;
using Stratos.Island.Agent.Tests;
using Stratos.Island.Grpc;
using Stratos.Island.Protocol;
using Stratos.Island.Protocol.Agent.V1;
using Stratos.Island.Protocol.Common.V1;
using Stratos.Island.Protocol.Link.V1;

namespace Stratos.Island.Api.Bench;

public static class Program
{
    private sealed record Build(string Name, string Agent, string Cli)
    {
        public List<double> StartToServedMs { get; } = new();
        public List<double> CliListMs { get; } = new();
        public List<double> UnaryListUs { get; } = new();
    }

    public static async Task<int> Main(string[] args)
    {
        int rounds = 15;
        string? beforeAgent = null, beforeCli = null;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--rounds" when i + 1 < args.Length && int.TryParse(args[i + 1], out int n) && n > 0:
                    rounds = n;
                    i++;
                    break;
                case "--before-agent" when i + 1 < args.Length:
                    beforeAgent = args[++i];
                    break;
                case "--before-cli" when i + 1 < args.Length:
                    beforeCli = args[++i];
                    break;
                default:
                    Console.Error.WriteLine($"bench api: unexpected argument '{args[i]}'; usage: ./bench.sh api [--rounds N] [--before-agent PATH --before-cli PATH]");
                    return 2;
            }
        }

        if ((beforeAgent is null) != (beforeCli is null))
        {
            Console.Error.WriteLine("bench api: --before-agent and --before-cli go together");
            return 2;
        }

        string repo = FindRepo();
        var (agentExe, cliExe, floorExe) = BuildAgentCliAndFloor(repo);
        var builds = new List<Build> { new("this tree", agentExe, cliExe) };
        if (beforeAgent is not null)
        {
            builds.Add(new Build("before", beforeAgent, beforeCli!));
        }

        string dir = Path.Combine(Path.GetTempPath(), "siapibench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        await using var island = new ScriptedIsland(dir);
        island.Vms[1] = new VmStatus { VmId = 1, Name = "base", State = VmState.Stopped, Criticality = Criticality.AsilB };
        island.Vms[2] = new VmStatus { VmId = 2, Name = "web", State = VmState.Stopped, Criticality = Criticality.Qm };
        var floor = new List<double>();
        try
        {
            for (int round = 0; round < rounds; round++)
            {
                IEnumerable<Build> order = round % 2 == 0 ? builds : Enumerable.Reverse(builds);
                foreach (Build build in order)
                {
                    await MeasureAsync(build, repo, dir, island);
                }

                for (int i = 0; i < 3; i++)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    Run(floorExe);
                    floor.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                }
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }

        Build now = builds[0];
        Build? before = builds.Count > 1 ? builds[1] : null;
        foreach (Build b in builds)
        {
            Console.WriteLine($"{b.Name,-10} agent start to served call {Median(b.StartToServedMs),7:F1} ms   island vm list {Median(b.CliListMs),6:F1} ms   warm ListVms {Median(b.UnaryListUs),6:F0} us   ({b.Agent})");
        }

        Console.WriteLine($"floor      ReadyToRun hello world {Median(floor):F1} ms");
        var json = new List<string>
        {
            "\"bench\":\"api\"",
            $"\"rounds\":{rounds}",
            $"\"agent_start_to_served_call_ms\":{F(Median(now.StartToServedMs))}",
            $"\"cli_list_ms\":{F(Median(now.CliListMs))}",
            $"\"unary_list_us\":{F(Median(now.UnaryListUs))}",
            $"\"floor_ms\":{F(Median(floor))}",
            $"\"cli_list_vs_floor\":{F(Median(now.CliListMs) / Median(floor))}",
        };
        if (before is not null)
        {
            json.Add($"\"before_agent_start_to_served_call_ms\":{F(Median(before.StartToServedMs))}");
            json.Add($"\"before_cli_list_ms\":{F(Median(before.CliListMs))}");
            json.Add($"\"before_unary_list_us\":{F(Median(before.UnaryListUs))}");
            json.Add($"\"start_ratio\":{F(Median(now.StartToServedMs) / Median(before.StartToServedMs))}");
            json.Add($"\"cli_list_ratio\":{F(Median(now.CliListMs) / Median(before.CliListMs))}");
            json.Add($"\"unary_list_ratio\":{F(Median(now.UnaryListUs) / Median(before.UnaryListUs))}");
        }

        Console.WriteLine("{" + string.Join(",", json) + "}");
        return 0;
    }

    private static async Task MeasureAsync(Build build, string repo, string dir, ScriptedIsland island)
    {
        string socket = Path.Combine(dir, "agent.sock");
        long t0 = Stopwatch.GetTimestamp();
        using Process agent = StartAgent(repo, build.Agent, dir, island.ShmPath, island.KickPath);
        try
        {
            while (true)
            {
                if (agent.HasExited)
                {
                    throw new InvalidOperationException($"{build.Agent} exited {agent.ExitCode} before serving");
                }

                if (File.Exists(socket))
                {
                    using var probe = GrpcClient.ForUnixSocket(socket);
                    try
                    {
                        probe.Unary(AgentMethods.GetIslandInfo, new GetIslandInfoRequest(), GetIslandInfoResponse.Parser, TimeSpan.FromSeconds(5));
                        break;
                    }
                    catch (GrpcException e) when (e.Status == GrpcStatusCode.Unavailable)
                    {
                        // Bound but not serving yet.
                    }
                }

                if (Stopwatch.GetElapsedTime(t0) > TimeSpan.FromSeconds(30))
                {
                    throw new TimeoutException($"{build.Agent} did not serve within 30 s");
                }

                await Task.Delay(1);
            }

            build.StartToServedMs.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);

            using var client = GrpcClient.ForUnixSocket(socket);
            long waitStart = Stopwatch.GetTimestamp();
            while (true)
            {
                try
                {
                    client.Unary(AgentMethods.ListVms, new ListVmsRequest(), ListVmsResponse.Parser, TimeSpan.FromSeconds(5));
                    break;
                }
                catch (GrpcException e) when (e.Status == GrpcStatusCode.Unavailable && Stopwatch.GetElapsedTime(waitStart) < TimeSpan.FromSeconds(30))
                {
                    await Task.Delay(10);   // the link is coming up
                }
            }

            var cli = new List<double>();
            for (int i = 0; i < 3; i++)
            {
                long c0 = Stopwatch.GetTimestamp();
                int status = RunQuiet(build.Cli, "--socket", socket, "vm", "list");
                cli.Add(Stopwatch.GetElapsedTime(c0).TotalMilliseconds);
                if (status != 0)
                {
                    throw new InvalidOperationException($"{build.Cli} vm list exited {status}");
                }
            }

            build.CliListMs.Add(Median(cli));
            var unary = new List<double>();
            for (int i = 0; i < 200; i++)
            {
                long u0 = Stopwatch.GetTimestamp();
                client.Unary(AgentMethods.ListVms, new ListVmsRequest(), ListVmsResponse.Parser, TimeSpan.FromSeconds(5));
                unary.Add(Stopwatch.GetElapsedTime(u0).TotalMicroseconds);
            }

            build.UnaryListUs.Add(Median(unary));
        }
        finally
        {
            agent.Kill(entireProcessTree: true);
            await agent.WaitForExitAsync();
            File.Delete(socket);
        }
    }

    private static double Median(List<double> values)
    {
        double[] sorted = values.OrderBy(v => v).ToArray();
        return sorted.Length == 0 ? double.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string F(double value) => value.ToString("F2", CultureInfo.InvariantCulture);
}
