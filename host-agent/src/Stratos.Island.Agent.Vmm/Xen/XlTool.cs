// Runs Xen's toolstack commands in dom0 for the Xen backend (docs/vmm.md "Xen"): xl for the
// domain lifecycle, xenstore-read for what xl does not print (a domain's console pty, the reason
// it was asked to shut down). Every failure is one VmmException(XenToolFailed) naming the command,
// its exit status and the tail of what it wrote to stderr; a command that outlives its time-out is
// killed, never left behind. The commands run at guest priority, not at the agent's raised one
// (GuestScheduling): an `xl create` at nice -10 loading a kernel and initramfs starved the agent's
// link thread in a TCG dom0 for over a second, and the island's session timed out (NoSessionAtPeer
// once per domain build, docs/hil.md "The Xen bench").
using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Diagnostics;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace Stratos.Island.Agent.Vmm.Xen;

/// <summary>The toolstack commands the Xen backend runs.</summary>
public sealed class XlTool
{
    private const int StderrTailChars = 400;

    /// <summary>Uses the given programs (default: xl and xenstore-read from PATH).</summary>
    public XlTool(string xl = "xl", string xenstoreRead = "xenstore-read", TimeSpan? timeout = null)
    {
        Xl = xl;
        XenstoreRead = xenstoreRead;
        Timeout = timeout ?? TimeSpan.FromSeconds(30);
    }

    public string Xl { get; }

    public string XenstoreRead { get; }

    public TimeSpan Timeout { get; }

    /// <summary>`xl create -f CONFIG`: builds the domain and starts it.</summary>
    public Task CreateAsync(string configPath, CancellationToken cancellationToken = default) =>
        RunAsync(Xl, ["create", "-f", configPath], cancellationToken);

    /// <summary>`xl create -p -f CONFIG`: builds the domain and leaves its vCPUs paused (the backend
    /// connects the console first, then unpauses: no guest output is missed).</summary>
    public Task CreatePausedAsync(string configPath, CancellationToken cancellationToken = default) =>
        RunAsync(Xl, ["create", "-p", "-f", configPath], cancellationToken);

    /// <summary>`xl domid NAME`: the domain's id; XenToolFailed when no such domain exists.</summary>
    public async Task<int> DomainIdAsync(string name, CancellationToken cancellationToken = default)
    {
        string output = (await RunAsync(Xl, ["domid", name], cancellationToken).ConfigureAwait(false)).Trim();
        if (!int.TryParse(output, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int id))
            throw new VmmException(VmmErrorKind.XenToolFailed, $"'{Xl} domid {name}' printed '{output}', not a domain id");
        return id;
    }

    public Task PauseAsync(string name, CancellationToken cancellationToken = default) => RunAsync(Xl, ["pause", name], cancellationToken);

    public Task UnpauseAsync(string name, CancellationToken cancellationToken = default) => RunAsync(Xl, ["unpause", name], cancellationToken);

    /// <summary>`xl shutdown NAME`: asks the guest (PV control/shutdown = poweroff); returns at once.</summary>
    public Task ShutdownAsync(string name, CancellationToken cancellationToken = default) => RunAsync(Xl, ["shutdown", name], cancellationToken);

    /// <summary>`xl destroy NAME`: the domain ends now, whatever it runs.</summary>
    public Task DestroyAsync(string name, CancellationToken cancellationToken = default) => RunAsync(Xl, ["destroy", name], cancellationToken);

    /// <summary>`xl list`: every domain, dom0 included.</summary>
    public async Task<IReadOnlyList<XenDomainRow>> ListAsync(CancellationToken cancellationToken = default)
    {
        string output = await RunAsync(Xl, ["list"], cancellationToken).ConfigureAwait(false);
        try
        {
            return XlList.Parse(output);
        }
        catch (FormatException e)
        {
            throw new VmmException(VmmErrorKind.XenToolFailed, $"'{Xl} list' printed something that is not a domain list: {e.Message}", e);
        }
    }

    /// <summary>A xenstore value, e.g. /local/domain/ID/console/tty (the domain console's pty).</summary>
    public async Task<string> ReadAsync(string path, CancellationToken cancellationToken = default) =>
        (await RunAsync(XenstoreRead, [path], cancellationToken).ConfigureAwait(false)).TrimEnd('\n');

    /// <summary>Runs one command; its stdout, or VmmException(XenToolFailed) naming what failed.</summary>
    public async Task<string> RunAsync(string program, IReadOnlyList<string> arguments, CancellationToken cancellationToken = default)
    {
        string commandLine = program + " " + string.Join(' ', arguments);
        // Back to nice 0 when the agent runs raised: nice(1) execs the command in place.
        int niceIncrement = GuestScheduling.ChildNiceIncrement();
        var info = new ProcessStartInfo(niceIncrement != 0 ? "nice" : program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (niceIncrement != 0)
        {
            info.ArgumentList.Add("-n");
            info.ArgumentList.Add(niceIncrement.ToString(System.Globalization.CultureInfo.InvariantCulture));
            info.ArgumentList.Add(program);
        }

        foreach (string argument in arguments)
            info.ArgumentList.Add(argument);
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new VmmException(VmmErrorKind.XenToolFailed, $"'{commandLine}' did not start");
        }
        catch (Win32Exception e)
        {
            throw new VmmException(VmmErrorKind.XenToolFailed, $"'{program}' cannot be run ({e.Message}): is this dom0 with Xen's tools installed?", e);
        }

        using (process)
        {
            process.StandardInput.Close();
            Task<string> stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
            Task<string> stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(Timeout);
            try
            {
                await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                throw new VmmException(VmmErrorKind.XenToolFailed, $"'{commandLine}' did not finish within {Timeout.TotalSeconds:0.#} s and was killed");
            }

            string output = await stdout.ConfigureAwait(false);
            string errors = (await stderr.ConfigureAwait(false)).Trim();
            // nice(1) could not exec the command (126: not executable, 127: not found).
            if (niceIncrement != 0 && process.ExitCode is 126 or 127 && errors.StartsWith("nice:", StringComparison.Ordinal))
                throw new VmmException(VmmErrorKind.XenToolFailed, $"'{program}' cannot be run ({errors}): is this dom0 with Xen's tools installed?");
            if (process.ExitCode != 0)
            {
                if (errors.Length > StderrTailChars)
                    errors = "..." + errors[^StderrTailChars..];
                throw new VmmException(VmmErrorKind.XenToolFailed,
                    $"'{commandLine}' failed with exit status {process.ExitCode}" + (errors.Length > 0 ? ": " + errors : " and wrote nothing to stderr"));
            }

            return output;
        }
    }
}
