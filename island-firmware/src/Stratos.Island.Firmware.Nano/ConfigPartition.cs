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
// u32 scmiId, u32 criticality, u8 initialOn, u8 aCluster, u8 nameLength, name bytes.
//
// Steps: read the partition -> BundleVerifier.VerifyFile(manifest, signature, "config.bin", config)
// -> board block -> IslandLimits + PowerDomainConfig[] -> ConfigurationBuilder.AddEncoded per VM ->
// Build. Every failure sets Error to a message naming the partition field and offset; nothing throws.
// Runs once at boot (allocation is fine here).
using System.Text;
using Stratos.Island.Codec;
using Stratos.Island.Firmware.Bundle;
using Stratos.Island.Firmware.Configuration;
using Stratos.Island.Firmware.Nano.Native;
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
        public string Error;

        private byte[] _image;
        private int _pos;
        private int _end;

        /// <summary>Reads and verifies the partition; on failure returns an instance with Error set.</summary>
        public static ConfigPartition Load(ISignatureVerifier signatures)
        {
            ConfigPartition result = new ConfigPartition();
            int size = NativeFlash.PartitionSize(NativeFlash.ConfigPartition);
            if (size < HeaderBytes)
            {
                result.Error = "config partition: missing or smaller than its 16-byte header (size " + size + ")";
                return result;
            }

            byte[] header = new byte[HeaderBytes];
            if (NativeFlash.Read(NativeFlash.ConfigPartition, 0, header, 0, HeaderBytes) != 0)
            {
                result.Error = "config partition: header read failed at offset 0";
                return result;
            }

            result.Parse(header, size, signatures);
            return result;
        }

        private void Parse(byte[] header, int partitionSize, ISignatureVerifier signatures)
        {
            if (ReadU32(header, 0) != Magic)
            {
                Error = "config partition: bad magic at offset 0 (not written, or not a Stratos island configuration)";
                return;
            }

            uint manifestLength = ReadU32(header, 4);
            uint configLength = ReadU32(header, 8);
            uint boardLength = ReadU32(header, 12);
            long total = (long)HeaderBytes + manifestLength + BundleVerifier.SignatureBytes + configLength + boardLength;
            if (total > partitionSize)
            {
                Error = "config partition: lengths at offset 4..15 add up to " + total + " bytes, the partition holds " + partitionSize;
                return;
            }

            _image = new byte[(int)total];
            if (NativeFlash.Read(NativeFlash.ConfigPartition, 0, _image, 0, (int)total) != 0)
            {
                Error = "config partition: read of " + total + " bytes failed";
                return;
            }

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

            _image = null;
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

            string value = Encoding.UTF8.GetString(_image, _pos, length);
            _pos += length;
            return value;
        }
    }
}
