using System.Diagnostics;
using System.Net.Sockets;
using Fleet.DeviceAgent;
using Fleet.DeviceAgent.Tpm;
using Fleet.DeviceAgent.Updates;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Tests.Infrastructure;

/// <summary>
/// A real software TPM 2.0 (<c>swtpm</c>) on free loopback ports with its state in a temp folder,
/// killed on dispose. Each instance is a different TPM (its own endorsement seed, so its own EK).
/// </summary>
public sealed class SoftwareTpm : IAsyncDisposable
{
    private readonly Process _process;

    private SoftwareTpm(Process process, string directory, int port)
    {
        _process = process;
        Directory = directory;
        Port = port;
    }

    public string Directory { get; }

    public int Port { get; }

    /// <summary>The tpm2-tools TCTI for this TPM.</summary>
    public string Tcti => $"swtpm:host=127.0.0.1,port={Port}";

    /// <summary>A fresh TPM with no EK certificate.</summary>
    public static Task<SoftwareTpm> StartAsync() =>
        StartAsync(System.IO.Directory.CreateTempSubdirectory("fleet-swtpm-").FullName);

    /// <summary>A TPM on existing state (<c>swtpm_setup</c> made it); the folder is deleted on dispose.</summary>
    public static async Task<SoftwareTpm> StartAsync(string directory)
    {
        // The swtpm TCTI finds the control channel at port + 1.
        var port = ConsecutiveFreePorts();
        var control = port + 1;
        var start = new ProcessStartInfo("swtpm")
        {
            ArgumentList =
            {
                "socket", "--tpmstate", $"dir={directory}", "--tpm2",
                "--server", $"type=tcp,port={port},bindaddr=127.0.0.1",
                "--ctrl", $"type=tcp,port={control},bindaddr=127.0.0.1",
                "--flags", "not-need-init,startup-clear",
            },
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("swtpm did not start");
        var tpm = new SoftwareTpm(process, directory, port);

        // Ready when it accepts a connection (it closes an idle one without harm).
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"swtpm exited with {process.ExitCode}: {await process.StandardError.ReadToEndAsync()}");
            }

            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync("127.0.0.1", port, deadline.Token);
                return tpm;
            }
            catch (SocketException)
            {
                await Task.Delay(50, deadline.Token);
            }
        }
    }

    /// <summary>
    /// Two free consecutive ports below Linux's ephemeral range (32768+): ports the kernel hands out for
    /// bind(0) come in odd/even patterns, and busy test runs keep the neighbour of one in use.
    /// </summary>
    private static int ConsecutiveFreePorts()
    {
        for (var attempt = 0; ; attempt++)
        {
            var port = Random.Shared.Next(20_000, 32_000);
            try
            {
                using var first = new TcpListener(System.Net.IPAddress.Loopback, port);
                first.Start();
                using var second = new TcpListener(System.Net.IPAddress.Loopback, port + 1);
                second.Start();
                return port;
            }
            catch (SocketException) when (attempt < 200)
            {
                // Taken; try another pair.
            }
        }
    }

    /// <summary>
    /// The agent's real tpm2-tools adapter for this TPM, keeping its keys under <paramref name="stateDirectory"/> and
    /// presenting the EK <paramref name="ek"/> picks.
    /// </summary>
    public Tpm2Tools Adapter(string? stateDirectory = null, TpmEkAlgorithm ek = TpmEkAlgorithm.Auto) => new(
        new ProcessRunner(),
        Options.Create(new AgentOptions
        {
            StateDirectory = stateDirectory ?? System.IO.Directory.CreateTempSubdirectory("fleet-agent-tpm-").FullName,
        }),
        Options.Create(new TpmOptions { Enabled = true, Tcti = Tcti, EkAlgorithm = ek }),
        NullLogger<Tpm2Tools>.Instance);

    /// <summary>Runs a tpm2-tools command against this TPM.</summary>
    public async Task<ProcessResult> RunAsync(string tool, params string[] arguments) =>
        await new ProcessRunner().RunAsync(tool, arguments, TimeSpan.FromSeconds(30), CancellationToken.None, new Dictionary<string, string> { ["TPM2TOOLS_TCTI"] = Tcti });

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }
}
