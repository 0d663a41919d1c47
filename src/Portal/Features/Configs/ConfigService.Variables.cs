using System.Security.Cryptography;
using Microsoft.AspNetCore.Authorization;
using System.Text;
using Fleet.Portal.Features.Security;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Features.Configs;

/// <summary>Per-device variables (secrets encrypted) and SSH public keys per user and per group.</summary>
public sealed partial class ConfigService
{
    /// <summary>A device's variables as <paramref name="viewer"/> may see them: secrets masked for those who manage devices, absent for the rest.</summary>
    [RequiresPolicy(Policies.ViewFleet)]
    public async Task<IReadOnlyList<VariableRow>> ListVariablesAsync(Guid deviceId, Actor viewer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(viewer);
        var manager = await CanManageAsync(viewer);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = await db.DeviceVariables.AsNoTracking().Where(v => v.DeviceId == deviceId).OrderBy(v => v.Name).ToListAsync(cancellationToken);
        return [.. rows.Select(v => new VariableRow(v.Name, !v.IsSecret ? v.Value : manager ? Templating.Mask : null, v.IsSecret, v.UpdatedAt))];
    }

    /// <summary>
    /// A signed URL of the device's config with its secrets, for <paramref name="viewer"/> to copy (a manual install);
    /// null for a role that may not see secrets (HelpDesk), since the URL serves them to whoever holds it.
    /// </summary>
    [RequiresPolicy(Policies.ViewFleet)]
    public async Task<Uri?> SignedUrlAsync(Guid deviceId, Actor viewer) =>
        await CanManageAsync(viewer ?? throw new ArgumentNullException(nameof(viewer)))
            ? signer.SignedUrl(deviceId, SecretMode.Reveal)
            : null;

    /// <summary>Sets (or replaces) a device variable; a secret's value is stored encrypted and never audited.</summary>
    [RequiresPolicy(Policies.ManageDevices)]
    public async Task<Outcome> SetVariableAsync(
        Guid deviceId, string name, string value, bool secret, Actor actor,
        CancellationToken cancellationToken = default)
    {
        if (!await authorizer.AllowedAsync(actor, Policies.ManageDevices, "device.variable", "device", deviceId.ToString("N"), cancellationToken))
        {
            return Outcome.Forbidden(ForbiddenMessage);
        }

        name = name?.Trim() ?? string.Empty;
        if (!Templating.VariableName().IsMatch(name))
        {
            return Outcome.Invalid(
                "name", "Use a letter or '_' then up to 55 letters, digits, '_' or '-' (labels: 'labels.NAME').");
        }

        if (value is null || value.Length > DeviceVariable.MaxValueLength)
        {
            return Outcome.Invalid("value", $"A value of at most {DeviceVariable.MaxValueLength:N0} characters.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var device = await db.Devices.AsNoTracking().Where(d => d.Id == deviceId).Select(d => d.Hostname).SingleOrDefaultAsync(cancellationToken);
        if (device is null)
        {
            return Outcome.NotFound("There is no such device.");
        }

        var row = await db.DeviceVariables.SingleOrDefaultAsync(v => v.DeviceId == deviceId && v.Name == name, cancellationToken);
        var before = row is null ? null : Shown(row.Name, row.Value, row.IsSecret);
        if (row is null)
        {
            row = new DeviceVariable { DeviceId = deviceId, Name = name, Value = string.Empty };
            db.DeviceVariables.Add(row);
        }

        row.Value = secret ? secrets.Protect(value) : value;
        row.IsSecret = secret;
        row.UpdatedAt = time.GetUtcNow();
        audit.Add(db, actor, "device.variable", "device", deviceId.ToString("N"), before, $"{device}: {Shown(name, value, secret)}");
        await db.SaveChangesAsync(cancellationToken);
        notifier.Notify();
        return Outcome.Done;
    }

    [RequiresPolicy(Policies.ManageDevices)]
    public async Task<Outcome> DeleteVariableAsync(
        Guid deviceId, string name, Actor actor, CancellationToken cancellationToken = default)
    {
        if (!await authorizer.AllowedAsync(actor, Policies.ManageDevices, "device.variable.delete", "device", deviceId.ToString("N"), cancellationToken))
        {
            return Outcome.Forbidden(ForbiddenMessage);
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var row = await db.DeviceVariables.SingleOrDefaultAsync(v => v.DeviceId == deviceId && v.Name == name, cancellationToken);
        if (row is null)
        {
            return Outcome.NotFound($"The device has no variable '{name}'.");
        }

        db.DeviceVariables.Remove(row);
        audit.Add(db, actor, "device.variable.delete", "device", deviceId.ToString("N"), Shown(row.Name, row.Value, row.IsSecret), "deleted");
        await db.SaveChangesAsync(cancellationToken);
        notifier.Notify();
        return Outcome.Done;
    }

    public async Task<IReadOnlyList<SshKeyRow>> ListSshKeysAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var groups = await db.DeviceGroups.AsNoTracking().ToDictionaryAsync(g => g.Id, g => g.Name, cancellationToken);
        var keys = await db.SshKeys.AsNoTracking().OrderBy(k => k.UserName).ThenBy(k => k.GroupId).ThenBy(k => k.Id).ToListAsync(cancellationToken);
        return [.. keys.Select(k => new SshKeyRow(k.Id, k.UserName, k.GroupId, k.GroupId is { } g ? groups.GetValueOrDefault(g) : null, k.PublicKey, k.Fingerprint, k.CreatedAt, k.CreatedBy))];
    }

    /// <summary>Adds an SSH public key for a portal user (every device) or for a device group (its devices).</summary>
    [RequiresPolicy(Policies.ManageDevices)]
    public async Task<Outcome> AddSshKeyAsync(
        string? userName, int? groupId, string publicKey, Actor actor, CancellationToken cancellationToken = default)
    {
        if (!await authorizer.AllowedAsync(actor, Policies.ManageDevices, "sshkey.add", "sshkey", userName ?? $"group:{groupId}", cancellationToken))
        {
            return Outcome.Forbidden(ForbiddenMessage);
        }

        userName = string.IsNullOrWhiteSpace(userName) ? null : userName.Trim();
        if ((userName is null) == (groupId is null))
        {
            return Outcome.Invalid("owner", "A key belongs to either a user or a group.");
        }

        if (!TryParseKey(publicKey, out var key, out var fingerprint, out var error))
        {
            return Outcome.Invalid("publicKey", error);
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (groupId is not null && !await db.DeviceGroups.AnyAsync(g => g.Id == groupId, cancellationToken))
        {
            return Outcome.Invalid("groupId", "There is no such group.");
        }

        if (await db.SshKeys.AnyAsync(k => k.Fingerprint == fingerprint && k.UserName == userName && k.GroupId == groupId, cancellationToken))
        {
            return Outcome.Invalid("publicKey", "This key is already there.");
        }

        var row = new SshKey { UserName = userName, GroupId = groupId, PublicKey = key, Fingerprint = fingerprint, CreatedAt = time.GetUtcNow(), CreatedBy = actor.Name };
        db.SshKeys.Add(row);
        audit.Add(db, actor, "sshkey.add", "sshkey", fingerprint, null, $"{(userName is null ? $"group {groupId}" : $"user {userName}")}: {fingerprint}");
        await db.SaveChangesAsync(cancellationToken);
        notifier.Notify();
        return Outcome.Done;
    }

    [RequiresPolicy(Policies.ManageDevices)]
    public async Task<Outcome> DeleteSshKeyAsync(int id, Actor actor, CancellationToken cancellationToken = default)
    {
        if (!await authorizer.AllowedAsync(actor, Policies.ManageDevices, "sshkey.delete", "sshkey", id.ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken))
        {
            return Outcome.Forbidden(ForbiddenMessage);
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var row = await db.SshKeys.SingleOrDefaultAsync(k => k.Id == id, cancellationToken);
        if (row is null)
        {
            return Outcome.NotFound("There is no such key.");
        }

        db.SshKeys.Remove(row);
        audit.Add(db, actor, "sshkey.delete", "sshkey", row.Fingerprint, $"{(row.UserName is null ? $"group {row.GroupId}" : $"user {row.UserName}")}: {row.Fingerprint}", "deleted");
        await db.SaveChangesAsync(cancellationToken);
        notifier.Notify();
        return Outcome.Done;
    }

    /// <summary>Accepts one OpenSSH public key line (<c>type base64 [comment]</c>); the fingerprint is OpenSSH's SHA256 one.</summary>
    internal static bool TryParseKey(string? text, out string key, out string fingerprint, out string error)
    {
        key = fingerprint = error = string.Empty;
        var line = text?.Trim() ?? string.Empty;
        if (line.Length is 0 or > SshKey.MaxKeyLength || line.Contains('\n', StringComparison.Ordinal))
        {
            error = "Paste one public key line (ssh-ed25519 AAAA… comment).";
            return false;
        }

        if (line.Contains("PRIVATE KEY", StringComparison.Ordinal))
        {
            error = "This is a private key: paste the public one (the .pub file).";
            return false;
        }

        var parts = line.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
        byte[] blob;
        try
        {
            blob = parts.Length >= 2 ? Convert.FromBase64String(parts[1]) : [];
        }
        catch (FormatException)
        {
            blob = [];
        }

        var known = new[] { "ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com" };
        if (parts.Length < 2 || !known.Contains(parts[0]) || blob.Length < 4 + parts[0].Length || Encoding.ASCII.GetString(blob, 4, parts[0].Length) != parts[0])
        {
            error = "Not an OpenSSH public key: expected 'ssh-ed25519 AAAA…' (or ssh-rsa, ecdsa-sha2-*).";
            return false;
        }

        key = line;
        fingerprint = "SHA256:" + Convert.ToBase64String(SHA256.HashData(blob)).TrimEnd('=');
        return true;
    }

    private async Task<bool> CanManageAsync(Actor actor) =>
        actor.Source == Audit.AuditSource.System || (await authorization.AuthorizeAsync(actor.Principal, Policies.ManageDevices)).Succeeded;

    private static string Shown(string name, string value, bool secret) => secret ? $"{name} = (secret)" : $"{name} = {value}";
}
