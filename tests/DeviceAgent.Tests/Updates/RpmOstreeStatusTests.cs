using Fleet.DeviceAgent.Updates;

namespace Fleet.DeviceAgent.Tests.Updates;

public sealed class RpmOstreeStatusTests
{
    [Fact]
    public void Parse_StagedUpdate_BootedStagedAndRollbackInRpmOstreeOrder()
    {
        var status = RpmOstreeStatus.Parse(RpmOstreeSamples.Read("staged.json"));

        Assert.Equal(3, status.Deployments.Count);
        Assert.Equal(("42.20250901.3.0", "8e1c3a5f7b9d0e2f4a6c8b0d2f4e6a8c0b2d4f6e8a0c2b4d6f8e0a2c4b6d8f0e"), (status.Booted!.Version, status.Booted.BaseRevision));
        Assert.Equal(("42.20250914.3.0", true, false), (status.Staged!.Version, status.Staged.Staged, status.Staged.Booted));
        Assert.Equal("42.20250818.3.0", status.Rollback!.Version);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1756684800), status.Booted.Timestamp);
        Assert.Equal("fedora:fedora/x86_64/coreos/stable", status.Booted.ToInfo().Origin);
        Assert.Null(status.UpdateDriver);
    }

    [Fact]
    public void Parse_LayeredContainerDeployment_BaseChecksumImageReferencePinAndDriver()
    {
        var status = RpmOstreeStatus.Parse(RpmOstreeSamples.Read("oci-layered.json"));

        var booted = status.Booted!;
        Assert.Equal("a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90", booted.BaseRevision);
        Assert.NotEqual(booted.Checksum, booted.BaseRevision);
        var info = booted.ToInfo();
        Assert.Equal(("ostree-remote-image:fedora:registry:quay.io/fedora/fedora-coreos:stable", false), (info.Origin, info.Pinned));
        Assert.Null(status.Staged);
        Assert.True(status.Rollback!.Pinned);
        Assert.Equal("zincati", status.UpdateDriver);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"deployments\": {}}")]
    [InlineData("{\"deployments\": [{\"checksum\": \"short\", \"booted\": true}]}")]
    public void Parse_NotAStatus_FormatException(string json) =>
        Assert.Throws<FormatException>(() => RpmOstreeStatus.Parse(json));

    [Fact]
    public async Task StatusAsync_StandInOnChildPathOnly_ReadsItsDeployments()
    {
        using var os = new FakeOs("42.1");
        var cli = new RpmOstreeCli(os.Runner);

        var status = await cli.StatusAsync(TestContext.Current.CancellationToken);

        Assert.Equal("42.1", status.Booted!.Version);
        Assert.DoesNotContain(FakeOs.ToolsDirectory, Environment.GetEnvironmentVariable("PATH") ?? string.Empty, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeployAsync_ScriptedFailure_RpmOstreeExceptionWithItsMessage()
    {
        using var os = new FakeOs("42.1");
        os.AddRelease("42.2", 1_800_000_000);
        os.Fail("While pulling 42.2: Server returned HTTP 404", "deploy");

        var error = await Assert.ThrowsAsync<RpmOstreeException>(() => new RpmOstreeCli(os.Runner).DeployAsync("42.2", TestContext.Current.CancellationToken));

        Assert.Equal("error: While pulling 42.2: Server returned HTTP 404", error.Message);
    }

    [Fact]
    public async Task RunAsync_ToolMissing_ToolNotFound()
    {
        var runner = new ProcessRunner(new Dictionary<string, string> { ["PATH"] = Path.GetTempPath() });

        await Assert.ThrowsAsync<ToolNotFoundException>(() => new RpmOstreeCli(runner).StatusAsync(TestContext.Current.CancellationToken));
    }
}
