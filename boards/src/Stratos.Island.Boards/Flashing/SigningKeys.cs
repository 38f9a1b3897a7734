// ECDSA P-256 key pairs for bundle signing, as PEM: the private key PKCS#8 ("PRIVATE KEY",
// written 0600), the public key SubjectPublicKeyInfo ("PUBLIC KEY"), both readable by openssl.
using System;
using System.IO;
using System.Security.Cryptography;

namespace Stratos.Island.Boards.Flashing;

public static class SigningKeys
{
    /// <summary>Writes a new key pair; refuses to overwrite an existing private key.</summary>
    public static void Generate(string privatePath, string publicPath, bool overwrite = false)
    {
        if (!overwrite && File.Exists(privatePath))
        {
            throw new BundleException(privatePath + ": already exists; choose another path or remove it first (it may be the key your islands trust)");
        }
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        File.WriteAllText(privatePath, key.ExportPkcs8PrivateKeyPem() + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(privatePath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        File.WriteAllText(publicPath, key.ExportSubjectPublicKeyInfoPem() + "\n");
    }

    public static ECDsa LoadPrivate(string path) => Load(path, "private");

    public static ECDsa LoadPublic(string path) => Load(path, "public");

    private static ECDsa Load(string path, string kind)
    {
        if (!File.Exists(path))
        {
            throw new BundleException(path + ": " + kind + " key not found (make a pair with 'island flash keygen')");
        }
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(File.ReadAllText(path));
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            key.Dispose();
            throw new BundleException(path + ": not a PEM ECDSA " + kind + " key: " + e.Message);
        }
        if (key.KeySize != 256)
        {
            key.Dispose();
            throw new BundleException(path + ": key is ECDSA-" + key.KeySize + "; bundles use P-256");
        }
        if (kind == "private")
        {
            try
            {
                key.ExportParameters(includePrivateParameters: true);
            }
            catch (CryptographicException)
            {
                key.Dispose();
                throw new BundleException(path + ": holds a public key; --key needs the private key");
            }
        }
        return key;
    }
}
