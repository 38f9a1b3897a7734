// Loads the island configuration from the config flash partition (README.md "Config partition").
//
// Layout, little-endian, written by the flashing tool from a verified bundle:
//   0   magic "SIC1" (0x31434953)
//   4   u32 manifest length M      (manifest.json of the bundle, exact bytes)
//   8   u32 config length C        (config.bin of the bundle)
//   12  u32 board block length B
//   16  manifest[M], signature[64] (manifest.sig), config[C], board block[B]
// Board block: u8 idLength, id bytes (UTF-8), then u32 maxVms, maxCheckpointsPerVm,
// supervisionCycleMs, expiredSupervisionCycleTolerance, watchdogTimeoutMs, configHash; the link:
// u8 channelNameLength, channel name, u32 shmSize, resourceTable, vring0Da, vring1Da, vringAlign,
// vringNum, buffersBase, buffersCount, buffersSize; then u32 domainCount and per domain u32 id,
// u32 scmiId, u32 criticality, u8 initialOn, u8 aCluster, u8 nameLength, name bytes; then, only when
// the bundle carried one, u32 link key length (32) and the link's board key (the bundle's link.key,
// checked against the signed manifest like config.bin: IslandLinkAuthenticator.VerifyProvisionedKey).
//
// Steps: read the partition -> BundleVerifier.VerifyFile(manifest, signature, "config.bin", config)
// -> board block -> IslandLimits + PowerDomainConfig[] -> ConfigurationBuilder.AddEncoded per VM ->
// Build. Every failure sets Error to a message naming the partition field and offset; nothing throws.
// Runs once at boot (allocation is fine here).
using Stratos.Island.Codec;
using Stratos.Island.Firmware.Bundle;
using Stratos.Island.Firmware.Configuration;
using Stratos.Island.Firmware.Link;
using Stratos.Island.Firmware.Native;
using Stratos.Island.Link;

namespace Stratos.Island.Firmware.Nano
{
    /// <summary>The configuration read from flash, or the reason it could not be read.</summary>
    public sealed class ConfigPartition
    {
        public const uint Magic = 0x31434953;
        public const int HeaderBytes = 16;
        public const string ConfigFileName = "config.bin";

        public IslandConfig Config;
        public byte[][] Definitions;
        public string BoardId;
        public uint ConfigHash;
        public int WatchdogTimeoutMs;
        public string ChannelName;
        public LinkLayout Layout;
        public int[] DomainIds;
        public int[] ScmiIds;
        /// <summary>The link's board key (32 bytes) when the bundle provisioned one, else null.</summary>
        public byte[] LinkKey;
        public string Error;

        private byte[] _image;
        private int _pos;
        private int _end;

        /// <summary>Reads and verifies the partition; on failure returns an instance with Error set.</summary>
        public static ConfigPartition Load(ISignatureVerifier signatures)
        {
            int size = NativeFlash.PartitionSize(NativeFlash.ConfigPartition);
            if (size < HeaderBytes)
            {
                return Failed("config partition: missing or smaller than its 16-byte header (size " + size + ")");
            }

            byte[] header = new byte[HeaderBytes];
            if (NativeFlash.Read(NativeFlash.ConfigPartition, 0, header, 0, HeaderBytes) != 0)
            {
                return Failed("config partition: header read failed at offset 0");
            }

            long total = TotalLength(header, HeaderBytes);
            if (total < HeaderBytes || total > size)
            {
                // Parse reports the exact problem (magic, lengths) from the header alone.
                return Parse(header, size, signatures);
            }

            byte[] image = new byte[(int)total];
            if (NativeFlash.Read(NativeFlash.ConfigPartition, 0, image, 0, (int)total) != 0)
            {
                return Failed("config partition: read of " + total + " bytes failed");
            }

            return Parse(image, size, signatures);
        }

        /// <summary>Verifies and decodes a partition image (image[0..] as read from flash; partitionSize
        /// bounds the lengths). Never throws; Error names the field and offset on failure.</summary>
        public static ConfigPartition Parse(byte[] image, int partitionSize, ISignatureVerifier signatures)
        {
            ConfigPartition result = new ConfigPartition();
            result.ParseImage(image, partitionSize, signatures);
            if (result.Error != null)
            {
                result.Config = null;
            }

            result._image = null;
            return result;
        }

        private static ConfigPartition Failed(string error)
        {
            ConfigPartition result = new ConfigPartition();
            result.Error = error;
            return result;
        }

        // Header + manifest + signature + config + board block, or -1 when the header is short.
        private static long TotalLength(byte[] image, int length)
        {
            if (length < HeaderBytes)
            {
                return -1;
            }

            return (long)HeaderBytes + ReadU32(image, 4) + BundleVerifier.SignatureBytes + ReadU32(image, 8) + ReadU32(image, 12);
        }

        private void ParseImage(byte[] image, int partitionSize, ISignatureVerifier signatures)
        {
            if (image == null || image.Length < HeaderBytes)
            {
                Error = "config partition: shorter than its 16-byte header";
                return;
            }

            if (ReadU32(image, 0) != Magic)
            {
                Error = "config partition: bad magic at offset 0 (not written, or not a Stratos island configuration)";
                return;
            }

            uint manifestLength = ReadU32(image, 4);
            uint configLength = ReadU32(image, 8);
            uint boardLength = ReadU32(image, 12);
            long total = TotalLength(image, image.Length);
            if (total > partitionSize)
            {
                Error = "config partition: lengths at offset 4..15 add up to " + total + " bytes, the partition holds " + partitionSize;
                return;
            }

            if (total > image.Length)
            {
                Error = "config partition: lengths at offset 4..15 add up to " + total + " bytes, only " + image.Length + " were read";
                return;
            }

            _image = image;
            int manifestOffset = HeaderBytes;
            int signatureOffset = manifestOffset + (int)manifestLength;
            int configOffset = signatureOffset + BundleVerifier.SignatureBytes;
            int boardOffset = configOffset + (int)configLength;

            byte[] manifest = new byte[manifestLength];
            System.Array.Copy(_image, manifestOffset, manifest, 0, (int)manifestLength);
            byte[] signature = new byte[BundleVerifier.SignatureBytes];
            System.Array.Copy(_image, signatureOffset, signature, 0, BundleVerifier.SignatureBytes);
            BundleStatus status = new BundleVerifier(signatures).VerifyFile(manifest, manifest.Length, signature, signature.Length,
                ConfigFileName, _image, configOffset, (int)configLength);
            if (status != BundleStatus.Ok)
            {
                Error = "config partition: " + ConfigFileName + " at offset " + configOffset + " failed bundle verification (status "
                    + ((int)status).ToString() + ")";
                return;
            }

            _pos = boardOffset;
            _end = boardOffset + (int)boardLength;
            BoardId = ReadString("board id");
            IslandLimits limits = new IslandLimits();
            limits.MaxVms = ReadInt("max_vms");
            limits.MaxCheckpointsPerVm = ReadInt("max_checkpoints_per_vm");
            limits.SupervisionCyclePeriodMs = ReadInt("supervision_cycle_ms");
            limits.ExpiredSupervisionCycleTolerance = ReadInt("expired_supervision_cycle_tolerance");
            WatchdogTimeoutMs = ReadInt("watchdog_timeout_ms");
            ConfigHash = (uint)ReadInt("config_hash");
            ChannelName = ReadString("link.channel_name");
            LinkLayout layout = new LinkLayout();
            layout.SharedMemorySize = ReadInt("link.shared_memory.size");
            layout.ResourceTableOffset = ReadInt("link.shared_memory.resource_table");
            layout.VringCount = LinkLayout.RpmsgVringCount;
            layout.Vring0Address = ReadInt("link.shared_memory.vrings[0].da");
            layout.Vring1Address = ReadInt("link.shared_memory.vrings[1].da");
            layout.VringAlign = ReadInt("link.shared_memory.vrings[].align");
            layout.VringNum = ReadInt("link.shared_memory.vrings[].num");
            layout.BufferBase = ReadInt("link.shared_memory.buffers.base");
            layout.BufferCount = ReadInt("link.shared_memory.buffers.count");
            layout.BufferSize = ReadInt("link.shared_memory.buffers.size");
            int domainCount = ReadInt("power domain count");
            if (Error != null)
            {
                return;
            }

            if (domainCount < 0 || domainCount > 256)
            {
                Error = "config partition: board block: power domain count " + domainCount + " out of range 0..256";
                return;
            }

            // Ranges from docs/boards.md, checked before anything is sized from them.
            Range("island.max_vms", limits.MaxVms, 1, 255);
            Range("island.max_checkpoints_per_vm", limits.MaxCheckpointsPerVm, 1, IslandLimits.MaxCheckpointIdLimit);
            Range("island.supervision_cycle_ms", limits.SupervisionCyclePeriodMs, 1, 60000);
            Range("island.expired_supervision_cycle_tolerance", limits.ExpiredSupervisionCycleTolerance, 0, 1000000);
            Range("island.hardware_watchdog.timeout_ms", WatchdogTimeoutMs, 1, 3600000);
            if (Error != null)
            {
                return;
            }

            string layoutProblem = layout.Validate();
            if (layoutProblem != null)
            {
                Error = "config partition: board block: link layout: " + layoutProblem;
                return;
            }

            Layout = layout;
            limits.MaxPowerDomains = domainCount > 16 ? domainCount : 16;
            PowerDomainConfig[] domains = new PowerDomainConfig[domainCount];
            DomainIds = new int[domainCount];
            ScmiIds = new int[domainCount];
            for (int i = 0; i < domainCount && Error == null; i++)
            {
                PowerDomainConfig d = new PowerDomainConfig();
                d.Id = ReadInt("power domain id");
                DomainIds[i] = d.Id;
                ScmiIds[i] = ReadInt("power domain scmi_id");
                d.Criticality = (Criticality)ReadInt("power domain criticality");
                d.InitialState = ReadByte("power domain initial_on") != 0 ? PowerState.On : PowerState.Off;
                d.IsACluster = ReadByte("power domain a_cluster") != 0;
                d.Name = ReadString("power domain name");
                domains[i] = d;
            }

            if (Error == null && _pos < _end)
            {
                int keyLength = ReadInt("link key length");
                if (Error == null && (keyLength != 32 || _end - _pos != keyLength))
                {
                    Error = "config partition: board block: link key of " + keyLength + " bytes at offset " + _pos + " with " + (_end - _pos)
                        + " bytes left in the block (a link key is 32 bytes and ends the block)";
                }
                else if (Error == null)
                {
                    BundleStatus keyStatus = IslandLinkAuthenticator.VerifyProvisionedKey(new BundleVerifier(signatures), manifest, manifest.Length, signature, signature.Length,
                        _image, _pos, keyLength);
                    if (keyStatus != BundleStatus.Ok)
                    {
                        Error = "config partition: board block: link key at offset " + _pos + " failed bundle verification (status " + ((int)keyStatus).ToString() + ")";
                    }
                    else
                    {
                        LinkKey = new byte[keyLength];
                        System.Array.Copy(_image, _pos, LinkKey, 0, keyLength);
                        _pos += keyLength;
                    }
                }
            }

            if (Error != null)
            {
                return;
            }

            ConfigurationBuilder builder = new ConfigurationBuilder(limits, domains, null);
            int pos = configOffset;
            int configEnd = configOffset + (int)configLength;
            while (pos < configEnd)
            {
                if (configEnd - pos < 4)
                {
                    Error = "config partition: config.bin: truncated length prefix at offset " + pos;
                    return;
                }

                uint length = ReadU32(_image, pos);
                if (length > (uint)(configEnd - pos - 4))
                {
                    Error = "config partition: config.bin: VM definition length " + length + " at offset " + pos + " runs past the file";
                    return;
                }

                string problem = builder.AddEncoded(_image, pos + 4, (int)length);
                if (problem != null)
                {
                    Error = "config partition: config.bin: VM definition at offset " + pos + ": " + problem;
                    return;
                }

                pos += 4 + (int)length;
            }

            string buildError;
            Config = builder.Build(out buildError);
            if (Config == null)
            {
                Error = "config partition: configuration rejected: " + buildError;
                return;
            }

            Definitions = new byte[builder.Count][];
            for (int i = 0; i < Definitions.Length; i++)
            {
                Definitions[i] = builder.EncodedAt(i);
            }
        }

        private void Range(string field, int value, int min, int max)
        {
            if (Error == null && (value < min || value > max))
            {
                Error = "config partition: board block: " + field + " is " + value + ", must be " + min + ".." + max;
            }
        }

        private static uint ReadU32(byte[] b, int offset)
        {
            return (uint)(b[offset] | (b[offset + 1] << 8) | (b[offset + 2] << 16) | (b[offset + 3] << 24));
        }

        private int ReadInt(string field)
        {
            if (Error != null)
            {
                return 0;
            }

            if (_end - _pos < 4)
            {
                Error = "config partition: board block: " + field + " truncated at offset " + _pos;
                return 0;
            }

            int value = (int)ReadU32(_image, _pos);
            _pos += 4;
            return value;
        }

        private int ReadByte(string field)
        {
            if (Error != null)
            {
                return 0;
            }

            if (_pos >= _end)
            {
                Error = "config partition: board block: " + field + " truncated at offset " + _pos;
                return 0;
            }

            return _image[_pos++];
        }

        private string ReadString(string field)
        {
            int length = ReadByte(field);
            if (Error != null)
            {
                return string.Empty;
            }

            if (_end - _pos < length)
            {
                Error = "config partition: board block: " + field + " (" + length + " bytes) truncated at offset " + _pos;
                return string.Empty;
            }

            string value = Utf8.Decode(_image, _pos, length);
            _pos += length;
            return value;
        }
    }
}
