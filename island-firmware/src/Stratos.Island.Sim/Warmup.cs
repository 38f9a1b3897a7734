// Compiles the island's code before the island reports ready. On the MCU the firmware is
// precompiled; here the first Hello, status push or log read would otherwise pay for JIT
// compilation of every method on its path (tens of ms on a loaded 2-core VM), which is exactly the
// recovery time the agent measures after an island restart.
using System;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace Stratos.Island.Sim;

public static class Warmup
{
    public static int PrepareAssemblies(params Type[] markers)
    {
        int prepared = 0;
        foreach (Type marker in markers)
        {
            foreach (Type type in marker.Assembly.GetTypes())
            {
                if (type.ContainsGenericParameters)
                {
                    continue;
                }

                const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
                foreach (MethodInfo method in type.GetMethods(all))
                {
                    prepared += Prepare(method);
                }

                foreach (ConstructorInfo constructor in type.GetConstructors(all))
                {
                    prepared += Prepare(constructor);
                }
            }
        }

        return prepared;
    }

    private static int Prepare(MethodBase method)
    {
        if (method.IsAbstract || method.ContainsGenericParameters || method.GetMethodBody() == null)
        {
            return 0;
        }

        try
        {
            RuntimeHelpers.PrepareMethod(method.MethodHandle);
            return 1;
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or BadImageFormatException or TypeLoadException)
        {
            return 0;
        }
    }
}
