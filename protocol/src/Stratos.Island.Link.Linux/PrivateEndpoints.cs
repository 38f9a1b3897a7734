using System;
using System.IO;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Stratos.Island.Link.Linux;

/// <summary>
/// Least privilege for every file and socket the agent and island-sim create (issue 15,
/// docs/security.md): the mode is right from the moment the path exists, never fixed afterwards.
/// <list type="bullet">
/// <item>Files: created with <see cref="FileStreamOptions.UnixCreateMode"/> (open(2)'s mode argument)
/// and the mode set again on the open handle (fchmod), so a file left by an older run with a wider
/// mode is narrowed before anything is written to it.</item>
/// <item>Sockets: bind, chmod/chown of the path, then listen. A bound socket that does not listen yet
/// refuses every connect (ECONNREFUSED), so nobody connects under the default mode.</item>
/// <item>Processes: <see cref="RestrictUmask"/> (umask 077) at start, so what any library creates is
/// private too.</item>
/// </list>
/// Owner-only is the default; a configured group adds group read/write (0660), nothing ever adds
/// "other" bits.
/// </summary>
public static partial class PrivateEndpoints
{
    /// <summary>0600.</summary>
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>0660: the owner and one configured group.</summary>
    public const UnixFileMode OwnerAndGroup = OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.GroupWrite;

    /// <summary>0700.</summary>
    public const UnixFileMode PrivateDirectory = OwnerOnly | UnixFileMode.UserExecute;

    /// <summary>0750: a directory a configured group may traverse (to reach a 0660 socket inside).</summary>
    public const UnixFileMode GroupDirectory = PrivateDirectory | UnixFileMode.GroupRead | UnixFileMode.GroupExecute;

    /// <summary>Sets the process umask to 077; returns the previous one.</summary>
    public static int RestrictUmask() => umask(0x3F);

    /// <summary>The effective user id of this process.</summary>
    public static int CurrentUserId() => geteuid();

    /// <summary>The mode for an endpoint: 0660 when a group is configured, else 0600.</summary>
    public static UnixFileMode ModeFor(int? groupId) => groupId is null ? OwnerOnly : OwnerAndGroup;

    /// <summary>The id of a local group; an unknown name is an error naming it.</summary>
    public static int GroupId(string name)
    {
        foreach (string line in File.ReadLines("/etc/group"))
        {
            string[] fields = line.Split(':');
            if (fields.Length >= 3 && fields[0] == name && int.TryParse(fields[2], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int gid))
            {
                return gid;
            }
        }

        throw new ArgumentException($"group '{name}' does not exist (not in /etc/group)");
    }

    /// <summary>
    /// Creates (or opens) a file whose mode is <see cref="ModeFor"/>(<paramref name="groupId"/>) from
    /// creation on, owned by <paramref name="groupId"/> when given.
    /// </summary>
    public static FileStream OpenFile(string path, FileMode mode, FileAccess access, FileShare share, int? groupId = null)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("file modes and UNIX sockets are Linux only");
        }

        UnixFileMode unixMode = ModeFor(groupId);
        var file = new FileStream(path, new FileStreamOptions { Mode = mode, Access = access, Share = share, UnixCreateMode = unixMode });
        try
        {
            Restrict(file.SafeFileHandle, path, unixMode, groupId);
        }
        catch
        {
            file.Dispose();
            throw;
        }

        return file;
    }

    /// <summary>Creates a directory and its missing parents, each 0700, or 0750 owned by <paramref name="groupId"/>
    /// (so its members reach a 0660 socket inside); existing ones keep theirs.</summary>
    public static void CreateDirectory(string path, int? groupId = null)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("file modes and UNIX sockets are Linux only");
        }

        // Each missing level gets the mode (mkdir(2) applies the umask: set it again); existing ones are left.
        string full = Path.GetFullPath(path);
        string? parent = Path.GetDirectoryName(full);
        if (Directory.Exists(full))
        {
            return;
        }

        if (parent is not null)
        {
            CreateDirectory(parent, groupId);
        }

        UnixFileMode mode = groupId is null ? PrivateDirectory : GroupDirectory;
        Directory.CreateDirectory(full, mode);
        if (groupId is int gid && chown(full, -1, gid) != 0)
        {
            throw new IOException($"'{full}': cannot give the directory to group {gid}: errno {Marshal.GetLastPInvokeError()}");
        }

        File.SetUnixFileMode(full, mode);
    }

    /// <summary>
    /// Binds a UNIX stream socket at <paramref name="path"/> (a stale file is replaced), gives the
    /// path its mode and group, then listens. IOException names the path on failure.
    /// </summary>
    public static Socket ListenUnix(string path, int backlog, int? groupId = null)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("file modes and UNIX sockets are Linux only");
        }

        File.Delete(path);
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(path));
            if (groupId is int gid && chown(path, -1, gid) != 0)
            {
                throw new IOException($"'{path}': cannot give the socket to group {gid}: errno {Marshal.GetLastPInvokeError()}");
            }

            File.SetUnixFileMode(path, ModeFor(groupId));
            listener.Listen(backlog);
            return listener;
        }
        catch (SocketException e)
        {
            listener.Dispose();
            throw new IOException($"'{path}': cannot listen: {e.Message}", e);
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }

    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private static void Restrict(SafeFileHandle handle, string path, UnixFileMode mode, int? groupId)
    {
        if (groupId is int gid && fchown((int)handle.DangerousGetHandle(), -1, gid) != 0)
        {
            throw new IOException($"'{path}': cannot give the file to group {gid}: errno {Marshal.GetLastPInvokeError()}");
        }

        File.SetUnixFileMode(handle, mode);
    }

    [LibraryImport("libc")]
    private static partial int umask(int mask);

    [LibraryImport("libc")]
    private static partial int geteuid();

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int chown(string path, int owner, int group);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fchown(int fd, int owner, int group);
}
