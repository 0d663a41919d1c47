using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using YamlDotNet.RepresentationModel;

namespace Fleet.Shared.Ignition;

/// <summary>fcos <c>boot_device</c> (LUKS root, mirrored boot disk) and <c>grub.users</c>, as Butane renders them.</summary>
internal sealed partial class ButaneTranslation
{
    private static readonly Version Fcos13 = new(1, 3, 0);
    private static readonly Version Fcos15 = new(1, 5, 0);
    private static readonly Version Fcos16 = new(1, 6, 0);

    private void AddBootDevice(ref JsonObject config, YamlNode node)
    {
        const string path = "boot_device";
        if (butaneVersion < Fcos13)
        {
            Error("boot_device needs fcos 1.3.0 or newer", node, path);
            return;
        }

        if (node is not YamlMappingNode boot)
        {
            if (!IsNull(node))
            {
                Error("expected a mapping (key: value lines)", node, path);
            }

            return;
        }

        string? layout = null;
        YamlMappingNode? luks = null;
        YamlMappingNode? mirror = null;
        foreach (var (k, v) in boot.Children)
        {
            var key = KeyText(k);
            switch (key)
            {
                case "layout":
                    layout = Scalar(v, "boot_device.layout");
                    break;
                case "luks" when v is YamlMappingNode m:
                    luks = m;
                    break;
                case "mirror" when v is YamlMappingNode m:
                    mirror = m;
                    break;
                default:
                    Warning($"unknown key \"{key}\" (ignored)", k, JsonPaths.Join(path, key));
                    break;
            }
        }

        var s390 = layout is "s390x-eckd" or "s390x-zfcp" or "s390x-virt";
        if (layout is not (null or "x86_64" or "aarch64" or "ppc64le") && !(s390 && butaneVersion >= Fcos16))
        {
            Error($"unsupported boot_device.layout \"{layout}\" (fcos {butaneVersion} supports x86_64, aarch64, ppc64le" +
                (butaneVersion >= Fcos16 ? ", s390x-eckd, s390x-zfcp, s390x-virt)" : ")"), boot, "boot_device.layout");
            return;
        }

        var clevis = new JsonObject();
        JsonObject? cex = null;
        string? luksDevice = null;
        JsonNode? discard = null;
        if (luks is not null)
        {
            var clevisSchema = schema.Definition("clevis");
            foreach (var (k, v) in luks.Children)
            {
                var key = KeyText(k);
                var keyPath = "boot_device.luks." + key;
                switch (key)
                {
                    case "tpm2" or "tang" or "threshold":
                        AddField(clevis, clevisSchema, k, key, v, "boot_device.luks");
                        break;
                    case "discard":
                        discard = Convert(v, IgnitionShape.Scalar(JsonKind.Boolean, nullable: false), keyPath);
                        break;
                    case "device" when butaneVersion >= Fcos16:
                        luksDevice = Scalar(v, keyPath);
                        break;
                    case "cex" when butaneVersion >= Fcos16 && v is YamlMappingNode c:
                        cex = (JsonObject?)Convert(c, schema.Definition("cex"), keyPath);
                        break;
                    default:
                        Warning($"unknown key \"{key}\" (ignored)", k, keyPath);
                        break;
                }
            }
        }

        var mirrorDevices = new List<string>();
        if (mirror is not null && Child(mirror, "devices") is YamlSequenceNode devices)
        {
            mirrorDevices.AddRange(devices.Children.Select(d => Scalar(d, "boot_device.mirror.devices")).OfType<string>());
        }

        if (mirrorDevices.Count == 1)
        {
            Error("boot_device.mirror needs at least two devices", mirror!, "boot_device.mirror.devices");
            return;
        }

        var cexEnabled = cex?["enabled"] is JsonValue e && e.GetValue<bool>();
        var wantLuks = clevis["tpm2"] is JsonValue t && t.GetValue<bool>() || clevis["tang"] is JsonArray { Count: > 0 } || cexEnabled;
        var wantMirror = mirrorDevices.Count > 0;
        if (cexEnabled && (clevis["tpm2"] is not null || clevis["tang"] is not null))
        {
            Error("boot_device.luks.cex cannot be combined with tpm2 or tang", luks!, "boot_device.luks");
            return;
        }

        if (layout is "s390x-eckd" or "s390x-zfcp" && wantLuks && luksDevice is null)
        {
            Error($"boot_device.luks.device is required with layout {layout}", luks!, "boot_device.luks");
            return;
        }

        if (!wantLuks && !wantMirror)
        {
            return;
        }

        var span = Span(boot, path);
        var storage = new JsonObject();
        var disks = new JsonArray();
        var filesystems = new JsonArray();
        if (wantMirror)
        {
            var bios = layout is null or "x86_64";
            var efi = layout is null or "x86_64" or "aarch64";
            var prep = layout == "ppc64le";
            for (var i = 1; i <= mirrorDevices.Count; i++)
            {
                var partitions = new JsonArray(
                    bios ? Partition($"bios-{i}", 1, BiosTypeGuid) : prep ? Partition($"prep-{i}", 4, PrepTypeGuid) : Partition($"reserved-{i}", 1, ReservedTypeGuid),
                    efi ? Partition($"esp-{i}", 127, EspTypeGuid) : Partition($"reserved-{i}", 1, ReservedTypeGuid),
                    Partition($"boot-{i}", 384, null),
                    Partition($"root-{i}", null, null));
                disks.Push(new JsonObject { ["device"] = mirrorDevices[i - 1], ["partitions"] = partitions, ["wipeTable"] = true });
                if (efi)
                {
                    filesystems.Push(Filesystem($"/dev/disk/by-partlabel/esp-{i}", "vfat", $"esp-{i}"));
                }
            }

            storage["disks"] = disks;
            storage["raid"] = new JsonArray(
                Raid("md-boot", "boot", mirrorDevices.Count, new JsonArray(JsonValue.Create("--metadata=1.0"))),
                Raid("md-root", "root", mirrorDevices.Count, null));
            filesystems.Push(Filesystem("/dev/md/md-boot", "ext4", "boot"));
        }

        if (wantLuks)
        {
            var device = layout switch
            {
                "s390x-eckd" => luksDevice + "2",
                "s390x-zfcp" => luksDevice + "4",
                _ when wantMirror => "/dev/md/md-root",
                _ => "/dev/disk/by-partlabel/root",
            };
            var volume = new JsonObject();
            if (cexEnabled)
            {
                volume["cex"] = cex;
            }
            else
            {
                volume["clevis"] = clevis;
            }

            volume["device"] = device;
            if (discard is not null)
            {
                volume["discard"] = discard;
            }

            volume["label"] = "luks-root";
            volume["name"] = "root";
            volume["wipeVolume"] = true;
            storage["luks"] = new JsonArray(volume);
        }

        filesystems.Push(Filesystem(wantLuks ? "/dev/mapper/root" : "/dev/md/md-root", "xfs", "root"));
        storage["filesystems"] = filesystems;
        map.Node(storage, span);
        config = IgnitionMerge.MergeInPlace(new JsonObject { ["storage"] = storage }, config);
    }

    private static JsonObject Partition(string label, int? sizeMiB, string? typeGuid)
    {
        var partition = new JsonObject { ["label"] = label };
        if (sizeMiB is not null)
        {
            partition["sizeMiB"] = sizeMiB;
        }

        if (typeGuid is not null)
        {
            partition["typeGuid"] = typeGuid;
        }

        return partition;
    }

    private static JsonObject Filesystem(string device, string format, string label) =>
        new() { ["device"] = device, ["format"] = format, ["label"] = label, ["wipeFilesystem"] = true };

    private static JsonObject Raid(string name, string prefix, int count, JsonArray? options)
    {
        var devices = new JsonArray();
        for (var i = 1; i <= count; i++)
        {
            devices.Push(JsonValue.Create($"/dev/disk/by-partlabel/{prefix}-{i}"));
        }

        var raid = new JsonObject { ["devices"] = devices, ["level"] = "raid1", ["name"] = name };
        if (options is not null)
        {
            raid["options"] = options;
        }

        return raid;
    }

    /// <summary>grub.users: a /boot/grub2/user.cfg appended with superusers and their PBKDF2 hashes.</summary>
    private void AddGrubUsers(ref JsonObject config, YamlNode node)
    {
        const string path = "grub";
        if (butaneVersion < Fcos15)
        {
            Error("grub needs fcos 1.5.0 or newer", node, path);
            return;
        }

        if (node is not YamlMappingNode grub || Child(grub, "users") is not YamlSequenceNode users || users.Children.Count == 0)
        {
            return;
        }

        foreach (var (k, _) in grub.Children.Where(p => KeyText(p.Key) != "users"))
        {
            Warning($"unknown key \"{KeyText(k)}\" (ignored)", k, "grub." + KeyText(k));
        }

        var names = new List<string>();
        var commands = new List<string>();
        var index = 0;
        foreach (var user in users.Children)
        {
            var userPath = JsonPaths.Join("grub.users", index++);
            var name = user is YamlMappingNode m && Child(m, "name") is YamlScalarNode { Value: { Length: > 0 } n } ? n : null;
            var hash = user is YamlMappingNode m2 && Child(m2, "password_hash") is YamlScalarNode { Value: { Length: > 0 } h } ? h : null;
            if (name is null || hash is null)
            {
                Error("a grub user needs name and password_hash", user, userPath);
                continue;
            }

            names.Add(name);
            commands.Add($"password_pbkdf2 {name} {hash}");
        }

        var cfg = string.Create(CultureInfo.InvariantCulture, $"# Generated by Butane\n\nset superusers=\"{string.Join(' ', names)}\"\n{string.Join('\n', commands)}\n");
        var (url, compression) = DataUrl.Encode(Encoding.UTF8.GetBytes(cfg));
        var rendered = new JsonObject
        {
            ["storage"] = new JsonObject
            {
                ["filesystems"] = new JsonArray(new JsonObject { ["device"] = "/dev/disk/by-label/boot", ["format"] = "ext4", ["path"] = "/boot" }),
                ["files"] = new JsonArray(
                    new JsonObject
                    {
                        ["path"] = "/boot/grub2/user.cfg",
                        ["append"] = new JsonArray(new JsonObject { ["compression"] = compression, ["source"] = url }),
                    }),
            },
        };
        map.Node(rendered["storage"], Span(node, path));
        config = IgnitionMerge.MergeInPlace(rendered, config);
    }
}
