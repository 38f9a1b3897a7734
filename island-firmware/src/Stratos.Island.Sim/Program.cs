// island-sim: the virtual island. See docs/island-sim.md.
using System;
using Stratos.Island.Sim;

// Everything island-sim creates (shared memory, sockets, flash, log) is private (docs/security.md).
Stratos.Island.Link.Linux.PrivateEndpoints.RestrictUmask();
try
{
    SimOptions options = SimOptions.Parse(args);
    if (options.ShowHelp)
    {
        Console.WriteLine(SimOptions.Usage);
        return ExitCodes.Ok;
    }

    return options.Child ? IslandHost.Run(options) : Supervisor.Run(options);
}
catch (SimConfigurationException e)
{
    Console.Error.WriteLine("island-sim: " + e.Message);
    return ExitCodes.BadConfiguration;
}
