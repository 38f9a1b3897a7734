// The island's end of the authenticated link (docs/link.md "Authentication", primer in
// protocol/src/Stratos.Island.Link/Session/LinkAuthentication.cs): the shared HMAC authenticator
// (HmacLinkAuthenticator: session keys from the firmware's HKDF-SHA256, tags with its HMAC-SHA256)
// keyed with the board key from the signed bundle, plus the island's check of that key.
using Stratos.Island.Crypto;
using Stratos.Island.Firmware.Bundle;
using Stratos.Island.Link.Session;

namespace Stratos.Island.Firmware.Link
{
    /// <summary>The island's ILinkAuthenticator (firmware dialect) and the check of its provisioned board key.</summary>
    public sealed class IslandLinkAuthenticator : HmacLinkAuthenticator
    {
        /// <summary>The name of the board key's file in a signed bundle (docs/flashing.md).</summary>
        public const string BundleFileName = "link.key";

        /// <summary>
        /// Checks a board key taken from a bundle (or a partition written from one) before the island
        /// uses it: exactly 32 bytes, listed in the manifest as "link.key" with this size and SHA-256,
        /// the manifest signed by the release key (<paramref name="verifier"/>). Anything but Ok
        /// means the key is not the one the release engineer provisioned: the island must not use
        /// it. Never throws; allocates nothing.
        /// </summary>
        public static BundleStatus VerifyProvisionedKey(BundleVerifier verifier, byte[] manifest, int manifestLength, byte[] signature, int signatureLength,
            byte[] key, int keyOffset, int keyLength)
        {
            if (keyLength != LinkAuthentication.BoardKeyBytes)
            {
                return BundleStatus.SizeMismatch;
            }

            return verifier.VerifyFile(manifest, manifestLength, signature, signatureLength, BundleFileName, key, keyOffset, keyLength);
        }

        /// <summary>boardKey: exactly 32 bytes (the bundle's link key); SHA-256 in software.</summary>
        public IslandLinkAuthenticator(byte[] boardKey)
            : base(boardKey)
        {
        }

        /// <summary>boardKey: exactly 32 bytes; blockFunction: the MCU's hash accelerator or the host's (island-sim).</summary>
        public IslandLinkAuthenticator(byte[] boardKey, ISha256Block blockFunction)
            : base(boardKey, blockFunction)
        {
        }
    }
}
