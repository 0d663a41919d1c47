using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Configs;
using Fleet.Portal.Features.Security;
using Fleet.Shared;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Features.Agents;

/// <summary>An agent build as the Agent page and the API list it.</summary>
public sealed record AgentBuildRow(int Id, string Version, string Architecture, long Size, string Sha512,
    string Signature, DateTimeOffset AddedAt, string AddedBy);

/// <summary>
/// The agent builds the portal holds: files <c>{version}/{architecture}/fleet-agent</c> under <c>agents</c> in the
/// data directory (uploads) and under <see cref="AgentDeliveryOptions.BundledDirectory"/> (shipped with the portal),
/// each with
/// an <see cref="AgentBuild"/> row carrying its SHA-512 and the portal's signature. Builds found in either folder are
/// imported at start; a file whose hash moved since its row was made is imported again, with a warning. Uploads and
/// deletions are Admin actions, authorized and audited here. Every change re-renders Ignition configs (the built-in
/// layer names a build).
/// </summary>
public sealed partial class AgentCatalog(
    IDbContextFactory<FleetDbContext> dbFactory,
    FleetDataDirectory data,
    IHostEnvironment environment,
    IOptions<AgentDeliveryOptions> options,
    AgentSigningKey signingKey,
    ActorAuthorizer authorizer,
    AuditLog audit,
    AgentNotifier notifier,
    TimeProvider time,
    ILogger<AgentCatalog> logger)
{
    /// <summary>File name of a build inside its <c>{version}/{architecture}</c> folder.</summary>
    public const string FileName = "fleet-agent";

    /// <summary>The command that makes builds for a portal run from a clone (README, Agent page, start-up log).
    /// </summary>
    public const string BuildCommand = "scripts/build-agent.sh --out src/Portal/data/agents";

    /// <summary><see cref="AgentBuild.AddedBy"/> of builds found in the data directory.</summary>
    public const string FromDataDirectory = "data directory";

    /// <summary><see cref="AgentBuild.AddedBy"/> of builds shipped in <see
    /// cref="AgentDeliveryOptions.BundledDirectory"/>.
    /// </summary>
    public const string FromBundle = "bundled builds";

    private const string ForbiddenMessage = "Only an Admin may add or delete agent builds.";

    /// <summary>ELF <c>e_machine</c> of each architecture Fleet serves.</summary>
    private static readonly Dictionary<ushort, string> Machines = new() { [0x3E] = "x86_64", [0xB7] = "aarch64" };

    /// <summary>The data directory's build folder: where uploads go.</summary>
    public string DataRoot => data.Combine("agents");

    /// <summary>The bundled build folder, absolute.</summary>
    public string BundledRoot =>
        Path.GetFullPath(Path.Combine(environment.ContentRootPath, options.Value.BundledDirectory));

    /// <summary>Whether <paramref name="version"/> may name a build: 1–64 letters, digits and <c>.+-_~</c>.</summary>
    public static bool IsVersion(string? version) =>
        version is { Length: > 0 and <= Protocol.MaxAgentVersionLength } && VersionSyntax().IsMatch(version)
        && !version.Contains("..", StringComparison.Ordinal);

    /// <summary>The file of a build: the data directory's copy, else the bundled one; null when neither exists.
    /// </summary>
    public string? FileOf(string version, string architecture)
    {
        if (!IsVersion(version) || !AgentSignature.Architectures.Contains(architecture))
        {
            return null;
        }

        return new[] { DataRoot, BundledRoot }.Select(root => Path.Combine(root, version, architecture, FileName))
            .FirstOrDefault(File.Exists);
    }

    /// <summary>Every build, newest version first.</summary>
    public async Task<IReadOnlyList<AgentBuildRow>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var builds = await db.AgentBuilds.AsNoTracking().ToListAsync(cancellationToken);
        return [.. builds.OrderByDescending(b => b, Newest)
            .ThenBy(b => b.Architecture, StringComparer.Ordinal).Select(Row)];
    }

    /// <summary>One build, or null when the portal holds none of that version and architecture.</summary>
    public async Task<AgentBuild?> FindAsync(
        string version, string architecture, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.AgentBuilds.AsNoTracking()
            .SingleOrDefaultAsync(b => b.Version == version && b.Architecture == architecture, cancellationToken);
    }

    /// <summary>
    /// Imports every build file of both folders that has no row, or whose hash no longer matches its row; says once,
    /// as a warning, when the portal then holds no build at all.
    /// </summary>
    public async Task ImportAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = await db.AgentBuilds.ToDictionaryAsync(b => (b.Version, b.Architecture), cancellationToken);
        var changed = 0;
        foreach (var (root, addedBy) in new[] { (DataRoot, FromDataDirectory), (BundledRoot, FromBundle) })
        {
            foreach (var (version, architecture, file) in Files(root))
            {
                if (FileOf(version, architecture) != file)
                {
                    continue;   // The data directory's copy of the same build wins.
                }

                var (size, sha512) = await HashAsync(file, cancellationToken);
                if (rows.TryGetValue((version, architecture), out var row) && row.Sha512 == sha512)
                {
                    continue;
                }

                var before = row is null ? null : Summary(row);
                if (row is null)
                {
                    row = new AgentBuild
                    {
                        Version = version, Architecture = architecture, Sha512 = sha512, Signature = string.Empty,
                        AddedBy = addedBy,
                    };
                    db.AgentBuilds.Add(row);
                    rows[(version, architecture)] = row;
                }
                else
                {
                    logger.LogWarning(
                        "Agent build {Version} {Architecture} ({File}) changed since it was added (SHA-512 was "
                        + "{Old}…, is {New}…); imported again: devices that downloaded it before hold another "
                        + "build",
                        version, architecture, file, row.Sha512[..16], sha512[..16]);
                }

                row.Size = size;
                row.Sha512 = sha512;
                row.Signature = signingKey.Sign(version, architecture, sha512);
                row.AddedAt = time.GetUtcNow();
                row.AddedBy = addedBy;
                audit.Add(db, Actor.System, "agent.build.import", "agent-build", $"{version}/{architecture}",
                    before, Summary(row), detail: $"found in {root}");
                logger.LogInformation("Agent build {Version} {Architecture} imported from {File} ({Size} bytes)",
                    version, architecture, file, size);
                changed++;
            }
        }

        if (changed > 0)
        {
            await db.SaveChangesAsync(cancellationToken);
            notifier.Notify();
        }

        if (rows.Count == 0)
        {
            logger.LogWarning(
                "The portal holds no agent builds, so Ignition configs install no agent and devices cannot update "
                + "theirs. Build them into the data directory ({DataRoot}) or the bundled folder ({BundledRoot}); from "
                + "a clone: {Command}, then restart the portal or upload them on the Agent page",
                DataRoot, BundledRoot, BuildCommand);
        }
    }

    /// <summary>
    /// Adds a build an Admin uploads: the version's syntax, the size limit and the file's ELF architecture are
    /// checked before anything is kept; a version and architecture the portal holds already is refused (a build is
    /// never replaced: devices verify it by hash).
    /// </summary>
    [RequiresPolicy(Policies.ManageAgents)]
    public async Task<Outcome<AgentBuildRow>> UploadAsync(
        string? version,
        string? architecture,
        Stream content,
        Actor actor,
        CancellationToken cancellationToken = default)
    {
        var key = $"{version}/{architecture}";
        if (!await authorizer.AllowedAsync(actor, Policies.ManageAgents, "agent.build.add", "agent-build", key,
                cancellationToken))
        {
            return Outcome.Forbidden(ForbiddenMessage);
        }

        ArgumentNullException.ThrowIfNull(content);
        if (!IsVersion(version))
        {
            return Outcome.Invalid("version",
                $"1-{Protocol.MaxAgentVersionLength} letters, digits and . + - _ ~, starting with a letter or digit "
                + "(e.g. 1.4.0 or 1.4.0-rc.1)");
        }

        if (architecture is null || !AgentSignature.Architectures.Contains(architecture))
        {
            return Outcome.Invalid("architecture", $"one of {string.Join(", ", AgentSignature.Architectures)}");
        }

        if (FileOf(version!, architecture) is not null || await FindAsync(version!, architecture, cancellationToken)
                is not null)
        {
            return Outcome.Conflict("version",
                $"the portal holds build {version} for {architecture} already; delete it first or use a new version");
        }

        var folder = Path.Combine(DataRoot, version!, architecture);
        Directory.CreateDirectory(DataRoot);
        var temporary = Path.Combine(DataRoot, $".upload-{Guid.NewGuid():N}");
        try
        {
            var (size, sha512, problem) = await ReceiveAsync(content, temporary, architecture, cancellationToken);
            if (problem is not null)
            {
                logger.LogWarning("Upload of agent build {Version} {Architecture} by {Actor} refused: {Problem}",
                    version, architecture, actor.Name, problem);
                return Outcome.Invalid("file", problem);
            }

            Directory.CreateDirectory(folder);
            File.Move(temporary, Path.Combine(folder, FileName));
            var build = new AgentBuild
            {
                Version = version!, Architecture = architecture, Size = size, Sha512 = sha512,
                Signature = signingKey.Sign(version!, architecture, sha512), AddedAt = time.GetUtcNow(),
                AddedBy = actor.Name,
            };
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            db.AgentBuilds.Add(build);
            audit.Add(db, actor, "agent.build.add", "agent-build", key, after: Summary(build));
            await db.SaveChangesAsync(cancellationToken);
            notifier.Notify();
            logger.LogInformation("Agent build {Version} {Architecture} ({Size} bytes) uploaded by {Actor}",
                version, architecture, size, actor.Name);
            return Outcome.Of(Row(build));
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>Deletes a build (row and uploaded file); refused while a fleet or group target names its version.
    /// </summary>
    [RequiresPolicy(Policies.ManageAgents)]
    public async Task<Outcome> DeleteAsync(int id, Actor actor, CancellationToken cancellationToken = default)
    {
        var key = id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (!await authorizer.AllowedAsync(actor, Policies.ManageAgents, "agent.build.delete", "agent-build", key,
                cancellationToken))
        {
            return Outcome.Forbidden(ForbiddenMessage);
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var build = await db.AgentBuilds.SingleOrDefaultAsync(b => b.Id == id, cancellationToken);
        if (build is null)
        {
            return Outcome.NotFound("There is no such agent build.");
        }

        var targets = await db.AgentTargets.AsNoTracking()
            .Where(t => t.Version == build.Version || t.PreviousVersion == build.Version)
            .Select(t => t.TargetKey).ToListAsync(cancellationToken);
        if (targets.Count > 0)
        {
            return Outcome.Conflict("id", $"version {build.Version} is the desired or previous agent version of "
                + $"{string.Join(", ", targets)}; choose another version there first");
        }

        var bundled = Path.Combine(BundledRoot, build.Version, build.Architecture, FileName);
        if (File.Exists(bundled))
        {
            return Outcome.Conflict("id", $"build {build.Version} {build.Architecture} ships with the portal "
                + $"({bundled}); it would be imported again at the next start");
        }

        db.AgentBuilds.Remove(build);
        audit.Add(db, actor, "agent.build.delete", "agent-build", $"{build.Version}/{build.Architecture}",
            before: Summary(build));
        await db.SaveChangesAsync(cancellationToken);
        var folder = Path.Combine(DataRoot, build.Version, build.Architecture);
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }

        notifier.Notify();
        logger.LogInformation("Agent build {Version} {Architecture} deleted by {Actor}",
            build.Version, build.Architecture, actor.Name);
        return Outcome.Done;
    }

    /// <summary>Orders builds by version: numeric parts as numbers, a pre-release below its release.</summary>
    public static IComparer<AgentBuild> Newest { get; } =
        Comparer<AgentBuild>.Create((a, b) => Compare(a.Version, b.Version));

    /// <summary>Compares two versions: numeric dotted parts as numbers, a pre-release (<c>-…</c>) below its release.
    /// </summary>
    public static int Compare(string a, string b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var (coreA, preA) = Split(a);
        var (coreB, preB) = Split(b);
        var partsA = coreA.Split('.');
        var partsB = coreB.Split('.');
        for (var i = 0; i < Math.Max(partsA.Length, partsB.Length); i++)
        {
            var x = i < partsA.Length ? partsA[i] : "0";
            var y = i < partsB.Length ? partsB[i] : "0";
            var order = long.TryParse(x, out var nx) && long.TryParse(y, out var ny)
                ? nx.CompareTo(ny) : string.CompareOrdinal(x, y);
            if (order != 0)
            {
                return order;
            }
        }

        return (preA, preB) switch
        {
            (null, null) => 0,
            (null, _) => 1,
            (_, null) => -1,
            _ => string.CompareOrdinal(preA, preB),
        };

        static (string Core, string? Pre) Split(string version)
        {
            var plus = version.IndexOf('+', StringComparison.Ordinal);
            var core = plus < 0 ? version : version[..plus];
            var dash = core.IndexOf('-', StringComparison.Ordinal);
            return dash < 0 ? (core, null) : (core[..dash], core[(dash + 1)..]);
        }
    }

    private async Task<(long Size, string Sha512, string? Problem)> ReceiveAsync(
        Stream content, string path, string architecture, CancellationToken cancellationToken)
    {
        var limit = options.Value.MaxUploadMegabytes * 1024L * 1024;
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
        var header = new byte[20];
        var headerLength = 0;
        long size = 0;
        await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
        {
            var buffer = new byte[81920];
            int read;
            while ((read = await content.ReadAsync(buffer, cancellationToken)) > 0)
            {
                size += read;
                if (size > limit)
                {
                    return (size, string.Empty, $"larger than {options.Value.MaxUploadMegabytes} MiB "
                        + "(Fleet:Agents:MaxUploadMegabytes); a native agent build is about 13 MiB");
                }

                var copy = Math.Min(read, header.Length - headerLength);
                buffer.AsSpan(0, copy).CopyTo(header.AsSpan(headerLength));
                headerLength += copy;
                sha.AppendData(buffer, 0, read);
                await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
        }

        var found = ArchitectureOf(header.AsSpan(0, headerLength));
        if (found is null)
        {
            return (size, string.Empty, "not a 64-bit little-endian Linux executable (ELF) of x86_64 or aarch64");
        }

        if (found != architecture)
        {
            return (size, string.Empty, $"the file is an {found} executable, not {architecture}: "
                + $"upload it as {found}, or choose the {architecture} build");
        }

        return (size, Convert.ToHexStringLower(sha.GetHashAndReset()), null);
    }

    /// <summary>The architecture an ELF header names (<c>e_machine</c>), or null when it is not a 64-bit
    /// little-endian ELF file of an architecture Fleet serves.</summary>
    internal static string? ArchitectureOf(ReadOnlySpan<byte> header) =>
        header.Length >= 20 && header[..4].SequenceEqual("\u007fELF"u8) && header[4] == 2 && header[5] == 1
        && Machines.TryGetValue(BinaryPrimitives.ReadUInt16LittleEndian(header[18..]), out var name) ? name : null;

    private static IEnumerable<(string Version, string Architecture, string File)> Files(string root)
    {
        if (!Directory.Exists(root))
        {
            yield break;
        }

        foreach (var folder in Directory.EnumerateDirectories(root).Order(StringComparer.Ordinal))
        {
            var version = Path.GetFileName(folder);
            foreach (var architecture in AgentSignature.Architectures)
            {
                var file = Path.Combine(folder, architecture, FileName);
                if (IsVersion(version) && File.Exists(file))
                {
                    yield return (version, architecture, file);
                }
            }
        }
    }

    private static async Task<(long Size, string Sha512)> HashAsync(string path, CancellationToken cancellationToken)
    {
        await using var file = File.OpenRead(path);
        var hash = await SHA512.HashDataAsync(file, cancellationToken);
        return (file.Length, Convert.ToHexStringLower(hash));
    }

    private static AgentBuildRow Row(AgentBuild b) =>
        new(b.Id, b.Version, b.Architecture, b.Size, b.Sha512, b.Signature, b.AddedAt, b.AddedBy);

    private static string Summary(AgentBuild b) =>
        $"{b.Version} {b.Architecture}, {b.Size} bytes, SHA-512 {b.Sha512}";

    [GeneratedRegex("^[0-9A-Za-z][0-9A-Za-z.+_~-]*$")]
    private static partial Regex VersionSyntax();
}

/// <summary>Imports the builds found on disk at start (<see cref="AgentCatalog.ImportAsync"/>), after the database
/// initializer (hosted services start in registration order).</summary>
internal sealed class AgentCatalogImporter(AgentCatalog catalog) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => catalog.ImportAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
