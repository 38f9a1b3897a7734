namespace Stratos.Island.Link.Bench;

internal static class Program
{
    private static int Main() => 2;
}
