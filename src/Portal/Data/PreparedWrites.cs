using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace Fleet.Portal.Data;

/// <summary>
/// Writes the new and changed rows of a big batch with one prepared statement per entity type (and per set of
/// changed columns), executed once per row, instead of through <c>SaveChanges</c>: EF Core's SQLite provider sends
/// every row as its own command, generated, parsed and prepared again each time (about 170 µs a row on the ingest
/// writer, a new device's 77 columns more). Built from the model (table, columns, type mappings and value converters),
/// so it writes what <c>SaveChanges</c> would, on any relational provider. What it takes is accepted in the change
/// tracker (or leaves it, for rows the store numbers); <c>SaveChanges</c> writes everything else afterwards.
/// Generated keys are not read back, so an inserted type must either have client-set keys or be referred to by no
/// other row; types with concurrency tokens are left to <c>SaveChanges</c>.
/// </summary>
internal sealed class PreparedWrites
{
    private readonly List<(IEntityType Type, bool StoreKey, List<object> Rows)> _inserts = [];
    private readonly List<(IEntityType Type, IProperty[] Columns, List<object?[]> Rows)> _updates = [];

    public int Count => _inserts.Sum(i => i.Rows.Count) + _updates.Sum(u => u.Rows.Count);

    /// <summary>
    /// Takes the Added entities of <paramref name="inserts"/> (in any order: principals are inserted before the rows
    /// that refer to them, as the model's foreign keys say) and the Modified ones of <paramref name="updates"/>. Call
    /// after <c>DetectChanges</c>; then <see cref="WriteAsync"/>, then <c>SaveChanges</c>, in one transaction.
    /// </summary>
    public static PreparedWrites Take(DbContext db, IReadOnlyList<Type> inserts, IReadOnlyList<Type> updates)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(inserts);
        ArgumentNullException.ThrowIfNull(updates);
        var writes = new PreparedWrites();
        var entries = db.ChangeTracker.Entries().ToList();
        // Everything is captured before any state changes: detaching a principal lets EF cascade to its dependents.
        var taken = new List<(IEntityType Type, bool StoreKey, List<EntityEntry> Added)>();
        foreach (var entityType in PrincipalsFirst([.. inserts.Select(t => Model(db, t))]))
        {
            var type = entityType.ClrType;
            var added = entries.Where(e => e.State == EntityState.Added && e.Metadata == entityType).ToList();
            if (added.Count == 0)
            {
                continue;
            }

            // A temporary key is the store's to generate (an identity column): it is left out and never read back.
            var storeKey = added.Any(e => e.Properties.Any(p => p.Metadata.IsPrimaryKey() && p.IsTemporary));
            if (storeKey && entityType.GetReferencingForeignKeys().Any())
            {
                throw new InvalidOperationException($"{type.Name} is referred to by other rows by a store-generated key: SaveChanges must insert it");
            }

            if (storeKey)
            {
                // Temporary keys count up in the order the rows were added: the table gets them in that order.
                var key = entityType.FindPrimaryKey()!.Properties[0];
                added.Sort((a, b) => Comparer<object?>.Default.Compare(a.Property(key).CurrentValue, b.Property(key).CurrentValue));
            }

            taken.Add((entityType, storeKey, added));
        }

        foreach (var (entityType, storeKey, added) in taken)
        {
            foreach (var entry in added)
            {
                // A row with its own key stays tracked as stored (rows SaveChanges writes may refer to it); a row the store
                // numbers cannot, and nothing refers to it.
                entry.State = storeKey ? EntityState.Detached : EntityState.Unchanged;
            }

            writes._inserts.Add((entityType, storeKey, added.ConvertAll(e => e.Entity)));
        }

        foreach (var type in updates)
        {
            var entityType = Model(db, type);
            if (entityType.GetProperties().Any(p => p.IsConcurrencyToken))
            {
                continue;
            }

            var key = entityType.FindPrimaryKey()!.Properties;
            var byColumns = new Dictionary<string, (IProperty[] Columns, List<object?[]> Rows)>(StringComparer.Ordinal);
            foreach (var entry in entries.Where(e => e.State == EntityState.Modified && e.Metadata == entityType))
            {
                var changed = entry.Properties.Where(p => p.IsModified).Select(p => p.Metadata).ToArray();
                if (changed.Length == 0 || changed.Any(p => p.IsKey()))
                {
                    continue;   // nothing to write, or a key change: SaveChanges knows how
                }

                var signature = string.Join(',', changed.Select(p => p.Name));
                if (!byColumns.TryGetValue(signature, out var group))
                {
                    byColumns[signature] = group = (changed, []);
                }

                group.Rows.Add([.. changed.Select(p => entry.Property(p).CurrentValue), .. key.Select(p => entry.Property(p).CurrentValue)]);
                entry.State = EntityState.Unchanged;   // accepted: the current values become the original ones
            }

            foreach (var (columns, rows) in byColumns.Values)
            {
                writes._updates.Add((entityType, columns, rows));
            }
        }

        return writes;
    }

    private static IEntityType Model(DbContext db, Type type) =>
        db.Model.FindEntityType(type) ?? throw new InvalidOperationException($"{type.Name} is not in the model");

    /// <summary>
    /// The types ordered so that each comes after the types its foreign keys refer to; otherwise as given.
    /// </summary>
    private static List<IEntityType> PrincipalsFirst(IReadOnlyList<IEntityType> types)
    {
        var ordered = new List<IEntityType>(types.Count);
        var visiting = new HashSet<IEntityType>();
        void Visit(IEntityType type)
        {
            if (ordered.Contains(type) || !visiting.Add(type))
            {
                return;   // placed already, or a cycle (a self-reference): keep the given order
            }

            foreach (var principal in type.GetForeignKeys().Select(k => k.PrincipalEntityType).Where(types.Contains))
            {
                Visit(principal);
            }

            ordered.Add(type);
        }

        foreach (var type in types)
        {
            Visit(type);
        }

        return ordered;
    }

    /// <summary>Writes what was taken, in the context's connection and current transaction.</summary>
    public async Task WriteAsync(DbContext db, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        await db.Database.OpenConnectionAsync(cancellationToken);   // EF counts opens: a caller's open connection stays open
        try
        {
            await WriteOpenAsync(db, cancellationToken);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private async Task WriteOpenAsync(DbContext db, CancellationToken cancellationToken)
    {
        var sql = db.GetService<ISqlGenerationHelper>();
        foreach (var (entityType, storeKey, rows) in _inserts)
        {
            var (table, store) = Table(entityType);
            var columns = entityType.GetProperties().Where(p => !(storeKey && p.IsPrimaryKey())).ToList();
            await using var command = Command(db,
                $"INSERT INTO {table} ({string.Join(", ", columns.Select(c => sql.DelimitIdentifier(c.GetColumnName(store)!)))}) "
                + $"VALUES ({string.Join(", ", columns.Select((_, i) => sql.GenerateParameterNamePlaceholder($"p{i}")))})");
            var (names, getters) = (Names(sql, columns.Count), columns.ConvertAll(c => c.GetGetter()));
            var values = new object?[columns.Count];
            foreach (var row in rows)
            {
                for (var i = 0; i < values.Length; i++)
                {
                    values[i] = getters[i].GetClrValue(row);
                }

                await ExecuteAsync(command, columns, names, values, expected: null, entityType, cancellationToken);
            }
        }

        foreach (var (entityType, changed, rows) in _updates)
        {
            var (table, store) = Table(entityType);
            var key = entityType.FindPrimaryKey()!.Properties;
            var columns = changed.Concat(key).ToList();
            await using var command = Command(db,
                $"UPDATE {table} SET {string.Join(", ", changed.Select((c, i) => $"{sql.DelimitIdentifier(c.GetColumnName(store)!)} = {sql.GenerateParameterNamePlaceholder($"p{i}")}"))} "
                + $"WHERE {string.Join(" AND ", key.Select((k, i) => $"{sql.DelimitIdentifier(k.GetColumnName(store)!)} = {sql.GenerateParameterNamePlaceholder($"p{changed.Length + i}")}"))}");
            var names = Names(sql, columns.Count);
            foreach (var values in rows)
            {
                await ExecuteAsync(command, columns, names, values, expected: 1, entityType, cancellationToken);
            }
        }
    }

    private static (string Table, StoreObjectIdentifier Store) Table(IEntityType entityType)
    {
        var name = entityType.GetTableName() ?? throw new InvalidOperationException($"{entityType.DisplayName()} has no table");
        return (name, StoreObjectIdentifier.Table(name, entityType.GetSchema()));
    }

    private static System.Data.Common.DbCommand Command(DbContext db, string text)
    {
        var command = db.Database.GetDbConnection().CreateCommand();
        command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
        command.CommandText = text;
        return command;
    }

    /// <summary>The parameter names @p0… of a statement, made once for all its rows.</summary>
    private static string[] Names(ISqlGenerationHelper sql, int count) =>
        [.. Enumerable.Range(0, count).Select(i => sql.GenerateParameterName(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"p{i}")))];

    private static async Task ExecuteAsync(System.Data.Common.DbCommand command, List<IProperty> columns, string[] names, object?[] values, int? expected, IEntityType entityType, CancellationToken cancellationToken)
    {
        // New parameters each row: the type mapping converts the value and sets the provider type as SaveChanges would.
        command.Parameters.Clear();
        for (var i = 0; i < columns.Count; i++)
        {
            command.Parameters.Add(columns[i].GetRelationalTypeMapping().CreateParameter(command, names[i], values[i], columns[i].IsNullable));
        }

        var affected = await command.ExecuteNonQueryAsync(cancellationToken);
        if (expected is { } rows && affected != rows)
        {
            throw new DbUpdateConcurrencyException($"Expected to update {rows} row(s) of {entityType.DisplayName()}, updated {affected}: the row is gone");
        }
    }
}
