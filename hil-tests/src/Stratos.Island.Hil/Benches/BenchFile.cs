using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using YamlDotNet.RepresentationModel;

namespace Stratos.Island.Hil.Benches;

/// <summary>How the bench reaches the agent's operator API.</summary>
public sealed record AgentAccess(string Socket, string? SshHost, string? SshRemoteSocket, IReadOnlyList<string> SshOptions);

/// <summary>The island console (serial port) of a board.</summary>
public sealed record ConsoleAccess(string Device, int BaudRate);

/// <summary>Command hooks the bench runs (through /bin/sh) to act on the board; null = not available.</summary>
public sealed record BenchHooks(string? PowerOff, string? PowerOn, string? IslandReset, string? AClusterReset, int TimeoutMs);

/// <summary>
/// A bench file (YAML) for <see cref="BoardBench"/>: which board, how to reach its agent (local
/// UNIX socket, or over SSH with the remote socket forwarded by <c>ssh -L</c>), its island console,
/// and the command hooks for power and resets. Format: docs/hil.md "Bench file".
/// </summary>
public sealed record BenchFile(string Path, string Board, AgentAccess Agent, ConsoleAccess? Console, BenchHooks Hooks, uint HeartbeatPeriodMs);

/// <summary>Loads and validates bench files; every error names the file and the field.</summary>
public static class BenchFileLoader
{
    public static BenchFile Load(string path)
    {
        if (!File.Exists(path))
            throw new BenchFileException(path, "", "file not found");
        var yaml = new YamlStream();
        try
        {
            using var reader = new StreamReader(path);
            yaml.Load(reader);
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new BenchFileException(path, "", $"not valid YAML at line {e.Start.Line}, column {e.Start.Column}: {e.Message}");
        }
        if (yaml.Documents.Count == 0 || yaml.Documents[0].RootNode is not YamlMappingNode root)
            throw new BenchFileException(path, "", "expected a mapping at the top level");

        string board = RequiredString(path, root, "board", "board");
        var agentNode = Mapping(path, root, "agent", "agent", required: true)!;
        string socket = RequiredString(path, agentNode, "socket", "agent.socket");
        AgentAccess agent;
        var ssh = Mapping(path, agentNode, "ssh", "agent.ssh", required: false);
        if (ssh is null)
            agent = new AgentAccess(socket, null, null, Array.Empty<string>());
        else
        {
            var options = new List<string>();
            if (ssh.Children.TryGetValue(new YamlScalarNode("options"), out var optionsNode))
            {
                if (optionsNode is not YamlSequenceNode seq)
                    throw new BenchFileException(path, "agent.ssh.options", "expected a list of strings");
                foreach (var item in seq)
                    options.Add(item is YamlScalarNode s && s.Value is not null ? s.Value : throw new BenchFileException(path, "agent.ssh.options", "expected a list of strings"));
            }
            agent = new AgentAccess(socket, RequiredString(path, ssh, "host", "agent.ssh.host"), RequiredString(path, ssh, "remote_socket", "agent.ssh.remote_socket"), options);
        }

        ConsoleAccess? console = null;
        var consoleNode = Mapping(path, root, "console", "console", required: false);
        if (consoleNode is not null)
            console = new ConsoleAccess(RequiredString(path, consoleNode, "device", "console.device"),
                (int)OptionalUInt(path, consoleNode, "baud", "console.baud", 115200, 1200, 4_000_000));

        var hooksNode = Mapping(path, root, "hooks", "hooks", required: false);
        var hooks = hooksNode is null
            ? new BenchHooks(null, null, null, null, 30000)
            : new BenchHooks(
                OptionalString(path, hooksNode, "power_off", "hooks.power_off"),
                OptionalString(path, hooksNode, "power_on", "hooks.power_on"),
                OptionalString(path, hooksNode, "island_reset", "hooks.island_reset"),
                OptionalString(path, hooksNode, "a_cluster_reset", "hooks.a_cluster_reset"),
                (int)OptionalUInt(path, hooksNode, "timeout_ms", "hooks.timeout_ms", 30000, 100, 600_000));
        if ((hooks.PowerOff is null) != (hooks.PowerOn is null))
            throw new BenchFileException(path, "hooks", "power_off and power_on go together (a power cut needs both)");

        uint period = OptionalUInt(path, root, "heartbeat_period_ms", "heartbeat_period_ms", 100, 1, 60000);
        return new BenchFile(path, board, agent, console, hooks, period);
    }

    private static YamlMappingNode? Mapping(string path, YamlMappingNode parent, string key, string field, bool required)
    {
        if (!parent.Children.TryGetValue(new YamlScalarNode(key), out var node))
            return required ? throw new BenchFileException(path, field, "missing") : null;
        return node as YamlMappingNode ?? throw new BenchFileException(path, field, "expected a mapping");
    }

    private static string RequiredString(string path, YamlMappingNode parent, string key, string field) =>
        OptionalString(path, parent, key, field) ?? throw new BenchFileException(path, field, "missing");

    private static string? OptionalString(string path, YamlMappingNode parent, string key, string field)
    {
        if (!parent.Children.TryGetValue(new YamlScalarNode(key), out var node))
            return null;
        if (node is not YamlScalarNode scalar || string.IsNullOrWhiteSpace(scalar.Value))
            throw new BenchFileException(path, field, "expected a non-empty string");
        return scalar.Value;
    }

    private static uint OptionalUInt(string path, YamlMappingNode parent, string key, string field, uint fallback, uint min, uint max)
    {
        string? text = OptionalString(path, parent, key, field);
        if (text is null)
            return fallback;
        if (!uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out uint value) || value < min || value > max)
            throw new BenchFileException(path, field, $"expected an integer {min}..{max}, got '{text}'");
        return value;
    }
}

/// <summary>A bench file is wrong; the message names the file and the field.</summary>
public sealed class BenchFileException(string path, string field, string problem)
    : Exception(field.Length == 0 ? $"{path}: {problem}" : $"{path}: {field}: {problem}")
{
    public string FilePath { get; } = path;
    public string Field { get; } = field;
}
