// Upstream Linux base trees from the pinned Debian kernel source packages (issue #19).
//
// Debian's packaged board DTBs carry no __symbols__ node, so no overlay applies to them; the source
// package linux-source-<series> (installed by scripts/install-deps.sh) ships the whole tree as
// /usr/src/linux-source-<series>.tar.xz. The first use of a series extracts only what building a
// board DTB needs (arch/arm{,64}/boot/dts, include/dt-bindings, the one uapi header dt-bindings
// links to, scripts/dtc/include-prefixes) into a cache outside the repository, keyed by the
// package's exact Debian version:
//   $ISLAND_DTS_CACHE, else $XDG_CACHE_HOME/stratos-island/dts, else ~/.cache/stratos-island/dts
//     /<series>-<debian version>-layout<N>/linux-source-<series>/...      the extracted subset
//     /<series>-<debian version>-layout<N>/dtb/<dts path with / as _>.dtb  each base built once
// (N is CacheLayout: raise it when the extracted subset or the build changes, so old caches are
// not reused).
// A base is built as the kernel's Makefile does: `cpp -nostdinc -I<dts dir> -I<include-prefixes>
// -I<include> -undef -D__DTS__ -x assembler-with-cpp`, then `dtc -@` (so labels survive as
// __symbols__). Both steps write to a temporary name and rename, so concurrent validators never
// see half a tree.
using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.IO;

namespace Stratos.Island.Boards;

/// <summary>One pinned kernel series: the Debian package and where apt gets it.</summary>
/// <param name="Series">`6.12`, `7.3`.</param>
/// <param name="Package">The Debian source package (`linux-source-6.12`).</param>
/// <param name="PinnedVersion">The Debian version scripts/install-deps.sh installs.</param>
/// <param name="Suite">The Debian suite that carries it.</param>
public sealed record KernelSeries(string Series, string Package, string PinnedVersion, string Suite)
{
    public string Tarball => Path.Combine(KernelSources.SourceDirectory, Package + ".tar.xz");
}

/// <summary>An upstream base tree built for one board and one kernel series.</summary>
/// <param name="Series">The kernel series.</param>
/// <param name="DebianVersion">The exact package version it was built from.</param>
/// <param name="DtsPath">The DTS, relative to the kernel source root.</param>
/// <param name="DtbPath">The built base blob (with __symbols__).</param>
public sealed record UpstreamBase(KernelSeries Series, string DebianVersion, string DtsPath, string DtbPath)
{
    /// <summary>How errors name the tree: `arch/arm64/boot/dts/...dts (Linux 6.12, linux-source-6.12 6.12.118-1~deb12u1)`.</summary>
    public string Describe => DtsPath + " (Linux " + Series.Series + ", " + Series.Package + " " + DebianVersion + ")";
}

public static class KernelSources
{
    /// <summary>The kernel series boards may target; keep in step with scripts/install-deps.sh.</summary>
    public static readonly IReadOnlyDictionary<string, KernelSeries> Known = new Dictionary<string, KernelSeries>(StringComparer.Ordinal)
    {
        ["6.12"] = new("6.12", "linux-source-6.12", "6.12.118-1~deb12u1", "bookworm-security"),
        ["7.3"] = new("7.3", "linux-source-7.3", "7.3.4-1~bpo13+1", "trixie-backports"),
    };

    /// <summary>Version of the cache's layout (what is extracted, how bases are built).</summary>
    public const int CacheLayout = 1;

    /// <summary>Where Debian's linux-source packages put their tarballs (tests point it elsewhere).</summary>
    public static string SourceDirectory { get; set; } = "/usr/src";

    /// <summary>The cache root (see the file primer).</summary>
    public static string CacheRoot()
    {
        string? explicitDir = Environment.GetEnvironmentVariable("ISLAND_DTS_CACHE");
        if (!string.IsNullOrEmpty(explicitDir))
        {
            return explicitDir;
        }
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        string baseDir = !string.IsNullOrEmpty(xdg) ? xdg : Path.Combine(home.Length > 0 ? home : Path.GetTempPath(), ".cache");
        return Path.Combine(baseDir, "stratos-island", "dts");
    }

    /// <summary>Builds (or finds in the cache) the upstream base DTB of <paramref name="dtsPath"/> for <paramref name="series"/>.</summary>
    public static UpstreamBase Base(KernelSeries series, string dtsPath)
    {
        if (!File.Exists(series.Tarball))
        {
            throw new DeviceTreeException(series.Package + " is not installed (" + series.Tarball + " is missing), so the upstream Linux " + series.Series +
                " tree cannot be built: run scripts/install-deps.sh as root (it adds Debian's " + series.Suite + " suite and installs " + series.Package + "=" + series.PinnedVersion + ")");
        }
        string version = InstalledVersion(series);
        string root = Path.Combine(CacheRoot(), series.Series + "-" + version + "-layout" + CacheLayout.ToString(CultureInfo.InvariantCulture));
        string source = Path.Combine(root, series.Package);
        if (!Directory.Exists(source))
        {
            Extract(series, root, source);
        }
        string dtbDir = Path.Combine(root, "dtb");
        Directory.CreateDirectory(dtbDir);
        string dtb = Path.Combine(dtbDir, dtsPath.Replace('/', '_') + ".dtb");
        if (!File.Exists(dtb))
        {
            Build(source, dtsPath, dtb, series);
        }
        return new UpstreamBase(series, version, dtsPath, dtb);
    }

    /// <summary>The installed package's Debian version (dpkg), or the tarball's size and date when dpkg cannot tell.</summary>
    private static string InstalledVersion(KernelSeries series)
    {
        try
        {
            (int status, string output, _) = Run("dpkg-query", ["-W", "-f=${Version}", series.Package], null);
            if (status == 0 && output.Trim().Length > 0)
            {
                return output.Trim();
            }
        }
        catch (DeviceTreeException)
        {
            // No dpkg (not Debian): fall through to the tarball's identity.
        }
        var info = new FileInfo(series.Tarball);
        return "tarball-" + info.Length.ToString(CultureInfo.InvariantCulture) + "-" + info.LastWriteTimeUtc.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);
    }

    private static void Extract(KernelSeries series, string root, string source)
    {
        Directory.CreateDirectory(root);
        string staging = Path.Combine(root, "extract-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(staging);
        try
        {
            string top = series.Package + "/";
            (int status, _, string error) = Run("tar", ["-xJf", series.Tarball, "-C", staging,
                top + "arch/arm/boot/dts", top + "arch/arm64/boot/dts", top + "include/dt-bindings",
                top + "include/uapi/linux/input-event-codes.h", top + "scripts/dtc/include-prefixes"], null);
            if (status != 0)
            {
                throw new DeviceTreeException(series.Tarball + ": tar could not extract the devicetree sources: " + error.Trim());
            }
            try
            {
                Directory.Move(Path.Combine(staging, series.Package), source);
            }
            catch (IOException) when (Directory.Exists(source))
            {
                // Another validator extracted the same version first: use theirs.
            }
        }
        finally
        {
            Directory.Delete(staging, recursive: true);
        }
    }

    private static void Build(string source, string dtsPath, string dtb, KernelSeries series)
    {
        string dts = Path.Combine(source, dtsPath);
        if (!File.Exists(dts))
        {
            throw new DeviceTreeException(dtsPath + ": not in Linux " + series.Series + " (" + series.Package + "); check upstream.yaml linux.dts or drop " + series.Series + " from linux.kernels");
        }
        string arch = dtsPath.Split('/')[1];
        string temp = dtb + "." + Guid.NewGuid().ToString("N");
        string preprocessed = temp + ".dts";
        try
        {
            (int status, _, string error) = Run("cpp", ["-nostdinc", "-I", Path.Combine(source, "arch", arch, "boot", "dts"), "-I", Path.GetDirectoryName(dts)!,
                "-I", Path.Combine(source, "scripts", "dtc", "include-prefixes"), "-I", Path.Combine(source, "include"),
                "-undef", "-D__DTS__", "-x", "assembler-with-cpp", "-P", "-E", dts, "-o", preprocessed], null);
            if (status != 0)
            {
                throw new DeviceTreeException(dtsPath + " (Linux " + series.Series + "): cpp failed: " + error.Trim());
            }
            (status, _, error) = Run(DeviceTree.DtcPath, ["-q", "-@", "-I", "dts", "-O", "dtb", "-o", temp, preprocessed], null);
            if (status != 0)
            {
                throw new DeviceTreeException(dtsPath + " (Linux " + series.Series + "): dtc could not build the base: " + error.Trim());
            }
            File.Move(temp, dtb, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
            File.Delete(preprocessed);
        }
    }

    /// <summary>Runs a tool and collects its output; a missing tool is a DeviceTreeException naming the package.</summary>
    internal static (int Status, string Out, string Err) Run(string tool, IReadOnlyList<string> args, string? workingDirectory)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory != null)
        {
            start.WorkingDirectory = workingDirectory;
        }
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }
        try
        {
            using Process process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            string stderr = process.StandardError.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, stdout.Result, stderr);
        }
        catch (Win32Exception)
        {
            string package = tool switch
            {
                "cpp" => "cpp",
                "tar" => "tar and xz-utils",
                "dpkg-query" => "dpkg",
                _ => "device-tree-compiler",
            };
            throw new DeviceTreeException(tool + " is not installed: install the " + package + " package (scripts/install-deps.sh)");
        }
    }
}
