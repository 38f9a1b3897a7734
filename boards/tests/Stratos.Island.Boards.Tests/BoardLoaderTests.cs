using System;
using System.IO;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Stratos.Island.Boards.Tests;

[TestClass]
public sealed class BoardLoaderTests
{
    private static readonly string BoardsDir = BoardLoader.FindRepoBoardsDir(AppContext.BaseDirectory);
    private static readonly string VirtualBoardPath = Path.Combine(BoardsDir, "virtual", "board.yaml");

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void Virtual_board_matches_the_OpenAMP_reference_machine_layout()
    {
        BoardDescriptor board = BoardLoader.LoadById(BoardsDir, "virtual");
        SharedMemorySpec shm = board.Link.SharedMemory!;
        Assert.AreEqual(LinkTransport.SharedMemory, board.Link.Transport);
        Assert.AreEqual("stratos-island", board.Link.ChannelName);
        Assert.AreEqual("/dev/shm/stratos-island", shm.Path);
        Assert.AreEqual(0x80000u, shm.Size);
        Assert.AreEqual(0x0u, shm.ResourceTable);
        Assert.AreEqual(0x58u, shm.ResourceTableBytes);
        Assert.HasCount(2, shm.Vrings);
        Assert.AreEqual(new VringSpec(0x4000, 0x1000, 256), shm.Vrings[0]);
        Assert.AreEqual(new VringSpec(0x8000, 0x1000, 256), shm.Vrings[1]);
        // virtio split ring: 4096 + 518 -> aligned 8192, + 6 + 2048.
        Assert.AreEqual(8192UL + 6 + 2048, shm.Vrings[0].SizeBytes);
        Assert.AreEqual(new BufferPoolSpec(0x10000, 512, 512), shm.Buffers);
        Assert.AreEqual(0x50000u, shm.Buffers.Base + (shm.Buffers.Count * shm.Buffers.Size));
        Assert.AreEqual(32u, board.Island.MaxVms);
        Assert.AreEqual(8u, board.Island.MaxCheckpointsPerVm);
        Assert.AreEqual(10u, board.Island.SupervisionCycleMs);
        Assert.AreEqual("a-cluster", board.PowerDomains.Single(d => d.ACluster).Name);
        CollectionAssert.AreEqual(new[] { "safety-io" }, board.SafeState.DomainsKeptOn.ToArray());
    }

    [TestMethod]
    public void Unknown_board_id_names_the_known_boards()
    {
        BoardDescriptorException error = Assert.ThrowsExactly<BoardDescriptorException>(() => BoardLoader.LoadById(BoardsDir, "nonexistent"));
        StringAssert.Contains(error.Message, "board 'nonexistent' not found");
        StringAssert.Contains(error.Message, "virtual");
    }

    private string Variant(Func<string, string> edit)
    {
        string text = File.ReadAllText(VirtualBoardPath);
        string edited = edit(text);
        Assert.AreNotEqual(text, edited, "the edit did not change the descriptor");
        string path = Path.Combine(Path.GetTempPath(), "stratos-board-" + Guid.NewGuid().ToString("N") + ".yaml");
        File.WriteAllText(path, edited);
        TestContext.WriteLine(path);
        return path;
    }

    private void AssertError(Func<string, string> edit, string fieldPath, string fragment)
    {
        string path = Variant(edit);
        try
        {
            BoardDescriptorException error = Assert.ThrowsExactly<BoardDescriptorException>(() => BoardLoader.Load(path));
            Assert.IsTrue(error.Errors.Any(e => e.StartsWith(path + ": " + fieldPath + ": ", StringComparison.Ordinal) && e.Contains(fragment, StringComparison.Ordinal)),
                "expected '" + path + ": " + fieldPath + ": ...'" + fragment + "', got:\n" + string.Join("\n", error.Errors));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void Unknown_key_is_reported_with_its_path()
    {
        AssertError(t => t.Replace("  max_vms: 32", "  max_vms: 32\n  max_vm: 4"), "island.max_vm", "unknown field");
    }

    [TestMethod]
    public void Missing_required_field_is_reported()
    {
        AssertError(t => t.Replace("  supervision_cycle_ms: 10\n", ""), "island.supervision_cycle_ms", "missing required field");
    }

    [TestMethod]
    public void Wrong_type_is_reported()
    {
        AssertError(t => t.Replace("clock_hz: 100000000", "clock_hz: fast"), "island.clock_hz", "expected a non-negative integer");
    }

    [TestMethod]
    public void Vring_count_that_is_not_a_power_of_two_is_reported()
    {
        AssertError(t => t.Replace("{ da: 0x8000, align: 0x1000, num: 256 }", "{ da: 0x8000, align: 0x1000, num: 200 }"),
            "link.shared_memory.vrings[1].num", "power of two");
    }

    [TestMethod]
    public void Misaligned_vring_is_reported()
    {
        AssertError(t => t.Replace("da: 0x8000", "da: 0x8800"), "link.shared_memory.vrings[1].da", "not aligned");
    }

    [TestMethod]
    public void Overlapping_vrings_are_reported()
    {
        AssertError(t => t.Replace("da: 0x8000", "da: 0x5000"), "link.shared_memory.vrings[1]", "overlaps link.shared_memory.vrings[0]");
    }

    [TestMethod]
    public void Vring_overlapping_the_resource_table_is_reported()
    {
        AssertError(t => t.Replace("da: 0x4000", "da: 0x0"), "link.shared_memory.vrings[0]", "overlaps link.shared_memory.resource_table");
    }

    [TestMethod]
    public void Buffer_pool_that_does_not_fit_is_reported()
    {
        AssertError(t => t.Replace("count: 512", "count: 1024"), "link.shared_memory.buffers", "does not fit in shared_memory.size");
    }

    [TestMethod]
    public void Buffer_count_that_is_not_a_power_of_two_is_reported()
    {
        AssertError(t => t.Replace("count: 512", "count: 500"), "link.shared_memory.buffers.count", "power of two");
    }

    [TestMethod]
    public void Duplicate_power_domain_id_and_name_are_reported()
    {
        AssertError(t => t.Replace("{ id: 2, name: vm-web", "{ id: 1, name: vm-web"), "power_domains[2].id", "duplicate power domain id 1");
        AssertError(t => t.Replace("{ id: 2, name: vm-web", "{ id: 2, name: vm-base"), "power_domains[2].name", "duplicate power domain name 'vm-base'");
    }

    [TestMethod]
    public void Invalid_criticality_is_reported()
    {
        AssertError(t => t.Replace("criticality: asil-d", "criticality: asil-e"), "power_domains[3].criticality", "not one of qm, asil-a");
    }

    [TestMethod]
    public void The_xen_variant_of_the_virtual_board_drives_xen_over_the_serial_link_and_others_default_to_qemu()
    {
        BoardDescriptor xen = BoardLoader.LoadById(BoardsDir, "virtual-xen");
        Assert.AreEqual("xen", xen.Vmm);
        Assert.AreEqual(LinkTransport.Serial, xen.Link.Transport);
        Assert.AreEqual(new SerialSpec("/dev/ttyS1", 115200), xen.Link.Serial);
        Assert.AreEqual("qemu", BoardLoader.LoadById(BoardsDir, "virtual").Vmm);
        Assert.AreEqual(60u, xen.Island.AgentFailedRefCycleTolerance, "an agent restarted in a TCG dom0 must not reset the A-cluster");
        Assert.AreEqual(2u, BoardLoader.LoadById(BoardsDir, "virtual").Island.AgentFailedRefCycleTolerance, "the firmware's default");
        IslandConfig config = IslandConfigLoader.Load(Path.Combine(BoardsDir, "virtual-xen", IslandConfigLoader.ConfigFileName), xen);
        Assert.AreEqual("linux", config.Vms.Single().Name);
        IslandConfig hil = IslandConfigLoader.Load(Path.Combine(BoardsDir, "virtual-xen", "hil-vms.yaml"), xen);
        CollectionAssert.AreEqual(new[] { "base", "web" }, hil.Vms.Select(v => v.Name).ToArray(), "the HIL bench's roster on Xen");
    }

    [TestMethod]
    public void Unknown_vmm_is_reported()
    {
        AssertError(t => t.Replace("application_cores: 2", "application_cores: 2\nvmm: kvmtool"), "vmm", "'kvmtool' must be qemu or xen");
    }

    [TestMethod]
    public void Unknown_transport_is_reported()
    {
        AssertError(t => t.Replace("transport: shared-memory", "transport: carrier-pigeon"), "link.transport", "not one of shared-memory");
    }

    [TestMethod]
    public void Transport_without_its_section_is_reported()
    {
        AssertError(t => t.Replace("transport: shared-memory", "transport: serial"), "link.serial", "required when transport is serial");
        AssertError(t => t.Replace("transport: shared-memory", "transport: rpmsg-char"), "link.rpmsg_char", "required when transport is rpmsg-char");
    }

    [TestMethod]
    public void Boards_directory_is_found_from_a_nested_directory()
    {
        string nested = Path.Combine(BoardsDir, "virtual");
        Assert.AreEqual(Path.GetFullPath(BoardsDir), Path.GetFullPath(BoardLoader.FindRepoBoardsDir(nested)));
        Assert.IsTrue(File.Exists(Path.Combine(BoardsDir, "virtual", BoardLoader.DescriptorFileName)));
    }

    [TestMethod]
    public void Safe_state_naming_an_unknown_domain_is_reported()
    {
        AssertError(t => t.Replace("domains_kept_on: [safety-io]", "domains_kept_on: [safety-oi]"), "safe_state.domains_kept_on[0]", "no power domain named 'safety-oi'");
    }

    [TestMethod]
    public void All_errors_are_reported_at_once()
    {
        string path = Variant(t => t.Replace("num: 256 }\n      - { da: 0x8000", "num: 100 }\n      - { da: 0x8000").Replace("criticality: asil-d", "criticality: high"));
        try
        {
            BoardDescriptorException error = Assert.ThrowsExactly<BoardDescriptorException>(() => BoardLoader.Load(path));
            Assert.IsGreaterThanOrEqualTo(2, error.Errors.Count);
            StringAssert.Contains(error.Message, "vrings[0].num");
            StringAssert.Contains(error.Message, "power_domains[3].criticality");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void Yaml_syntax_error_names_the_line()
    {
        AssertError(t => t.Replace("soc: virtual", "soc: virtual\n  bad: indentation"), "(root)", "YAML syntax error at line 9");
    }

    [TestMethod]
    public void Unclosed_flow_sequence_is_a_syntax_error_not_a_crash()
    {
        AssertError(t => t.Replace("soc: virtual", "soc: [virtual"), "(root)", "YAML syntax error");
    }
}
