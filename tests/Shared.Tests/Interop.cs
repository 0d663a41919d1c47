namespace Fleet.Shared.Tests;

/// <summary>
/// The shared interop data (<c>../shared/interop</c>); a test that reads it is skipped when it is absent.
/// </summary>
internal static class Interop
{
    public static string Root => Fleet.Tests.SharedInterop.Root;

    public static string ButanePairs => Fleet.Tests.SharedInterop.PathOf("butane-pairs");
}
