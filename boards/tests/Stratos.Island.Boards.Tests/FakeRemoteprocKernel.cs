using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;

namespace Stratos.Island.Boards.Tests;

/// <summary>
/// A directory laid out like /sys/class/remoteproc (remoteprocN/{name,state,firmware}) and a thread
/// that reacts to writes the way drivers/remoteproc/remoteproc_sysfs.c does: `stop` -> offline,
/// `start` -> loads the file named by `firmware` from the firmware directory -> running. The image's
/// first bytes choose how it behaves: "crash" -> crashed, "hang" -> stays offline (never running).
/// Busy mode refuses `stop` (the state stays running), as an instance held by users would.
/// </summary>
internal sealed class FakeRemoteprocKernel : IDisposable
{
    private readonly Thread _thread;
    private volatile bool _stop;
    private string _lastFirmware;
    private string _lastState;

    public FakeRemoteprocKernel(string name, string initialState, string initialFirmware)
    {
        Root = Path.Combine(Path.GetTempPath(), "stratos-rproc-" + Guid.NewGuid().ToString("N"));
        SysfsRoot = Path.Combine(Root, "sys", "class", "remoteproc");
        FirmwareDir = Path.Combine(Root, "lib", "firmware");
        Directory.CreateDirectory(FirmwareDir);
        string other = Path.Combine(SysfsRoot, "remoteproc0");
        Directory.CreateDirectory(other);
        File.WriteAllText(Path.Combine(other, "name"), "cm33\n");
        File.WriteAllText(Path.Combine(other, "state"), "offline\n");
        File.WriteAllText(Path.Combine(other, "firmware"), "other.elf\n");
        Instance = Path.Combine(SysfsRoot, "remoteproc1");
        Directory.CreateDirectory(Instance);
        File.WriteAllText(Path.Combine(Instance, "name"), name + "\n");
        File.WriteAllText(StateFile, initialState + "\n");
        File.WriteAllText(FirmwareFile, initialFirmware + "\n");
        _lastFirmware = initialFirmware;
        _lastState = initialState;
        _thread = new Thread(Run) { IsBackground = true, Name = "fake-remoteproc-kernel" };
        _thread.Start();
    }

    public string Root { get; }

    public string SysfsRoot { get; }

    public string FirmwareDir { get; }

    public string Instance { get; }

    public string StateFile => Path.Combine(Instance, "state");

    public string FirmwareFile => Path.Combine(Instance, "firmware");

    /// <summary>When set, `stop` is refused (EBUSY-like: the instance stays running).</summary>
    public volatile bool Busy;

    /// <summary>Firmware names the kernel booted, in order.</summary>
    public List<string> Booted { get; } = [];

    /// <summary>Writes to `firmware` seen while the state was not offline (the real kernel refuses them).</summary>
    public int FirmwareChangedWhileNotOffline { get; private set; }

    public string State => Read(StateFile);

    public string Firmware => Read(FirmwareFile);

    private static string Read(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (IOException)
        {
            return "";
        }
    }

    private void Run()
    {
        while (!_stop)
        {
            string firmware = Read(FirmwareFile);
            if (firmware.Length > 0 && firmware != _lastFirmware)
            {
                if (_lastState != "offline")
                {
                    FirmwareChangedWhileNotOffline++;
                }
                _lastFirmware = firmware;
            }
            string state = Read(StateFile);
            switch (state)
            {
                case "stop":
                    Publish(Busy ? _lastState : "offline");
                    break;
                case "start":
                    string image = Path.Combine(FirmwareDir, _lastFirmware);
                    string head = File.Exists(image) ? File.ReadAllText(image) : "";
                    lock (Booted)
                    {
                        Booted.Add(_lastFirmware);
                    }
                    Publish(!File.Exists(image) || head.StartsWith("hang", StringComparison.Ordinal) ? "offline" : head.StartsWith("crash", StringComparison.Ordinal) ? "crashed" : "running");
                    break;
                default:
                    if (state.Length > 0)
                    {
                        _lastState = state;
                    }
                    break;
            }
            Thread.Sleep(2);
        }
    }

    private void Publish(string state)
    {
        Thread.Sleep(5);
        File.WriteAllText(StateFile, state + "\n");
        _lastState = state;
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
        Directory.Delete(Root, recursive: true);
    }
}
