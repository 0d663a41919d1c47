using Fleet.Shared;
using Fleet.Shared.Messages;

namespace Fleet.Portal.Features.Updates;

/// <summary>The rules a <see cref="DeploymentReport"/> must meet before it touches a device; each broken rule is named with its field.</summary>
internal static class DeploymentReportValidator
{
    public static IReadOnlyList<string> Validate(DeploymentReport report)
    {
        var errors = new List<string>();
        if (!Enum.IsDefined(report.UpdateAgent))
        {
            errors.Add("updateAgent: not None, Zincati or Fleet");
        }

        if (!Enum.IsDefined(report.Greenboot))
        {
            errors.Add("greenboot: not Unknown, Green or Red");
        }

        CheckDeployment(report.Booted, "booted", errors);
        CheckDeployment(report.Staged, "staged", errors);
        if (report.NodeUuid is not null && !UpdateRules.IsNodeUuid(report.NodeUuid))
        {
            errors.Add("nodeUuid: must be 32 lower-case hex digits");
        }

        if (report.RollbackCommandId is not null && !UpdateRules.IsId(report.RollbackCommandId))
        {
            errors.Add($"rollbackCommandId: 1–{Protocol.MaxCommandIdLength} characters of A–Z a–z 0–9 . _ -");
        }

        if (report.Event is { } e)
        {
            if (!UpdateRules.IsId(e.Id, Protocol.MaxEventIdLength))
            {
                errors.Add($"event.id: 1–{Protocol.MaxEventIdLength} characters of A–Z a–z 0–9 . _ -");
            }

            if (!Enum.IsDefined(e.Kind))
            {
                errors.Add("event.kind: not an update event kind");
            }

            if (e.TargetVersion is not null && !UpdateRules.IsName(e.TargetVersion, Protocol.MaxVersionLength))
            {
                errors.Add($"event.targetVersion: {Describe(e.TargetVersion, Protocol.MaxVersionLength)}");
            }

            // Tool output spans lines; other control characters have no business in a log line.
            if (e.Error is not null && (e.Error.Length > Protocol.MaxUpdateErrorLength || e.Error.Any(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t'))))
            {
                errors.Add($"event.error: at most {Protocol.MaxUpdateErrorLength} characters, no control characters but line breaks and tabs ({e.Error.Length} given)");
            }
        }

        return errors;
    }

    private static void CheckDeployment(DeploymentInfo? deployment, string field, List<string> errors)
    {
        if (deployment is null)
        {
            return;
        }

        if (!UpdateRules.IsChecksum(deployment.Checksum))
        {
            errors.Add($"{field}.checksum: must be {Protocol.OstreeChecksumLength} lower-case hex digits");
        }

        if (deployment.Version is not null && !UpdateRules.IsName(deployment.Version, Protocol.MaxVersionLength))
        {
            errors.Add($"{field}.version: {Describe(deployment.Version, Protocol.MaxVersionLength)}");
        }

        if (deployment.Origin is not null && !UpdateRules.IsName(deployment.Origin, Protocol.MaxOriginLength))
        {
            errors.Add($"{field}.origin: {Describe(deployment.Origin, Protocol.MaxOriginLength)}");
        }
    }

    private static string Describe(string value, int max) =>
        $"1–{max} characters without control characters ({value.Length} given)";
}
