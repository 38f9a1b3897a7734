namespace Stratos.Island.Protocol.Bench;

internal static class Program
{
    private static int Main() => 2;
}
