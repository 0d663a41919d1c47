using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Math.EC.Rfc8032;

namespace Fleet.Shared;

/// <summary>
/// Ed25519 signatures over agent builds. The portal signs, for each build it serves, a statement naming the version,
/// the architecture and the SHA-512 of the file, so a signature cannot be replayed for another version (a downgrade)
/// or another architecture; the agent verifies it with the public key it received at enrolment before it installs.
/// </summary>
public static class AgentSignature
{
    /// <summary>Size of an Ed25519 public or private key, in bytes.</summary>
    public const int KeySize = 32;

    /// <summary>The agent architectures Fleet builds and serves, as <c>uname -m</c> names them.</summary>
    public static readonly IReadOnlyList<string> Architectures = ["x86_64", "aarch64"];

    /// <summary>
    /// The signed bytes: <c>fleet-agent/1</c>, version, architecture and lower-case hex SHA-512, one a line.
    /// </summary>
    /// <param name="version">The agent version.</param>
    /// <param name="architecture"><c>x86_64</c> or <c>aarch64</c>.</param>
    /// <param name="sha512">The build's SHA-512 as 128 hex digits.</param>
    /// <returns>The UTF-8 statement.</returns>
    public static byte[] Statement(string version, string architecture, string sha512) =>
        Encoding.UTF8.GetBytes($"fleet-agent/1\n{version}\n{architecture}\n{sha512.ToLowerInvariant()}\n");

    /// <summary>A new private key (32 random bytes).</summary>
    /// <returns>The private key.</returns>
    public static byte[] NewPrivateKey() => RandomNumberGenerator.GetBytes(KeySize);

    /// <summary>The public key of <paramref name="privateKey"/>.</summary>
    /// <param name="privateKey">A 32-byte private key.</param>
    /// <returns>The 32-byte public key.</returns>
    public static byte[] PublicKeyOf(byte[] privateKey)
    {
        ArgumentNullException.ThrowIfNull(privateKey);
        var publicKey = new byte[KeySize];
        Ed25519.GeneratePublicKey(privateKey, 0, publicKey, 0);
        return publicKey;
    }

    /// <summary>Signs the statement for a build.</summary>
    /// <param name="privateKey">The portal's 32-byte private key.</param>
    /// <param name="version">The agent version.</param>
    /// <param name="architecture"><c>x86_64</c> or <c>aarch64</c>.</param>
    /// <param name="sha512">The build's SHA-512 as 128 hex digits.</param>
    /// <returns>The 64-byte signature, base64.</returns>
    public static string Sign(byte[] privateKey, string version, string architecture, string sha512)
    {
        ArgumentNullException.ThrowIfNull(privateKey);
        var message = Statement(version, architecture, sha512);
        var signature = new byte[Ed25519.SignatureSize];
        Ed25519.Sign(privateKey, 0, message, 0, message.Length, signature, 0);
        return Convert.ToBase64String(signature);
    }

    /// <summary>Whether <paramref name="signature"/> is the portal's signature of the statement for a build.</summary>
    /// <param name="publicKey">The portal's 32-byte public key.</param>
    /// <param name="version">The agent version.</param>
    /// <param name="architecture"><c>x86_64</c> or <c>aarch64</c>.</param>
    /// <param name="sha512">The SHA-512 of the file as the agent computed it, 128 hex digits.</param>
    /// <param name="signature">The signature, base64.</param>
    /// <returns>True only for a well-formed signature that verifies.</returns>
    public static bool Verify(byte[] publicKey, string version, string architecture, string sha512, string signature)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        var bytes = new byte[Ed25519.SignatureSize];
        if (publicKey.Length != KeySize
            || !Convert.TryFromBase64String(signature ?? string.Empty, bytes, out var written)
            || written != Ed25519.SignatureSize)
        {
            return false;
        }

        var message = Statement(version, architecture, sha512);
        return Ed25519.Verify(bytes, 0, publicKey, 0, message, 0, message.Length);
    }
}
