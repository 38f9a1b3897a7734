using Stratos.Island.Codec.Link;
using Stratos.Island.Firmware.EventLog;

namespace Stratos.Island.Firmware.Link
{
    // One LogRead from the agent as a resumable job: pages (LogChunk) of at most
    // IslandLinkEndpoint.RecordsPerLogPage records from from_sequence until the log or max_records is
    // exhausted (End on the last page), at most IslandLinkEndpoint.LogPagesPerService pages per
    // Service call so a long read does not hold up the main loop. A page the ring refuses is built
    // again from the same sequence by the next Service, so a long read never drops records. A new
    // LogRead replaces the one in progress; a session going down abandons it.
    //
    // The core fills a page through IIslandOutput: LogRecord (Collect) for each record, then
    // LogReadEnd (EndPage) with where the page ended.
    internal sealed class PagedLogRead
    {
        private readonly EnvelopeSender _sender;
        private readonly IslandLinkCounters _counters;
        private bool _active;
        private uint _correlation;
        private uint _next;
        private uint _remaining;
        private bool _collecting;
        private uint _pageNext;
        private uint _pageFirst;

        internal PagedLogRead(EnvelopeSender sender, IslandLinkCounters counters)
        {
            _sender = sender;
            _counters = counters;
        }

        // True while pages are still to be sent.
        internal bool Active
        {
            get { return _active; }
        }

        internal void Begin(uint correlation, uint fromSequence, uint maxRecords)
        {
            _active = true;
            _correlation = correlation;
            _next = fromSequence;
            _remaining = maxRecords == 0 ? uint.MaxValue : maxRecords;
        }

        internal void Abandon()
        {
            _active = false;
        }

        // Sends the next pages of the read in progress.
        internal void Service(IslandCore core)
        {
            int pages = 0;
            while (_active && pages < IslandLinkEndpoint.LogPagesPerService && _sender.IsUp())
            {
                uint want = _remaining < IslandLinkEndpoint.RecordsPerLogPage ? _remaining : IslandLinkEndpoint.RecordsPerLogPage;
                Envelope e = _sender.Begin(EnvelopeBody.LogChunk, _correlation);
                _pageNext = _next;
                _pageFirst = 0;
                _collecting = true;
                core.HandleLogRead(_correlation, _next, want);
                _collecting = false;
                LogChunk chunk = e.LogChunk;
                uint sent = (uint)chunk.RecordsCount;
                uint remainingAfter = _remaining - sent;
                bool end = _pageNext >= core.Log.NextSequence || remainingAfter == 0;
                chunk.FirstAvailable = _pageFirst;
                chunk.NextSequence = _pageNext;
                chunk.End = end;
                if (!_sender.Send())
                {
                    return; // retried from the same sequence by the next Service
                }

                pages++;
                _counters.LogPagesSent++;
                _next = _pageNext;
                _remaining = remainingAfter;
                if (end)
                {
                    _active = false;
                }
            }
        }

        // One record of the page being built (ignored outside Service, or once the page is full).
        internal void Collect(EventRecord record)
        {
            if (!_collecting)
            {
                return;
            }

            LogChunk chunk = _sender.Session.Outgoing.LogChunk;
            if (chunk.RecordsCount == LogChunk.RecordsMaxCount)
            {
                return;
            }

            Event ev = chunk.Records[chunk.RecordsCount++];
            ev.Sequence = record.Sequence;
            ev.TimestampUs = record.TimestampUs < 0 ? 0 : (ulong)record.TimestampUs;
            ev.BootCount = record.BootCount;
            ev.Type = record.Type;
            ev.SubjectId = record.SubjectId;
            ev.Value = record.Value;
            ev.Detail = EnvelopeSender.Fit(record.GetDetail(), Event.DetailMaxLength);
        }

        // Where the core's page ended: the oldest sequence stored and the next one to read.
        internal void EndPage(uint firstAvailable, uint nextSequence)
        {
            _pageFirst = firstAvailable;
            _pageNext = nextSequence;
        }
    }
}
