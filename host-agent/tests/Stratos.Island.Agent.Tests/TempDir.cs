using System;
using System.IO;

namespace Stratos.Island.Agent.Tests;

/// <summary>A short temporary directory (UNIX socket paths are limited to 107 bytes), removed on dispose.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "siag-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A QEMU may still be releasing a socket; the OS cleans /tmp.
        }
    }
}
