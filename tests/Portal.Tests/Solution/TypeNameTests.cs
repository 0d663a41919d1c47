using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Fleet.Portal.Tests.Solution;

/// <summary>
/// One concept, one type, one name: two types with the same simple name in Fleet's own assemblies are
/// usually one concept written twice (two node ids, two rule sets with different limits), and a reader
/// cannot tell from a name which one code means.
/// </summary>
public sealed class TypeNameTests
{
    /// <summary>Names that still appear more than once, each with the reason; remove an entry once fixed.</summary>
    private static readonly Dictionary<string, string> Allowed = new(StringComparer.Ordinal)
    {
        // The two sides of the Cincinnati protocol: the portal's records are what it serialises (edges as int[2]),
        // the agent's a tolerant parse with helpers (age index, payload scheme) and a required-field query.
        // One wire record in Fleet.Shared would serve both; until then they keep the protocol's names.
        ["CincinnatiGraph"] = "server (Fleet.Portal) and client (Fleet.DeviceAgent) side of /v1/graph",
        ["CincinnatiNode"] = "server (Fleet.Portal) and client (Fleet.DeviceAgent) side of /v1/graph",
        ["GraphQuery"] = "server (Fleet.Portal) and client (Fleet.DeviceAgent) side of /v1/graph",
    };

    private static readonly Assembly[] Assemblies =
    [
        typeof(Fleet.Shared.Protocol).Assembly,
        typeof(Fleet.Portal.PortalApp).Assembly,
        typeof(Fleet.DeviceAgent.Updates.GraphQuery).Assembly,
    ];

    [Fact]
    public void SimpleNames_AcrossFleetAssemblies_Unique()
    {
        var duplicates = Assemblies
            .SelectMany(a => a.GetTypes())
            .Where(IsWrittenByHand)
            .GroupBy(t => t.Name, StringComparer.Ordinal)
            .Where(g => g.Count() > 1 && !Allowed.ContainsKey(g.Key))
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(t => $"{t.FullName} ({t.Assembly.GetName().Name})"))}")
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.True(duplicates.Count == 0, "Types sharing a simple name:\n" + string.Join("\n", duplicates));
    }

    [Fact]
    public void Allowed_EveryException_StillNeeded()
    {
        var names = Assemblies.SelectMany(a => a.GetTypes()).Where(IsWrittenByHand)
            .GroupBy(t => t.Name, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet();

        Assert.All(Allowed.Keys, name => Assert.Contains(name, names));
    }

    [Fact]
    public void IsWrittenByHand_KnownTypes_AsExpected()
    {
        // The filter must keep ordinary types in (else the uniqueness test could not fail) and leave EF's out.
        Assert.True(IsWrittenByHand(typeof(Fleet.Shared.NodeUuid)));
        Assert.True(IsWrittenByHand(typeof(Fleet.Portal.Features.Updates.UpdateOptions)));
        var snapshot = typeof(Fleet.Portal.PortalApp).Assembly
            .GetType("Fleet.Portal.Data.Migrations.FleetDbContextModelSnapshot", throwOnError: true)!;
        Assert.False(IsWrittenByHand(snapshot));
    }

    private static bool IsWrittenByHand(Type type) =>
        !type.IsDefined(typeof(CompilerGeneratedAttribute), inherit: false)
        && !type.Name.Contains('<', StringComparison.Ordinal)
        && !type.Name.StartsWith("__", StringComparison.Ordinal)
        && type.Name != "_Imports"                                                   // Razor's _Imports.razor
        && !(type.Namespace ?? string.Empty).StartsWith("__", StringComparison.Ordinal) // Razor's __Blazor.*
        && !(type.Namespace ?? string.Empty).Contains("__Generated", StringComparison.Ordinal)
        && !type.IsNestedPrivate
        && !typeof(Migration).IsAssignableFrom(type)
        && !typeof(ModelSnapshot).IsAssignableFrom(type);
}
