using System;
using System.Collections;
using System.IO;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Stratos.Island.Boards.Tests;

/// <summary>The one boards-folder lookup of the CLI, the agent and island-sim (BoardsFolder).</summary>
[TestClass]
public sealed class BoardsFolderTests
{
    [TestMethod]
    public void The_option_wins_then_the_environment_then_boards_above_each_start_directory_in_turn()
    {
        var env = new Hashtable { [BoardsFolder.EnvironmentVariable] = "/from/env" };
        string inside = Path.Combine(BoardFolder.RepoBoardsDir, "virtual");

        Assert.AreEqual("/from/option", BoardsFolder.Find("/from/option", env, inside));
        Assert.AreEqual("/from/env", BoardsFolder.Find(null, env, inside));
        Assert.AreEqual("/from/env", BoardsFolder.Find("", env, inside), "an empty option is no option");
        Assert.AreEqual(BoardFolder.RepoBoardsDir, BoardsFolder.Find(null, new Hashtable { [BoardsFolder.EnvironmentVariable] = "" }, inside), "an empty variable is no variable");
        Assert.AreEqual(BoardFolder.RepoBoardsDir, BoardsFolder.Find(null, new Hashtable(), "/", inside), "the second start directory when the first has none above it");
    }

    [TestMethod]
    public void Nothing_found_is_null_and_the_message_names_every_place_looked()
    {
        if (Directory.Exists(BoardsFolder.InstalledDirectory))
        {
            Assert.AreEqual(BoardsFolder.InstalledDirectory, BoardsFolder.Find(null, new Hashtable(), "/"));
            return;
        }

        Assert.IsNull(BoardsFolder.Find(null, new Hashtable(), "/", "/proc"));
        string message = BoardsFolder.NotFound("/", "/proc");
        StringAssert.Contains(message, "$ISLAND_BOARDS_DIR");
        StringAssert.Contains(message, "above / or /proc");
        StringAssert.Contains(message, BoardsFolder.InstalledDirectory);
        StringAssert.Contains(message, "--boards-dir");
    }
}
