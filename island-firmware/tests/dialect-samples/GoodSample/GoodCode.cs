// Dialect-correct code touching the allowed surface (mscorlib only): byte arrays, Array.Copy/Clear,
// BitConverter, string.Concat, new string(char[]), ArrayList, Interlocked, Thread, AutoResetEvent,
// exceptions, enums, structs, interfaces and a delegate of our own.
using System;
using System.Collections;
using System.Threading;

namespace Stratos.Island.DialectSamples.Good
{
    public enum SampleState
    {
        Idle = 0,
        Running = 1,
    }

    public struct SampleFrame
    {
        public uint Sequence;
        public int Length;
    }

    public interface ISampleSink
    {
        void Accept(byte[] buffer, int offset, int count);
    }

    public delegate void SampleCallback(int value);

    public sealed class GoodCode : ISampleSink
    {
        private static readonly byte[] Magic = { 0x53, 0x49, 0x4C, 0x44 };
        private readonly byte[] _buffer = new byte[64];
        private readonly ArrayList _names = new ArrayList();
        private readonly AutoResetEvent _wake = new AutoResetEvent(false);
        private int _counter;
        private SampleState _state;

        public SampleCallback OnValue;

        // Auto-property: the backing field carries CompilerGenerated and DebuggerBrowsable(Never).
        public int Decoded { get; private set; }

        public static int Sum(params int[] values)
        {
            int total = 0;
            foreach (int value in values)
            {
                total += value;
            }
            return total;
        }

        public void Schedule(Action action)
        {
            if (action != null)
            {
                action();
            }
        }

        public void Accept(byte[] buffer, int offset, int count)
        {
            if (buffer == null)
            {
                throw new ArgumentNullException("buffer");
            }
            if (count > _buffer.Length)
            {
                throw new ArgumentOutOfRangeException("count", "larger than the internal buffer");
            }
            Array.Clear(_buffer, 0, _buffer.Length);
            Array.Copy(buffer, offset, _buffer, 0, count);
            Interlocked.Increment(ref _counter);
            _wake.Set();
        }

        public string Describe(SampleFrame frame)
        {
            string head = string.Concat("frame ", frame.Sequence.ToString(), " ", (frame.Length > 0 ? frame.Length : 0).ToString());
            uint checksum = frame.Sequence ^ 0xA5A5A5A5;
            return head + " " + ((int)_state).ToString() + " " + checksum.ToString() + " " + frame.Length;
        }

        public int Decode(byte[] bytes)
        {
            char[] chars = new char[bytes.Length];
            for (int i = 0; i < bytes.Length; i++)
            {
                chars[i] = (char)bytes[i];
            }
            _names.Add(new string(chars));
            int value = BitConverter.ToInt32(bytes, 0) + Magic.Length;
            SampleCallback callback = OnValue;
            if (callback != null)
            {
                callback(value);
            }
            _state = SampleState.Running;
            Decoded = Sum(value, 1, 2);
            Schedule(Run);
            return value;
        }

        public void Run()
        {
            var worker = new Thread(Loop);
            worker.Start();
            Thread.Sleep(1);
        }

        private void Loop()
        {
            _wake.WaitOne(10, false);
        }
    }
}
