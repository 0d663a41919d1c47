using QRCoder;

namespace Fleet.Portal.Features.Account;

/// <summary>The otpauth:// URI as an SVG QR code, drawn by the portal: the key never goes to another host.</summary>
internal static class AuthenticatorQr
{
    public static string Svg(string uri)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(uri, QRCodeGenerator.ECCLevel.M);
        using var svg = new SvgQRCode(data);
        return svg.GetGraphic(4);
    }
}
