using System;
using System.IO;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Boards.Flashing;

namespace Stratos.Island.Boards.Tests;

[TestClass]
public sealed class ProbeFlasherTests
{
    private static string TempImage(bool elf)
    {
        string path = Path.Combine(Path.GetTempPath(), "stratos-image-" + Guid.NewGuid().ToString("N") + (elf ? ".elf" : ".bin"));
        byte[] data = new byte[256];
        if (elf)
        {
            data[0] = 0x7f;
            data[1] = (byte)'E';
            data[2] = (byte)'L';
            data[3] = (byte)'F';
        }
        File.WriteAllBytes(path, data);
        return path;
    }

    [TestMethod]
    public void OpenOcd_command_uses_each_boards_configs_and_load_address()
    {
        string image = TempImage(elf: false);
        try
        {
            foreach (string id in new[] { "stm32mp157c-dk2", "imx8mp-evk", "am62x-sk", "zcu102", "am64x-sk" })
            {
                BoardDescriptor board = BoardLoader.LoadById(BoardFolder.RepoBoardsDir, id);
                var args = ProbeFlasher.OpenOcdArguments(board, image);
                var expected = board.OpenOcd!.Configs.SelectMany(c => new[] { "-f", c }).ToList();
                expected.Add("-c");
                expected.Add("program " + image + " 0x" + board.OpenOcd.LoadAddress.ToString("x") + " verify reset exit");
                CollectionAssert.AreEqual(expected, args.ToList(), id);
            }
            BoardDescriptor zcu = BoardLoader.LoadById(BoardFolder.RepoBoardsDir, "zcu102");
            CollectionAssert.AreEqual(new[] { "-f", "interface/ftdi/digilent_jtag_smt2_nc.cfg", "-f", "target/xilinx_zynqmp.cfg" }, ProbeFlasher.OpenOcdArguments(zcu, image).Take(4).ToList());
        }
        finally
        {
            File.Delete(image);
        }
    }

    [TestMethod]
    public void OpenOcd_command_leaves_the_address_to_an_elf_image()
    {
        string image = TempImage(elf: true);
        try
        {
            BoardDescriptor board = BoardLoader.LoadById(BoardFolder.RepoBoardsDir, "stm32mp157c-dk2");
            Assert.AreEqual("program " + image + " verify reset exit", ProbeFlasher.OpenOcdArguments(board, image).Last());
        }
        finally
        {
            File.Delete(image);
        }
    }

    [TestMethod]
    public void Real_openocd_without_a_probe_reports_no_probe_found()
    {
        string image = TempImage(elf: false);
        try
        {
            BoardDescriptor board = BoardLoader.LoadById(BoardFolder.RepoBoardsDir, "stm32mp157c-dk2");
            var output = new RecordingFlashOutput();
            FlashException error = Assert.ThrowsExactly<FlashException>(() => ProbeFlasher.FlashWithOpenOcd(board, image, output, dryRun: false, timeoutMs: 60_000));
            Assert.AreEqual(FlashFailure.NotFound, error.Failure, error.Message);
            StringAssert.Contains(error.Message, "no debug probe found for board 'stm32mp157c-dk2' (openocd: Error: open failed");
            StringAssert.StartsWith(output.Steps[0], "run openocd -f board/stm32mp15x_dk2.cfg -c \"program ");
        }
        finally
        {
            File.Delete(image);
        }
    }

    [TestMethod]
    public void OpenOcd_dry_run_prints_the_command_and_runs_nothing()
    {
        string image = TempImage(elf: false);
        try
        {
            BoardDescriptor board = BoardLoader.LoadById(BoardFolder.RepoBoardsDir, "imx8mp-evk");
            var output = new RecordingFlashOutput();
            ProbeFlasher.FlashWithOpenOcd(board, image, output, dryRun: true, openocd: "/nonexistent/openocd");
            Assert.HasCount(1, output.Steps);
            StringAssert.Contains(output.Steps[0], "-f board/imx8mp-evk.cfg -c \"program ");
        }
        finally
        {
            File.Delete(image);
        }
    }

    [TestMethod]
    public void Missing_openocd_binary_is_a_clear_error()
    {
        string image = TempImage(elf: false);
        try
        {
            BoardDescriptor board = BoardLoader.LoadById(BoardFolder.RepoBoardsDir, "am64x-sk");
            FlashException error = Assert.ThrowsExactly<FlashException>(() => ProbeFlasher.FlashWithOpenOcd(board, image, new RecordingFlashOutput(), dryRun: false, openocd: "/nonexistent/openocd"));
            StringAssert.Contains(error.Message, "openocd is not installed");
        }
        finally
        {
            File.Delete(image);
        }
    }

    private static BoardDescriptor NanoffBoard(BoardFolder folder)
    {
        folder.Edit("board.yaml", "flashing:\n  - none   # the virtual board runs island-sim directly; nothing to flash", "flashing: [nanoff]\nnanoff: { target: ST_STM32F769I_DISCOVERY, address: 0x08080000 }");
        return BoardLoader.LoadById(folder.BoardsDir, "virtual");
    }

    [TestMethod]
    public void Missing_nanoff_says_how_to_install_it()
    {
        using var folder = new BoardFolder("virtual");
        BoardDescriptor board = NanoffBoard(folder);
        string image = folder.PathOf("board.yaml");
        FlashException error = Assert.ThrowsExactly<FlashException>(() => ProbeFlasher.FlashWithNanoff(board, image, "/dev/ttyACM0", new RecordingFlashOutput(), dryRun: false, pathVariable: folder.Dir));
        Assert.AreEqual(FlashFailure.NotFound, error.Failure);
        StringAssert.Contains(error.Message, "dotnet tool install -g nanoff");
    }

    [TestMethod]
    public void Nanoff_on_path_is_run_with_target_port_image_and_address()
    {
        using var folder = new BoardFolder("virtual");
        BoardDescriptor board = NanoffBoard(folder);
        // A stand-in nanoff (a real executable script) that records its arguments.
        string tool = folder.PathOf("nanoff");
        string log = folder.PathOf("nanoff.args");
        File.WriteAllText(tool, "#!/bin/sh\necho \"$@\" > '" + log + "'\n");
        File.SetUnixFileMode(tool, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string image = folder.PathOf("board.yaml");
        var output = new RecordingFlashOutput();
        ProbeFlasher.FlashWithNanoff(board, image, "/dev/ttyACM3", output, dryRun: false, pathVariable: folder.Dir);
        Assert.AreEqual("--target ST_STM32F769I_DISCOVERY --serialport /dev/ttyACM3 --deploy --image " + image + " --address 0x08080000", File.ReadAllText(log).Trim());
        Assert.AreEqual("nanoff: deployed", output.Steps.Last());
    }
}
