using System;
using System.Collections.Generic;
using System.IO;

namespace Stratos.Island.VirtualBoard;

/// <summary>
/// The two programs of the virtual board: island-sim and island-agent. Either an apphost (run
/// directly) or a .dll (run through `dotnet`, as a test project's copy in its output folder).
/// </summary>
public sealed record VirtualBoardBinaries(string IslandSim, string Agent)
{
    public const string SimProject = "island-firmware/src/Stratos.Island.Sim";
    public const string AgentProject = "host-agent/src/Stratos.Island.Agent.Host";

    /// <summary>The Release builds in the repository (what `./island up` builds and runs).</summary>
    public static VirtualBoardBinaries InRepository(string repository) => new(
        Path.Combine(repository, SimProject, "bin", "Release", "net10.0", "island-sim"),
        Path.Combine(repository, AgentProject, "bin", "Release", "net10.0", "island-agent"));

    /// <summary>The copies a test project's build puts next to it (its ProjectReferences).</summary>
    public static VirtualBoardBinaries InDirectory(string directory) => new(
        Path.Combine(directory, "island-sim.dll"),
        Path.Combine(directory, "island-agent.dll"));

    /// <summary>Each program that is not built: its name, path and project.</summary>
    public IReadOnlyList<string> MissingPrograms()
    {
        var missing = new List<string>();
        if (!File.Exists(IslandSim))
        {
            missing.Add($"island-sim ({IslandSim}, project {SimProject})");
        }

        if (!File.Exists(Agent))
        {
            missing.Add($"island-agent ({Agent}, project {AgentProject})");
        }

        return missing;
    }

    /// <summary>Null when both programs exist, else a sentence naming each missing one and its project.</summary>
    public string? Missing() => MissingPrograms() is { Count: > 0 } missing ? "not built: " + string.Join(", ", missing) : null;

    /// <summary>Throws <see cref="VirtualBoardException"/> naming what is not built.</summary>
    public void EnsureBuilt()
    {
        if (Missing() is string missing)
        {
            throw new VirtualBoardException("virtual board: " + missing + "; build them with 'dotnet build Stratos.Island.sln -c Release' (./island up builds what is missing)");
        }
    }
}

/// <summary>A virtual board that cannot be launched, cannot come up or cannot be torn down; the message says what and where.</summary>
public sealed class VirtualBoardException : Exception
{
    public VirtualBoardException(string message)
        : base(message)
    {
    }

    public VirtualBoardException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
