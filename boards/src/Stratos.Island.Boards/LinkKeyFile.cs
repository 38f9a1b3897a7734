// The link's board key as a file (docs/link.md "Authentication"): the agent's copy, and island-sim's
// (the virtual board's stand-in for the key inside the signed bundle). Exactly 32 bytes, or 64 hex
// digits (and an optional newline), readable by its owner only (mode 0600 or 0400). A key that group
// or other can access is refused: anyone who can read it can speak for either end of the link.
using System;
using System.IO;

namespace Stratos.Island.Boards;

public static class LinkKeyFile
{
    /// <summary>Reads and checks a link key file; throws InvalidDataException naming the file and the fault.</summary>
    public static byte[] Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new InvalidDataException($"link key file '{path}' does not exist");
        }

        if (!OperatingSystem.IsWindows())
        {
            UnixFileMode mode = File.GetUnixFileMode(path);
            const UnixFileMode groupOrOther = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
                | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
            if ((mode & groupOrOther) != 0)
            {
                throw new InvalidDataException(
                    $"link key file '{path}' has mode {Convert.ToString((int)mode, 8).PadLeft(4, '0')}: group or other may access it; make it 0600 (chmod 600 '{path}')");
            }
        }

        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length == 32)
        {
            return bytes;
        }

        string text = System.Text.Encoding.ASCII.GetString(bytes).Trim();
        if (text.Length == 64)
        {
            try
            {
                return Convert.FromHexString(text);
            }
            catch (FormatException)
            {
            }
        }

        throw new InvalidDataException($"link key file '{path}' must hold 32 bytes or 64 hex digits, not {bytes.Length} bytes");
    }

    /// <summary>Writes a new random key as 64 hex digits with mode 0600 (created so, never widened first).</summary>
    public static byte[] Create(string path)
    {
        byte[] key = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(path, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(Convert.ToHexStringLower(key));
            writer.Write('\n');
        }

        return key;
    }
}
