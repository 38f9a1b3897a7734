using System;
using Stratos.Island.Firmware.Hal;

namespace Stratos.Island.Firmware.Tests.Fakes;

// NOR flash in RAM with real page semantics: erase sets 0xFF, program can only clear bits.
// Power-cut fault: after CutAfterBytes more bytes have been touched (each programmed byte and each
// erased byte counts one), the operation in progress stops half-done and every later operation
// does nothing (the MCU is dead) until PowerOn(). An erase cut after k bytes leaves the first k
// bytes of the page erased and the rest as it was.
public sealed class RamFlash : IFlash
{
    private readonly byte[] _bytes;
    private long _budget = -1;

    public RamFlash(int pageSize, int pageCount)
    {
        PageSize = pageSize;
        PageCount = pageCount;
        _bytes = new byte[pageSize * pageCount];
        Array.Fill(_bytes, (byte)0xFF);
    }

    private RamFlash(RamFlash other)
    {
        PageSize = other.PageSize;
        PageCount = other.PageCount;
        _bytes = (byte[])other._bytes.Clone();
        EraseCounts = (int[])other.EraseCounts.Clone();
    }

    public int PageSize { get; }

    public int PageCount { get; }

    public bool PoweredOff { get; private set; }

    public int[] EraseCounts { get; private set; } = Array.Empty<int>();

    // Bytes touched (programmed + erased) since the last ResetCounters.
    public long BytesTouched { get; private set; }

    public RamFlash Clone() => new(this);

    // Cut power after n more bytes (n = 0: the next operation does nothing).
    public void CutAfterBytes(long n) => _budget = n;

    public void PowerOn()
    {
        PoweredOff = false;
        _budget = -1;
    }

    public void ResetCounters() => BytesTouched = 0;

    public byte this[int address]
    {
        get => _bytes[address];
        set => _bytes[address] = value;
    }

    public void Read(int address, byte[] buffer, int offset, int count) => Array.Copy(_bytes, address, buffer, offset, count);

    public bool ErasePage(int pageIndex)
    {
        if (EraseCounts.Length != PageCount)
        {
            EraseCounts = new int[PageCount];
        }

        int start = pageIndex * PageSize;
        for (int i = 0; i < PageSize; i++)
        {
            if (!Spend())
            {
                return false;
            }

            _bytes[start + i] = 0xFF;
        }

        EraseCounts[pageIndex]++;
        return true;
    }

    public bool Program(int address, byte[] data, int offset, int count)
    {
        for (int i = 0; i < count; i++)
        {
            if (!Spend())
            {
                return false;
            }

            _bytes[address + i] &= data[offset + i];
        }

        return true;
    }

    private bool Spend()
    {
        if (PoweredOff)
        {
            return false;
        }

        if (_budget == 0)
        {
            PoweredOff = true;
            return false;
        }

        if (_budget > 0)
        {
            _budget--;
        }

        BytesTouched++;
        return true;
    }
}
