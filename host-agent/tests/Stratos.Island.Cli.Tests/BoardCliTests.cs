using System;
using System.Collections;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Boards;
using Stratos.Island.Cli.Commands;

namespace Stratos.Island.Cli.Tests;

/// <summary>`island board` and `island flash`: local commands, run with no agent at all.</summary>
[TestClass]
public sealed class BoardCliTests
{
    private static readonly string RepoBoards = BoardLoader.FindRepoBoardsDir(AppContext.BaseDirectory);
    private string _dir = null!;

    [TestInitialize]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), "stratos-cli-boards-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TestCleanup]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private async Task<(int Exit, string Out, string Err)> Run(params string[] args)
    {
        // No agent: the socket does not exist, so any API call would fail with exit code 3.
        var env = new Hashtable { ["ISLAND_SOCKET"] = Path.Combine(_dir, "no-agent.sock"), ["PATH"] = Environment.GetEnvironmentVariable("PATH") };
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int exit = await Program.RunAsync(args, stdout, stderr, env, false);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private string CopyBoard(string id)
    {
        string target = Path.Combine(_dir, "boards", id);
        Directory.CreateDirectory(target);
        foreach (string file in Directory.GetFiles(Path.Combine(RepoBoards, id)))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }
        return Path.Combine(_dir, "boards");
    }

    [TestMethod]
    public async Task Board_list_works_without_an_agent()
    {
        var (exit, output, error) = await Run("board", "list", "--boards-dir", RepoBoards);
        Assert.AreEqual(ExitCodes.Ok, exit, error);
        var lines = output.TrimEnd().Split('\n');
        StringAssert.StartsWith(lines[0], "ID");
        StringAssert.Matches(output, new System.Text.RegularExpressions.Regex(@"stm32mp157c-dk2\s+stm32mp157c\s+2x cortex-a7\s+cortex-m4\s+remoteproc,openocd\s+ok"));
        StringAssert.Contains(output, "zcu102");
    }

    [TestMethod]
    public async Task Boards_directory_comes_from_the_option_then_the_environment_then_the_repository()
    {
        var env = new Hashtable { ["ISLAND_BOARDS_DIR"] = "/from/env" };
        Assert.AreEqual("/from/option", BoardCommands.ResolveBoardsDir("/from/option", env, "/"));
        Assert.AreEqual("/from/env", BoardCommands.ResolveBoardsDir(null, env, "/"));
        Assert.AreEqual(RepoBoards, BoardCommands.ResolveBoardsDir(null, new Hashtable(), Path.Combine(RepoBoards, "virtual")));
        Assert.AreEqual(BoardCommands.InstalledBoardsDir, BoardCommands.ResolveBoardsDir(null, new Hashtable(), "/"));

        string boards = CopyBoard("am64x-sk");
        var stdout = new StringWriter();
        int exit = await Program.RunAsync(["board", "list", "-q"], stdout, new StringWriter(), new Hashtable { ["ISLAND_BOARDS_DIR"] = boards }, false);
        Assert.AreEqual(ExitCodes.Ok, exit);
        Assert.AreEqual("am64x-sk\n", stdout.ToString().Replace("\r", ""));
    }

    [TestMethod]
    public async Task Board_show_prints_the_memory_map_and_json()
    {
        var (exit, output, _) = await Run("board", "show", "imx8mp-evk", "--boards-dir", RepoBoards);
        Assert.AreEqual(ExitCodes.Ok, exit);
        StringAssert.Contains(output, "carve-out      rsc-table 0x550ff000-0x55100000 ResourceTable");
        StringAssert.Contains(output, "remoteproc     imx-rproc (imx_rproc)");
        var (jsonExit, json, _) = await Run("board", "show", "imx8mp-evk", "--boards-dir", RepoBoards, "-o", "json");
        Assert.AreEqual(ExitCodes.Ok, jsonExit);
        var root = JsonDocument.Parse(json).RootElement;
        Assert.AreEqual("cortex-m7", root.GetProperty("island_core").GetString());
        Assert.AreEqual("0x55400000", root.GetProperty("carveouts")[3].GetProperty("base").GetString());
    }

    [TestMethod]
    public async Task Unknown_board_is_not_found_and_the_known_ones_are_named()
    {
        var (exit, _, error) = await Run("board", "show", "rcar-s4", "--boards-dir", RepoBoards);
        Assert.AreEqual(ExitCodes.NotFound, exit);
        StringAssert.Contains(error, "board 'rcar-s4' not found");
        StringAssert.Contains(error, "stm32mp157c-dk2");
        var (validateExit, _, validateError) = await Run("board", "validate", "rcar-s4", "--boards-dir", RepoBoards);
        Assert.AreEqual(ExitCodes.NotFound, validateExit);
        StringAssert.Contains(validateError, "am62x-sk");
    }

    [TestMethod]
    public async Task Validate_all_passes_on_the_repository_boards()
    {
        var (exit, output, error) = await Run("board", "validate", "--all", "--boards-dir", RepoBoards);
        Assert.AreEqual(ExitCodes.Ok, exit, error);
        StringAssert.Contains(output, "ok    zcu102 (board.yaml, upstream.yaml, linux.dtso on Linux 6.12 (6.12.");
        StringAssert.Contains(output, "linux.dtso on Linux 7.3 (7.3.");
        Assert.AreEqual(string.Empty, error);
    }

    [TestMethod]
    public async Task Validate_reports_a_fragment_mismatch_with_file_node_upstream_tree_and_fix()
    {
        string boards = CopyBoard("stm32mp157c-dk2");
        string dtso = Path.Combine(boards, "stm32mp157c-dk2", "linux.dtso");
        File.WriteAllText(dtso, File.ReadAllText(dtso).Replace("<&vdev0vring1>, <&vdev0buffer>;", "<&vdev0vring1>;", StringComparison.Ordinal));
        var (exit, output, error) = await Run("board", "validate", "stm32mp157c-dk2", "--boards-dir", boards);
        Assert.AreEqual(ExitCodes.Invalid, exit);
        StringAssert.Contains(output, "FAIL  stm32mp157c-dk2 (2 error(s))");
        StringAssert.Contains(error, "island: " + dtso + ": /ahb/m4@10000000.memory-region: does not hold board.yaml memory.carveouts[3] (vdev0buffer, 0x10042000+0x4000)");
        StringAssert.Contains(error, "(checked against arch/arm/boot/dts/st/stm32mp157c-dk2.dts (Linux 7.3, linux-source-7.3 7.3.");
        var (_, json, _) = await Run("board", "validate", "stm32mp157c-dk2", "--boards-dir", boards, "-o", "json");
        Assert.IsFalse(JsonDocument.Parse(json).RootElement.GetProperty("boards")[0].GetProperty("ok").GetBoolean());
    }

    [TestMethod]
    public async Task Validate_needs_a_board_or_all()
    {
        var (exit, _, error) = await Run("board", "validate", "--boards-dir", RepoBoards);
        Assert.AreEqual(ExitCodes.Usage, exit);
        StringAssert.Contains(error, "give a board id or --all");
    }

    [TestMethod]
    public async Task Keygen_writes_the_public_key_beside_the_private_one_unless_told_otherwise()
    {
        string key = Path.Combine(_dir, "signing", "release.pem");
        Directory.CreateDirectory(Path.GetDirectoryName(key)!);
        var (exit, output, error) = await Run("flash", "keygen", "--key", key);
        Assert.AreEqual(ExitCodes.Ok, exit, error);
        string pub = Path.Combine(_dir, "signing", "release.pub.pem");
        Assert.IsTrue(File.Exists(pub), output);
        StringAssert.Contains(output, pub);
        StringAssert.Contains(File.ReadAllText(pub), "BEGIN PUBLIC KEY");
        Assert.AreEqual("k.pub.pem", FlashCommands.PublicKeyPathFor("k.pem"));
        Assert.AreEqual("k.key.pub.pem", FlashCommands.PublicKeyPathFor("k.key"));
    }

    private async Task<(string Bundle, string PublicKey)> MakeBundle()
    {
        string key = Path.Combine(_dir, "k.pem");
        string pub = Path.Combine(_dir, "k.pub.pem");
        var (keygenExit, keygenOut, keygenError) = await Run("flash", "keygen", "--key", key, "--pubkey", pub);
        Assert.AreEqual(ExitCodes.Ok, keygenExit, keygenError);
        StringAssert.Contains(keygenOut, "wrote " + key);
        string image = Path.Combine(_dir, "stratos-island.elf");
        File.WriteAllBytes(image, [0x7f, (byte)'E', (byte)'L', (byte)'F', 1, 2, 3, 4]);
        string bundle = Path.Combine(_dir, "bundle.tar");
        var (exit, output, error) = await Run("flash", "bundle", "--board", "stm32mp157c-dk2", "--image", image, "--config", Path.Combine(RepoBoards, "virtual", "vms.yaml"),
            "--key", key, "--out", bundle, "--boards-dir", RepoBoards);
        Assert.AreEqual(ExitCodes.Ok, exit, error);
        StringAssert.Contains(output, "wrote " + bundle + " for board stm32mp157c-dk2");
        StringAssert.Contains(output, "stratos-island.elf");
        return (bundle, pub);
    }

    [TestMethod]
    public async Task Flash_bundle_then_verify_succeeds_and_a_changed_byte_fails_with_the_file_named()
    {
        var (bundle, pub) = await MakeBundle();
        var (exit, output, error) = await Run("flash", "verify", bundle, "--pubkey", pub);
        Assert.AreEqual(ExitCodes.Ok, exit, error);
        StringAssert.StartsWith(output, "ok: " + bundle + " is signed by " + pub + "; 4 files match");

        byte[] bytes = File.ReadAllBytes(bundle);
        byte[] image = File.ReadAllBytes(Path.Combine(_dir, "stratos-island.elf"));
        int at = bytes.AsSpan().IndexOf(image);
        bytes[at + 5] ^= 0xff;
        File.WriteAllBytes(bundle, bytes);
        var (badExit, _, badError) = await Run("flash", "verify", bundle, "--pubkey", pub);
        Assert.AreEqual(ExitCodes.Invalid, badExit);
        StringAssert.Contains(badError, "stratos-island.elf: SHA-256");
    }

    [TestMethod]
    public async Task Verify_with_another_public_key_is_a_signature_mismatch()
    {
        var (bundle, _) = await MakeBundle();
        string otherKey = Path.Combine(_dir, "other.pem");
        string otherPub = Path.Combine(_dir, "other.pub.pem");
        await Run("flash", "keygen", "--key", otherKey, "--pubkey", otherPub);
        var (exit, _, error) = await Run("flash", "verify", bundle, "--pubkey", otherPub);
        Assert.AreEqual(ExitCodes.Invalid, exit);
        StringAssert.Contains(error, "manifest.json: signature mismatch");
    }

    [TestMethod]
    public async Task Install_dry_run_prints_every_remoteproc_step_and_touches_nothing()
    {
        var (bundle, pub) = await MakeBundle();
        string sysfs = Path.Combine(_dir, "sys");
        string firmware = Path.Combine(_dir, "firmware");
        var (exit, output, error) = await Run("flash", "install", bundle, "--pubkey", pub, "--dry-run", "--sysfs-root", sysfs, "--firmware-dir", firmware);
        Assert.AreEqual(ExitCodes.Ok, exit, error);
        var lines = output.TrimEnd().Replace("\r", "").Split('\n');
        StringAssert.StartsWith(lines[0], "dry run: verified " + bundle);
        StringAssert.Contains(output, "find " + sysfs + "/remoteprocN with name 'm4'");
        StringAssert.Contains(output, "copy " + bundle + ":stratos-island.elf (8 bytes) to " + Path.Combine(firmware, "stratos-island-m4.elf"));
        StringAssert.Contains(output, "write 'start' to");
        Assert.AreEqual("dry run: nothing was changed", lines[^1]);
        Assert.IsFalse(Directory.Exists(sysfs) || Directory.Exists(firmware));

        var (ocdExit, ocdOutput, _) = await Run("flash", "install", bundle, "--pubkey", pub, "--dry-run", "--method", "openocd");
        Assert.AreEqual(ExitCodes.Ok, ocdExit);
        StringAssert.Contains(ocdOutput, "run openocd -f board/stm32mp15x_dk2.cfg -c \"program ");
    }

    [TestMethod]
    public async Task Install_on_a_machine_without_the_remoteproc_is_not_found()
    {
        var (bundle, pub) = await MakeBundle();
        string sysfs = Path.Combine(_dir, "sys");
        Directory.CreateDirectory(sysfs);
        var (exit, _, error) = await Run("flash", "install", bundle, "--pubkey", pub, "--sysfs-root", sysfs, "--firmware-dir", Path.Combine(_dir, "fw"));
        Assert.AreEqual(ExitCodes.NotFound, exit);
        StringAssert.Contains(error, "remoteproc 'm4' not found under " + sysfs + " (no remoteproc instances)");
    }

    [TestMethod]
    public async Task Install_with_a_method_the_board_does_not_list_is_a_usage_error()
    {
        var (bundle, pub) = await MakeBundle();
        var (exit, _, error) = await Run("flash", "install", bundle, "--pubkey", pub, "--method", "nanoff", "--dry-run");
        Assert.AreEqual(ExitCodes.Usage, exit);
        StringAssert.Contains(error, "does not support flashing with nanoff (board.yaml flashing: remoteproc, openocd)");
    }
}
