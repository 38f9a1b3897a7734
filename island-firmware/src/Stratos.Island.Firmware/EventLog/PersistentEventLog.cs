using Stratos.Island.Codec;
using Stratos.Island.Firmware.Hal;

namespace Stratos.Island.Firmware.EventLog
{
    // Append-only, sequence-numbered event log on NOR flash (IFlash), used as a ring of pages.
    // Layout: EventRecordFormat. Full argument: docs/firmware.md "Event log".
    //
    // Write protocol (every step only clears bits, except the erase):
    //   append:     program the record body + CRC, then program the 4-byte commit marker.
    //   open page:  program the old page magic to 0 (retire), erase the page, program epoch and
    //               ~epoch, then program the page magic.
    // Recovery (Recover, once at boot) keeps exactly the records whose commit marker and CRC are
    // complete:
    //   - a page counts only with a complete header (magic and epoch/~epoch agree);
    //   - records are read from offset 16 on; the first record that is not committed (torn, or a
    //     sequence that does not follow its predecessor) ends the page: it is "closed", nothing is
    //     ever written after it again (the next append opens a new page). Only the last write
    //     before a cut can be torn, because writes are strictly sequential;
    //   - an erased header (0xFFFFFFFF) ends the page as well; if the rest of the page is not all
    //     0xFF (a cut in the middle of something) the page is closed too;
    //   - the ring is the run of valid pages walking back from the highest epoch while epochs
    //     decrease and sequences stay contiguous; anything else is stale and is erased when the
    //     write position reaches it.
    // So a power cut at any byte of any write loses at most the record being written, and a
    // cut while a page is being reclaimed loses only that page's records, which the reclaim had
    // already given up (they are the oldest; FirstAvailableSequence moves past them).
    // Appends never allocate; page search on read is linear in the page count.
    public sealed class PersistentEventLog
    {
        private readonly IFlash _flash;
        private readonly int _pageSize;
        private readonly int _pageCount;

        private readonly bool[] _pageValid;
        private readonly uint[] _pageEpoch;
        private readonly uint[] _pageFirstSequence;
        private readonly int[] _pageRecordCount;
        // Next write offset in the page; PageSize when the page is closed.
        private readonly int[] _pageWriteOffset;

        private readonly byte[] _record;
        private readonly byte[] _scratch;
        private readonly byte[] _detail;
        private readonly byte[] _word;

        private int _headPage;
        private uint _maxEpoch;
        private uint _nextSequence;
        private uint _firstAvailable;
        private uint _lastBootCount;
        private int _appendFailures;

        public PersistentEventLog(IFlash flash)
        {
            _flash = flash;
            _pageSize = flash.PageSize;
            _pageCount = flash.PageCount;
            _pageValid = new bool[_pageCount];
            _pageEpoch = new uint[_pageCount];
            _pageFirstSequence = new uint[_pageCount];
            _pageRecordCount = new int[_pageCount];
            _pageWriteOffset = new int[_pageCount];
            _record = new byte[EventRecordFormat.MaxRecordBytes];
            _scratch = new byte[EventRecordFormat.MaxRecordBytes];
            _detail = new byte[EventRecord.MaxDetailBytes];
            _word = new byte[4];
            _headPage = -1;
            _nextSequence = 1;
            _firstAvailable = 1;
        }

        // Null when the flash geometry can hold the log, else why not.
        public static string CheckGeometry(IFlash flash)
        {
            if (flash.PageCount < 2)
            {
                return "event log: flash needs at least 2 pages";
            }

            if (flash.PageSize < EventRecordFormat.PageHeaderBytes + EventRecordFormat.MaxRecordBytes || flash.PageSize % 4 != 0)
            {
                return "event log: flash page size must be a multiple of 4 and hold a header and the largest record (120 bytes)";
            }

            return null;
        }

        // Sequence the next append gets.
        public uint NextSequence
        {
            get { return _nextSequence; }
        }

        // Oldest sequence still stored (== NextSequence when the log is empty).
        public uint FirstAvailableSequence
        {
            get { return _firstAvailable; }
        }

        // Boot count of the newest record found by Recover (0 for an empty log).
        public uint LastBootCount
        {
            get { return _lastBootCount; }
        }

        // Appends that failed because the flash reported an error.
        public int AppendFailures
        {
            get { return _appendFailures; }
        }

        // Rebuilds the in-memory page table from flash. Call once at boot, before any Append.
        public void Recover()
        {
            uint newestSequence = 0;
            for (int p = 0; p < _pageCount; p++)
            {
                ScanPage(p);
            }

            // Head: the valid page with the highest epoch.
            _headPage = -1;
            _maxEpoch = 0;
            for (int p = 0; p < _pageCount; p++)
            {
                if (_pageValid[p] && (_headPage < 0 || _pageEpoch[p] > _maxEpoch))
                {
                    _headPage = p;
                    _maxEpoch = _pageEpoch[p];
                }
            }

            if (_headPage < 0)
            {
                _nextSequence = 1;
                _firstAvailable = 1;
                _lastBootCount = 0;
                return;
            }

            // Walk back from the head while the ring is consistent; drop the rest as stale.
            bool[] keep = _pageValid;
            int page = _headPage;
            uint epochAfter = _pageEpoch[page];
            uint firstSequenceAfter = 0;
            bool haveSequenceAfter = false;
            for (int steps = 0; steps < _pageCount; steps++)
            {
                bool ok = keep[page] && (steps == 0 || _pageEpoch[page] < epochAfter);
                if (ok && _pageRecordCount[page] > 0)
                {
                    uint last = _pageFirstSequence[page] + (uint)_pageRecordCount[page] - 1;
                    if (haveSequenceAfter && last + 1 != firstSequenceAfter)
                    {
                        ok = false;
                    }
                    else
                    {
                        if (!haveSequenceAfter)
                        {
                            newestSequence = last;
                        }

                        haveSequenceAfter = true;
                        firstSequenceAfter = _pageFirstSequence[page];
                    }
                }

                if (!ok)
                {
                    // Everything from here back is stale.
                    for (int s = steps; s < _pageCount; s++)
                    {
                        _pageValid[page] = false;
                        page = page == 0 ? _pageCount - 1 : page - 1;
                    }

                    break;
                }

                epochAfter = _pageEpoch[page];
                page = page == 0 ? _pageCount - 1 : page - 1;
            }

            if (haveSequenceAfter)
            {
                _nextSequence = newestSequence + 1;
                _firstAvailable = firstSequenceAfter;
                if (TryReadRaw(newestSequence))
                {
                    _lastBootCount = EventRecordFormat.ReadU32(_scratch, 16);
                }
            }
            else
            {
                _nextSequence = 1;
                _firstAvailable = 1;
                _lastBootCount = 0;
            }
        }

        // Appends a record; returns its sequence, or 0 when the flash failed (counted).
        // detail is truncated to 64 UTF-8 bytes at a character boundary.
        public uint Append(long timestampUs, uint bootCount, EventType type, uint subjectId, int value, string detail)
        {
            int detailLength = EventRecordFormat.EncodeUtf8(detail, _detail, EventRecord.MaxDetailBytes);
            int length = EventRecordFormat.RecordLength(detailLength);
            if (_headPage < 0 || _pageWriteOffset[_headPage] + length > _pageSize)
            {
                if (!OpenNextPage())
                {
                    _appendFailures++;
                    return 0;
                }
            }

            uint sequence = _nextSequence;
            EventRecordFormat.Encode(_record, sequence, timestampUs, bootCount, type, subjectId, value, _detail, detailLength);
            int address = (_headPage * _pageSize) + _pageWriteOffset[_headPage];
            bool ok = _flash.Program(address, _record, 0, length - 4)
                && _flash.Program(address + length - 4, _record, length - 4, 4);
            if (!ok)
            {
                // Never write after a possibly torn record: close the page.
                _pageWriteOffset[_headPage] = _pageSize;
                _appendFailures++;
                return 0;
            }

            if (_pageRecordCount[_headPage] == 0)
            {
                _pageFirstSequence[_headPage] = sequence;
            }

            _pageRecordCount[_headPage]++;
            _pageWriteOffset[_headPage] += length;
            _nextSequence = sequence + 1;
            return sequence;
        }

        // Reads the record with this sequence into record; false when it is not stored.
        public bool TryRead(uint sequence, EventRecord record)
        {
            if (!TryReadRaw(sequence))
            {
                return false;
            }

            EventRecordFormat.Decode(_scratch, record);
            return true;
        }

        // Locates the record and leaves it, verified, in _scratch.
        private bool TryReadRaw(uint sequence)
        {
            if (sequence < _firstAvailable || sequence >= _nextSequence)
            {
                return false;
            }

            for (int p = 0; p < _pageCount; p++)
            {
                if (!_pageValid[p] || _pageRecordCount[p] == 0)
                {
                    continue;
                }

                uint first = _pageFirstSequence[p];
                if (sequence < first || sequence - first >= (uint)_pageRecordCount[p])
                {
                    continue;
                }

                int offset = EventRecordFormat.PageHeaderBytes;
                int skip = (int)(sequence - first);
                int baseAddress = p * _pageSize;
                for (int i = 0; i < skip; i++)
                {
                    _flash.Read(baseAddress + offset + 2, _word, 0, 2);
                    offset += EventRecordFormat.ReadU16(_word, 0);
                }

                _flash.Read(baseAddress + offset, _scratch, 0, 4);
                int length = EventRecordFormat.ReadU16(_scratch, 2);
                if (length < EventRecordFormat.MinRecordBytes || length > EventRecordFormat.MaxRecordBytes)
                {
                    return false;
                }

                _flash.Read(baseAddress + offset, _scratch, 0, length);
                return EventRecordFormat.IsCommitted(_scratch, length) && EventRecordFormat.ReadU32(_scratch, 4) == sequence;
            }

            return false;
        }

        private void ScanPage(int page)
        {
            int baseAddress = page * _pageSize;
            _pageValid[page] = false;
            _pageRecordCount[page] = 0;
            _pageWriteOffset[page] = _pageSize;
            _flash.Read(baseAddress, _scratch, 0, EventRecordFormat.PageHeaderBytes);
            uint epoch = EventRecordFormat.ReadU32(_scratch, 0);
            if (EventRecordFormat.ReadU32(_scratch, 12) != EventRecordFormat.PageMagic
                || EventRecordFormat.ReadU32(_scratch, 4) != ~epoch)
            {
                return;
            }

            _pageValid[page] = true;
            _pageEpoch[page] = epoch;
            int offset = EventRecordFormat.PageHeaderBytes;
            uint expected = 0;
            while (offset + 4 <= _pageSize)
            {
                _flash.Read(baseAddress + offset, _scratch, 0, 4);
                if (EventRecordFormat.ReadU32(_scratch, 0) == 0xFFFFFFFFu)
                {
                    if (IsErased(baseAddress + offset, _pageSize - offset))
                    {
                        _pageWriteOffset[page] = offset;
                    }

                    return;
                }

                int length = EventRecordFormat.ReadU16(_scratch, 2);
                if (EventRecordFormat.ReadU16(_scratch, 0) != EventRecordFormat.RecordMagic
                    || length < EventRecordFormat.MinRecordBytes || length > EventRecordFormat.MaxRecordBytes
                    || offset + length > _pageSize)
                {
                    return;
                }

                _flash.Read(baseAddress + offset, _scratch, 0, length);
                if (!EventRecordFormat.IsCommitted(_scratch, length))
                {
                    return;
                }

                uint sequence = EventRecordFormat.ReadU32(_scratch, 4);
                if (_pageRecordCount[page] == 0)
                {
                    _pageFirstSequence[page] = sequence;
                }
                else if (sequence != expected)
                {
                    return;
                }

                expected = sequence + 1;
                _pageRecordCount[page]++;
                offset += length;
            }
        }

        private bool IsErased(int address, int count)
        {
            while (count > 0)
            {
                int chunk = count < _scratch.Length ? count : _scratch.Length;
                _flash.Read(address, _scratch, 0, chunk);
                for (int i = 0; i < chunk; i++)
                {
                    if (_scratch[i] != 0xFF)
                    {
                        return false;
                    }
                }

                address += chunk;
                count -= chunk;
            }

            return true;
        }

        private bool OpenNextPage()
        {
            int page = _headPage < 0 ? 0 : (_headPage + 1) % _pageCount;
            int baseAddress = page * _pageSize;
            bool hadRecords = _pageValid[page] && _pageRecordCount[page] > 0;

            // Retire first: from here on the page's old contents no longer count.
            _pageValid[page] = false;
            _pageRecordCount[page] = 0;
            _pageWriteOffset[page] = _pageSize;
            EventRecordFormat.WriteU32(_word, 0, 0);
            _flash.Program(baseAddress + 12, _word, 0, 4);
            if (hadRecords)
            {
                AdvanceFirstAvailable();
            }

            if (!_flash.ErasePage(page))
            {
                return false;
            }

            uint epoch = _maxEpoch + 1;
            EventRecordFormat.WriteU32(_scratch, 0, epoch);
            EventRecordFormat.WriteU32(_scratch, 4, ~epoch);
            EventRecordFormat.WriteU32(_scratch, 8, 0xFFFFFFFFu);
            EventRecordFormat.WriteU32(_scratch, 12, EventRecordFormat.PageMagic);
            if (!_flash.Program(baseAddress, _scratch, 0, 12) || !_flash.Program(baseAddress + 12, _scratch, 12, 4))
            {
                return false;
            }

            _maxEpoch = epoch;
            _pageValid[page] = true;
            _pageEpoch[page] = epoch;
            _pageWriteOffset[page] = EventRecordFormat.PageHeaderBytes;
            _headPage = page;
            return true;
        }

        // After a page with records was retired: the oldest remaining record starts the log.
        private void AdvanceFirstAvailable()
        {
            uint oldest = _nextSequence;
            for (int p = 0; p < _pageCount; p++)
            {
                if (_pageValid[p] && _pageRecordCount[p] > 0 && _pageFirstSequence[p] < oldest)
                {
                    oldest = _pageFirstSequence[p];
                }
            }

            _firstAvailable = oldest;
        }
    }
}
