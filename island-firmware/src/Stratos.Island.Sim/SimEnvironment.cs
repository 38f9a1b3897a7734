// Everything island-sim resolves before the island boots: board descriptor, island configuration
// (vms.yaml -> VmDefinition -> encoded bytes -> ConfigurationBuilder, the path the MCU takes with a
// configuration bundle), link layout and the paths it uses. Any problem is a
// SimConfigurationException naming the file, field or path (exit code 2).
using System;
using System.IO;
using System.Linq;
using Google.Protobuf;
using Stratos.Island.Boards;
using Stratos.Island.Codec;
using Stratos.Island.Firmware.Configuration;
using Stratos.Island.Link;
using FirmwareConfig = Stratos.Island.Firmware.Configuration.IslandConfig;

namespace Stratos.Island.Sim;

public sealed class SimEnvironment
{
    private SimEnvironment(BoardDescriptor board, Boards.IslandConfig vms, FirmwareConfig config, byte[][] definitions, LinkLayout? layout,
        string shmPath, string kickSocket, string stateDir, string controlSocket)
    {
        Board = board;
        Vms = vms;
        Config = config;
        Definitions = definitions;
        Layout = layout;
        ShmPath = shmPath;
        KickSocket = kickSocket;
        StateDir = stateDir;
        ControlSocket = controlSocket;
    }

    public BoardDescriptor Board { get; }

    public Boards.IslandConfig Vms { get; }

    public FirmwareConfig Config { get; }

    public byte[][] Definitions { get; }

    public LinkLayout? Layout { get; }

    /// <summary>Shared memory (the board's layout), a tty, or a UNIX socket carrying a serial line.</summary>
    public SimLinkKind LinkKind { get; private init; }

    /// <summary>Serial links: the tty or the socket path.</summary>
    public string SerialPath { get; private init; } = string.Empty;

    /// <summary>Serial link on a tty: the baud rate.</summary>
    public int SerialBaud { get; private init; }

    public string ShmPath { get; }

    public string KickSocket { get; }

    /// <summary>--link-group resolved: the group of the shared-memory file and kick socket (0660), or null (0600).</summary>
    public int? LinkGroupId { get; private init; }

    public string StateDir { get; }

    public string ControlSocket { get; }

    public string ChannelName => Board.Link.ChannelName;

    public int WatchdogTimeoutMs => (int)Board.Island.HardwareWatchdog.TimeoutMs;

    public int FlashPageBytes => (int)Board.Island.EventLog.PageBytes;

    public int FlashPages => (int)(Board.Island.EventLog.FlashBytes / Board.Island.EventLog.PageBytes);

    public string FlashPath => Path.Combine(StateDir, "flash.bin");

    public string SafeStatePath => Path.Combine(StateDir, "safe-state");

    public string ResetReasonPath => Path.Combine(StateDir, "reset-reason");

    /// <summary>Written by a power cut just before the island kills itself: the supervisor then
    /// ends (the board is off) instead of restarting the island as after a fault.</summary>
    public string PowerCutMarkerPath => Path.Combine(StateDir, "power-cut");

    public string LogPath => Path.Combine(StateDir, "island.log");

    public static SimEnvironment Resolve(SimOptions options)
    {
        BoardDescriptor board = LoadBoard(options);
        string configPath = options.ConfigPath ?? Path.Combine(Path.GetDirectoryName(board.SourcePath) ?? ".", IslandConfigLoader.ConfigFileName);
        Boards.IslandConfig vms;
        try
        {
            vms = IslandConfigLoader.Load(configPath, board);
        }
        catch (BoardDescriptorException e)
        {
            // The loader's errors name the file already ("PATH: vms[2].vmm.memory_mib: ...").
            throw new SimConfigurationException("configuration " + string.Join("; ", e.Errors.Select(error => error.StartsWith(configPath, StringComparison.Ordinal) ? error : configPath + ": " + error)));
        }

        SimLinkKind linkKind = options.Link ?? (board.Link.Transport == LinkTransport.Serial ? SimLinkKind.Serial : SimLinkKind.SharedMemory);
        LinkLayout? layout = null;
        string shmPath = string.Empty;
        string kickSocket = string.Empty;
        string serialPath = string.Empty;
        int serialBaud = options.LinkBaud;
        if (linkKind == SimLinkKind.SharedMemory)
        {
            if (board.Link.Transport != LinkTransport.SharedMemory || board.Link.SharedMemory == null)
            {
                throw new SimConfigurationException(board.SourcePath + ": link.transport: island-sim needs shared-memory or serial (or pass --link serial:DEVICE / serial-socket:PATH), the board uses " + board.Link.Transport);
            }

            layout = ToLayout(board.Link.SharedMemory);
            string? layoutError = layout.Validate();
            if (layoutError != null)
            {
                throw new SimConfigurationException(board.SourcePath + ": link.shared_memory: " + layoutError);
            }

            shmPath = Path.GetFullPath(options.ShmPath ?? board.Link.SharedMemory.Path);
            kickSocket = Path.GetFullPath(options.KickSocket ?? board.Link.KickSocket
                ?? throw new SimConfigurationException(board.SourcePath + ": link.kick_socket: missing (or pass --kick-socket)"));
            CheckWritableDirectory(shmPath, options.ShmPath != null ? "--shm-path" : board.SourcePath + ": link.shared_memory.path");
            CheckWritableDirectory(kickSocket, options.KickSocket != null ? "--kick-socket" : board.SourcePath + ": link.kick_socket");
        }
        else if (options.LinkPath != null)
        {
            serialPath = options.LinkPath;
        }
        else
        {
            SerialSpec spec = board.Link.Serial ?? throw new SimConfigurationException(board.SourcePath + ": link.serial: missing (or pass --link serial:DEVICE)");
            serialPath = spec.Device;
            serialBaud = (int)spec.Baud;
        }

        int? linkGroupId = null;
        if (options.LinkGroup != null)
        {
            if (linkKind != SimLinkKind.SharedMemory)
            {
                throw new SimConfigurationException("--link-group: only the shared-memory link creates files and sockets to share (this link is " + linkKind + ")");
            }

            try
            {
                linkGroupId = Stratos.Island.Link.Linux.PrivateEndpoints.GroupId(options.LinkGroup);
            }
            catch (ArgumentException e)
            {
                throw new SimConfigurationException("--link-group: " + e.Message);
            }
        }

        string stateDir = Path.GetFullPath(options.StateDir ?? SimOptions.DefaultStateDir(board.Id));
        try
        {
            Stratos.Island.Link.Linux.PrivateEndpoints.CreateDirectory(stateDir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SimConfigurationException("--state-dir '" + stateDir + "': cannot be created: " + e.Message);
        }

        string controlSocket = Path.GetFullPath(options.ControlSocket ?? Path.Combine(stateDir, "control.sock"));
        CheckWritableDirectory(controlSocket, "--control-socket");
        if (options.TraceHeartbeats != null)
        {
            CheckWritableDirectory(options.TraceHeartbeats, "--trace-heartbeats");
        }

        var limits = new IslandLimits
        {
            MaxVms = (int)board.Island.MaxVms,
            MaxCheckpointsPerVm = (int)board.Island.MaxCheckpointsPerVm,
            MaxPowerDomains = Math.Max(16, board.PowerDomains.Count),
            SupervisionCyclePeriodMs = (int)board.Island.SupervisionCycleMs,
            ExpiredSupervisionCycleTolerance = (int)board.Island.ExpiredSupervisionCycleTolerance,
        };
        var domains = new PowerDomainConfig[board.PowerDomains.Count];
        for (int i = 0; i < domains.Length; i++)
        {
            PowerDomainSpec d = board.PowerDomains[i];
            domains[i] = new PowerDomainConfig
            {
                Id = (int)d.Id,
                Name = d.Name,
                Criticality = ToCriticality(d.Criticality),
                InitialState = d.InitialOn ? PowerState.On : PowerState.Off,
                IsACluster = d.ACluster,
            };
        }

        // The agent's alive supervision: the firmware's default, with the board's tolerance.
        var agentSupervision = ConfigurationBuilder.DefaultAgentSupervision(limits.SupervisionCyclePeriodMs);
        agentSupervision.FailedRefCycleTolerance = (int)board.Island.AgentFailedRefCycleTolerance;
        var builder = new ConfigurationBuilder(limits, domains, agentSupervision);
        foreach (Protocol.Link.V1.VmDefinition vm in vms.Vms)
        {
            byte[] encoded = vm.ToByteArray();
            string? error = builder.AddEncoded(encoded, 0, encoded.Length);
            if (error != null)
            {
                throw new SimConfigurationException("configuration " + configPath + ": " + error);
            }
        }

        FirmwareConfig config = builder.Build(out string buildError)
            ?? throw new SimConfigurationException("configuration " + configPath + " on board " + board.SourcePath + ": " + buildError);
        var definitions = new byte[builder.Count][];
        for (int i = 0; i < definitions.Length; i++)
        {
            definitions[i] = builder.EncodedAt(i);
        }

        if (board.Island.EventLog.PageBytes == 0 || board.Island.EventLog.FlashBytes / board.Island.EventLog.PageBytes < 2)
        {
            throw new SimConfigurationException(board.SourcePath + ": island.event_log: needs at least 2 pages");
        }

        return new SimEnvironment(board, vms, config, definitions, layout, shmPath, kickSocket, stateDir, controlSocket)
        {
            LinkKind = linkKind,
            LinkGroupId = linkGroupId,
            SerialPath = serialPath,
            SerialBaud = serialBaud,
        };
    }

    private static BoardDescriptor LoadBoard(SimOptions options)
    {
        try
        {
            string board = options.Board;
            bool isPath = board.Contains('/') || board.EndsWith(".yaml", StringComparison.Ordinal) || File.Exists(board) || Directory.Exists(board);
            if (isPath)
            {
                string path = Directory.Exists(board) ? Path.Combine(board, BoardLoader.DescriptorFileName) : board;
                return BoardLoader.Load(Path.GetFullPath(path));
            }

            string boardsDir = BoardsFolder.Find(options.BoardsDir, Environment.GetEnvironmentVariables(), Environment.CurrentDirectory, AppContext.BaseDirectory)
                ?? throw new SimConfigurationException(BoardsFolder.NotFound(Environment.CurrentDirectory, AppContext.BaseDirectory));
            return BoardLoader.LoadById(boardsDir, board);
        }
        catch (BoardDescriptorException e)
        {
            throw new SimConfigurationException("board: " + string.Join("; ", e.Errors));
        }
    }

    private static void CheckWritableDirectory(string path, string what)
    {
        string? dir = Path.GetDirectoryName(path);
        if (string.IsNullOrEmpty(dir) || !Directory.Exists(dir))
        {
            throw new SimConfigurationException(what + ": '" + path + "': directory '" + dir + "' does not exist");
        }

        string probe = Path.Combine(dir, "." + Path.GetFileName(path) + ".probe-" + Environment.ProcessId);
        try
        {
            File.WriteAllBytes(probe, Array.Empty<byte>());
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SimConfigurationException(what + ": '" + path + "': directory '" + dir + "' is not writable: " + e.Message);
        }
    }

    private static LinkLayout ToLayout(SharedMemorySpec spec)
    {
        if (spec.Vrings.Count != LinkLayout.RpmsgVringCount || spec.Vrings[0].Num != spec.Vrings[1].Num || spec.Vrings[0].Align != spec.Vrings[1].Align)
        {
            throw new SimConfigurationException("link.shared_memory.vrings: island-sim needs exactly 2 vrings with the same num and align");
        }

        return new LinkLayout
        {
            SharedMemorySize = (int)spec.Size,
            ResourceTableOffset = (int)spec.ResourceTable,
            VringCount = spec.Vrings.Count,
            VringNum = (int)spec.Vrings[0].Num,
            VringAlign = (int)spec.Vrings[0].Align,
            Vring0Address = (int)spec.Vrings[0].Da,
            Vring1Address = (int)spec.Vrings[1].Da,
            BufferBase = (int)spec.Buffers.Base,
            BufferCount = (int)spec.Buffers.Count,
            BufferSize = (int)spec.Buffers.Size,
        };
    }

    private static Criticality ToCriticality(DomainCriticality c) => c switch
    {
        DomainCriticality.AsilA => Criticality.AsilA,
        DomainCriticality.AsilB => Criticality.AsilB,
        DomainCriticality.AsilC => Criticality.AsilC,
        DomainCriticality.AsilD => Criticality.AsilD,
        _ => Criticality.Qm,
    };
}
