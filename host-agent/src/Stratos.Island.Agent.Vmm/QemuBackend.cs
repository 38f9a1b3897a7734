using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace Stratos.Island.Agent.Vmm;

/// <summary>
/// Starts QEMU VMs and keeps track of them; owns the runtime directory root.
/// <para>
/// Runtime directory layout, one folder per VM: {root}/{name}/qmp.sock (QMP), serial.sock (guest
/// COM1), console.sock (the console tap), qemu.log (QEMU's stdout/stderr), qemu.pid (the pid,
/// written right after exec). Everything is removed when the VM ends. QEMU outlives the agent (own
/// session, no pipes to the agent); the next agent calls <see cref="AdoptAsync"/>, which re-adopts
/// each QEMU whose pid is alive and still is the QEMU started for that folder (its command line names
/// the folder's QMP socket), and removes what is left of the others. <see cref="CleanupStaleAsync"/>
/// kills instead of adopting.
/// </para>
/// </summary>
public sealed class QemuBackend : IVmmBackend
{
    internal const string QmpSocketName = "qmp.sock";
    internal const string SerialSocketName = "serial.sock";
    internal const string PidFileName = "qemu.pid";
    internal const string ConsoleSocketName = "console.sock";
    /// <summary>QEMU's end of the virtio-serial heartbeat port (VMs with VmSpec.HeartbeatPort).</summary>
    internal const string HeartbeatSocketName = "hb.sock";
    /// <summary>The heartbeat port's tap (like console.sock, for that port).</summary>
    internal const string HeartbeatTapSocketName = "hb-tap.sock";
    internal const string LogFileName = "qemu.log";
    /// <summary>sockaddr_un.sun_path is 108 bytes including the terminating NUL.</summary>
    internal const int MaxUnixSocketPathBytes = 107;

    private readonly Dictionary<string, QemuVm> _vms = new(StringComparer.Ordinal);
    private readonly object _lock = new();
    private bool? _kvmUsable;

    public QemuBackend(QemuBackendOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrEmpty(options.RuntimeDirectory))
            throw new ArgumentException("QemuBackendOptions.RuntimeDirectory is required", nameof(options));
        Options = options;
        RuntimeDirectory = Path.GetFullPath(options.RuntimeDirectory);
        Directory.CreateDirectory(RuntimeDirectory);
    }

    public QemuBackendOptions Options { get; }

    /// <summary>Absolute runtime directory root.</summary>
    public string RuntimeDirectory { get; }

    /// <summary>True when /dev/kvm opens read-write (cached after the first call).</summary>
    public bool IsKvmUsable
    {
        get
        {
            _kvmUsable ??= ProbeKvm();
            return _kvmUsable.Value;
        }
    }

    /// <summary>VMs this backend started that are still tracked (not yet ended).</summary>
    public IReadOnlyList<QemuVm> Vms
    {
        get
        {
            lock (_lock)
                return _vms.Values.ToList();
        }
    }

    /// <summary>
    /// Starts a VM and returns once the serial console is connected, QMP negotiated and the guest
    /// runs. Throws VmmException naming the problem (spec, missing binary or file, QEMU failing to
    /// come up with its stderr tail, timeouts).
    /// </summary>
    public Task<QemuVm> StartAsync(VmSpec spec, CancellationToken cancellationToken = default) => StartAsync(spec, null, cancellationToken);

    /// <summary>
    /// As <see cref="StartAsync(VmSpec, CancellationToken)"/>; whenRunning runs once the VM is Running
    /// and before the first line of its console is read: the agent attaches its heartbeat relay and
    /// reports the VM running there, so no early heartbeat is missed and none reaches the island
    /// before that report. The console is read after it returns (or throws).
    /// </summary>
    public async Task<QemuVm> StartAsync(VmSpec spec, Action<QemuVm>? whenRunning, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        string binary = ResolveQemuBinary();
        Accelerator wanted = spec.Accelerator == Accelerator.Auto ? Options.Accelerator : spec.Accelerator;
        if (wanted == Accelerator.Kvm && Options.Accelerator == Accelerator.Tcg)
            throw new VmmException(VmmErrorKind.InvalidSpec, $"VM '{spec.Name}': accelerator KVM requested but this agent runs TCG only (--accel tcg)");
        bool useKvm = wanted switch
        {
            Accelerator.Kvm => IsKvmUsable ? true : throw new VmmException(VmmErrorKind.InvalidSpec, $"VM '{spec.Name}': accelerator KVM requested but /dev/kvm is not usable"),
            Accelerator.Tcg => false,
            _ => IsKvmUsable,
        };
        string vmDirectory = Path.Combine(RuntimeDirectory, spec.Name);
        string qmpPath = Path.Combine(vmDirectory, QmpSocketName);
        if (System.Text.Encoding.UTF8.GetByteCount(qmpPath) > MaxUnixSocketPathBytes || System.Text.Encoding.UTF8.GetByteCount(Path.Combine(vmDirectory, ConsoleSocketName)) > MaxUnixSocketPathBytes)
            throw new VmmException(VmmErrorKind.InvalidSpec, $"VM '{spec.Name}': socket path '{qmpPath}' exceeds the {MaxUnixSocketPathBytes}-byte UNIX socket limit; use a shorter runtime directory");

        QemuVm vm;
        lock (_lock)
        {
            if (_vms.ContainsKey(spec.Name))
                throw new VmmException(VmmErrorKind.InvalidState, $"VM '{spec.Name}': already running in this backend");
            if (Directory.Exists(vmDirectory))
            {
                int? livePid = FindLiveQemu(vmDirectory);
                if (livePid is not null)
                    throw new VmmException(VmmErrorKind.InvalidState, $"VM '{spec.Name}': a QEMU from a previous run (pid {livePid}) still uses '{vmDirectory}'; run stale cleanup first");
                Directory.Delete(vmDirectory, recursive: true);
            }
            Directory.CreateDirectory(vmDirectory);
            vm = new QemuVm(this, spec, binary, useKvm, vmDirectory);
            _vms[spec.Name] = vm;
        }
        try
        {
            await vm.LaunchAsync(whenRunning, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Forget(vm);
            throw;
        }
        return vm;
    }

    /// <summary>
    /// Finds QEMU processes left by a previous backend (agent) run through the pid files under the
    /// runtime directory, kills each one that still is that QEMU, removes the folders and reports
    /// what it found. VMs this instance started are left alone.
    /// </summary>
    public async Task<IReadOnlyList<StaleVm>> CleanupStaleAsync(CancellationToken cancellationToken = default) =>
        (await AdoptAsync(_ => null, cancellationToken).ConfigureAwait(false)).Stale;

    /// <summary>
    /// Re-adoption after an agent restart: for every folder under the runtime root that this backend
    /// does not own, a QEMU that is alive and really is that folder's QEMU (its /proc/PID/cmdline
    /// names the folder's QMP socket) is re-adopted when <paramref name="specFor"/> knows the VM
    /// (QMP and serial reconnected, run state from query-status; see QemuVm.AdoptAsync), and killed
    /// otherwise. A folder whose QEMU is gone, or whose pid now belongs to another process (never
    /// touched), is removed. A QEMU that cannot be adopted (QMP silent, unexpected state) is killed.
    /// </summary>
    public async Task<VmAdoption> AdoptAsync(Func<string, VmSpec?> specFor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(specFor);
        var adopted = new List<QemuVm>();
        var stale = new List<StaleVm>();
        HashSet<string> mine;
        lock (_lock)
            mine = new HashSet<string>(_vms.Keys, StringComparer.Ordinal);
        foreach (string vmDirectory in Directory.GetDirectories(RuntimeDirectory))
        {
            string name = Path.GetFileName(vmDirectory);
            if (mine.Contains(name))
                continue;
            int? pid = FindLiveQemu(vmDirectory);
            if (pid is null)
            {
                int? recorded = ReadPidFile(vmDirectory);
                stale.Add(new StaleVm(name, recorded ?? 0, vmDirectory, false,
                    recorded is null ? "runtime directory without a pid file; removed" : $"pid {recorded} is no longer this VM's QEMU; directory removed"));
                TryDeleteDirectory(vmDirectory);
                continue;
            }

            string? refusal = null;
            VmSpec? spec = specFor(name);
            if (spec is null)
            {
                refusal = $"stale QEMU pid {pid} of unknown VM '{name}' killed";
            }
            else
            {
                string[] argv = ReadCommandLine(pid.Value);
                int machine = Array.IndexOf(argv, "-machine");
                bool kvm = machine >= 0 && machine + 1 < argv.Length && argv[machine + 1].Contains("accel=kvm", StringComparison.Ordinal);
                var vm = new QemuVm(this, spec, argv.Length > 0 ? argv[0] : Options.QemuBinary, kvm, vmDirectory);
                lock (_lock)
                    _vms[name] = vm;
                try
                {
                    await vm.AdoptAsync(pid.Value, argv.Skip(1).ToArray(), cancellationToken).ConfigureAwait(false);
                    adopted.Add(vm);
                    continue;
                }
                catch (Exception e) when (e is VmmException or QmpCommandException or IOException or System.Net.Sockets.SocketException)
                {
                    refusal = $"QEMU pid {pid} from a previous agent run could not be adopted ({e.Message}); killed";
                }
            }

            bool gone = await KillAndWaitAsync(pid.Value, Options.KillTimeout, cancellationToken).ConfigureAwait(false);
            stale.Add(new StaleVm(name, pid.Value, vmDirectory, gone,
                gone ? refusal : $"stale QEMU pid {pid} did not exit within {Options.KillTimeout.TotalMilliseconds:0} ms of SIGKILL"));
            if (gone)
                TryDeleteDirectory(vmDirectory);
        }
        return new VmAdoption(adopted, stale);
    }

    private static string[] ReadCommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").TrimEnd('\0').Split('\0');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Array.Empty<string>();
        }
    }

    internal void Forget(QemuVm vm)
    {
        lock (_lock)
        {
            if (_vms.TryGetValue(vm.Name, out var current) && ReferenceEquals(current, vm))
                _vms.Remove(vm.Name);
        }
    }

    internal string ResolveQemuBinary()
    {
        string binary = Options.QemuBinary;
        string missing = $"QEMU binary '{binary}' not found{(binary.Contains('/', StringComparison.Ordinal) ? "" : " on PATH")}; install the Debian package {Options.QemuPackage}";
        if (binary.Contains('/', StringComparison.Ordinal))
            return File.Exists(binary) ? binary : throw new VmmException(VmmErrorKind.QemuMissing, missing);
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, binary);
            if (File.Exists(candidate))
                return candidate;
        }
        throw new VmmException(VmmErrorKind.QemuMissing, missing);
    }

    private static bool ProbeKvm()
    {
        try
        {
            using var kvm = new FileStream("/dev/kvm", FileMode.Open, FileAccess.ReadWrite);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    internal static int? ReadPidFile(string vmDirectory)
    {
        try
        {
            string text = File.ReadAllText(Path.Combine(vmDirectory, PidFileName)).Trim();
            return int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int pid) && pid > 0 ? pid : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The pid recorded in the folder if that process is alive and is the QEMU started for it.</summary>
    internal static int? FindLiveQemu(string vmDirectory)
    {
        int? pid = ReadPidFile(vmDirectory);
        if (pid is null || !IsAlive(pid.Value))
            return null;
        try
        {
            // /proc/<pid>/cmdline: NUL-separated argv. Our QEMU names this folder's QMP socket.
            string[] argv = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0');
            string qmpArgument = QemuVm.QmpArgument(Path.Combine(vmDirectory, QmpSocketName));
            return argv.Contains(qmpArgument, StringComparer.Ordinal) ? pid : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>True while /proc/pid exists and is not a zombie.</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            int close = stat.LastIndexOf(')');
            return close > 0 && close + 2 < stat.Length && stat[close + 2] != 'Z' && stat[close + 2] != 'X';
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    internal static async Task<bool> KillAndWaitAsync(int pid, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            process.Kill();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Already gone.
        }
        var deadline = DateTime.UtcNow + timeout;
        while (IsAlive(pid))
        {
            if (DateTime.UtcNow > deadline)
                return false;
            await Task.Delay(5, cancellationToken).ConfigureAwait(false);
        }
        return true;
    }

    internal static void TryDeleteDirectory(string path)
    {
        try
        {
            if (Directory.Exists(path))
                Directory.Delete(path, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left for the next stale cleanup, which removes it.
        }
    }

    public VmmKind Kind => VmmKind.Qemu;

    async Task<IVmmInstance> IVmmBackend.StartAsync(VmSpec spec, Action<IVmmInstance>? whenRunning, CancellationToken cancellationToken) =>
        await StartAsync(spec, whenRunning is null ? null : vm => whenRunning(vm), cancellationToken).ConfigureAwait(false);

    async Task<BackendAdoption> IVmmBackend.AdoptRunningAsync(Func<string, VmSpec?> specFor, CancellationToken cancellationToken)
    {
        VmAdoption adoption = await AdoptAsync(specFor, cancellationToken).ConfigureAwait(false);
        return new BackendAdoption(adoption.Adopted, adoption.Stale);
    }

    /// <summary>Kills every VM this backend still tracks.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var vm in Vms)
            await vm.DisposeAsync().ConfigureAwait(false);
    }
}
