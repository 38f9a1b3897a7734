// Identity of the native HAL assembly. AssemblyNativeVersion is the version the nanoCLR port's
// native table declares (its generated stub, README.md "Native table contract"): nanoCLR refuses to
// bind an assembly whose version or native checksum differs from the port's. Bump it with
// native-table.txt whenever the table changes. The attribute exists only in nanoFramework's mscorlib,
// so only the nano compile (NANOFRAMEWORK_1_0) sees it.
#if NANOFRAMEWORK_1_0
using System.Reflection;

[assembly: AssemblyNativeVersion("1.0.0.0")]
#endif
