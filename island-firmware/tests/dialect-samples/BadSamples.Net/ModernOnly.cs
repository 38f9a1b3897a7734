// Samples that only compile for a modern target.
//
// String interpolation with a non-string hole: on net6+ this lowers to
// DefaultInterpolatedStringHandler.AppendFormatted<int>, a generic method. The dialect guard must
// report it. Do not "fix" this file.
namespace Stratos.Island.DialectSamples.BadNet
{
    public static class UsesInterpolation
    {
        public static string Describe(int vmId, string name)
        {
            return $"VM {vmId} is '{name}'";
        }
    }

    // Span<byte>: generic value type, absent on the stable line (netstandard2.0 has no Span
    // without an extra package, so this sample lives in the net10.0 project).
    public static class UsesSpan
    {
        public static int CountZeros(byte[] buffer)
        {
            System.Span<byte> span = new System.Span<byte>(buffer);
            int zeros = 0;
            for (int i = 0; i < span.Length; i++)
            {
                if (span[i] == 0)
                {
                    zeros++;
                }
            }
            return zeros;
        }
    }
}
