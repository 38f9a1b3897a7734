using System.IO;
using Stratos.Island.Boards;

namespace Stratos.Island.Agent.Tests;

/// <summary>A real agent's options for the virtual board, linked to a <see cref="ScriptedIsland"/>.</summary>
internal static class ScriptedIslandAgent
{
    /// <summary>
    /// Options of an agent linked to <paramref name="island"/>, everything else under
    /// <paramref name="directory"/> (API socket, VM runtime folders).
    /// </summary>
    public static AgentOptions AgentOptionsIn(this ScriptedIsland island, string directory)
    {
        string boards = Path.Combine(RepoPaths.Root, "boards");
        return new AgentOptions
        {
            Board = BoardLoader.LoadById(boards, "virtual"),
            BoardsDirectory = boards,
            SocketPath = Path.Combine(directory, "agent.sock"),
            RuntimeDirectory = Path.Combine(directory, "vms"),
            GuestKernelDirectory = RepoPaths.Root,
            SharedMemoryPath = island.ShmPath,
            KickSocketPath = island.KickPath,
        };
    }
}
