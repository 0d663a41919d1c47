using Fleet.Portal.Features.Devices;
using Fleet.Portal.Features.Users;

namespace Fleet.Portal.Tests.Devices;

/// <summary>The pure rules behind the Devices page (query string, label syntax) and the Users page's guard.</summary>
public sealed class DeviceListRulesTests
{
    [Fact]
    public void ListState_FilteredAndUnfiltered_FilterInWordsAndClearKeepsOrder()
    {
        var state = new DeviceListState(
            "web", DeviceStatusFilter.Online, "aarch64", "rack=3", "hostname", false, 2, 50);

        Assert.Equal("“web”, status Online, architecture aarch64, label rack=3", state.FilterText);
        Assert.Equal(new DeviceListState(SortBy: "hostname", Descending: false, PageSize: 50), state.Unfiltered);
        Assert.Equal(string.Empty, state.Unfiltered.FilterText);
        Assert.Equal("?sort=hostname&dir=asc&size=50", state.Unfiltered.ToQueryString());
    }

    [Fact]
    public void ListState_RoundTrip_SameStateBack()
    {
        var state = new DeviceListState(
            "box 1&2", DeviceStatusFilter.Offline, "aarch64", "rack=3", "hostname", false, 4, 100);

        var query = state.ToQueryString();

        Assert.Equal(state, DeviceListState.Parse(query));
        Assert.Contains("page=5", query, StringComparison.Ordinal);
        Assert.DoesNotContain("page=", state.ToQueryString(withPage: false), StringComparison.Ordinal);
    }

    [Fact]
    public void ListState_Defaults_EmptyQueryString()
    {
        Assert.Equal(string.Empty, new DeviceListState().ToQueryString());
        Assert.Equal(new DeviceListState(), DeviceListState.Parse(null));
    }

    [Theory]
    [InlineData("?status=sideways&sort=drop%20table&size=7&page=-3&dir=up")]
    [InlineData("?page=99999999999&size=")]
    public void ListState_Malformed_FallsBackToDefaults(string query)
    {
        var state = DeviceListState.Parse(query);

        Assert.Equal(DeviceStatusFilter.Any, state.Status);
        Assert.Equal(DeviceListState.DefaultSort, state.SortBy);
        Assert.Equal(DeviceListState.DefaultPageSize, state.PageSize);
        Assert.Equal(0, state.Page);
        Assert.True(state.Descending);
    }

    [Fact]
    public void ListState_ToQuery_SkipsWholePages()
    {
        var query = DeviceListState.Parse("?page=3&size=50&label=lab").ToQuery();

        Assert.Equal((100, 50, "lab"), (query.Skip, query.Take, query.Label));
    }

    [Theory]
    [InlineData("lab", "lab", "")]
    [InlineData(" rack = 3 ", "rack", "3")]
    [InlineData("site=Berlin Mitte", "site", "Berlin Mitte")]
    [InlineData("_x-1=", "_x-1", "")]
    public void Label_Valid_Parsed(string text, string name, string value)
    {
        Assert.True(DeviceLabels.TryParse(text, out var label, out var error), error);
        Assert.Equal(new DeviceLabel(name, value), label);
    }

    [Theory]
    [InlineData("")]
    [InlineData("1rack")]
    [InlineData("has space")]
    [InlineData("a.b")]
    [InlineData("=3")]
    public void Label_Invalid_RefusedWithReason(string text)
    {
        Assert.False(DeviceLabels.TryParse(text, out _, out var error));
        Assert.Contains("label name", error, StringComparison.Ordinal);
    }

    [Fact]
    public void LabelList_LaterValueWins_EveryErrorReported()
    {
        var (labels, errors) = DeviceLabels.ParseList("lab, rack=1, , rack=2, bad name, 9x");

        Assert.Equal(["lab", "rack=2"], labels.Select(l => l.ToString()));
        Assert.Equal(2, errors.Count);
    }

    [Fact]
    public void LabelFromVariable_SecretOrOtherVariable_NotALabel()
    {
        Assert.Equal(new DeviceLabel("lab", "1"), DeviceLabels.FromVariable("labels.lab", "1", isSecret: false));
        Assert.Null(DeviceLabels.FromVariable("labels.lab", "1", isSecret: true));
        Assert.Null(DeviceLabels.FromVariable("site", "x", isSecret: false));
    }

    [Theory]
    [InlineData(true, true, 3, "your own account")]
    [InlineData(false, true, 1, "last enabled Admin")]
    [InlineData(false, true, 2, null)]
    [InlineData(false, false, 1, null)]
    public void AdminGuard_OwnOrLastAdmin_Refused(bool own, bool enabledAdmin, int admins, string? expected)
    {
        var why = UserService.AdminGuard(own, enabledAdmin, admins, "ada", "disable");

        if (expected is null)
        {
            Assert.Null(why);
        }
        else
        {
            Assert.Contains(expected, why, StringComparison.Ordinal);
        }
    }
}
