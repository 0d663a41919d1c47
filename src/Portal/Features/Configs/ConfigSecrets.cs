using Microsoft.AspNetCore.DataProtection;

namespace Fleet.Portal.Features.Configs;

/// <summary>Encrypts secret variable values at rest with ASP.NET Core Data Protection (keys in the data directory).</summary>
public sealed class ConfigSecrets(IDataProtectionProvider provider)
{
    private readonly IDataProtector _protector = provider.CreateProtector("Fleet.Configs.SecretVariables.v1");

    public string Protect(string plain) => _protector.Protect(plain);

    public string Unprotect(string cipher) => _protector.Unprotect(cipher);
}
