// island-sim: the virtual island. See docs/island-sim.md.
using System;
using Stratos.Island.Sim;

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
