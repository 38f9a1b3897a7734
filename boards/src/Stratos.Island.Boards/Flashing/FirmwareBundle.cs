// Firmware bundle: one uncompressed POSIX tar (ustar) file, flat, in this order (docs/flashing.md):
//   manifest.json  JSON: format, board id, tool version, creation time, config hash, and for every
//                  other file (except manifest.sig) its name, role, size and SHA-256
//   manifest.sig   ECDSA P-256 over SHA-256(manifest.json), 64 bytes r||s (IEEE P1363), the form
//                  MCU crypto accelerators take
//   board.yaml     the board descriptor the images were built for
//   config.bin     the island configuration: per VM, u32 little-endian length + the VmDefinition
//                  protobuf encoding (the same framing as the config hash, docs/boards.md)
//   vms.yaml       the source of config.bin, for people
//   <image>...     the island image(s), by file name
//   link.key       optional (--link-key): the link's 32-byte board key (docs/link.md "Authentication"),
//                  signed like every file so an island takes only a key its release engineer
//                  provisioned; a bundle that holds one is a secret (written 0600, the entry 0600)
// A tar needs no extra package on either side and `tar tvf` shows it. Verification checks the
// signature first (a changed manifest fails there), then each listed file's size and digest, and
// rejects files the manifest does not list; every error names the file.
using System;
using System.Collections.Generic;
using System.Formats.Tar;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Google.Protobuf;

namespace Stratos.Island.Boards.Flashing;

/// <summary>A bundle could not be built or failed verification; the message names the file and the fix.</summary>
public sealed class BundleException(string message, BundleFailure failure = BundleFailure.Invalid) : Exception(message)
{
    public BundleFailure Failure { get; } = failure;
}

public enum BundleFailure
{
    /// <summary>Bad input: missing file, unreadable key, not a bundle.</summary>
    Invalid,
    /// <summary>The manifest's signature does not verify.</summary>
    Signature,
    /// <summary>A file's size or digest differs from the manifest, or a file is missing or extra.</summary>
    Digest,
    /// <summary>An image does not fit the board's image budget.</summary>
    TooLarge,
}

public sealed record BundleFile(string Name, string Role, long Size, string Sha256);

public sealed record BundleManifest(string Format, string Board, string ToolVersion, DateTimeOffset CreatedUtc, uint ConfigHash, IReadOnlyList<BundleFile> Files)
{
    public IEnumerable<BundleFile> Images => Files.Where(f => f.Role == FirmwareBundle.ImageRole);
}

public static class FirmwareBundle
{
    public const string FormatName = "stratos-island-bundle/1";
    public const string ManifestName = "manifest.json";
    public const string SignatureName = "manifest.sig";
    public const string DescriptorName = "board.yaml";
    public const string ConfigName = "config.bin";
    public const string ConfigSourceName = "vms.yaml";
    public const string ImageRole = "image";
    public const string LinkKeyName = "link.key";
    public const string LinkKeyRole = "link-key";
    public const int SignatureBytes = 64;

    private static readonly string[] ReservedNames = [ManifestName, SignatureName, DescriptorName, ConfigName, ConfigSourceName, LinkKeyName];

    /// <summary>The configuration as the island reads it: per VM a u32 LE length and the VmDefinition encoding.</summary>
    public static byte[] EncodeConfig(IslandConfig config)
    {
        using var stream = new MemoryStream();
        Span<byte> length = stackalloc byte[4];
        foreach (var vm in config.Vms)
        {
            byte[] encoded = vm.ToByteArray();
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)encoded.Length);
            stream.Write(length);
            stream.Write(encoded);
        }
        return stream.ToArray();
    }

    /// <summary>Builds and signs a bundle at <paramref name="outPath"/>; returns its manifest. With
    /// <paramref name="linkKeyPath"/> (a LinkKeyFile: 0600, 32 bytes or 64 hex digits) the bundle
    /// carries the link's board key as <see cref="LinkKeyName"/> and is written 0600.</summary>
    public static BundleManifest Build(BoardDescriptor board, IReadOnlyList<string> imagePaths, string configPath, ECDsa key, string outPath, DateTimeOffset createdUtc, string toolVersion,
        string? linkKeyPath = null)
    {
        if (imagePaths.Count == 0)
        {
            throw new BundleException("--image: give at least one island image");
        }
        var contents = new List<(string Name, string Role, byte[] Data)>();
        foreach (string image in imagePaths)
        {
            if (!File.Exists(image))
            {
                throw new BundleException(image + ": image not found");
            }
            string name = Path.GetFileName(image);
            if (ReservedNames.Contains(name, StringComparer.Ordinal) || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_'))
            {
                throw new BundleException(image + ": image file name '" + name + "' must be [A-Za-z0-9._-] and not one of " + string.Join(", ", ReservedNames) + "; rename it");
            }
            if (contents.Any(c => c.Name == name))
            {
                throw new BundleException(image + ": two images are named '" + name + "'; rename one");
            }
            byte[] data = File.ReadAllBytes(image);
            if ((ulong)data.LongLength > board.ImageBudgetBytes)
            {
                throw new BundleException(image + ": image is " + data.LongLength.ToString(CultureInfo.InvariantCulture) + " bytes, too large for board '" + board.Id +
                    "' (image budget 0x" + board.ImageBudgetBytes.ToString("X", CultureInfo.InvariantCulture) + " bytes from board.yaml); shrink the image", BundleFailure.TooLarge);
            }
            contents.Add((name, ImageRole, data));
        }
        IslandConfig config = IslandConfigLoader.Load(configPath, board);
        contents.Insert(0, (DescriptorName, "descriptor", File.ReadAllBytes(board.SourcePath)));
        contents.Insert(1, (ConfigName, "config", EncodeConfig(config)));
        contents.Insert(2, (ConfigSourceName, "config-source", File.ReadAllBytes(configPath)));
        if (linkKeyPath != null)
        {
            try
            {
                contents.Add((LinkKeyName, LinkKeyRole, LinkKeyFile.Read(linkKeyPath)));
            }
            catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                throw new BundleException("--link-key: " + e.Message);
            }
        }

        var files = contents.Select(c => new BundleFile(c.Name, c.Role, c.Data.LongLength, Convert.ToHexStringLower(SHA256.HashData(c.Data)))).ToList();
        var manifest = new BundleManifest(FormatName, board.Id, toolVersion, createdUtc.ToUniversalTime(), config.ConfigHash, files);
        byte[] manifestBytes = WriteManifest(manifest);
        byte[] signature = key.SignData(manifestBytes, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

        string? dir = Path.GetDirectoryName(Path.GetFullPath(outPath));
        if (dir != null)
        {
            Directory.CreateDirectory(dir);
        }
        string temp = outPath + ".partial";
        var fileOptions = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (linkKeyPath != null && !OperatingSystem.IsWindows())
        {
            fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using (var stream = new FileStream(temp, fileOptions))
        using (var tar = new TarWriter(stream, TarEntryFormat.Ustar, leaveOpen: false))
        {
            Add(tar, ManifestName, manifestBytes, manifest.CreatedUtc);
            Add(tar, SignatureName, signature, manifest.CreatedUtc);
            foreach (var c in contents)
            {
                Add(tar, c.Name, c.Data, manifest.CreatedUtc, secret: c.Role == LinkKeyRole);
            }
        }
        if (linkKeyPath != null && !OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);   // a .partial an older run left wider
        }
        File.Move(temp, outPath, overwrite: true);
        return manifest;
    }

    private static void Add(TarWriter tar, string name, byte[] data, DateTimeOffset time, bool secret = false)
    {
        var entry = new UstarTarEntry(TarEntryType.RegularFile, name)
        {
            DataStream = new MemoryStream(data, writable: false),
            ModificationTime = time,
            Mode = secret ? UnixFileMode.UserRead | UnixFileMode.UserWrite : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
        };
        tar.WriteEntry(entry);
    }

    /// <summary>The manifest's canonical bytes: indented UTF-8 JSON, fixed key order, lowercase hex digests.</summary>
    public static byte[] WriteManifest(BundleManifest manifest)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("format", manifest.Format);
            json.WriteString("board", manifest.Board);
            json.WriteString("tool_version", manifest.ToolVersion);
            json.WriteString("created_utc", manifest.CreatedUtc.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
            json.WriteNumber("config_hash", manifest.ConfigHash);
            json.WriteStartArray("files");
            foreach (BundleFile f in manifest.Files)
            {
                json.WriteStartObject();
                json.WriteString("name", f.Name);
                json.WriteString("role", f.Role);
                json.WriteNumber("size", f.Size);
                json.WriteString("sha256", f.Sha256);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        stream.WriteByte((byte)'\n');
        return stream.ToArray();
    }

    /// <summary>Every file of a bundle by name, in tar order.</summary>
    public static IReadOnlyList<(string Name, byte[] Data)> ReadEntries(string path)
    {
        if (!File.Exists(path))
        {
            throw new BundleException(path + ": bundle not found");
        }
        var entries = new List<(string, byte[])>();
        try
        {
            using var stream = File.OpenRead(path);
            using var tar = new TarReader(stream);
            while (tar.GetNextEntry() is { } entry)
            {
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile))
                {
                    throw new BundleException(path + ": entry '" + entry.Name + "' is not a regular file; bundles hold only files");
                }
                using var data = new MemoryStream();
                entry.DataStream?.CopyTo(data);
                entries.Add((entry.Name, data.ToArray()));
            }
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException or ArgumentException)
        {
            throw new BundleException(path + ": not a firmware bundle (tar): " + e.Message);
        }
        return entries;
    }

    /// <summary>Checks signature, then every file; returns the manifest. Throws <see cref="BundleException"/> naming the failing file.</summary>
    public static BundleManifest Verify(string path, ECDsa publicKey)
    {
        IReadOnlyList<(string Name, byte[] Data)> entries = ReadEntries(path);
        var byName = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach ((string name, byte[] data) in entries)
        {
            if (!byName.TryAdd(name, data))
            {
                throw new BundleException(path + ": " + name + ": appears twice in the bundle", BundleFailure.Digest);
            }
        }
        if (!byName.TryGetValue(ManifestName, out byte[]? manifestBytes))
        {
            throw new BundleException(path + ": " + ManifestName + ": missing; not a firmware bundle");
        }
        if (!byName.TryGetValue(SignatureName, out byte[]? signature))
        {
            throw new BundleException(path + ": " + SignatureName + ": missing; the bundle is not signed");
        }
        if (signature.Length != SignatureBytes || !publicKey.VerifyData(manifestBytes, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
        {
            throw new BundleException(path + ": " + ManifestName + ": signature mismatch: " + SignatureName + " does not verify with this public key (the manifest or signature was changed, or it was signed with another key)", BundleFailure.Signature);
        }
        BundleManifest manifest = ParseManifest(manifestBytes, path);
        foreach (BundleFile f in manifest.Files)
        {
            if (!byName.TryGetValue(f.Name, out byte[]? data))
            {
                throw new BundleException(path + ": " + f.Name + ": listed in the manifest but missing from the bundle", BundleFailure.Digest);
            }
            if (data.LongLength != f.Size)
            {
                throw new BundleException(path + ": " + f.Name + ": size " + data.LongLength.ToString(CultureInfo.InvariantCulture) + " differs from the manifest's " + f.Size.ToString(CultureInfo.InvariantCulture), BundleFailure.Digest);
            }
            string digest = Convert.ToHexStringLower(SHA256.HashData(data));
            if (!string.Equals(digest, f.Sha256, StringComparison.Ordinal))
            {
                throw new BundleException(path + ": " + f.Name + ": SHA-256 " + digest + " differs from the manifest's " + f.Sha256 + " (the file was changed)", BundleFailure.Digest);
            }
        }
        foreach (string name in byName.Keys.Where(n => n != ManifestName && n != SignatureName && manifest.Files.All(f => f.Name != n)))
        {
            throw new BundleException(path + ": " + name + ": not listed in the manifest; a bundle holds only signed files", BundleFailure.Digest);
        }
        return manifest;
    }

    public static BundleManifest ParseManifest(byte[] bytes, string source)
    {
        try
        {
            using JsonDocument doc = JsonDocument.Parse(bytes);
            JsonElement root = doc.RootElement;
            string format = root.GetProperty("format").GetString() ?? "";
            if (format != FormatName)
            {
                throw new BundleException(source + ": " + ManifestName + ": format '" + format + "' is not " + FormatName + "; use a matching island version");
            }
            var files = root.GetProperty("files").EnumerateArray().Select(f => new BundleFile(
                f.GetProperty("name").GetString() ?? "", f.GetProperty("role").GetString() ?? "", f.GetProperty("size").GetInt64(), f.GetProperty("sha256").GetString() ?? "")).ToList();
            return new BundleManifest(format, root.GetProperty("board").GetString() ?? "", root.GetProperty("tool_version").GetString() ?? "",
                DateTimeOffset.Parse(root.GetProperty("created_utc").GetString() ?? "", CultureInfo.InvariantCulture), root.GetProperty("config_hash").GetUInt32(), files);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new BundleException(source + ": " + ManifestName + ": malformed: " + e.Message);
        }
    }

    /// <summary>The bytes of one file of a bundle.</summary>
    public static byte[] Extract(string path, string name) =>
        ReadEntries(path).FirstOrDefault(e => e.Name == name).Data ?? throw new BundleException(path + ": " + name + ": not in the bundle");
}
