// The scenario's trace: one line per event, directive, request result and link message, written to
// a sink (Console.WriteLine on nanoCLR, a list or stdout on CoreCLR) and folded into a SHA-256 digest
// (the firmware's own Sha256 over each line's UTF-8 and a '\n'). A muted trace (sink null) keeps
// nothing: the timing runs use one.
using Stratos.Island.Codec;
using Stratos.Island.Crypto;

namespace Stratos.Island.Firmware.Scenario
{
    public interface ITraceSink
    {
        void WriteLine(string line);
    }

    // Bytes in use on the managed heap after a full collection (what stays allocated, as the free
    // memory nanoFramework's GC.Run reports after a collection), where the runtime can tell (CoreCLR:
    // GC.GetTotalMemory(true)). Null on runtimes the program must not ask (nanoFramework's GC.Run
    // lives in nanoFramework.Runtime.Native, which this program does not reference).
    public interface IHeapProbe
    {
        long UsedBytes();
    }

    public sealed class ScenarioTrace
    {
        private readonly ITraceSink _sink;
        private readonly Sha256 _sha = new Sha256();
        private byte[] _utf8 = new byte[512];
        private static readonly byte[] NewLine = new byte[] { 0x0A };

        public ScenarioTrace(ITraceSink sink)
        {
            _sink = sink;
        }

        public int Lines { get; private set; }

        public void Line(string line)
        {
            if (_sink == null)
            {
                return;
            }

            Lines++;
            _sink.WriteLine(line);
            int bytes = Utf8.ByteCount(line);
            if (bytes > _utf8.Length)
            {
                _utf8 = new byte[bytes];
            }

            Utf8.Write(line, _utf8, 0);
            _sha.Update(_utf8, 0, bytes);
            _sha.Update(NewLine, 0, 1);
        }

        // Hex of the SHA-256 of every line so far (the trace digest printed at the end).
        public string Digest()
        {
            byte[] digest = new byte[Sha256.DigestBytes];
            _sha.Final(digest, 0);
            return Hex(digest, 0, digest.Length);
        }

        public static string Hex(byte[] bytes, int offset, int count)
        {
            char[] chars = new char[count * 2];
            for (int i = 0; i < count; i++)
            {
                int b = bytes[offset + i];
                chars[2 * i] = HexDigit(b >> 4);
                chars[2 * i + 1] = HexDigit(b & 0xF);
            }

            return new string(chars);
        }

        private static char HexDigit(int value)
        {
            return (char)(value < 10 ? '0' + value : 'a' + value - 10);
        }
    }
}
