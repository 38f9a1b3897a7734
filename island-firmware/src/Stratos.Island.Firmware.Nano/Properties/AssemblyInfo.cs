// Assembly identity of the nanoFramework app (the nanoFramework build does not generate these).
using System.Reflection;
using System.Runtime.InteropServices;

[assembly: AssemblyTitle("Stratos.Island.Firmware.Nano")]
[assembly: AssemblyDescription("Stratos Island safety-island firmware for nanoCLR")]
[assembly: AssemblyCompany("Stratos Island project")]
[assembly: AssemblyProduct("Stratos Island")]
[assembly: AssemblyCopyright("Stratos Island project")]
[assembly: ComVisible(false)]
[assembly: AssemblyVersion("1.0.0.0")]
[assembly: AssemblyFileVersion("1.0.0.0")]
