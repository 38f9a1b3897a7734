using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Stratos.Island.Codec;

namespace Stratos.Island.Agent.Vmm;

/// <summary>
/// One QEMU process running one VM.
/// <para>
/// States (ObservedVmState, link.proto):
///   Starting -> Running          QEMU launched paused (-S) with its serial console already
///                                connected (the agent's listener, inherited), QMP negotiated and
///                                `cont` answered; or re-adopted from a previous agent run
///   Starting -> StartFailed      exec failed, QEMU exited early, or QMP/serial not ready in time
///   Running <-> Paused           PauseAsync/ResumeAsync (QMP stop/cont) or STOP/RESUME events
///   Running  -> Crashed          GUEST_PANICKED; without -no-reboot a guest RESET is reported as
///                                Crashed and then Running again (QEMU rebooted the guest)
///   any      -> Exited           QEMU exited on its own: SHUTDOWN event (guest poweroff, quit from
///                                elsewhere) or isa-debug-exit (status (code &lt;&lt; 1) | 1)
///   any      -> Crashed          SHUTDOWN reason guest-reset under -no-reboot (triple fault), a
///                                guest panic before exit, or QEMU killed by a signal it did not get from us
///   any      -> Exited           SHUTDOWN reason guest-reset after the guest announced `SHUTDOWN reboot`
///                                on its heartbeat port (a reboot it asked for is not a crash)
///   Running  -> (Hung)           WATCHDOG event (i6300esb, action none): reported, the state stays
///                                Running; the island decides what follows
///   any      -> NotRunning       StopAsync / KillAsync by the agent
/// The last three are terminal; then the runtime directory is gone and <see cref="Ended"/> completes.
/// The serial console is connected before the guest prints its first byte (a chardev socket server
/// drops output while no client is connected): QEMU accepts the agent's queued connection on the
/// inherited listener (wait=on) during its set-up, and the guest waits (-S) until QMP is up.
/// </para>
/// </summary>
public sealed class QemuVm : IVmmInstance, IAsyncDisposable
{
    /// <summary>How long the exit monitor waits for QMP to deliver QEMU's last events after the process is gone.</summary>
    private const int FinalEventsGraceMs = 500;
    /// <summary>Exit statuses 129..192 without a SHUTDOWN event are read as death by signal (128 + signo).</summary>
    private const int SignalExitBase = 128;
    private const int MaxSignal = 64;
    /// <summary>Poll period of /proc for an adopted QEMU whose QMP socket has closed.</summary>
    private const int AdoptedExitPollMs = 5;

    /// <summary>
    /// Held from making the inheritable serial listener until QEMU has started: a process started
    /// meanwhile (another VM's QEMU) would inherit that socket too. The agent starts no other processes.
    /// </summary>
    private static readonly object SpawnLock = new();

    private readonly QemuBackend _backend;
    private readonly string _binary;
    private readonly bool _useKvm;
    private readonly object _stateLock = new();
    private readonly TaskCompletionSource<VmObservation> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Process? _process;
    private Task? _exited;                        // completes when the QEMU process is gone
    private bool _adopted;                        // found running from a previous agent run: not our child
    private Task? _monitor;
    private ObservedVmState _state = ObservedVmState.NotRunning;
    private volatile string? _agentEnding;        // set when StopAsync/KillAsync is ending the VM
    private volatile string? _shutdownReason;     // SHUTDOWN event reason
    private volatile string? _panicLine;          // the guest's PANIC line on the serial console
    private volatile string? _panicEvent;         // GUEST_PANICKED (pvpanic) with QEMU's action
    private volatile string? _announcedShutdown;  // the guest's `SHUTDOWN reboot|poweroff` line
    private volatile bool _launched;
    private volatile bool _detached;              // DetachAsync: QEMU left running for a successor

    internal QemuVm(QemuBackend backend, VmSpec spec, string binary, bool useKvm, string runtimeDirectory)
    {
        _backend = backend;
        Spec = spec;
        _binary = binary;
        _useKvm = useKvm;
        RuntimeDirectory = runtimeDirectory;
        QmpSocketPath = Path.Combine(runtimeDirectory, QemuBackend.QmpSocketName);
        SerialSocketPath = Path.Combine(runtimeDirectory, QemuBackend.SerialSocketName);
        HeartbeatSocketPath = Path.Combine(runtimeDirectory, QemuBackend.HeartbeatSocketName);
        HeartbeatTapSocketPath = Path.Combine(runtimeDirectory, QemuBackend.HeartbeatTapSocketName);
        PidFilePath = Path.Combine(runtimeDirectory, QemuBackend.PidFileName);
        ConsoleSocketPath = Path.Combine(runtimeDirectory, QemuBackend.ConsoleSocketName);
        LogPath = Path.Combine(runtimeDirectory, QemuBackend.LogFileName);
    }

    public VmSpec Spec { get; }
    public string Name => Spec.Name;
    public string RuntimeDirectory { get; }
    public string QmpSocketPath { get; }
    public string SerialSocketPath { get; }
    /// <summary>QEMU's socket of the virtio-serial heartbeat port (spec.HeartbeatPort).</summary>
    public string HeartbeatSocketPath { get; }
    /// <summary>The heartbeat port's tap, like the console tap (spec.HeartbeatPort).</summary>
    public string HeartbeatTapSocketPath { get; }
    public string PidFilePath { get; }
    /// <summary>QEMU's stdin is /dev/null, its stdout and stderr go here (never pipes to the agent).</summary>
    public string LogPath { get; }
    /// <summary>True when this VM was re-adopted from a previous agent run (QEMU is not our child; no exit status).</summary>
    public bool Adopted => _adopted;
    /// <summary>The guest console tap's socket (see <see cref="ConsoleTap"/>).</summary>
    public string ConsoleSocketPath { get; }
    /// <summary>True when this VM runs under KVM, false under TCG.</summary>
    public bool UsesKvm => _useKvm;
    /// <summary>QEMU's pid (0 before launch).</summary>
    public int Pid { get; private set; }

    public string Describe => "QEMU pid " + Pid;
    /// <summary>The full QEMU argument list used.</summary>
    public IReadOnlyList<string> Arguments { get; private set; } = Array.Empty<string>();
    /// <summary>When each start-up step finished (null for an adopted VM); see <see cref="StartTimeline"/>.</summary>
    public StartTimeline? StartSteps { get; private set; }
    /// <summary>The QMP connection (null before launch).</summary>
    public QmpClient? Qmp { get; private set; }
    /// <summary>The guest serial console (null before launch).</summary>
    public GuestSerialReader? Serial { get; private set; }
    /// <summary>The guest console tap (null before the serial console is connected).</summary>
    public ConsoleTap? Console { get; private set; }
    /// <summary>The virtio-serial heartbeat port org.stratos.island.heartbeat.0 (null without spec.HeartbeatPort).</summary>
    public GuestSerialReader? HeartbeatPort { get; private set; }
    /// <summary>The heartbeat port's tap (null without spec.HeartbeatPort).</summary>
    public ConsoleTap? HeartbeatTap { get; private set; }
    /// <summary>
    /// Where the guest's HB/CP lines and commands go: the heartbeat port when the VM has one, else
    /// the serial console (the freestanding heartbeat guest, guests without virtio).
    /// </summary>
    public GuestSerialReader? Supervision => HeartbeatPort ?? Serial;

    /// <summary>Raised for every state change, in order; handlers must not block.</summary>
    public event Action<VmObservation>? StateChanged;
    /// <summary>Raised for every QMP event (after the state machine has seen it).</summary>
    public event Action<QmpEvent>? QmpEventReceived;

    public ObservedVmState State
    {
        get
        {
            lock (_stateLock)
                return _state;
        }
    }

    /// <summary>Completes with the terminal observation (Exited, Crashed, NotRunning, StartFailed).</summary>
    public Task<VmObservation> Ended => _ended.Task;

    /// <summary>The last lines QEMU printed on stderr/stdout (from its log in the runtime directory).</summary>
    public string OutputTail
    {
        get
        {
            try
            {
                // Without the note QEMU prints on every start for the serial socket's wait=on.
                string[] lines = File.ReadAllLines(LogPath);
                return string.Join(" | ", lines.Where(l => l.Length > 0 && !l.Contains(": info: QEMU waiting for connection on: ", StringComparison.Ordinal)).TakeLast(_backend.Options.OutputTailLines));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return "";
            }
        }
    }

    internal static string QmpArgument(string qmpSocketPath) => $"unix:{qmpSocketPath},server=on,wait=off";

    /// <summary>Name of the guest's heartbeat port (docs/guests.md).</summary>
    public const string HeartbeatPortName = "org.stratos.island.heartbeat.0";

    /// <summary>
    /// QEMU's arguments; <paramref name="serialListenerFd"/> is the serial console's listening socket
    /// QEMU inherits, <paramref name="heartbeatListenerFd"/> the heartbeat port's (-1 without one).
    /// </summary>
    internal List<string> BuildArguments(int serialListenerFd, int heartbeatListenerFd = -1)
    {
        // microvm has no PCI unless asked: the guest-contract devices are PCI devices.
        string pcie = Spec.NeedsPci && Spec.Machine == "microvm" ? ",pcie=on" : "";
        var args = new List<string>
        {
            "-name", $"guest={Spec.Name},process=qemu-{Spec.Name}",
            "-machine", $"{Spec.Machine}{pcie},accel={(_useKvm ? "kvm" : "tcg")}",
        };
        string? cpu = Spec.CpuModel ?? (_useKvm ? _backend.Options.KvmCpuModel : null);
        if (cpu is not null)
            args.AddRange(["-cpu", cpu]);
        args.AddRange([
            "-m", Spec.MemoryMib.ToString(CultureInfo.InvariantCulture),
            "-smp", Spec.Vcpus.ToString(CultureInfo.InvariantCulture),
            "-nodefaults", "-no-user-config", "-nographic",
            // -S: the vCPUs wait for `cont`, which the agent sends right behind `qmp_capabilities`
            // once QMP greets it (QEMU runs both when its set-up is done), so QMP is up, and sees
            // every event, before the guest runs.
            "-S",
            "-qmp", QmpArgument(QmpSocketPath),
            // The serial console's socket is the agent's (LaunchAsync), already listening with the
            // agent's connection queued: wait=on accepts it while QEMU sets up, so it is connected
            // before the guest's first byte, with no polling for a socket QEMU has yet to make.
            "-chardev", $"socket,id=serial0,fd={serialListenerFd.ToString(CultureInfo.InvariantCulture)},server=on,wait=on",
            "-serial", "chardev:serial0",
            "-kernel", Spec.Kernel,
        ]);
        if (!string.IsNullOrEmpty(Spec.Initrd))
            args.AddRange(["-initrd", Spec.Initrd]);
        string? cmdline = TcgLinuxClock.Apply(Spec.Cmdline, !_useKvm, Spec.Machine, Spec.Kernel);
        if (!string.IsNullOrEmpty(cmdline))
            args.AddRange(["-append", cmdline]);
        if (Spec.HeartbeatPort)
        {
            // Like the console: the agent's listener, inherited, its connection already queued.
            args.AddRange([
                "-chardev", $"socket,id=heartbeat0,fd={heartbeatListenerFd.ToString(CultureInfo.InvariantCulture)},server=on,wait=on",
                "-device", "virtio-serial-pci,id=virtio-serial0",
                "-device", $"virtserialport,bus=virtio-serial0.0,chardev=heartbeat0,name={HeartbeatPortName}",
            ]);
        }
        if (Spec.Watchdog)
        {
            // QEMU only reports the expiry (WATCHDOG event); the island decides what happens.
            args.AddRange(["-device", "i6300esb", "-action", "watchdog=none"]);
        }
        if (Spec.PanicDevice)
            args.AddRange(["-device", "pvpanic-pci"]);
        if (!string.IsNullOrEmpty(Spec.Disk))
        {
            // microvm has no PCI by default: the disk goes on virtio-mmio.
            args.AddRange(["-drive", $"id=disk0,file={Spec.Disk},format=raw,if=none"]);
            args.AddRange(["-device", Spec.Machine == "microvm" ? "virtio-blk-device,drive=disk0" : "virtio-blk-pci,drive=disk0"]);
        }
        if (Spec.NoReboot)
            args.Add("-no-reboot");
        args.AddRange(Spec.ExtraArgs);
        return args;
    }

    /// <summary>
    /// Starts QEMU and the guest, in the steps of docs/vmm.md "Launch", each timed in
    /// <see cref="StartSteps"/>: the launch command; the serial console (and heartbeat port)
    /// connected before QEMU exists, then QEMU spawned with the listeners inherited; the spawned
    /// process adopted (readers, pid file, guest output watched, taps); QMP negotiated and `cont`
    /// pipelined; Running, the caller's hook, then the console read. A failure after the spawn kills
    /// QEMU and reports StartFailed with QEMU's output.
    /// </summary>
    internal async Task LaunchAsync(Action<QemuVm>? whenRunning, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var timeline = new StartTimeline();
        StartSteps = timeline;
        SetState(ObservedVmState.Starting, "launching QEMU", null);
        ProcessStartInfo startInfo = LaunchCommand();
        (Process process, Socket serialSocket, Socket? heartbeatSocket) = SpawnWithConsoleConnected(startInfo, timeline, clock);
        Task processExit = TakeSpawnedProcess(process, serialSocket, heartbeatSocket);
        try
        {
            File.WriteAllText(PidFilePath, Pid.ToString(CultureInfo.InvariantCulture) + "\n");
            WatchGuestOutput(timeline, clock);
            await ContinueOverQmpAsync(processExit, timeline, clock, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is VmmException or QmpCommandException or OperationCanceledException or IOException or SocketException)
        {
            throw await AbortStartAsync(e, process, processExit, cancellationToken).ConfigureAwait(false);
        }
        EnterRunning(whenRunning, processExit);
    }

    /// <summary>
    /// Step 1, the launch command: /bin/sh with QEMU's stdio on the log file, exec'ing QEMU in place
    /// (through nice when the agent runs raised). QEMU's own arguments are added at the spawn.
    /// </summary>
    private ProcessStartInfo LaunchCommand()
    {
        // QEMU must outlive the agent (re-adoption): stdio goes to a log file in the runtime folder,
        // not to pipes (a write to a pipe whose reader died fails with EPIPE/SIGPIPE); the shell
        // execs QEMU in place, so the pid is QEMU's from the start. No PR_SET_PDEATHSIG on this path.
        // QEMU stays in the agent's session and process group: a new session (setsid) made the
        // guest's first line 17-60 ms later on the loaded development VM (CFS autogroup: a new
        // session is a new scheduling group; docs/vmm.md), and the agent runs without a terminal
        // anyway (systemd, island up: setsid), where nothing signals its group.
        var startInfo = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        startInfo.ArgumentList.Add("-c");
        startInfo.ArgumentList.Add("log=$1; shift; exec </dev/null >>\"$log\" 2>&1; exec \"$@\"");
        startInfo.ArgumentList.Add("qemu-" + Name);
        startInfo.ArgumentList.Add(LogPath);
        // Back to nice 0 when the agent runs raised (GuestScheduling); nice(1) execs QEMU in place.
        int niceIncrement = GuestScheduling.ChildNiceIncrement();
        if (niceIncrement != 0)
        {
            startInfo.ArgumentList.Add("nice");
            startInfo.ArgumentList.Add("-n");
            startInfo.ArgumentList.Add(niceIncrement.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        startInfo.ArgumentList.Add(_binary);
        return startInfo;
    }

    /// <summary>
    /// Step 2, the serial console connected before QEMU runs, then the spawn: the agent listens on
    /// serial.sock (and hb.sock) and connects to it before QEMU exists; QEMU inherits the listening
    /// socket and accepts that connection during its set-up (wait=on). Under SpawnLock, the window in
    /// which the listeners are inheritable. On failure: StartFailed, nothing left behind.
    /// </summary>
    private (Process Process, Socket Serial, Socket? Heartbeat) SpawnWithConsoleConnected(ProcessStartInfo startInfo, StartTimeline timeline, Stopwatch clock)
    {
        var process = new Process { StartInfo = startInfo };
        var serialSocket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        Socket? heartbeatSocket = Spec.HeartbeatPort ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) : null;
        lock (SpawnLock)
        {
            int listener = -1;
            int heartbeatListener = -1;
            try
            {
                listener = InheritableListener.Listen(SerialSocketPath);
                serialSocket.Connect(new UnixDomainSocketEndPoint(SerialSocketPath));
                if (heartbeatSocket is not null)
                {
                    heartbeatListener = InheritableListener.Listen(HeartbeatSocketPath);
                    heartbeatSocket.Connect(new UnixDomainSocketEndPoint(HeartbeatSocketPath));
                }
                timeline.SerialConnectedMs = clock.Elapsed.TotalMilliseconds;
                var args = BuildArguments(listener, heartbeatListener);
                Arguments = args;
                foreach (string a in args)
                    startInfo.ArgumentList.Add(a);
                process.Start();
            }
            catch (Exception e) when (e is Win32Exception or VmmException or SocketException)
            {
                serialSocket.Dispose();
                heartbeatSocket?.Dispose();
                process.Dispose();
                string message = e is Win32Exception
                    ? $"VM '{Name}': cannot execute '{_binary}': {e.Message}"
                    : $"VM '{Name}': cannot set up the serial console: {e.Message}";
                Fail(message);
                throw new VmmException(VmmErrorKind.StartFailed, message, e);
            }
            finally
            {
                if (listener >= 0)
                    InheritableListener.Close(listener);   // QEMU has its copy; the path stays
                if (heartbeatListener >= 0)
                    InheritableListener.Close(heartbeatListener);
            }
        }
        timeline.SpawnedMs = clock.Elapsed.TotalMilliseconds;
        return (process, serialSocket, heartbeatSocket);
    }

    /// <summary>Step 3, the spawned QEMU becomes this VM's: pid, exit task, console and heartbeat readers (not reading yet).</summary>
    private Task TakeSpawnedProcess(Process process, Socket serialSocket, Socket? heartbeatSocket)
    {
        _process = process;
        Pid = process.Id;
        Task processExit = process.WaitForExitAsync(CancellationToken.None);
        _exited = processExit;
        Serial = GuestSerialReader.Attach(serialSocket, SerialSocketPath);
        if (heartbeatSocket is not null)
            HeartbeatPort = GuestSerialReader.Attach(heartbeatSocket, HeartbeatSocketPath);
        return processExit;
    }

    /// <summary>Step 3 (continued), the guest's output watched before it runs: PANIC and SHUTDOWN lines, the first line's time, the taps.</summary>
    private void WatchGuestOutput(StartTimeline timeline, Stopwatch clock)
    {
        WatchGuestLines();
        GuestSerialReader serial = Supervision!;
        void FirstLine(string line)
        {
            serial.LineReceived -= FirstLine;
            timeline.FirstLineMs = clock.Elapsed.TotalMilliseconds;
        }
        serial.LineReceived += FirstLine;
        StartTaps();
    }

    /// <summary>
    /// Step 4, QMP: connect (QEMU makes its socket while it sets up), then, once QEMU greets,
    /// `qmp_capabilities` and `cont` back to back. Cancelled when QEMU exits meanwhile.
    /// </summary>
    private async Task ContinueOverQmpAsync(Task processExit, StartTimeline timeline, Stopwatch clock, CancellationToken cancellationToken)
    {
        var options = _backend.Options;
        using var exitCancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _ = processExit.ContinueWith(_ =>
        {
            try
            {
                exitCancel.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Start-up already finished; the exit monitor handles this exit.
            }
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        // Once QMP greets: `qmp_capabilities` and `cont` back to back, without waiting in between.
        // QEMU answers both when its set-up is done and the guest then runs at once; a round trip
        // between them would hold the guest for the agent's turn.
        Qmp = await QmpClient.ConnectAsync(QmpSocketPath, options.QmpReadyTimeout, exitCancel.Token, negotiate: false).ConfigureAwait(false);
        Qmp.EventReceived += OnQmpEvent;
        Task capabilities = Qmp.ExecuteAsync("qmp_capabilities", null, options.QmpReadyTimeout, exitCancel.Token);
        Task cont = Qmp.ExecuteAsync("cont", null, options.QmpReadyTimeout, exitCancel.Token);
        // Observed even when `qmp_capabilities` fails first and `cont` is never awaited.
        _ = cont.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        await capabilities.ConfigureAwait(false);
        timeline.QmpReadyMs = clock.Elapsed.TotalMilliseconds;
        await cont.ConfigureAwait(false);
        timeline.RunningMs = clock.Elapsed.TotalMilliseconds;
    }

    /// <summary>
    /// A start that failed after the spawn: QEMU killed, the runtime directory removed, StartFailed
    /// with QEMU's last output. Returns the exception to throw (Timeout only when QEMU was still alive
    /// and QMP timed out; the caller's cancellation as such).
    /// </summary>
    private async Task<Exception> AbortStartAsync(Exception e, Process process, Task processExit, CancellationToken cancellationToken)
    {
        bool exitedOnItsOwn = processExit.IsCompleted;   // before AbortLaunchAsync kills it
        await AbortLaunchAsync().ConfigureAwait(false);
        string why = exitedOnItsOwn
            ? $"QEMU exited with status {process.ExitCode} during start-up"
            : cancellationToken.IsCancellationRequested ? "start cancelled" : e.Message;
        string message = $"VM '{Name}': QEMU did not become ready: {why}; QEMU output: {Tail()}";
        Fail(message);
        process.Dispose();
        _process = null;
        if (e is OperationCanceledException && cancellationToken.IsCancellationRequested)
            return new OperationCanceledException(message, e, cancellationToken);
        return new VmmException(e is VmmException { Kind: VmmErrorKind.Timeout } && !exitedOnItsOwn ? VmmErrorKind.Timeout : VmmErrorKind.StartFailed, message, e);
    }

    /// <summary>
    /// Step 5, Running: the exit monitor starts, the caller's hook runs before the console is read
    /// (its subscribers see the first line, and a report it sends goes out before any heartbeat
    /// relayed from this console); then reading starts.
    /// </summary>
    private void EnterRunning(Action<QemuVm>? whenRunning, Task processExit)
    {
        _launched = true;
        SetState(ObservedVmState.Running, $"QEMU pid {Pid} running ({(_useKvm ? "KVM" : "TCG")})", null);
        _monitor = MonitorExitAsync(processExit);
        try
        {
            whenRunning?.Invoke(this);
        }
        finally
        {
            Serial!.StartReading();
            HeartbeatPort?.StartReading();
        }
    }

    /// <summary>PANIC and SHUTDOWN lines, from the console and from the heartbeat port.</summary>
    private void WatchGuestLines()
    {
        foreach (GuestSerialReader? reader in new[] { Serial, HeartbeatPort })
        {
            if (reader is null)
                continue;
            reader.Panic += reason => _panicLine = $"PANIC {reason}";
            reader.ShutdownAnnounced += what => _announcedShutdown = what;
        }
    }

    private void StartTaps()
    {
        Console = ConsoleTap.Start(ConsoleSocketPath, Serial!);
        if (HeartbeatPort is not null)
            HeartbeatTap = ConsoleTap.Start(HeartbeatTapSocketPath, HeartbeatPort);
    }

    /// <summary>
    /// Re-adopts a QEMU a previous agent run started (the backend checked pid and command line):
    /// connects QMP (capabilities) and the serial console, starts the console tap, learns the run
    /// state with query-status (a QEMU still in prelaunch, the old agent having died before `cont`,
    /// is continued) and watches the process. Throws when QEMU does not answer or is in a state other
    /// than running/paused/prelaunch; the backend then kills it.
    /// </summary>
    internal async Task AdoptAsync(int pid, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        Pid = pid;
        Arguments = arguments;
        _adopted = true;
        var options = _backend.Options;
        ObservedVmState state;
        string status;
        try
        {
            var readyBy = Stopwatch.StartNew();
            Qmp = await QmpClient.ConnectAsync(QmpSocketPath, options.QmpReadyTimeout, cancellationToken).ConfigureAwait(false);
            Qmp.EventReceived += OnQmpEvent;
            _exited = WatchAdoptedExitAsync(Qmp);
            TimeSpan left = options.QmpReadyTimeout - readyBy.Elapsed;
            Serial = await GuestSerialReader.ConnectAsync(SerialSocketPath, left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1), cancellationToken).ConfigureAwait(false);
            if (Spec.HeartbeatPort)
            {
                left = options.QmpReadyTimeout - readyBy.Elapsed;
                HeartbeatPort = await GuestSerialReader.ConnectAsync(HeartbeatSocketPath, left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1), cancellationToken).ConfigureAwait(false);
            }
            WatchGuestLines();
            StartTaps();
            (state, status) = await QueryStatusAsync(cancellationToken).ConfigureAwait(false);
            if (status == "prelaunch")
            {
                await Qmp.ExecuteAsync("cont", null, options.CommandTimeout, cancellationToken).ConfigureAwait(false);
                state = ObservedVmState.Running;
            }
            else if (state is not (ObservedVmState.Running or ObservedVmState.Paused))
            {
                throw new VmmException(VmmErrorKind.InvalidState, $"VM '{Name}': QEMU pid {pid} from a previous agent run is in state '{status}'");
            }
        }
        catch
        {
            await ReleaseAsync().ConfigureAwait(false);
            _backend.Forget(this);
            _ended.TrySetResult(new VmObservation(Name, ObservedVmState.NotRunning, "not adopted", null, DateTimeOffset.UtcNow));
            throw;
        }
        _launched = true;
        SetState(state, $"QEMU pid {Pid} adopted from a previous agent run ({status}, {(_useKvm ? "KVM" : "TCG")})", null);
        _monitor = MonitorExitAsync(_exited);
    }

    /// <summary>
    /// An adopted QEMU is not our child: no exit notification and no exit status. QEMU's end closes
    /// the QMP socket; then /proc tells when the process is really gone (init reaps it).
    /// </summary>
    private async Task WatchAdoptedExitAsync(QmpClient qmp)
    {
        await qmp.Closed.ConfigureAwait(false);
        while (!_detached && QemuBackend.IsAlive(Pid))
            await Task.Delay(AdoptedExitPollMs).ConfigureAwait(false);
    }

    private string Tail()
    {
        string tail = OutputTail;
        return tail.Length == 0 ? "(none)" : tail;
    }

    private async Task AbortLaunchAsync()
    {
        if (_process is not null || _adopted)
        {
            KillProcess();
            await WaitForExitAsync(_backend.Options.KillTimeout).ConfigureAwait(false);
        }
        await ReleaseAsync().ConfigureAwait(false);
    }

    private void Fail(string message)
    {
        SetState(ObservedVmState.StartFailed, message, _process is { HasExited: true } p ? p.ExitCode : null);
        if (_process is null)
            QemuBackend.TryDeleteDirectory(RuntimeDirectory); // exec failed: nothing but the empty folder we made
        else
            DeleteRuntimeDirectoryIfOurs();
        _backend.Forget(this);
        _ended.TrySetResult(new VmObservation(Name, ObservedVmState.StartFailed, message, null, DateTimeOffset.UtcNow));
    }

    /// <summary>Watches the process: classifies its exit, releases the sockets, removes the runtime directory.</summary>
    private async Task MonitorExitAsync(Task processExit)
    {
        await processExit.ConfigureAwait(false);
        if (_detached)
            return; // a successor owns this QEMU and its folder now
        if (Qmp is not null)
            await Task.WhenAny(Qmp.Closed, Task.Delay(FinalEventsGraceMs)).ConfigureAwait(false);
        int? code = _process?.ExitCode;
        (ObservedVmState state, string detail, int? status) = ClassifyExit(code);
        await ReleaseAsync().ConfigureAwait(false);
        DeleteRuntimeDirectoryIfOurs();
        _backend.Forget(this);
        SetState(state, detail, status);
        _ended.TrySetResult(new VmObservation(Name, state, detail, status, DateTimeOffset.UtcNow));
    }

    /// <summary>
    /// Removes the runtime directory unless it already belongs to another QEMU: a successor's stale
    /// cleanup may have removed it and a new VM of the same name recreated it meanwhile.
    /// </summary>
    private void DeleteRuntimeDirectoryIfOurs()
    {
        if (QemuBackend.ReadPidFile(RuntimeDirectory) == Pid)
            QemuBackend.TryDeleteDirectory(RuntimeDirectory);
    }

    /// <summary>
    /// Classifies QEMU's end. code is null for an adopted QEMU (not our child: its exit status is
    /// reaped by init, not by us), so only the QMP events tell what happened.
    /// </summary>
    private (ObservedVmState, string, int?) ClassifyExit(int? code)
    {
        string status = code is null ? "unknown (adopted QEMU)" : code.Value.ToString(CultureInfo.InvariantCulture);
        if (_agentEnding is { } ending)
            return (ObservedVmState.NotRunning, $"{ending}; QEMU exit status {status}", code);
        switch (_shutdownReason)
        {
            case "guest-reset" when _announcedShutdown == "reboot":
                return (ObservedVmState.Exited, $"guest rebooted (announced SHUTDOWN reboot) under -no-reboot; QEMU exit status {status}", code);
            case "guest-shutdown" when _announcedShutdown == "poweroff":
                return (ObservedVmState.Exited, $"guest powered off (announced SHUTDOWN poweroff); QEMU exit status {status}", code);
            case "guest-reset":
                return (ObservedVmState.Crashed, $"guest reset itself (triple fault) under -no-reboot{PanicSuffix()}; QEMU exit status {status}", code);
            case "guest-panic":
                return (ObservedVmState.Crashed, $"{_panicEvent ?? "guest panicked"}{PanicSuffix()}; QEMU exit status {status}", code);
            case { } reason:
                return (ObservedVmState.Exited, $"QEMU shut down ({reason}); exit status {status}", code);
        }
        if (code is null)
            return (ObservedVmState.Crashed, $"adopted QEMU ended without a SHUTDOWN event{PanicSuffix()}; exit status unknown", null);
        if (code > SignalExitBase && code <= SignalExitBase + MaxSignal)
            return (ObservedVmState.Crashed, $"QEMU died from signal {code - SignalExitBase}{PanicSuffix()}", -(code - SignalExitBase));
        if (_panicLine is not null || _panicEvent is not null)
            return (ObservedVmState.Crashed, $"{_panicEvent ?? "guest printed " + _panicLine}; QEMU exit status {status}", code);
        return (ObservedVmState.Exited, $"QEMU exited with status {code}", code);
    }

    private string PanicSuffix() => _panicLine is { } line ? $" after the guest printed {line}" : "";

    private void OnQmpEvent(QmpEvent e)
    {
        switch (e.Name)
        {
            case "SHUTDOWN":
                _shutdownReason = e.DataString("reason") ?? "unknown";
                break;
            case "GUEST_PANICKED":
                string action = e.DataString("action") ?? "unknown";
                _panicEvent = $"guest panicked via pvpanic (QEMU action {action})";
                // With action pause QEMU stays up with the vCPUs frozen: report it now. Otherwise
                // (poweroff, reset) the SHUTDOWN/exit or RESET that follows reports it.
                if (action == "pause" && _agentEnding is null)
                    SetState(ObservedVmState.Crashed, $"{_panicEvent}{PanicSuffix()}", null);
                break;
            case "WATCHDOG":
                // i6300esb expired. With action none QEMU carries on; the island decides (docs/guests.md).
                if (_launched && _agentEnding is null)
                    Observe(ObservedVmState.Hung, $"guest watchdog expired (QEMU action {e.DataString("action") ?? "unknown"})");
                break;
            case "RESET":
                if (_launched && _agentEnding is null && e.DataBool("guest") == true && _announcedShutdown == "reboot")
                {
                    // A reboot the guest asked for, carried out by QEMU (no -no-reboot): not a crash.
                    _announcedShutdown = null;
                }
                else if (_launched && _agentEnding is null && e.DataBool("guest") == true)
                {
                    string reason = e.DataString("reason") ?? "unknown";
                    SetState(ObservedVmState.Crashed, $"guest reset ({reason}){PanicSuffix()}", null);
                    _panicLine = null;
                    _panicEvent = null;
                    SetState(ObservedVmState.Running, "QEMU rebooted the guest after its reset", null);
                }
                break;
            case "STOP":
                if (_launched && _agentEnding is null && _shutdownReason is null && State == ObservedVmState.Running)
                    SetState(ObservedVmState.Paused, "vCPUs stopped (STOP event)", null);
                break;
            case "RESUME":
                if (_launched && _agentEnding is null && State == ObservedVmState.Paused)
                    SetState(ObservedVmState.Running, "vCPUs resumed (RESUME event)", null);
                break;
        }
        QmpEventReceived?.Invoke(e);
    }

    /// <summary>An observation that leaves the state as it is (a watchdog expiry, a reboot QEMU carried out).</summary>
    private void Observe(ObservedVmState what, string detail)
    {
        if (_ended.Task.IsCompleted)
            return;
        StateChanged?.Invoke(new VmObservation(Name, what, detail, null, DateTimeOffset.UtcNow));
    }

    private void SetState(ObservedVmState state, string detail, int? exitStatus)
    {
        VmObservation observation;
        lock (_stateLock)
        {
            if (_state == state && state is ObservedVmState.Running or ObservedVmState.Paused)
                return;
            if (_ended.Task.IsCompleted)
                return;
            _state = state;
            observation = new VmObservation(Name, state, detail, exitStatus, DateTimeOffset.UtcNow);
        }
        StateChanged?.Invoke(observation);
    }

    private QmpClient RequireQmp(string operation)
    {
        var qmp = Qmp;
        if (qmp is null || _ended.Task.IsCompleted || qmp.IsClosed)
            throw new VmmException(VmmErrorKind.InvalidState, $"VM '{Name}': cannot {operation} while {State}");
        return qmp;
    }

    /// <summary>Pauses the vCPUs (QMP stop).</summary>
    public async Task PauseAsync(CancellationToken cancellationToken = default)
    {
        await RequireQmp("pause").ExecuteAsync("stop", null, _backend.Options.CommandTimeout, cancellationToken).ConfigureAwait(false);
        SetState(ObservedVmState.Paused, "paused by the agent", null);
    }

    /// <summary>Resumes the vCPUs (QMP cont).</summary>
    public async Task ResumeAsync(CancellationToken cancellationToken = default)
    {
        await RequireQmp("resume").ExecuteAsync("cont", null, _backend.Options.CommandTimeout, cancellationToken).ConfigureAwait(false);
        SetState(ObservedVmState.Running, "resumed by the agent", null);
    }

    /// <summary>Resets the machine (QMP system_reset); the guest boots again.</summary>
    public async Task ResetAsync(CancellationToken cancellationToken = default)
    {
        await RequireQmp("reset").ExecuteAsync("system_reset", null, _backend.Options.CommandTimeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Asks QEMU for its run state (QMP query-status) and maps it to an observed state.</summary>
    public async Task<(ObservedVmState State, string QemuStatus)> QueryStatusAsync(CancellationToken cancellationToken = default)
    {
        JsonElement reply = await RequireQmp("query status").ExecuteAsync("query-status", null, _backend.Options.CommandTimeout, cancellationToken).ConfigureAwait(false);
        string status = reply.TryGetProperty("status", out var s) ? s.GetString() ?? "" : "";
        ObservedVmState state = status switch
        {
            "running" => ObservedVmState.Running,
            "prelaunch" or "inmigrate" => ObservedVmState.Starting,
            "guest-panicked" or "internal-error" or "io-error" => ObservedVmState.Crashed,
            "shutdown" => ObservedVmState.Exited,
            _ => ObservedVmState.Paused, // paused, suspended, debug, watchdog, restore-vm, save-vm, ...
        };
        return (state, status);
    }

    /// <summary>
    /// Graceful stop: system_powerdown, then quit after the grace period, then SIGKILL after
    /// QuitTimeout. Returns the terminal observation (NotRunning); the runtime directory is gone.
    /// </summary>
    public async Task<VmObservation> StopAsync(TimeSpan? gracePeriod = null, CancellationToken cancellationToken = default)
    {
        if (_ended.Task.IsCompleted)
            return await _ended.Task.ConfigureAwait(false);
        var options = _backend.Options;
        _agentEnding ??= "stopped by the agent";
        var qmp = Qmp;
        if (qmp is not null && !qmp.IsClosed)
        {
            if (await TryCommandAsync(qmp, "system_powerdown", cancellationToken).ConfigureAwait(false)
                && await WaitForExitAsync(gracePeriod ?? options.StopGracePeriod).ConfigureAwait(false))
                return await _ended.Task.ConfigureAwait(false);
            _agentEnding = "stopped by the agent (guest ignored powerdown; quit)";
            if (await TryCommandAsync(qmp, "quit", cancellationToken).ConfigureAwait(false)
                && await WaitForExitAsync(options.QuitTimeout).ConfigureAwait(false))
                return await _ended.Task.ConfigureAwait(false);
        }
        _agentEnding = "stopped by the agent (QEMU ignored quit; SIGKILL)";
        return await KillCoreAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>SIGKILL now. Returns the terminal observation (NotRunning).</summary>
    public Task<VmObservation> KillAsync(CancellationToken cancellationToken = default)
    {
        if (_ended.Task.IsCompleted)
            return _ended.Task;
        _agentEnding ??= "killed by the agent (SIGKILL)";
        return KillCoreAsync(cancellationToken);
    }

    private async Task<VmObservation> KillCoreAsync(CancellationToken cancellationToken)
    {
        KillProcess();
        if (!await WaitForExitAsync(_backend.Options.KillTimeout).ConfigureAwait(false))
            throw new VmmException(VmmErrorKind.Timeout, $"VM '{Name}': QEMU pid {Pid} still alive {_backend.Options.KillTimeout.TotalMilliseconds:0} ms after SIGKILL");
        return await _ended.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<bool> TryCommandAsync(QmpClient qmp, string command, CancellationToken cancellationToken)
    {
        try
        {
            await qmp.ExecuteAsync(command, null, _backend.Options.CommandTimeout, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (VmmException e) when (e.Kind == VmmErrorKind.ConnectionClosed)
        {
            return true; // QEMU is exiting: the connection closed before the reply
        }
        catch (Exception e) when (e is VmmException or QmpCommandException)
        {
            return false;
        }
    }

    /// <summary>SIGKILL to QEMU: through the Process object for our child, by pid for an adopted one.</summary>
    private void KillProcess()
    {
        try
        {
            if (_process is not null)
            {
                _process.Kill();
            }
            else if (_adopted && !_exited!.IsCompleted && QemuBackend.IsAlive(Pid))
            {
                using var adopted = Process.GetProcessById(Pid);
                adopted.Kill();
            }
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or Win32Exception)
        {
            // Already exited.
        }
    }

    private async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        if (_exited is null)
            return true;
        try
        {
            await _exited.WaitAsync(timeout).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private async Task ReleaseAsync()
    {
        if (Console is not null)
            await Console.DisposeAsync().ConfigureAwait(false);
        if (HeartbeatTap is not null)
            await HeartbeatTap.DisposeAsync().ConfigureAwait(false);
        if (Serial is not null)
            await Serial.DisposeAsync().ConfigureAwait(false);
        if (HeartbeatPort is not null)
            await HeartbeatPort.DisposeAsync().ConfigureAwait(false);
        if (Qmp is not null)
            await Qmp.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Lets go of a running VM without stopping it, as a dying agent does: closes the console tap,
    /// the serial console and QMP, and forgets the VM. QEMU keeps running with its runtime folder,
    /// ready to be re-adopted (QemuBackend.AdoptAsync). Ended completes with NotRunning "detached".
    /// </summary>
    public async Task DetachAsync()
    {
        if (_ended.Task.IsCompleted)
            return;
        _detached = true;
        await ReleaseAsync().ConfigureAwait(false);
        _backend.Forget(this);
        _ended.TrySetResult(new VmObservation(Name, ObservedVmState.NotRunning, $"detached; QEMU pid {Pid} left running", null, DateTimeOffset.UtcNow));
    }

    /// <summary>Kills QEMU if it still runs and releases everything.</summary>
    public async ValueTask DisposeAsync()
    {
        if ((_process is not null || _adopted) && !_ended.Task.IsCompleted)
        {
            try
            {
                await KillAsync().ConfigureAwait(false);
            }
            catch (VmmException)
            {
                // Reported by KillAsync's message to callers who wait; dispose must not throw.
            }
        }
        if (_monitor is not null && !_detached)
            await _monitor.ConfigureAwait(false);
        _process?.Dispose();
    }
}
