// The kit starts the virtual board through its launcher, which runs on Linux only (shared memory in
// /dev/shm, AF_UNIX, POSIX signals); the island under test is reached over the same Linux link.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
