// The supervisor (island-sim without --child): validates the configuration, then runs the island as
// a child process (this executable again, with --child) and plays the reset circuit:
//   child exit 86 (hardware watchdog)  -> restart, reset reason WATCHDOG
//   child exit 87 (control `reset`)    -> restart, reset reason SOFTWARE
//   child exit 2 (bad configuration)   -> exit 2
//   power cut (control `powercut`)     -> the whole board is off: clean up the sockets, exit 1
//   any other end (kill -9, crash)     -> restart, reset reason FAULT, as an MCU's fault/lockup reset
//                                         would; more than MaxFaultResets within FaultWindowMs -> exit 1
//   SIGTERM / SIGINT                   -> SIGTERM to the child, wait, clean up the sockets, exit 0
// The shared-memory file is never removed: it is one file (one inode) for the island's whole life,
// re-initialised in place at every boot, so a peer that maps it once (libmetal) follows every reset.
// The child dies with the supervisor (PR_SET_PDEATHSIG), so killing the supervisor kills the island.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Runtime.InteropServices;
using Stratos.Island.Codec;

namespace Stratos.Island.Sim;

public static class Supervisor
{
    private const int Sigterm = 15;

    /// <summary>Fault resets tolerated within FaultWindowMs before the supervisor gives up (a crash loop).</summary>
    public const int MaxFaultResets = 5;

    public const int FaultWindowMs = 10_000;
    private static readonly object s_gate = new();
    private static volatile bool s_stop;
    private static Process? s_child;

    public static int Run(SimOptions options)
    {
        SimEnvironment env = SimEnvironment.Resolve(options);
        using var log = new SimLog(options.LogLevel, "supervisor");
        log.OpenFile(env.LogPath);
        using PosixSignalRegistration term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnStopSignal);
        using PosixSignalRegistration interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnStopSignal);
        ResetReason reason = ResetReason.ProcessStart;
        var faults = new Queue<long>();
        while (true)
        {
            Process child = StartChild(options, reason);
            lock (s_gate)
            {
                s_child = child;
                if (s_stop)
                {
                    Native.kill(child.Id, Sigterm);
                }
            }

            child.WaitForExit();
            int code = child.ExitCode;
            lock (s_gate)
            {
                s_child = null;
            }

            child.Dispose();
            if (s_stop)
            {
                log.Info("stopped (island exit code " + code + ")");
                Cleanup(env);
                return ExitCodes.Ok;
            }

            switch (code)
            {
                case ExitCodes.Watchdog:
                    log.Warn("island reset by its hardware watchdog; restarting (reset reason watchdog)");
                    reason = ResetReason.Watchdog;
                    continue;
                case ExitCodes.SoftwareReset:
                    log.Warn("island software reset; restarting (reset reason software)");
                    reason = ResetReason.Software;
                    continue;
                case ExitCodes.BadConfiguration:
                    Cleanup(env);
                    return ExitCodes.BadConfiguration;
                default:
                    if (File.Exists(env.PowerCutMarkerPath))
                    {
                        IslandHost.TryDelete(env.PowerCutMarkerPath);
                        log.Error("island lost its power (exit code " + code + "); the board is off, supervisor exits");
                        Cleanup(env);
                        return ExitCodes.Failure;
                    }

                    long now = Environment.TickCount64;
                    faults.Enqueue(now);
                    while (faults.Count > 0 && now - faults.Peek() > FaultWindowMs)
                    {
                        faults.Dequeue();
                    }

                    if (faults.Count > MaxFaultResets)
                    {
                        log.Error("island ended with exit code " + code + " (killed or crashed), " + faults.Count + " fault resets within "
                            + FaultWindowMs + " ms: crash loop, supervisor exits");
                        Cleanup(env);
                        return ExitCodes.Failure;
                    }

                    log.Error("island ended with exit code " + code + " (killed or crashed); restarting it (reset reason fault)");
                    reason = ResetReason.Fault;
                    continue;
            }
        }
    }

    private static Process StartChild(SimOptions options, ResetReason reason)
    {
        string processPath = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find the island-sim executable");
        var start = new ProcessStartInfo(processPath) { UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(processPath) == "dotnet")
        {
            start.ArgumentList.Add(typeof(Supervisor).Assembly.Location);
        }

        foreach (string arg in options.UserArguments)
        {
            start.ArgumentList.Add(arg);
        }

        start.ArgumentList.Add("--child");
        start.ArgumentList.Add("--reset-reason");
        start.ArgumentList.Add(SimOptions.ResetReasonArgument(reason));
        return Process.Start(start) ?? throw new InvalidOperationException("island child process did not start");
    }

    private static void OnStopSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        lock (s_gate)
        {
            s_stop = true;
            if (s_child != null)
            {
                Native.kill(s_child.Id, Sigterm);
            }
        }
    }

    private static void Cleanup(SimEnvironment env)
    {
        foreach (string path in new List<string> { env.KickSocket, env.ControlSocket })
        {
            if (path.Length > 0)
            {
                IslandHost.TryDelete(path);
            }
        }
    }
}
