using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace Fleet.Portal.Tests.Infrastructure;

/// <summary>
/// Native agent builds made by <c>scripts/build-agent.sh</c>, once per source state, version and architecture, into
/// <c>artifacts/test-agents/{source hash}/{version}/{architecture}/fleet-agent</c>. Test processes running at the same
/// time share a build through a lock file; a later run reuses it while the agent's sources are unchanged.
/// </summary>
public static class AgentBuilds
{
    /// <summary>The version most tests build: one build per architecture serves them all (each build takes about a
    /// minute).</summary>
    public const string Version = "3.0.0";

    /// <summary>The version a self-update is offered.</summary>
    public const string NextVersion = "3.1.0";

    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static readonly Lazy<string> SourceHash = new(HashSources);
    private static readonly string[] SourceFolders = ["src/DeviceAgent", "src/Shared"];

    /// <summary>The path of the native agent build of <paramref name="version"/> for <paramref name="architecture"/>.
    /// </summary>
    public static async Task<string> PathAsync(string version, string architecture)
    {
        var root = Repository.PathOf("artifacts", "test-agents", SourceHash.Value);
        var path = Path.Combine(root, version, architecture, "fleet-agent");
        await Gate.WaitAsync(TestContext.Current.CancellationToken);
        try
        {
            Directory.CreateDirectory(root);
            await using var fileLock = await LockAsync(Path.Combine(root, ".lock"));
            if (!File.Exists(path))
            {
                await BuildAsync(version, architecture, root);
            }

            return path;
        }
        finally
        {
            Gate.Release();
        }
    }

    private static async Task BuildAsync(string version, string architecture, string root)
    {
        var start = new ProcessStartInfo("bash")
        {
            ArgumentList =
            {
                Repository.PathOf("scripts", "build-agent.sh"), "--version", version, "--arch", architecture,
                "--out", root,
            },
            WorkingDirectory = Repository.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"scripts/build-agent.sh --version {version} --arch {architecture} exited with {process.ExitCode}:\n"
                + await output + await errors);
        }
    }

    /// <summary>An exclusive lock on <paramref name="path"/> across processes, waited for while another holds it.
    /// </summary>
    private static async Task<FileStream> LockAsync(string path)
    {
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), TestContext.Current.CancellationToken);
            }
        }
    }

    /// <summary>SHA-256 over the agent's sources (its project, the shared library and the package versions).</summary>
    private static string HashSources()
    {
        var files = SourceFolders
            .SelectMany(d => Directory.EnumerateFiles(Repository.PathOf(d), "*", SearchOption.AllDirectories))
            .Where(f => !f.Contains("/bin/", StringComparison.Ordinal))
            .Where(f => !f.Contains("/obj/", StringComparison.Ordinal))
            .Append(Repository.PathOf("Directory.Packages.props"))
            .Append(Repository.PathOf("Directory.Build.props"))
            .Append(Repository.PathOf("scripts", "build-agent.sh"))
            .Where(File.Exists)
            .Order(StringComparer.Ordinal);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in files)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(Path.GetRelativePath(Repository.Root, file)));
            hash.AppendData(File.ReadAllBytes(file));
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
    }
}
