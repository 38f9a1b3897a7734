namespace Stratos.Island.VectorGen;

internal static class Program
{
    private static int Main() => 2;
}
