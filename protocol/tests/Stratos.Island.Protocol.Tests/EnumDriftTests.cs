using System;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Codec;
using Stratos.Island.Codec.Link;

namespace Stratos.Island.Protocol.Tests;

/// <summary>The island's generated enums (Enums.cs) and the generated EnvelopeBody must have exactly
/// the names and values of the Google.Protobuf generated enums.</summary>
[TestClass]
public sealed class EnumDriftTests
{
    private static Type HostEnum(Type islandEnum)
    {
        if (islandEnum == typeof(EnvelopeBody)) return typeof(Stratos.Island.Protocol.Link.V1.Envelope.BodyOneofCase);
        Type? host = typeof(Stratos.Island.Protocol.Common.V1.ErrorCode).Assembly.GetType("Stratos.Island.Protocol.Common.V1." + islandEnum.Name)
            ?? typeof(Stratos.Island.Protocol.Common.V1.ErrorCode).Assembly.GetType("Stratos.Island.Protocol.Link.V1." + islandEnum.Name);
        return host ?? throw new AssertFailedException($"no generated enum named {islandEnum.Name} for island enum {islandEnum.FullName}");
    }

    private static string Describe(Type enumType) =>
        string.Join(", ", Enum.GetNames(enumType).OrderBy(n => n, StringComparer.Ordinal)
            .Select(n => n + "=" + Convert.ToInt32(Enum.Parse(enumType, n), System.Globalization.CultureInfo.InvariantCulture)));

    [TestMethod]
    public void Every_island_enum_has_exactly_the_generated_names_and_values()
    {
        Type[] islandEnums = typeof(CodecStatus).Assembly.GetTypes()
            .Where(t => t.IsEnum && t.IsPublic && t != typeof(CodecStatus))
            .ToArray();
        Assert.AreEqual(18, islandEnums.Length, string.Join(", ", islandEnums.Select(t => t.Name)));
        foreach (Type island in islandEnums)
        {
            Assert.AreEqual(Describe(HostEnum(island)), Describe(island), island.Name);
        }
    }

    [TestMethod]
    public void Every_generated_link_and_common_enum_has_an_island_mirror()
    {
        var hostEnums = typeof(Stratos.Island.Protocol.Common.V1.ErrorCode).Assembly.GetTypes()
            .Where(t => t.IsEnum && t.IsPublic && (t.Namespace == "Stratos.Island.Protocol.Common.V1" || t.Namespace == "Stratos.Island.Protocol.Link.V1"));
        foreach (Type host in hostEnums)
        {
            Assert.IsNotNull(typeof(CodecStatus).Assembly.GetType("Stratos.Island.Codec." + host.Name), $"island has no enum {host.Name}");
        }
    }
}
