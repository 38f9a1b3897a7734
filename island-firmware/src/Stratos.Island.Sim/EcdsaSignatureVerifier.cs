// The island's ISignatureVerifier on Linux: .NET ECDsa (P-256, IEEE P1363 r||s signatures) with the
// trusted public key; island-sim plugs it into the firmware core's BundleVerifier to check a
// provisioned link key (--link-key BUNDLE.tar --bundle-pubkey PUB.pem, docs/island-sim.md).
using System;
using System.Security.Cryptography;
using Stratos.Island.Firmware.Bundle;

namespace Stratos.Island.Sim;

public sealed class EcdsaSignatureVerifier(ECDsa publicKey) : ISignatureVerifier
{
    public bool VerifyDigest(byte[] digest, byte[] signature, int signatureOffset, int signatureLength)
    {
        try
        {
            return publicKey.VerifyHash(digest, signature.AsSpan(signatureOffset, signatureLength), DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
