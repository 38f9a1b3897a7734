// Island-side check of a firmware bundle (docs/flashing.md "Bundle format") before the island
// accepts a configuration or an image from it:
//   1. SHA-256 of manifest.json (Sha256), then the ECDSA P-256 signature in manifest.sig over that
//      digest through the HAL (ISignatureVerifier) -> BadSignature when it does not verify;
//   2. the manifest's "files" entry for the file: its "size" and "sha256" -> FileNotListed,
//      ManifestMalformed;
//   3. the file's length and SHA-256 against them -> SizeMismatch, DigestMismatch.
// Only a signed manifest is ever read for step 2, but the scanner still treats it as untrusted
// input: it returns ManifestMalformed on anything outside the subset the host writes (objects,
// arrays, strings, unsigned integers) and never throws. No allocation after
// construction; one verifier is reused.
using Stratos.Island.Crypto;

namespace Stratos.Island.Firmware.Bundle
{
    /// <summary>Result of <see cref="BundleVerifier.VerifyFile"/>.</summary>
    public enum BundleStatus
    {
        Ok = 0,
        BadSignature = 1,
        ManifestMalformed = 2,
        FileNotListed = 3,
        SizeMismatch = 4,
        DigestMismatch = 5,
    }

    /// <summary>Verifies one file of a bundle against its signed manifest.</summary>
    public sealed class BundleVerifier
    {
        public const int SignatureBytes = 64;

        private readonly ISignatureVerifier _signatures;
        private readonly Sha256 _sha = new Sha256();
        private readonly byte[] _digest = new byte[Sha256.DigestBytes];
        private readonly byte[] _expectedDigest = new byte[Sha256.DigestBytes];
        private long _expectedSize;

        // Scanner state over the manifest being read.
        private byte[] _text;
        private int _length;
        private int _pos;

        public BundleVerifier(ISignatureVerifier signatures)
        {
            _signatures = signatures;
        }

        /// <summary>
        /// Checks the manifest's signature, then that <paramref name="fileName"/> is listed with the size
        /// and SHA-256 of <paramref name="data"/>[<paramref name="dataOffset"/>, +<paramref name="dataLength"/>).
        /// </summary>
        public BundleStatus VerifyFile(byte[] manifest, int manifestLength, byte[] signature, int signatureLength,
            string fileName, byte[] data, int dataOffset, int dataLength)
        {
            if (manifest == null || signature == null || data == null || manifestLength < 0 || manifestLength > manifest.Length)
            {
                return BundleStatus.ManifestMalformed;
            }
            if (signatureLength != SignatureBytes || signature.Length < SignatureBytes)
            {
                return BundleStatus.BadSignature;
            }
            _sha.Reset();
            _sha.Update(manifest, 0, manifestLength);
            _sha.Final(_digest, 0);
            if (!_signatures.VerifyDigest(_digest, signature, 0, signatureLength))
            {
                return BundleStatus.BadSignature;
            }
            BundleStatus found = FindEntry(manifest, manifestLength, fileName);
            if (found != BundleStatus.Ok)
            {
                return found;
            }
            if (dataLength != _expectedSize)
            {
                return BundleStatus.SizeMismatch;
            }
            _sha.Reset();
            _sha.Update(data, dataOffset, dataLength);
            _sha.Final(_digest, 0);
            for (int i = 0; i < Sha256.DigestBytes; i++)
            {
                if (_digest[i] != _expectedDigest[i])
                {
                    return BundleStatus.DigestMismatch;
                }
            }
            return BundleStatus.Ok;
        }

        // { ..., "files": [ { "name": "...", "size": N, "sha256": "hex", ... }, ... ], ... }
        private BundleStatus FindEntry(byte[] manifest, int length, string fileName)
        {
            _text = manifest;
            _length = length;
            _pos = 0;
            if (!Expect((byte)'{'))
            {
                return BundleStatus.ManifestMalformed;
            }
            while (true)
            {
                SkipSpace();
                if (Peek() == '}')
                {
                    return BundleStatus.FileNotListed;
                }
                int keyStart;
                int keyEnd;
                if (!ReadString(out keyStart, out keyEnd) || !Expect((byte)':'))
                {
                    return BundleStatus.ManifestMalformed;
                }
                if (TextEquals(keyStart, keyEnd, "files"))
                {
                    return ScanFiles(fileName);
                }
                if (!SkipValue() || !AfterMember())
                {
                    return BundleStatus.ManifestMalformed;
                }
            }
        }

        private BundleStatus ScanFiles(string fileName)
        {
            if (!Expect((byte)'['))
            {
                return BundleStatus.ManifestMalformed;
            }
            SkipSpace();
            if (Peek() == ']')
            {
                return BundleStatus.FileNotListed;
            }
            while (true)
            {
                if (!Expect((byte)'{'))
                {
                    return BundleStatus.ManifestMalformed;
                }
                bool nameMatches = false;
                bool haveSize = false;
                bool haveDigest = false;
                while (true)
                {
                    SkipSpace();
                    if (Peek() == '}')
                    {
                        _pos++;
                        break;
                    }
                    int keyStart;
                    int keyEnd;
                    if (!ReadString(out keyStart, out keyEnd) || !Expect((byte)':'))
                    {
                        return BundleStatus.ManifestMalformed;
                    }
                    SkipSpace();
                    if (TextEquals(keyStart, keyEnd, "name"))
                    {
                        int valueStart;
                        int valueEnd;
                        if (!ReadString(out valueStart, out valueEnd))
                        {
                            return BundleStatus.ManifestMalformed;
                        }
                        nameMatches = TextEquals(valueStart, valueEnd, fileName);
                    }
                    else if (TextEquals(keyStart, keyEnd, "size"))
                    {
                        long size;
                        if (!ReadUnsigned(out size))
                        {
                            return BundleStatus.ManifestMalformed;
                        }
                        if (nameMatches || !haveSize)
                        {
                            _expectedSize = size;
                        }
                        haveSize = true;
                    }
                    else if (TextEquals(keyStart, keyEnd, "sha256"))
                    {
                        int valueStart;
                        int valueEnd;
                        if (!ReadString(out valueStart, out valueEnd) || !ReadHexDigest(valueStart, valueEnd))
                        {
                            return BundleStatus.ManifestMalformed;
                        }
                        haveDigest = true;
                    }
                    else if (!SkipValue())
                    {
                        return BundleStatus.ManifestMalformed;
                    }
                    if (!AfterMember())
                    {
                        return BundleStatus.ManifestMalformed;
                    }
                }
                // Keys may come in any order, so the values read are only kept for the matching entry.
                if (nameMatches)
                {
                    return haveSize && haveDigest ? BundleStatus.Ok : BundleStatus.ManifestMalformed;
                }
                SkipSpace();
                int next = Peek();
                _pos++;
                if (next == ']')
                {
                    return BundleStatus.FileNotListed;
                }
                if (next != ',')
                {
                    return BundleStatus.ManifestMalformed;
                }
            }
        }

        private int Peek()
        {
            return _pos < _length ? _text[_pos] : -1;
        }

        private void SkipSpace()
        {
            while (_pos < _length && (_text[_pos] == ' ' || _text[_pos] == '\n' || _text[_pos] == '\r' || _text[_pos] == '\t'))
            {
                _pos++;
            }
        }

        private bool Expect(byte token)
        {
            SkipSpace();
            if (Peek() != token)
            {
                return false;
            }
            _pos++;
            return true;
        }

        /// <summary>After a member: ',' continues, '}' is left for the caller.</summary>
        private bool AfterMember()
        {
            SkipSpace();
            int c = Peek();
            if (c == ',')
            {
                _pos++;
                return true;
            }
            return c == '}';
        }

        private bool ReadString(out int start, out int end)
        {
            start = 0;
            end = 0;
            SkipSpace();
            if (Peek() != '"')
            {
                return false;
            }
            _pos++;
            start = _pos;
            while (_pos < _length && _text[_pos] != '"')
            {
                // A backslash escapes the next character: skip both; names the island compares never hold one.
                _pos += _text[_pos] == '\\' ? 2 : 1;
            }
            if (_pos >= _length)
            {
                return false;
            }
            end = _pos;
            _pos++;
            return true;
        }

        private bool ReadUnsigned(out long value)
        {
            value = 0;
            SkipSpace();
            int digits = 0;
            while (_pos < _length && _text[_pos] >= '0' && _text[_pos] <= '9')
            {
                if (digits == 18)
                {
                    return false;
                }
                value = (value * 10) + (_text[_pos] - '0');
                digits++;
                _pos++;
            }
            return digits > 0;
        }

        private bool ReadHexDigest(int start, int end)
        {
            if (end - start != 2 * Sha256.DigestBytes)
            {
                return false;
            }
            for (int i = 0; i < Sha256.DigestBytes; i++)
            {
                int high = HexValue(_text[start + (2 * i)]);
                int low = HexValue(_text[start + (2 * i) + 1]);
                if (high < 0 || low < 0)
                {
                    return false;
                }
                _expectedDigest[i] = (byte)((high << 4) | low);
            }
            return true;
        }

        private static int HexValue(byte c)
        {
            if (c >= '0' && c <= '9')
            {
                return c - '0';
            }
            if (c >= 'a' && c <= 'f')
            {
                return c - 'a' + 10;
            }
            if (c >= 'A' && c <= 'F')
            {
                return c - 'A' + 10;
            }
            return -1;
        }

        /// <summary>Skips a string, number, literal, object or array.</summary>
        private bool SkipValue()
        {
            SkipSpace();
            int c = Peek();
            if (c == '"')
            {
                int s;
                int e;
                return ReadString(out s, out e);
            }
            if (c == '{' || c == '[')
            {
                int depth = 0;
                while (_pos < _length)
                {
                    byte b = _text[_pos];
                    if (b == '"')
                    {
                        int s;
                        int e;
                        if (!ReadString(out s, out e))
                        {
                            return false;
                        }
                        continue;
                    }
                    _pos++;
                    if (b == '{' || b == '[')
                    {
                        depth++;
                    }
                    else if (b == '}' || b == ']')
                    {
                        depth--;
                        if (depth == 0)
                        {
                            return true;
                        }
                    }
                }
                return false;
            }
            int begin = _pos;
            while (_pos < _length && _text[_pos] != ',' && _text[_pos] != '}' && _text[_pos] != ']' && _text[_pos] != ' ' && _text[_pos] != '\n' && _text[_pos] != '\r')
            {
                _pos++;
            }
            return _pos > begin;
        }

        private bool TextEquals(int start, int end, string expected)
        {
            if (end - start != expected.Length)
            {
                return false;
            }
            for (int i = 0; i < expected.Length; i++)
            {
                if (_text[start + i] != expected[i])
                {
                    return false;
                }
            }
            return true;
        }
    }
}
