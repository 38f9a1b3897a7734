// The island process (island-sim --child): the firmware core on the Linux HAL, the shared-memory
// link in the device role, the session (island role) and the link adapter, driven by ONE main-loop
// thread:
//   WaitAndPoll until the next supervision cycle is due (messages are handled as they arrive:
//   link -> session -> IslandLinkEndpoint -> IslandCore.Handle*), session.Poll, core.Step (timers,
//   due supervision cycles, watchdog kick when on time), endpoint.Service (re-sends).
// Side threads only set flags (control socket, signals) or end the process (hardware watchdog).
using System;
using System.Diagnostics;
using System.IO;
using System.Net.Sockets;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading;
using Stratos.Island.Boards;
using Stratos.Island.Codec;
using Stratos.Island.Codec.Link;
using Stratos.Island.Firmware;
using Stratos.Island.Firmware.Link;
using Stratos.Island.Link;
using Stratos.Island.Link.Linux;
using Stratos.Island.Link.Session;

namespace Stratos.Island.Sim;

public static class IslandHost
{
    public const string ReadyMessage = "island ready";

    private static volatile bool s_stop;

    public static int Run(SimOptions options)
    {
        Native.DieWithParent();
        SimEnvironment env = SimEnvironment.Resolve(options);
        using var log = new SimLog(options.LogLevel, "island");
        log.OpenFile(env.LogPath);
        // The island is its own MCU on a board: A-side load must not starve its main loop here either.
        string? priority = Stratos.Island.Link.Linux.SchedulingPriority.RaiseProcess();
        if (priority is null)
        {
            log.Info("scheduling priority raised to nice " + Stratos.Island.Link.Linux.SchedulingPriority.LinkEndpointNice + " (above guest VMs)");
        }
        else
        {
            log.Warn(priority);
        }

        File.WriteAllText(env.ResetReasonPath, SimOptions.ResetReasonArgument(options.ResetReason) + "\n");
        if (File.Exists(env.SafeStatePath))
        {
            File.Delete(env.SafeStatePath); // the safe state is latched only until an island reset
        }

        var clock = new StopwatchClock();
        using var flash = new FileFlash(env.FlashPath, env.FlashPageBytes, env.FlashPages, log) { PowerCutMarkerPath = env.PowerCutMarkerPath };
        IslandHost.TryDelete(env.PowerCutMarkerPath);
        var reset = new HookResetControl(options.ACLusterResetHook, log);
        int aClusterDomain = -1;
        foreach (var domain in env.Board.PowerDomains)
        {
            if (domain.ACluster)
            {
                aClusterDomain = (int)domain.Id;
            }
        }

        var rails = new SimPowerRails(log, aClusterDomain, reset);
        var safeState = new FileSafeStateOutput(env.SafeStatePath, log);
        ulong bootId = NewBootId();

        var endpoint = new IslandLinkEndpoint(env.Config.Limits, env.Definitions, env.Definitions.Length);
        var settings = new SessionSettings
        {
            BoardId = env.Board.Id,
            SoftwareVersion = "island-sim " + (typeof(IslandHost).Assembly.GetName().Version?.ToString(3) ?? "0"),
            Capabilities = (uint)(Capability.EventLog | Capability.Power),
            ConfigHash = env.Vms.ConfigHash,
            ResetReason = options.ResetReason,
            SupervisionCycleMs = (uint)env.Config.Limits.SupervisionCyclePeriodMs,
            VmCount = (uint)env.Config.Vms.Length,
            Authenticator = LoadLinkKey(options, env, log) is byte[] linkKey ? new IslandLinkAuthenticator(linkKey, LibcryptoSha256Block.Select(log.Info)) : null,
            RequireAuthentication = env.Board.Link?.RequireAuthentication == true,
            RejectionSink = endpoint,
        };
        if (settings.RequireAuthentication && settings.Authenticator == null)
        {
            throw new SimConfigurationException("board '" + env.Board.Id + "' requires an authenticated link (link.require_authentication) but --link-key is none");
        }

        using AliveTrace? trace = options.TraceHeartbeats != null ? new AliveTrace(endpoint, options.TraceHeartbeats) : null;
        ISessionListener listener = trace != null ? trace : endpoint;
        LinkSession session;
        ISimLink link;
        if (env.LinkKind == SimLinkKind.SharedMemory)
        {
            var glue = new RpmsgSessionLink(Role.Island, env.ChannelName, () => clock.MonotonicMs, log);
            session = new LinkSession(Role.Island, bootId, settings, glue, listener);
            glue.Session = session;
            link = new SharedMemorySessionLink(env, glue, log);
        }
        else
        {
            var serial = new SerialSessionLink(env.LinkKind, env.SerialPath, env.SerialBaud, () => clock.MonotonicMs, log);
            session = new LinkSession(Role.Island, bootId, settings, serial, listener);
            serial.Session = session;
            link = serial;
        }

        using var watchdog = new ThreadWatchdog(env.WatchdogTimeoutMs, log, () => { });
        ControlSocket? control = null;
        int exitCode = ExitCodes.Ok;
        try
        {
            long coreStartMs = clock.MonotonicMs;
            var core = new IslandCore(env.Config, clock, flash, rails, watchdog, safeState, reset, endpoint, options.ResetReason);
            endpoint.Attach(session, core, clock);
            long loops = 0;
            var times = new LinkTimes(clock);
            control = new ControlSocket(env.ControlSocket, () => StatusJson(bootId, options.ResetReason, core, session, link, endpoint, loops, flash, times), log, flash);
            using PosixSignalRegistration term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnStopSignal);
            using PosixSignalRegistration interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnStopSignal);
            long warmStart = Stopwatch.GetTimestamp();
            int prepared = Warmup.PrepareAssemblies(typeof(IslandCore), typeof(Envelope), typeof(RpmsgLink), typeof(SharedMemoryLinkPort), typeof(Link.Serial.SerialFrameDecoder), typeof(IslandHost));
            log.Debug("compiled " + prepared + " methods in " + Stopwatch.GetElapsedTime(warmStart).TotalMilliseconds.ToString("F0") + " ms");
            link.Start();
            log.Info(ReadyMessage + ": board " + env.Board.Id + ", boot id 0x" + bootId.ToString("x16") + ", reset reason "
                + SimOptions.ResetReasonArgument(options.ResetReason) + ", boot count " + core.BootCount + ", " + env.Config.Vms.Length
                + " VMs, " + link.Description + ", control " + env.ControlSocket);

            int periodMs = env.Config.Limits.SupervisionCyclePeriodMs;
            while (!s_stop)
            {
                if (control.HangRequested)
                {
                    // A stuck main loop: no more kicks. Only a stop signal ends it (or the watchdog).
                    while (!s_stop)
                    {
                        Thread.Sleep(5);
                    }

                    break;
                }

                if (control.ResetRequested)
                {
                    exitCode = ExitCodes.SoftwareReset;
                    break;
                }

                long now = clock.MonotonicMs;
                int waitMs = periodMs - (int)((now - coreStartMs) % periodMs);
                link.WaitAndPoll(waitMs);
                if (link.TakeRingReset())
                {
                    core.RecordLinkRingReset(link.LastDownReason);
                }

                session.Poll(clock.MonotonicMs);
                times.Observe(session.State == SessionState.Up);
                core.Step();
                endpoint.Service();
                loops++;
            }

            log.Info(exitCode == ExitCodes.SoftwareReset ? "software reset" : "stopping (signal)");
        }
        finally
        {
            control?.Dispose();
            link.Dispose();
        }

        return exitCode;
    }

    private static void OnStopSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        s_stop = true;
    }

    // The virtual board's stand-in for the key inside the signed bundle: STATE_DIR/link.key, created
    // (0600, random) at the first boot when missing, like a board provisioned at flashing time.
    private static byte[]? LoadLinkKey(SimOptions options, SimEnvironment env, SimLog log)
    {
        if (options.LinkKey == "none")
        {
            log.Info("link authentication off (--link-key none)");
            return null;
        }

        string path = Path.GetFullPath(options.LinkKey ?? Path.Combine(env.StateDir, "link.key"));
        if (path.EndsWith(".tar", StringComparison.Ordinal))
        {
            byte[] key = LoadProvisionedLinkKey(path, options.BundlePublicKey, env);
            log.Info("link board key from the signed bundle " + path + " (verified with " + options.BundlePublicKey + ")");
            return key;
        }

        try
        {
            if (options.LinkKey == null && !File.Exists(path))
            {
                try
                {
                    LinkKeyFile.Create(path);
                    log.Info("created the link's board key " + path + " (0600)");
                }
                catch (IOException) when (File.Exists(path))
                {
                    // Another boot of the island created it first.
                }
            }

            return LinkKeyFile.Read(path);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            throw new SimConfigurationException("--link-key '" + path + "': " + e.Message);
        }
    }

    // A board provisioned at flashing: the key is the bundle's link.key, taken only when the
    // island's own check passes (IslandLinkAuthenticator.VerifyProvisionedKey: the firmware's
    // BundleVerifier over the release public key), as the MCU does with its partition.
    private static byte[] LoadProvisionedLinkKey(string bundlePath, string? publicKeyPath, SimEnvironment env)
    {
        if (publicKeyPath == null)
        {
            throw new SimConfigurationException("--link-key '" + bundlePath + "': a bundle's key is taken only with --bundle-pubkey PUB.pem (the release key it must be signed with)");
        }

        try
        {
            var entries = new System.Collections.Generic.Dictionary<string, byte[]>(StringComparer.Ordinal);
            foreach ((string name, byte[] data) in Boards.Flashing.FirmwareBundle.ReadEntries(bundlePath))
            {
                entries[name] = data;
            }

            byte[] Entry(string name) => entries.TryGetValue(name, out byte[]? data) ? data
                : throw new SimConfigurationException("--link-key '" + bundlePath + "': the bundle has no " + name
                    + (name == IslandLinkAuthenticator.BundleFileName ? " (build it with 'island flash bundle --link-key FILE')" : ""));
            byte[] manifest = Entry(Boards.Flashing.FirmwareBundle.ManifestName);
            byte[] signature = Entry(Boards.Flashing.FirmwareBundle.SignatureName);
            byte[] key = Entry(IslandLinkAuthenticator.BundleFileName);
            using ECDsa publicKey = Boards.Flashing.SigningKeys.LoadPublic(publicKeyPath);
            var verifier = new Stratos.Island.Firmware.Bundle.BundleVerifier(new EcdsaSignatureVerifier(publicKey));
            var status = IslandLinkAuthenticator.VerifyProvisionedKey(verifier, manifest, manifest.Length, signature, signature.Length, key, 0, key.Length);
            if (status != Stratos.Island.Firmware.Bundle.BundleStatus.Ok)
            {
                throw new SimConfigurationException("--link-key '" + bundlePath + "': " + IslandLinkAuthenticator.BundleFileName + " failed the island's bundle verification ("
                    + status + "): not a key signed with " + publicKeyPath);
            }

            string board = Boards.Flashing.FirmwareBundle.ParseManifest(manifest, bundlePath).Board;
            if (board != env.Board.Id)
            {
                throw new SimConfigurationException("--link-key '" + bundlePath + "': the bundle is for board '" + board + "', this island is '" + env.Board.Id + "'");
            }

            return key;
        }
        catch (Boards.Flashing.BundleException e)
        {
            throw new SimConfigurationException("--link-key: " + e.Message);
        }
    }

    private static ulong NewBootId()
    {
        Span<byte> bytes = stackalloc byte[8];
        ulong id;
        do
        {
            RandomNumberGenerator.Fill(bytes);
            id = BitConverter.ToUInt64(bytes);
        }
        while (id == 0);
        return id;
    }

    internal static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    private static string StatusJson(ulong bootId, ResetReason reason, IslandCore core, LinkSession session, ISimLink link,
        IslandLinkEndpoint endpoint, long loops, FileFlash flash, LinkTimes times)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteNumber("pid", Environment.ProcessId);
            json.WriteString("boot_id", "0x" + bootId.ToString("x16"));
            json.WriteString("reset_reason", SimOptions.ResetReasonArgument(reason));
            json.WriteNumber("boot_count", core.BootCount);
            json.WriteNumber("cycles", core.Supervision.Cycles);
            json.WriteNumber("main_loops", loops);
            json.WriteNumber("late_steps", core.LateSteps);
            json.WriteNumber("watchdog_kicks", core.WatchdogKicks);
            json.WriteNumber("flash_writes", flash.Writes);
            json.WriteNumber("now_ms", times.NowMs);
            json.WriteNumber("session_up_ms", times.SessionUpMs);
            json.WriteString("session", session.State.ToString().ToLowerInvariant());
            json.WriteString("agent_boot_id", "0x" + session.PeerBootId.ToString("x16"));
            json.WriteStartObject("link");
            link.WriteStatus(json);
            json.WriteEndObject();
            json.WriteStartObject("session_counters");
            SessionCounters s = session.Counters;
            json.WriteNumber("sent", s.Sent);
            json.WriteNumber("received", s.Received);
            json.WriteNumber("send_failures", s.SendFailures);
            json.WriteNumber("established", s.Established);
            json.WriteNumber("peer_restarts", s.PeerRestarts);
            json.WriteNumber("keepalive_timeouts", s.KeepaliveTimeouts);
            json.WriteNumber("decode_errors", s.DecodeErrors);
            json.WriteNumber("duplicates", s.Duplicates);
            json.WriteNumber("gaps", s.Gaps);
            json.WriteNumber("out_of_order", s.OutOfOrder);
            json.WriteBoolean("authenticated", session.Authenticated);
            json.WriteNumber("auth_forged", s.AuthForged);
            json.WriteNumber("auth_replayed", s.AuthReplayed);
            json.WriteNumber("auth_reordered", s.AuthReordered);
            json.WriteNumber("auth_truncated", s.AuthTruncated);
            json.WriteNumber("auth_refused", s.AuthRefused);
            json.WriteEndObject();
            json.WriteStartObject("endpoint");
            IslandLinkCounters e = endpoint.Counters;
            json.WriteNumber("ring_full", e.RingFull);
            json.WriteNumber("events_not_sent", e.EventsNotSent);
            json.WriteNumber("status_resends", e.StatusResends);
            json.WriteNumber("queued", endpoint.QueuedMessages);
            json.WriteNumber("peer_errors", e.PeerErrors);
            json.WriteNumber("not_connected", e.NotConnected);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }
}

/// <summary>When the session last came up, on the island clock (ms; -1 before the first), for the
/// recovery figures of the control socket's status: session_up_ms - link.last_down_ms.</summary>
internal sealed class LinkTimes(StopwatchClock clock)
{
    private long _sessionUpMs = -1;
    private bool _up;

    public long NowMs => clock.MonotonicMs;

    public long SessionUpMs => Interlocked.Read(ref _sessionUpMs);

    // Main loop only.
    public void Observe(bool up)
    {
        if (up && !_up)
        {
            Interlocked.Exchange(ref _sessionUpMs, clock.MonotonicMs);
        }

        _up = up;
    }
}

internal static partial class Native
{
    private const int PrSetPdeathsig = 1;
    private const int Sigkill = 9;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int prctl(int option, nint arg2, nint arg3, nint arg4, nint arg5);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int kill(int pid, int signal);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int fsync(int fd);

    // The child must not outlive its supervisor (kill -9 of the supervisor takes the island with it).
    internal static void DieWithParent()
    {
        if (OperatingSystem.IsLinux())
        {
            prctl(PrSetPdeathsig, Sigkill, 0, 0, 0);
        }
    }
}
