// The harnesses drive the host agent's API code and run under afl++: Linux only, like the host agent.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
