namespace Fleet.Portal.Features.Updates;

/// <summary>Tells open update pages that streams, releases, groups or locks changed, so they reload.</summary>
public sealed class UpdateNotifier
{
    public event Action? Changed;

    public void Notify() => Changed?.Invoke();
}
