// The board tests drive Linux tools (dtc, openocd) and sysfs-like trees: Linux only, like the host agent.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
