using System;
using System.IO;
using System.Linq;

namespace Stratos.Island.Fuzz;

/// <summary>
/// stratos-fuzz                          lists the targets
/// stratos-fuzz TARGET                   runs TARGET under afl++ (persistent mode; started by ./fuzz.sh)
/// stratos-fuzz TARGET --replay PATH...  runs TARGET once per file (a directory: each file in it) and
///                                       exits 1 naming the first input that fails
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length == 0)
        {
            foreach (var (name, target) in FuzzTargets.All)
            {
                Console.WriteLine($"{name,-14} {target.Covers}");
            }

            return 0;
        }

        if (!FuzzTargets.All.TryGetValue(args[0], out var chosen))
        {
            Console.Error.WriteLine($"stratos-fuzz: unknown target '{args[0]}' (targets: {string.Join(", ", FuzzTargets.All.Keys)})");
            return 2;
        }

        if (args.Length == 1)
        {
            SharpFuzz.Fuzzer.Run(stream =>
            {
                using var buffer = new MemoryStream();
                stream.CopyTo(buffer);
                chosen.Run(buffer.ToArray());
            });
            return 0;
        }

        if (args[1] != "--replay" || args.Length < 3)
        {
            Console.Error.WriteLine("stratos-fuzz: usage: stratos-fuzz TARGET [--replay FILE|DIR...]");
            return 2;
        }

        var files = args.Skip(2).SelectMany<string, string>(p => Directory.Exists(p) ? Directory.GetFiles(p).Order(StringComparer.Ordinal) : new[] { p }).ToList();
        foreach (string file in files)
        {
            try
            {
                chosen.Run(File.ReadAllBytes(file));
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"stratos-fuzz: {args[0]}: {file}: {e}");
                return 1;
            }
        }

        Console.WriteLine($"{args[0]}: {files.Count} input(s) replayed, none failed");
        return 0;
    }
}
