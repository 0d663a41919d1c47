using System.Security.Cryptography;

namespace Fleet.Portal.Features.Account;

/// <summary>Makes passwords that are shown once to an admin; an interface so tests can choose them.</summary>
public interface IPasswordGenerator
{
    string Generate();
}

/// <summary>
/// 20 random characters from an alphabet without look-alikes (no 0/O, 1/l/I), in groups of five so they
/// can be read out over the phone: about 115 bits, and 23 characters clear the 12-character policy.
/// </summary>
internal sealed class PasswordGenerator : IPasswordGenerator
{
    private const string Alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

    public string Generate()
    {
        var chars = RandomNumberGenerator.GetItems<char>(Alphabet, 20);
        return $"{new string(chars, 0, 5)}-{new string(chars, 5, 5)}-{new string(chars, 10, 5)}-{new string(chars, 15, 5)}";
    }
}
