using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Stratos.Island.VectorGen;

namespace Stratos.Island.Protocol.Tests;

/// <summary>Paths into the repository and the checked-in golden vectors.</summary>
internal static class Repository
{
    public static string Root { get; } = VectorSet.FindRepositoryRoot(AppContext.BaseDirectory)
        ?? throw new InvalidOperationException("cannot find Stratos.Island.sln above " + AppContext.BaseDirectory);

    public static string VectorDirectory => Path.Combine(Root, "protocol", "vectors");

    public static IReadOnlyList<GoldenVector> CheckedInVectors() =>
        Directory.GetFiles(VectorDirectory, "*" + VectorFile.Extension)
            .OrderBy(path => path, StringComparer.Ordinal)
            .Select(path => VectorFile.Parse(path, File.ReadAllText(path)))
            .ToList();
}
