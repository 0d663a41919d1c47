using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Fleet.Shared.Ignition;

/// <summary>Butane sugar inside one object: inline/local contents, contents_local, ssh_authorized_keys_local, ...</summary>
internal sealed partial class ButaneTranslation
{
    private void ApplySugar(string? definition, JsonObject obj, Dictionary<string, (YamlNode Key, YamlNode Value)> sugar, string path)
    {
        foreach (var (key, (keyNode, value)) in sugar)
        {
            var fieldPath = JsonPaths.Join(path, key);
            if (SugarSince(definition, key, path) is { } since && variant == "fcos" && butaneVersion < since)
            {
                Error($"{key} needs fcos {since} or newer; this config is fcos {butaneVersion}", keyNode, fieldPath);
                continue;
            }

            switch (definition, key)
            {
                case ("resource", "inline" or "local"):
                    Resource(obj, sugar, key, value, fieldPath, path);
                    break;
                case ("storage", "trees"):
                    Trees(value, fieldPath);
                    break;
                case ("filesystem", "with_mount_unit"):
                    if (Scalar(value, fieldPath) is { } flag)
                    {
                        if (!TryParseBoolean(flag, out var on))
                        {
                            Error($"expected true or false, got \"{flag}\"", value, fieldPath);
                        }
                        else if (on)
                        {
                            mountUnits.Add((obj, Span(keyNode, fieldPath)));
                        }
                    }

                    break;
                case ("user", "ssh_authorized_keys_local"):
                    SshKeysLocal(obj, value, fieldPath);
                    break;
                case ("unit" or "dropin", "contents_local"):
                    if (Scalar(value, fieldPath) is { } name && ReadLocal(name, value, fieldPath) is { } bytes)
                    {
                        if (obj["contents"] is not null)
                        {
                            Error("contents and contents_local are mutually exclusive", keyNode, fieldPath);
                            break;
                        }

                        obj["contents"] = Encoding.UTF8.GetString(bytes);
                        map.Node(obj["contents"], Span(value, fieldPath));
                    }

                    break;
            }
        }
    }

    /// <summary>The fcos version that introduced a sugar key (upstream "Upgrading Fedora CoreOS configs").</summary>
    private static Version? SugarSince(string? definition, string key, string path) => (definition, key) switch
    {
        ("resource", "local") or ("storage", "trees") => new Version(1, 1, 0),
        ("resource", "inline") when path.StartsWith("ignition.", StringComparison.Ordinal) => new Version(1, 1, 0),
        ("user", "ssh_authorized_keys_local") or ("unit" or "dropin", "contents_local") => new Version(1, 5, 0),
        _ => null,
    };

    private void Resource(JsonObject obj, Dictionary<string, (YamlNode Key, YamlNode Value)> sugar, string key, YamlNode value, string fieldPath, string path)
    {
        if (IsNull(value) || Scalar(value, fieldPath) is not { } text)
        {
            return;
        }

        if (obj["source"] is not null || (key == "local" && sugar.ContainsKey("inline")))
        {
            Error("only one of source, inline and local may be set", sugar[key].Key, fieldPath);
            return;
        }

        var contents = key == "inline" ? Encoding.UTF8.GetBytes(text) : ReadLocal(text, value, fieldPath);
        if (contents is null)
        {
            return;
        }

        if (key == "local" && path.StartsWith("ignition.config", StringComparison.Ordinal))
        {
            var check = IgnitionValidator.Validate(Encoding.UTF8.GetString(contents));
            foreach (var error in check.Errors)
            {
                Error($"local config {text}: {error.Message}" + (error.Path is null ? "" : $" (at {error.Path})"), value, fieldPath);
            }
        }

        IgnitionRules.TryString(obj, "compression", out var compression);
        var (url, newCompression) = DataUrl.Encode(contents, compression);
        obj["source"] = url;
        map.Node(obj["source"], Span(value, fieldPath));
        if (newCompression is not null)
        {
            obj["compression"] = newCompression;
            map.Node(obj["compression"], Span(value, fieldPath));
        }
    }

    private void SshKeysLocal(JsonObject user, YamlNode value, string fieldPath)
    {
        if (value is not YamlSequenceNode list)
        {
            Error("expected a list of file names", value, fieldPath);
            return;
        }

        if (user["sshAuthorizedKeys"] is not JsonArray keys)
        {
            keys = [];
            user["sshAuthorizedKeys"] = keys;
        }

        var index = 0;
        foreach (var item in list)
        {
            var itemPath = JsonPaths.Join(fieldPath, index++);
            if (Scalar(item, itemPath) is { } name && ReadLocal(name, item, itemPath) is { } bytes)
            {
                foreach (var line in NewLine().Split(Encoding.UTF8.GetString(bytes)).Where(l => l.Length > 0))
                {
                    keys.Push(JsonValue.Create(line));
                    map.Node(keys[^1], Span(item, itemPath));
                }
            }
        }

        if (keys.Count == 0)
        {
            user.Remove("sshAuthorizedKeys");
        }
    }

    private void Trees(YamlNode value, string fieldPath)
    {
        if (value is not YamlSequenceNode list)
        {
            Error("expected a list of trees (- local: dir)", value, fieldPath);
            return;
        }

        var index = 0;
        foreach (var item in list)
        {
            var itemPath = JsonPaths.Join(fieldPath, index++);
            if (item is not YamlMappingNode tree)
            {
                Error("expected a mapping with local: and path:", item, itemPath);
                continue;
            }

            string? local = null;
            string? destination = null;
            foreach (var (k, v) in tree.Children)
            {
                var name = KeyText(k);
                switch (name)
                {
                    case "local":
                        local = Scalar(v, JsonPaths.Join(itemPath, name));
                        break;
                    case "path":
                        destination = Scalar(v, JsonPaths.Join(itemPath, name));
                        break;
                    default:
                        Warning($"unknown key \"{name}\" (ignored)", k, JsonPaths.Join(itemPath, name));
                        break;
                }
            }

            if (local is null)
            {
                Error("a tree needs local: (a directory in the files directory)", item, itemPath);
                continue;
            }

            if (destination is not null && !destination.StartsWith('/'))
            {
                Error($"tree path \"{destination}\" must be absolute (start with /)", item, JsonPaths.Join(itemPath, "path"));
                continue;
            }

            trees.Add((local, destination, Span(item, itemPath)));
        }
    }

    private string? Scalar(YamlNode node, string path)
    {
        if (node is YamlScalarNode { Value: { } text })
        {
            return text;
        }

        Error("expected a single value", node, path);
        return null;
    }

    /// <summary>Reads a <c>local:</c> file, refusing paths that leave the files directory.</summary>
    private byte[]? ReadLocal(string relative, YamlNode node, string path)
    {
        if (files is null)
        {
            Error($"local file \"{relative}\" needs a files directory, and none is configured", node, path);
            return null;
        }

        if (!IsInside(relative))
        {
            Error($"local path \"{relative}\" must be relative and stay inside the files directory", node, path);
            return null;
        }

        if (!files.TryRead(relative, out var content))
        {
            Error($"local file \"{relative}\" was not found in the files directory", node, path);
            return null;
        }

        return content;
    }

    internal static bool IsInside(string relative) =>
        relative.Length > 0 && !relative.StartsWith('/') && !relative.Contains('\\', StringComparison.Ordinal) && !relative.Contains('\0', StringComparison.Ordinal)
        && relative.Split('/').All(segment => segment != "..");

    [GeneratedRegex("\r?\n")]
    private static partial Regex NewLine();
}
