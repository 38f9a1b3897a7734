// boards/<id>/upstream.yaml: the upstream devicetrees a real board's fragments are checked against
// (issue #19). The Linux side names the board's DTS inside the kernel source tree and the kernel
// series it targets (each one a pinned Debian linux-source-<series> package, see KernelSources); the
// Zephyr side lists every label of Zephyr's board/SoC devicetree the island's overlay may reference,
// each with the file and commit it was read from. No Zephyr tree is installed here, so that list is
// the only base the overlay is compiled against (DeviceTree.ZephyrStub): an unlisted label fails.
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using YamlDotNet.RepresentationModel;

namespace Stratos.Island.Boards;

/// <summary>One Zephyr label the overlay relies on, and where upstream declares it.</summary>
/// <param name="Label">The label (`mailbox` for `&amp;mailbox`).</param>
/// <param name="Node">The node name upstream gives it (`mailbox@4c001000`).</param>
/// <param name="File">The Zephyr file that declares it (`dts/arm/st/mp1/stm32mp157.dtsi`).</param>
/// <param name="Commit">The Zephyr commit that file was read at.</param>
/// <param name="Reg">Upstream's reg (base, size) when the overlay's checks need it (memory nodes), else null.</param>
/// <param name="Compatible">Upstream's compatible, when given.</param>
public sealed record ZephyrLabelSpec(string Label, string Node, string File, string Commit, (ulong Base, ulong Size)? Reg, string? Compatible);

/// <summary>The parsed upstream.yaml of one board.</summary>
/// <param name="LinuxDts">The board's DTS, relative to the kernel source root (`arch/arm64/boot/dts/...`).</param>
/// <param name="Kernels">Kernel series the Linux overlay targets (`6.12`, `7.3`).</param>
/// <param name="ZephyrBoard">The Zephyr board target the island is built for.</param>
/// <param name="ZephyrLabels">The Zephyr labels the overlay may reference.</param>
public sealed record UpstreamSpec(string LinuxDts, IReadOnlyList<string> Kernels, string ZephyrBoard, IReadOnlyList<ZephyrLabelSpec> ZephyrLabels)
{
    public const string FileName = "upstream.yaml";

    /// <summary>Loads and checks one upstream.yaml; every problem is reported at once.</summary>
    public static UpstreamSpec Load(string path)
    {
        var errors = new ValidationErrors(path);
        YamlStream? stream = BoardLoader.ReadYaml(path, errors);
        UpstreamSpec? spec = null;
        YamlFields? root = stream == null ? null : YamlFields.Root(stream, errors);
        if (root != null)
        {
            YamlFields? linux = root.Mapping("linux");
            string? dts = linux?.String("dts");
            IReadOnlyList<string> kernels = linux?.Strings("kernels") ?? [];
            if (linux != null)
            {
                if (dts != null && (!dts.StartsWith("arch/", System.StringComparison.Ordinal) || !dts.EndsWith(".dts", System.StringComparison.Ordinal)))
                {
                    errors.Add(linux.Child("dts"), "'" + dts + "' is not a DTS of the kernel tree; give its path from the source root (arch/<arch>/boot/dts/<vendor>/<board>.dts)");
                }
                foreach (string series in kernels.Where(k => !KernelSources.Known.ContainsKey(k)))
                {
                    errors.Add(linux.Child("kernels"), "'" + series + "' is not a pinned kernel series; use one of " + string.Join(", ", KernelSources.Known.Keys));
                }
                if (kernels.Count == 0)
                {
                    errors.Add(linux.Child("kernels"), "empty; name at least one kernel series the overlay targets");
                }
                linux.Finish();
            }
            YamlFields? zephyr = root.Mapping("zephyr");
            string? board = zephyr?.String("board");
            var labels = new List<ZephyrLabelSpec>();
            foreach (YamlFields item in zephyr?.Mappings("labels") ?? [])
            {
                string? label = item.String("label");
                string? node = item.String("node");
                string? file = item.String("file");
                string? commit = item.String("commit");
                string? compatible = item.String("compatible", required: false);
                IReadOnlyList<uint> reg = item.Unsigneds("reg", required: false);
                if (reg.Count != 0 && reg.Count != 2)
                {
                    errors.Add(item.Child("reg"), "expected [base, size]");
                }
                item.Finish();
                if (label != null && node != null && file != null && commit != null)
                {
                    labels.Add(new ZephyrLabelSpec(label, node, file, commit, reg.Count == 2 ? (reg[0], reg[1]) : null, compatible));
                }
            }
            foreach (var duplicate in labels.GroupBy(l => l.Label).Where(g => g.Count() > 1))
            {
                errors.Add("zephyr.labels", "'" + duplicate.Key + "' is listed " + duplicate.Count().ToString(CultureInfo.InvariantCulture) + " times; list it once");
            }
            zephyr?.Finish();
            root.Finish();
            if (dts != null && board != null)
            {
                spec = new UpstreamSpec(dts, kernels, board, labels);
            }
        }
        if (errors.All.Count > 0 || spec == null)
        {
            throw new BoardDescriptorException(errors.All.Count > 0 ? errors.All : [path + ": could not be read"]);
        }
        return spec;
    }

    /// <summary>The architecture directory of the DTS (`arm` or `arm64`).</summary>
    public string LinuxArch => LinuxDts.Split('/')[1];

    /// <summary>upstream.yaml of the board folder, or null when the folder has none.</summary>
    public static string PathIn(string boardDir) => Path.Combine(boardDir, FileName);
}
