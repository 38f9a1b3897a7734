// Each class below breaks one rule of docs/nanoframework-dialect.md; the dialect guard's tests
// assert that the guard names every one of them. Do not "fix" this file.
using System.Collections.Generic;
using System.Threading.Tasks;

namespace Stratos.Island.DialectSamples.Bad
{
    // Generic collection: List<int> is a TypeSpec instantiating List`1.
    public sealed class UsesGenericList
    {
        public int Sum()
        {
            var values = new List<int> { 1, 2, 3 };
            int total = 0;
            for (int i = 0; i < values.Count; i++)
            {
                total += values[i];
            }
            return total;
        }
    }

    // Generic method: a GenericParam row on the method and a MethodSpec at the call site.
    public static class UsesGenericMethod
    {
        public static T FirstOrSelf<T>(T[] items, T fallback)
        {
            return items.Length > 0 ? items[0] : fallback;
        }

        public static int Call()
        {
            return FirstOrSelf(new[] { 4, 5 }, 0);
        }
    }

    // Multi-dimensional array: an array shape in a signature plus MemberRefs on the array type.
    public sealed class UsesMultiDimensionalArray
    {
        private readonly int[,] _grid = new int[2, 3];

        public int Corner()
        {
            _grid[1, 2] = 7;
            return _grid[1, 2];
        }
    }

    // lock: lowers to Monitor.Enter(object, ref bool), which nanoFramework does not have.
    public sealed class UsesLock
    {
        private readonly object _gate = new object();
        private int _count;

        public int Increment()
        {
            lock (_gate)
            {
                _count++;
                return _count;
            }
        }
    }

    // async/Task: state machine, AsyncTaskMethodBuilder and Task are all missing on the device.
    public static class UsesAsync
    {
        public static async Task<int> DelayedAnswer()
        {
            await Task.Yield();
            return 42;
        }
    }

    // Interpolation compiled for netstandard2.0 lowers to string.Format(string, object): only
    // Format(string, params object[]) exists on nanoFramework.
    public static class UsesNetStandardInterpolation
    {
        public static string Describe(int vmId)
        {
            return $"VM {vmId}";
        }
    }

    public delegate void Changed(int value);

    // Field-like event: add/remove are generated with Interlocked.CompareExchange<Changed>.
    public sealed class UsesFieldLikeEvent
    {
        public event Changed OnChanged;

        public void Raise(int value)
        {
            Changed handler = OnChanged;
            if (handler != null)
            {
                handler(value);
            }
        }
    }
}
