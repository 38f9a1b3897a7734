namespace Stratos.Island.Firmware.Bench;

internal static class Program
{
    private static int Main() => 2;
}
