// The deployed configuration of SessionAuthBench uses the host agent's authenticator: Linux only, like the host agent.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
