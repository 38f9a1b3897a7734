// Where the board descriptors are: the one lookup of the boards folder, shared by the `island` CLI,
// island-agent and island-sim (docs/cli.md "Boards directory"). In order:
//   1. the program's --boards-dir option;
//   2. $ISLAND_BOARDS_DIR;
//   3. the first boards/ holding a board.yaml above each start directory in turn (the working
//      directory, then the program's own directory where a program passes it);
//   4. the installed folder /usr/share/stratos-island/boards, when it exists.
using System;
using System.Collections;
using System.IO;

namespace Stratos.Island.Boards;

public static class BoardsFolder
{
    public const string EnvironmentVariable = "ISLAND_BOARDS_DIR";

    public const string InstalledDirectory = "/usr/share/stratos-island/boards";

    /// <summary>The boards folder by the order above; null when none is found.</summary>
    public static string? Find(string? option, IDictionary environment, params string[] startDirectories)
    {
        if (!string.IsNullOrEmpty(option))
        {
            return option;
        }

        if (environment[EnvironmentVariable] is string fromEnvironment && fromEnvironment.Length > 0)
        {
            return fromEnvironment;
        }

        foreach (string start in startDirectories)
        {
            try
            {
                return BoardLoader.FindRepoBoardsDir(start);
            }
            catch (DirectoryNotFoundException)
            {
                // Try the next start directory.
            }
        }

        return Directory.Exists(InstalledDirectory) ? InstalledDirectory : null;
    }

    /// <summary>The message for <see cref="Find"/> finding nothing, naming every place it looked.</summary>
    public static string NotFound(params string[] startDirectories) =>
        "no boards folder: no --boards-dir, no $" + EnvironmentVariable + ", no boards/ with a " + BoardLoader.DescriptorFileName
        + " above " + string.Join(" or ", startDirectories) + ", no " + InstalledDirectory + "; pass --boards-dir";
}
