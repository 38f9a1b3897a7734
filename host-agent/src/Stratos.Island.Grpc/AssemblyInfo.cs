// The agent and its API run on Linux only (UNIX sockets with file modes, /run paths).
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
