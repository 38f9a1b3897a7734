// HAL: checks the ECDSA P-256 signature of a firmware bundle's manifest. MCUs delegate it to their
// crypto accelerator (PKA on STM32, CAAM/ELE on i.MX, SA2UL on TI K3, CSU on Zynq MP); the
// simulator and the tests implement it with .NET's ECDsa. The island computes the SHA-256 digest
// itself (Sha256) and hands over only the digest, as accelerators expect.
namespace Stratos.Island.Firmware.Bundle
{
    /// <summary>Verifies an ECDSA P-256 signature over a SHA-256 digest with the island's trusted public key.</summary>
    public interface ISignatureVerifier
    {
        /// <summary>
        /// True when <paramref name="signature"/> (64 bytes at <paramref name="signatureOffset"/>: r then s,
        /// big-endian, IEEE P1363) is valid for the 32-byte <paramref name="digest"/>. Never throws.
        /// </summary>
        bool VerifyDigest(byte[] digest, byte[] signature, int signatureOffset, int signatureLength);
    }
}
