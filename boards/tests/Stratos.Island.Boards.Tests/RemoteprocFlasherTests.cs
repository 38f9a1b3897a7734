using System;
using System.IO;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Boards.Flashing;

namespace Stratos.Island.Boards.Tests;

[TestClass]
public sealed class RemoteprocFlasherTests
{
    private const string Name = "m4";
    private const string NewFirmware = "stratos-island-m4.elf";

    private static string Image(FakeRemoteprocKernel kernel, string content)
    {
        string path = Path.Combine(kernel.Root, "image-" + Guid.NewGuid().ToString("N") + ".elf");
        File.WriteAllText(path, content);
        return path;
    }

    private static RemoteprocFlasher Flasher(FakeRemoteprocKernel kernel, RecordingFlashOutput output) =>
        new(kernel.SysfsRoot, kernel.FirmwareDir, output) { StartTimeout = TimeSpan.FromMilliseconds(600), StopTimeout = TimeSpan.FromMilliseconds(600) };

    [TestMethod]
    public void Offline_instance_is_loaded_and_reaches_running()
    {
        using var kernel = new FakeRemoteprocKernel(Name, "offline", "old.elf");
        var output = new RecordingFlashOutput();
        Flasher(kernel, output).Flash(Name, Image(kernel, "island v2"), NewFirmware, 0x40000, dryRun: false);
        Assert.AreEqual("running", kernel.State);
        Assert.AreEqual(NewFirmware, kernel.Firmware);
        Assert.AreEqual("island v2", File.ReadAllText(Path.Combine(kernel.FirmwareDir, NewFirmware)));
        Assert.IsFalse(File.Exists(Path.Combine(kernel.FirmwareDir, NewFirmware + ".partial")));
        CollectionAssert.AreEqual(new[] { NewFirmware }, kernel.Booted);
        Assert.IsTrue(output.Steps.Any(s => s.Contains("is running", StringComparison.Ordinal)), string.Join("\n", output.Steps));
    }

    [TestMethod]
    public void Running_instance_is_stopped_before_the_firmware_is_changed()
    {
        using var kernel = new FakeRemoteprocKernel(Name, "running", "old.elf");
        Flasher(kernel, new RecordingFlashOutput()).Flash(Name, Image(kernel, "island v2"), NewFirmware, 0x40000, dryRun: false);
        Assert.AreEqual("running", kernel.State);
        Assert.AreEqual(NewFirmware, kernel.Firmware);
        Assert.AreEqual(0, kernel.FirmwareChangedWhileNotOffline);
    }

    [TestMethod]
    public void Crashed_instance_is_recovered_by_the_flash()
    {
        using var kernel = new FakeRemoteprocKernel(Name, "crashed", "old.elf");
        Flasher(kernel, new RecordingFlashOutput()).Flash(Name, Image(kernel, "island v2"), NewFirmware, 0x40000, dryRun: false);
        Assert.AreEqual("running", kernel.State);
        Assert.AreEqual(0, kernel.FirmwareChangedWhileNotOffline);
    }

    [TestMethod]
    public void Busy_instance_is_reported_and_left_untouched()
    {
        using var kernel = new FakeRemoteprocKernel(Name, "running", "old.elf");
        kernel.Busy = true;
        FlashException error = Assert.ThrowsExactly<FlashException>(() =>
            Flasher(kernel, new RecordingFlashOutput()).Flash(Name, Image(kernel, "island v2"), NewFirmware, 0x40000, dryRun: false));
        Assert.AreEqual(FlashFailure.Busy, error.Failure);
        StringAssert.Contains(error.Message, "remoteproc 'm4' is busy");
        Assert.AreEqual("old.elf", kernel.Firmware);
        Assert.AreEqual("running", kernel.State);
        Assert.IsEmpty(Directory.GetFiles(kernel.FirmwareDir), "nothing copied into the firmware directory stays behind");
    }

    [TestMethod]
    public void Image_that_crashes_is_rolled_back_to_the_previous_one()
    {
        using var kernel = new FakeRemoteprocKernel(Name, "running", "old.elf");
        File.WriteAllText(Path.Combine(kernel.FirmwareDir, "old.elf"), "island v1");
        FlashException error = Assert.ThrowsExactly<FlashException>(() =>
            Flasher(kernel, new RecordingFlashOutput()).Flash(Name, Image(kernel, "crash on boot"), NewFirmware, 0x40000, dryRun: false));
        Assert.AreEqual(FlashFailure.StartFailed, error.Failure);
        StringAssert.Contains(error.Message, "crashed");
        StringAssert.Contains(error.Message, "'old.elf' is running again");
        Assert.AreEqual("running", kernel.State);
        Assert.AreEqual("old.elf", kernel.Firmware);
        CollectionAssert.AreEqual(new[] { NewFirmware, "old.elf" }, kernel.Booted);
        Assert.AreEqual(0, kernel.FirmwareChangedWhileNotOffline);
    }

    [TestMethod]
    public void Image_that_never_reaches_running_is_rolled_back_after_the_timeout()
    {
        using var kernel = new FakeRemoteprocKernel(Name, "running", "old.elf");
        File.WriteAllText(Path.Combine(kernel.FirmwareDir, "old.elf"), "island v1");
        FlashException error = Assert.ThrowsExactly<FlashException>(() =>
            Flasher(kernel, new RecordingFlashOutput()).Flash(Name, Image(kernel, "hang forever"), NewFirmware, 0x40000, dryRun: false));
        StringAssert.Contains(error.Message, "did not reach running within 0.6 s");
        Assert.AreEqual("running", kernel.State);
        Assert.AreEqual("old.elf", kernel.Firmware);
    }

    [TestMethod]
    public void Reflashing_the_same_file_name_keeps_the_old_image_for_the_rollback()
    {
        using var kernel = new FakeRemoteprocKernel(Name, "running", NewFirmware);
        File.WriteAllText(Path.Combine(kernel.FirmwareDir, NewFirmware), "island v1");
        Assert.ThrowsExactly<FlashException>(() =>
            Flasher(kernel, new RecordingFlashOutput()).Flash(Name, Image(kernel, "crash on boot"), NewFirmware, 0x40000, dryRun: false));
        Assert.AreEqual(NewFirmware + ".previous", kernel.Firmware);
        Assert.AreEqual("island v1", File.ReadAllText(Path.Combine(kernel.FirmwareDir, NewFirmware + ".previous")));
        Assert.AreEqual("running", kernel.State);
    }

    [TestMethod]
    public void Missing_instance_names_the_ones_that_exist()
    {
        using var kernel = new FakeRemoteprocKernel("m7", "offline", "old.elf");
        FlashException error = Assert.ThrowsExactly<FlashException>(() =>
            Flasher(kernel, new RecordingFlashOutput()).Flash(Name, Image(kernel, "island"), NewFirmware, 0x40000, dryRun: false));
        Assert.AreEqual(FlashFailure.NotFound, error.Failure);
        StringAssert.Contains(error.Message, "remoteproc 'm4' not found");
        StringAssert.Contains(error.Message, "remoteproc0=cm33, remoteproc1=m7");
    }

    [TestMethod]
    public void Image_larger_than_the_region_is_refused_before_anything_changes()
    {
        using var kernel = new FakeRemoteprocKernel(Name, "running", "old.elf");
        FlashException error = Assert.ThrowsExactly<FlashException>(() =>
            Flasher(kernel, new RecordingFlashOutput()).Flash(Name, Image(kernel, new string('x', 5000)), NewFirmware, 4096, dryRun: false));
        Assert.AreEqual(FlashFailure.TooLarge, error.Failure);
        StringAssert.Contains(error.Message, "too large for the island's region (0x1000 bytes");
        Assert.AreEqual("old.elf", kernel.Firmware);
    }

    [TestMethod]
    public void Dry_run_prints_every_step_and_changes_nothing()
    {
        using var kernel = new FakeRemoteprocKernel(Name, "running", "old.elf");
        var output = new RecordingFlashOutput();
        Flasher(kernel, output).Flash(Name, Image(kernel, "island v2"), NewFirmware, 0x40000, dryRun: true);
        Assert.HasCount(6, output.Steps);
        StringAssert.Contains(output.Steps[1], "copy ");
        StringAssert.Contains(output.Steps[3], "write 'stratos-island-m4.elf' to");
        StringAssert.Contains(output.Steps[5], "on crash or timeout");
        Assert.AreEqual("old.elf", kernel.Firmware);
        Assert.AreEqual("running", kernel.State);
        Assert.IsEmpty(Directory.GetFiles(kernel.FirmwareDir));
        Assert.IsEmpty(kernel.Booted);
    }
}
