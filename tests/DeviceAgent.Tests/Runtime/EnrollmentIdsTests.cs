using Fleet.DeviceAgent.Runtime;

namespace Fleet.DeviceAgent.Tests.Runtime;

public sealed class EnrollmentIdsTests
{
    [Fact]
    public void NewRandom_Always_IsValidAndDistinct()
    {
        var ids = Enumerable.Range(0, 100).Select(_ => EnrollmentIds.NewRandom()).ToList();

        Assert.All(ids, id => Assert.True(EnrollmentIds.IsValid(id), id));
        Assert.Equal(100, ids.Distinct(StringComparer.Ordinal).Count());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("enroll-")]
    [InlineData("enroll-0123456789ABCDEF0123456789abcdef")]
    [InlineData("enroll-0123456789abcdef0123456789abcde")]
    [InlineData("enroll-0123456789abcdef0123456789abcdef0")]
    [InlineData("enrol-0123456789abcdef0123456789abcdef")]
    [InlineData("enroll-0123456789abcdef0123456789abcdeg")]
    public void IsValid_Malformed_ReturnsFalse(string? value)
    {
        Assert.False(EnrollmentIds.IsValid(value));
    }
}
