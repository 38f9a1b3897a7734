// island-sim and its launcher run on Linux only (shared memory in /dev/shm, AF_UNIX, POSIX signals).
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
