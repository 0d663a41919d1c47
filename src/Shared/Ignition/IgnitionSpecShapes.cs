namespace Fleet.Shared.Ignition;

/// <summary>
/// Fleet's description of what an Ignition config may contain, transcribed once from the Ignition configuration
/// specification (coreos/ignition's configuration-v3_4 to v3_6 documents and schemas): every object, its fields
/// and their JSON kinds, and the required fields. Spec 3.4 is the base; later fields carry the spec that added
/// them. 3.6 changed no field (it allows setuid/setgid/sticky bits in <c>mode</c>, a value rule in
/// <see cref="SpecFeatures"/>), and fields older than 3.4 are checked against the declared spec by
/// <see cref="SpecFeatures"/> too. Shared.Tests compares this with the upstream JSON schemas when the interop
/// reference data is present.
/// </summary>
internal static class IgnitionSpecShapes
{
    private static readonly Version V35 = new(3, 5, 0);

    // Optional scalars may be null (Ignition reads null as absent); ignition.version and the keys that identify a
    // list entry (name, path, device, partition number, Tang url) may not.
    private static readonly IgnitionShape Text = IgnitionShape.Scalar(JsonKind.String, nullable: false);
    private static readonly IgnitionShape TextOrNull = IgnitionShape.Scalar(JsonKind.String, nullable: true);
    private static readonly IgnitionShape Integer = IgnitionShape.Scalar(JsonKind.Integer, nullable: false);
    private static readonly IgnitionShape IntegerOrNull = IgnitionShape.Scalar(JsonKind.Integer, nullable: true);
    private static readonly IgnitionShape FlagOrNull = IgnitionShape.Scalar(JsonKind.Boolean, nullable: true);
    private static readonly IgnitionShape Texts = IgnitionShape.Array(Text);

    /// <summary>The root shape of spec <paramref name="spec"/> (3.4 or later) and its named shapes by name.</summary>
    public static (IgnitionShape Root, IReadOnlyDictionary<string, IgnitionShape> Named) Build(Version spec)
    {
        var named = new Dictionary<string, IgnitionShape>(StringComparer.Ordinal);

        IgnitionShape Obj(string? name, params IgnitionField[] fields)
        {
            var shape = IgnitionShape.Object(name, fields.Where(f => f.Since is null || spec >= f.Since));
            if (name is not null)
            {
                named[name] = shape;
            }

            return shape;
        }

        IgnitionShape Named(string name, IgnitionShape shape) => named[name] = shape.Named(name);

        var resource = Obj(
            "resource",
            F("source", TextOrNull),
            F("compression", TextOrNull),
            F("httpHeaders", Named("httpHeaders", List(Obj(null, Req("name", Text), F("value", TextOrNull))))),
            F("verification", Obj("verification", F("hash", TextOrNull))));
        var resources = List(resource);

        var ignition = Obj(
            "ignition",
            Req("version", Text),
            F("config", Obj("ignition-config", F("merge", resources), F("replace", resource))),
            F("timeouts", Obj("timeouts", F("httpResponseHeaders", IntegerOrNull), F("httpTotal", IntegerOrNull))),
            F("security", Obj("security", F("tls", Obj(null, F("certificateAuthorities", resources))))),
            F("proxy", Obj("proxy", F("httpProxy", TextOrNull), F("httpsProxy", TextOrNull), F("noProxy", Texts))));

        var partition = Obj(
            "partition",
            F("label", TextOrNull),
            F("number", Integer),
            F("sizeMiB", IntegerOrNull),
            F("startMiB", IntegerOrNull),
            F("typeGuid", TextOrNull),
            F("guid", TextOrNull),
            F("wipePartitionEntry", FlagOrNull),
            F("shouldExist", FlagOrNull),
            F("resize", FlagOrNull));
        var clevis = Obj(
            "clevis",
            F("custom", Obj(
                "clevisCustom", F("pin", TextOrNull), F("config", TextOrNull), F("needsNetwork", FlagOrNull))),
            F("tpm2", FlagOrNull),
            F("tang", List(Obj("tang", F("url", Text), F("thumbprint", TextOrNull), F("advertisement", TextOrNull)))),
            F("threshold", IntegerOrNull));
        var luks = Obj(
            "luks",
            Req("name", Text),
            F("label", TextOrNull),
            F("uuid", TextOrNull),
            F("device", TextOrNull),
            F("keyFile", resource),
            F("wipeVolume", FlagOrNull),
            F("clevis", clevis),
            F("cex", Obj("cex", F("enabled", FlagOrNull))) with { Since = V35 },
            F("options", Texts),
            F("discard", FlagOrNull),
            F("openOptions", Texts));
        var filesystem = Obj(
            "filesystem",
            F("path", TextOrNull),
            Req("device", Text),
            F("format", TextOrNull),
            F("options", Texts),
            F("mountOptions", Texts),
            F("wipeFilesystem", FlagOrNull),
            F("label", TextOrNull),
            F("uuid", TextOrNull));

        // Files, directories and links share the node fields (one path namespace).
        IgnitionField[] node =
        [
            Req("path", Text),
            F("overwrite", FlagOrNull),
            F("user", Obj(null, F("id", IntegerOrNull), F("name", TextOrNull))),
            F("group", Obj(null, F("id", IntegerOrNull), F("name", TextOrNull))),
        ];
        var storage = Obj(
            "storage",
            F("disks", List(Obj(
                "disk", Req("device", Text), F("wipeTable", FlagOrNull), F("partitions", List(partition))))),
            F("raid", List(Obj(
                "raid", Req("name", Text), F("level", TextOrNull), F("spares", IntegerOrNull), F("devices", Texts),
                F("options", Texts)))),
            F("luks", List(luks)),
            F("filesystems", List(filesystem)),
            F("files", List(Obj(
                "file", [.. node, F("mode", IntegerOrNull), F("contents", resource), F("append", resources)]))),
            F("directories", List(Obj("directory", [.. node, F("mode", IntegerOrNull)]))),
            F("links", List(Obj("link", [.. node, F("target", TextOrNull), F("hard", FlagOrNull)]))));

        var dropin = Obj("dropin", Req("name", Text), F("contents", TextOrNull));
        var systemd = Obj(
            "systemd",
            F("units", List(Obj(
                "unit", Req("name", Text), F("enabled", FlagOrNull), F("mask", FlagOrNull),
                F("contents", TextOrNull), F("dropins", List(dropin))))));

        var passwd = Obj(
            "passwd",
            F("users", List(Obj(
                "user",
                Req("name", Text),
                F("passwordHash", TextOrNull),
                F("sshAuthorizedKeys", Texts),
                F("uid", IntegerOrNull),
                F("gecos", TextOrNull),
                F("homeDir", TextOrNull),
                F("noCreateHome", FlagOrNull),
                F("primaryGroup", TextOrNull),
                F("groups", Texts),
                F("noUserGroup", FlagOrNull),
                F("system", FlagOrNull),
                F("noLogInit", FlagOrNull),
                F("shell", TextOrNull),
                F("shouldExist", FlagOrNull)))),
            F("groups", List(Obj(
                "group",
                Req("name", Text),
                F("gid", IntegerOrNull),
                F("passwordHash", TextOrNull),
                F("system", FlagOrNull),
                F("shouldExist", FlagOrNull)))));

        var kernelArgument = List(Named("kernelArgument", Text));
        var kernelArguments = Obj(
            "kernelArguments", F("shouldExist", kernelArgument), F("shouldNotExist", kernelArgument));

        var root = IgnitionShape.Object(
            null,
            [
                Req("ignition", ignition),
                F("storage", storage),
                F("systemd", systemd),
                F("passwd", passwd),
                F("kernelArguments", kernelArguments),
            ]);
        return (root, named);
    }

    private static IgnitionField F(string name, IgnitionShape shape) => new(name, shape);

    private static IgnitionField Req(string name, IgnitionShape shape) => new(name, shape, Required: true);

    private static IgnitionShape List(IgnitionShape items) => IgnitionShape.Array(items);
}
