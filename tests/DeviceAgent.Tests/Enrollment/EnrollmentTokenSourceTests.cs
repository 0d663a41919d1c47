using Fleet.DeviceAgent.Runtime;
using Fleet.DeviceAgent.Tests.Runtime;

namespace Fleet.DeviceAgent.Tests.Enrollment;

public sealed class EnrollmentTokenSourceTests
{
    [Fact]
    public void Resolve_KernelCommandLine_TokenTaken()
    {
        using var root = new TempDirectory();
        root.Write("proc/cmdline", "BOOT_IMAGE=/vmlinuz root=/dev/vda4 fleet.enroll_token=fet_abc123 quiet\n");

        var token = EnrollmentTokenSource.Resolve(new AgentOptions { HostRoot = root.Path }, new RecordingLogger());

        Assert.Equal("fet_abc123", token);
    }

    [Fact]
    public void Resolve_OptionThenFileThenCmdline_FirstWins()
    {
        using var root = new TempDirectory();
        root.Write("proc/cmdline", "fleet.enroll_token=from-cmdline");
        root.Write("token", "from-file\n");

        Assert.Equal("from-option", EnrollmentTokenSource.Resolve(new AgentOptions { HostRoot = root.Path, EnrollmentToken = "from-option", EnrollmentTokenFile = root.Combine("token") }, new RecordingLogger()));
        Assert.Equal("from-file", EnrollmentTokenSource.Resolve(new AgentOptions { HostRoot = root.Path, EnrollmentTokenFile = root.Combine("token") }, new RecordingLogger()));
    }

    [Fact]
    public void Resolve_UnreadableFileOrBadToken_NoTokenAndWarned()
    {
        using var root = new TempDirectory();
        var logger = new RecordingLogger();

        Assert.Null(EnrollmentTokenSource.Resolve(new AgentOptions { HostRoot = root.Path, EnrollmentTokenFile = root.Combine("missing") }, logger));
        Assert.Null(EnrollmentTokenSource.Resolve(new AgentOptions { HostRoot = root.Path, EnrollmentToken = "has space" }, logger));
        Assert.Equal(2, logger.Entries.Count(e => e.Level == Microsoft.Extensions.Logging.LogLevel.Warning));
    }
}
