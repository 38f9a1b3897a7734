// Entry point of the nanoFramework console program (the nano compile is an exe): the scenario with
// Console.WriteLine as the trace sink and no heap probe (nanoFramework's heap figures live in
// nanoFramework.Runtime.Native, which this program must not need). CoreCLR runs the same scenario
// through Stratos.Island.Firmware.Scenario.Host.
namespace Stratos.Island.Firmware.Scenario
{
    public static class Program
    {
        public static void Main()
        {
            IslandScenario.Run(new ConsoleSink(), null);
        }
    }

    public sealed class ConsoleSink : ITraceSink
    {
        public void WriteLine(string line)
        {
            System.Console.WriteLine(line);
        }
    }
}
