using Microsoft.VisualStudio.TestTools.UnitTesting;

[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
[assembly: Parallelize(Workers = 2, Scope = ExecutionScope.ClassLevel)]
