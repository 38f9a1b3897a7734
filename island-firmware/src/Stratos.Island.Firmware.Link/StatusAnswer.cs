using Stratos.Island.Codec;
using Stratos.Island.Codec.Link;
using Stratos.Island.Firmware.EventLog;

namespace Stratos.Island.Firmware.Link
{
    // The answer to one StatusRequest (docs/island-sim.md): the core emits every VmStatus and
    // PowerDomainStatus (sent with the request's correlation id) and then its RequestResult, which
    // closes the core's part; the answer then adds the SupervisionStatus pages and, with
    // include_definitions, each VmDefinition as a BlobChunk sequence (BLOB_KIND_VM_DEFINITION, crc32
    // IEEE of the whole blob, chunks of at most IslandLinkEndpoint.BlobChunkBytes), and is closed by
    // a RequestResult: accepted, or ResourceExhausted naming how many messages the ring refused (the
    // agent asks again). This class keeps the answer's state and the definition blobs.
    internal sealed class StatusAnswer
    {
        private readonly EnvelopeSender _sender;
        private readonly byte[][] _definitions;
        private readonly uint[] _definitionCrcs;
        private readonly int _definitionCount;
        private bool _active;
        private uint _correlation;
        private int _lost;
        private bool _includeDefinitions;
        private uint _nextTransferId = 1;

        internal StatusAnswer(EnvelopeSender sender, byte[][] encodedDefinitions, int definitionCount)
        {
            _sender = sender;
            _definitionCount = encodedDefinitions == null ? 0 : definitionCount;
            _definitions = encodedDefinitions;
            _definitionCrcs = new uint[_definitionCount];
            for (int i = 0; i < _definitionCount; i++)
            {
                byte[] blob = _definitions[i];
                _definitionCrcs[i] = Crc32.Compute(blob, 0, blob.Length);
            }
        }

        // True while the core emits its part of the answer.
        internal bool Active
        {
            get { return _active; }
        }

        internal uint Correlation
        {
            get { return _correlation; }
        }

        // The correlation id of status sent now: the answer's, or 0 for a push.
        internal uint StatusCorrelation
        {
            get { return _active ? _correlation : 0; }
        }

        internal void Begin(uint correlation, bool includeDefinitions)
        {
            _active = true;
            _correlation = correlation;
            _lost = 0;
            _includeDefinitions = includeDefinitions;
        }

        internal void End()
        {
            _active = false;
        }

        // A message of the answer was refused by the ring.
        internal void NoteLoss()
        {
            if (_active)
            {
                _lost++;
            }
        }

        internal void AddLosses(int count)
        {
            _lost += count;
        }

        // Messages of the answer refused so far.
        internal int Lost
        {
            get { return _lost; }
        }

        // With include_definitions: every VM definition as BlobChunks; returns the chunks not sent.
        internal int SendDefinitions()
        {
            int failed = 0;
            if (_includeDefinitions)
            {
                for (int i = 0; i < _definitionCount; i++)
                {
                    failed += SendBlob(_correlation, _definitions[i], _definitionCrcs[i]);
                }
            }

            return failed;
        }

        // Sends one blob as BlobChunk messages; returns the number of chunks not sent.
        private int SendBlob(uint correlation, byte[] blob, uint crc)
        {
            uint transfer = _nextTransferId++;
            if (_nextTransferId == 0)
            {
                _nextTransferId = 1;
            }

            int failed = 0;
            int offset = 0;
            do
            {
                int length = blob.Length - offset;
                if (length > IslandLinkEndpoint.BlobChunkBytes)
                {
                    length = IslandLinkEndpoint.BlobChunkBytes;
                }

                Envelope e = _sender.Begin(EnvelopeBody.BlobChunk, correlation);
                BlobChunk chunk = e.BlobChunk;
                chunk.TransferId = transfer;
                chunk.Kind = BlobKind.VmDefinition;
                chunk.TotalLength = (uint)blob.Length;
                chunk.Offset = (uint)offset;
                chunk.Crc32 = crc;
                System.Array.Copy(blob, offset, chunk.Data, 0, length);
                chunk.DataLength = length;
                if (!_sender.Send())
                {
                    failed++;
                }

                offset += length;
            }
            while (offset < blob.Length);

            return failed;
        }
    }
}
