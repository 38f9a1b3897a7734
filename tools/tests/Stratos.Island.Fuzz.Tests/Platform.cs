// The harnesses drive the host agent's API code: Linux only, like the host agent.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
// The loader targets share one scratch file per process, as under afl++: one test at a time.
[assembly: Microsoft.VisualStudio.TestTools.UnitTesting.DoNotParallelize]
