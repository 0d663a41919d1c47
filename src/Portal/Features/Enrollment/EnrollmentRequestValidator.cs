using System.Text.RegularExpressions;
using Fleet.Shared;
using Fleet.Shared.Messages;

namespace Fleet.Portal.Features.Enrollment;

/// <summary>Checks an enrolment request field by field; every problem names the field it is in.</summary>
internal static partial class EnrollmentRequestValidator
{
    /// <summary>Linux allows 15 characters (IFNAMSIZ - 1); 64 leaves room for other systems' names.</summary>
    public const int InterfaceNameLength = 64;

    public static IReadOnlyList<string> Validate(EnrollmentRequest request)
    {
        var errors = new List<string>();
        if (request.ProtocolVersion != Protocol.Version)
        {
            errors.Add($"protocolVersion: {request.ProtocolVersion} is not supported (expected {Protocol.Version})");
        }

        if (request.MachineId is null || !MachineIdPattern().IsMatch(request.MachineId))
        {
            errors.Add("machineId: must be 32 lower-case hex digits (/etc/machine-id)");
        }

        RequireText(errors, "hostname", request.Hostname);
        RequireText(errors, "architecture", request.Architecture, Protocol.MaxArchitectureLength);
        RequireText(errors, "kernel", request.Kernel);
        RequireText(errors, "agentVersion", request.AgentVersion, Protocol.MaxAgentVersionLength);

        if (request.OsRelease is null)
        {
            errors.Add("osRelease: missing");
        }
        else if (request.OsRelease.Count > Protocol.MaxOsReleaseFields)
        {
            errors.Add($"osRelease: {request.OsRelease.Count} fields, at most {Protocol.MaxOsReleaseFields}");
        }
        else
        {
            foreach (var (key, value) in request.OsRelease)
            {
                if (key.Length is 0 or > Protocol.MaxOsReleaseKeyLength || value is null || value.Length > Protocol.MaxFieldLength)
                {
                    errors.Add($"osRelease.{Shorten(key)}: key must be 1-{Protocol.MaxOsReleaseKeyLength} characters and value at most {Protocol.MaxFieldLength}");
                }
            }
        }

        if (request.SerialNumber is not null)
        {
            RequireText(errors, "serialNumber", request.SerialNumber, Protocol.MaxSerialNumberLength);
        }

        if (request.CertificateRequest is not null
            && !Certificates.PortalCertificateAuthority.TryReadRequest(request.CertificateRequest, out _, out var why))
        {
            errors.Add($"certificateRequest: {why}");
        }

        ValidateInterfaces(errors, request.Interfaces);
        return errors;
    }

    private static void ValidateInterfaces(List<string> errors, IReadOnlyList<NetworkInterfaceInfo>? interfaces)
    {
        if (interfaces is null || interfaces.Count == 0)
        {
            errors.Add("interfaces: at least one interface with a MAC address is required");
            return;
        }

        if (interfaces.Count > Protocol.MaxInterfaces)
        {
            errors.Add($"interfaces: {interfaces.Count} entries, at most {Protocol.MaxInterfaces}");
            return;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < interfaces.Count; i++)
        {
            var nic = interfaces[i];
            if (nic is null)
            {
                errors.Add($"interfaces[{i}]: null");
                continue;
            }

            RequireText(errors, $"interfaces[{i}].name", nic.Name, InterfaceNameLength);
            if (!MacAddress.TryNormalize(nic.Mac, out var mac) || MacAddress.IsZero(mac))
            {
                errors.Add($"interfaces[{i}].mac: '{Shorten(nic.Mac)}' is not a MAC address");
            }
            else if (!seen.Add(mac))
            {
                errors.Add($"interfaces[{i}].mac: {mac} is listed twice");
            }
        }

        var primaries = interfaces.Count(n => n?.IsPrimary == true);
        if (primaries > 1)
        {
            errors.Add($"interfaces: {primaries} interfaces are marked primary, at most one may be");
        }
    }

    private static void RequireText(List<string> errors, string field, string? value, int max = Protocol.MaxFieldLength)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            errors.Add($"{field}: missing");
        }
        else if (value.Length > max)
        {
            errors.Add($"{field}: {value.Length} characters, at most {max}");
        }
        else if (value.Any(char.IsControl))
        {
            errors.Add($"{field}: contains control characters");
        }
    }

    private static string Shorten(string? value) =>
        value is null ? "(null)" : value.Length <= 40 ? value : string.Concat(value.AsSpan(0, 40), "…");

    [GeneratedRegex("^[0-9a-f]{32}$")]
    private static partial Regex MachineIdPattern();
}
