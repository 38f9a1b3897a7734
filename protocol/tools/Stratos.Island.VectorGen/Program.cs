using System;
using System.Collections.Generic;
using System.IO;
namespace Stratos.Island.VectorGen;

/// <summary>Writes every vector of <see cref="VectorSet"/> to protocol/vectors (or the directory
/// given as the only argument) and deletes vector files that are no longer produced.
/// Usage: dotnet run --project protocol/tools/Stratos.Island.VectorGen [-- OUTPUT_DIR]</summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        string directory;
        if (args.Length == 1)
        {
            directory = args[0];
        }
        else if (args.Length == 0)
        {
            string? root = VectorSet.FindRepositoryRoot(Directory.GetCurrentDirectory())
                ?? VectorSet.FindRepositoryRoot(AppContext.BaseDirectory);
            if (root == null)
            {
                Console.Error.WriteLine("vectorgen: cannot find Stratos.Island.sln above the current directory; pass the output directory");
                return 2;
            }

            directory = Path.Combine(root, "protocol", "vectors");
        }
        else
        {
            Console.Error.WriteLine("usage: Stratos.Island.VectorGen [OUTPUT_DIR]");
            return 2;
        }

        Directory.CreateDirectory(directory);
        IReadOnlyList<GoldenVector> vectors = VectorSet.Build();
        var produced = new HashSet<string>(StringComparer.Ordinal);
        foreach (GoldenVector vector in vectors)
        {
            string path = Path.Combine(directory, vector.Name + VectorFile.Extension);
            File.WriteAllText(path, VectorFile.Format(vector));
            produced.Add(Path.GetFileName(path));
        }

        foreach (string stale in Directory.GetFiles(directory, "*" + VectorFile.Extension))
        {
            if (!produced.Contains(Path.GetFileName(stale)))
            {
                File.Delete(stale);
                Console.WriteLine($"deleted stale {stale}");
            }
        }

        Console.WriteLine($"wrote {vectors.Count} vectors to {directory}");
        return 0;
    }
}
