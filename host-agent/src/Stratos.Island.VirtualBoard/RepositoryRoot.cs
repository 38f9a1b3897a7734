using System;
using System.IO;

namespace Stratos.Island.VirtualBoard;

/// <summary>The repository checkout (the folder holding Stratos.Island.sln) that programs, benches and tests run from.</summary>
public static class RepositoryRoot
{
    public const string SolutionFile = "Stratos.Island.sln";

    /// <summary>The first folder holding the solution above the current directory, then above the running program; null when neither is in a checkout.</summary>
    public static string? Find()
    {
        foreach (string start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (DirectoryInfo? dir = new(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, SolutionFile)))
                {
                    return dir.FullName;
                }
            }
        }

        return null;
    }

    /// <summary>The same, or an exception naming where it looked (benches and tests run from a checkout only).</summary>
    public static string Require() =>
        Find() ?? throw new VirtualBoardException($"no {SolutionFile} above {Environment.CurrentDirectory} or {AppContext.BaseDirectory}: run from a checkout of the repository");
}
