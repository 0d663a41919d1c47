using System.Text.RegularExpressions;
using Fleet.Portal.Data;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Tests.Data;

/// <summary>
/// One mapping per entity: each of the portal's entities is configured by exactly one
/// <see cref="IEntityTypeConfiguration{TEntity}"/>, in a file named after it beside the entity, and nothing else
/// (OnModelCreating, another entity's configuration) maps it. A reader finds all of an entity's columns in one file.
/// </summary>
public sealed partial class EntityMappingTests
{
    private static readonly Type[] Configurations = typeof(PortalApp).Assembly.GetTypes()
        .Where(t => t is { IsClass: true, IsAbstract: false })
        .Where(t => t.GetInterfaces().Any(IsEntityConfiguration))
        .ToArray();

    [Fact]
    public void PortalEntities_EachMappedByExactlyOneConfiguration()
    {
        using var db = NewContext();
        var entities = db.Model.GetEntityTypes().Select(e => e.ClrType)
            .Where(t => t.Assembly == typeof(PortalApp).Assembly).Distinct().ToList();

        Assert.Contains(typeof(Device), entities); // the filter keeps the portal's own entities
        Assert.All(entities, entity =>
        {
            var mappings = Configurations.Where(c => c.GetInterfaces().Any(i => IsEntityConfiguration(i)
                && i.GetGenericArguments()[0] == entity)).Select(c => c.Name).ToList();
            Assert.True(mappings.Count == 1, $"{entity.Name} is mapped by [{string.Join(", ", mappings)}]");
        });
    }

    [Fact]
    public void Configurations_EachMapOneEntity_NamedAfterIt()
    {
        Assert.NotEmpty(Configurations);
        Assert.All(Configurations, c =>
        {
            var entities = c.GetInterfaces().Where(IsEntityConfiguration).Select(i => i.GetGenericArguments()[0])
                .ToList();
            Assert.Single(entities);
            Assert.Equal(entities[0].Name + "Configuration", c.Name);
        });
    }

    [Fact]
    public void ConfigurationFiles_BesideTheirEntity_AndNoOtherMappingInSource()
    {
        var portal = Path.Combine(RepositoryRoot(), "src", "Portal");
        var sep = Path.DirectorySeparatorChar;
        var sources = Directory.EnumerateFiles(portal, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{sep}Migrations{sep}", StringComparison.Ordinal)
                && !f.Contains($"{sep}obj{sep}", StringComparison.Ordinal)
                && !f.Contains($"{sep}bin{sep}", StringComparison.Ordinal))
            .ToDictionary(f => f, File.ReadAllText);

        // builder.Entity<T>(…) anywhere would be a second place an entity is mapped.
        Assert.Empty(sources.Where(s => EntityCall().IsMatch(s.Value))
            .Select(s => Path.GetRelativePath(portal, s.Key)));

        Assert.All(Configurations, c =>
        {
            var entity = c.GetInterfaces().First(IsEntityConfiguration).GetGenericArguments()[0];
            var file = sources.Keys.SingleOrDefault(f => Path.GetFileName(f) == c.Name + ".cs");
            Assert.True(file is not null, $"{c.Name} is not in {c.Name}.cs");
            var declaration = new Regex($@"\b(class|record) {entity.Name}\b");
            Assert.True(
                sources.Any(s => Path.GetDirectoryName(s.Key) == Path.GetDirectoryName(file) && s.Key != file
                    && declaration.IsMatch(s.Value)),
                $"{c.Name}.cs is not in the folder that declares {entity.Name}");
        });
    }

    [Fact]
    public void Device_MappedInOnePlace()
    {
        // The entity the issue was about: 55 columns over four partial files, once mapped in five places.
        var mappings = Configurations.Where(c => c.GetInterfaces()
            .Any(i => IsEntityConfiguration(i) && i.GetGenericArguments()[0] == typeof(Device))).ToList();

        Assert.Equal("DeviceConfiguration", Assert.Single(mappings).Name);
    }

    private static bool IsEntityConfiguration(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IEntityTypeConfiguration<>);

    private static FleetDbContext NewContext() =>
        new(new DbContextOptionsBuilder<FleetDbContext>().UseSqlite("Data Source=:memory:").Options);

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null;
            directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Fleet.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Fleet.sln not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"\.Entity<\w+>\(")]
    private static partial Regex EntityCall();
}
