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
            .Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(t => $"{t.FullName} ({t.Assembly.GetName().Name})"))}")
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.True(duplicates.Count == 0, "Types sharing a simple name:\n" + string.Join("\n", duplicates));
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
