// The island firmware on nanoCLR hosted on Zephyr: the same core as island-sim, on the native HAL.
//
// Boot (once, allocation allowed): reset cause -> hardware watchdog channel (the board's timeout,
// kicked only by IslandCore.Step when supervision runs on time) -> configuration from the config
// flash partition (signature, then config.bin, then the board block; ConfigPartition) -> HAL ->
// link (RpmsgLink, device role, over the shared-memory carve-out) + IslandLinkEndpoint + LinkSession
// (island role) -> IslandCore -> link start.
// Main loop (one thread, no allocation), the loop of island-sim's IslandHost:
//   poll the link; when nothing arrived wait for the doorbell or the next supervision cycle, poll
//   again (messages are handled as they arrive: link -> session -> IslandLinkEndpoint -> core);
//   session.Poll, core.Step (timers, due cycles, watchdog kick), endpoint.Service (re-sends).
// A configuration that cannot be loaded leaves the island in the safe state, rails untouched, and
// reboots after the watchdog's timeout: the message is printed on the console first.
using System.Threading;
using Stratos.Island.Codec;
using Stratos.Island.Firmware.Link;
using Stratos.Island.Firmware.Nano.Hal;
using Stratos.Island.Firmware.Native;
using Stratos.Island.Link;
using Stratos.Island.Link.Session;

namespace Stratos.Island.Firmware.Nano
{
    public static class Program
    {
        public const string SoftwareVersion = "stratos-island-nano 1.0";
        public const int DefaultWatchdogTimeoutMs = 500;
        public const int MaxEndpoints = 4;

        public static void Main()
        {
            ResetReason resetReason = (ResetReason)NativeBoard.ResetCause();
            NanoSafeStateOutput safeState = new NanoSafeStateOutput();

            ConfigPartition partition = ConfigPartition.Load(new NanoSignatureVerifier());
            if (partition.Error != null)
            {
                Fail(safeState, partition.Error);
                return;
            }

            NanoWatchdog watchdog = new NanoWatchdog(partition.WatchdogTimeoutMs > 0 ? partition.WatchdogTimeoutMs : DefaultWatchdogTimeoutMs);
            if (!watchdog.Started)
            {
                Fail(safeState, "hardware watchdog: task_wdt channel could not be installed");
                return;
            }

            NanoClock clock = new NanoClock();
            NanoFlash flash = new NanoFlash(NativeFlash.EventLogPartition);
            if (flash.PageCount < 2)
            {
                Fail(safeState, "event log partition: needs at least 2 pages, has " + flash.PageCount);
                return;
            }

            NanoSharedMemory shm = new NanoSharedMemory();
            NanoDoorbell doorbell = new NanoDoorbell();
            int doorbellStatus = doorbell.Open();
            if (doorbellStatus != 0)
            {
                Fail(safeState, "doorbell: open failed with " + doorbellStatus);
                return;
            }

            LinkLayout layout = partition.Layout;
            if (shm.Size < layout.SharedMemorySize)
            {
                Fail(safeState, "shared memory: carve-out is " + shm.Size + " bytes, the link layout needs " + layout.SharedMemorySize);
                return;
            }

            IslandLinkEndpoint endpoint = new IslandLinkEndpoint(partition.Config.Limits, partition.Definitions, partition.Definitions.Length);
            NanoSessionLink glue = new NanoSessionLink(clock);
            SessionSettings settings = new SessionSettings();
            settings.BoardId = partition.BoardId;
            settings.SoftwareVersion = SoftwareVersion;
            settings.Capabilities = (uint)(Capability.EventLog | Capability.Power);
            settings.ConfigHash = partition.ConfigHash;
            settings.ResetReason = resetReason;
            settings.SupervisionCycleMs = (uint)partition.Config.Limits.SupervisionCyclePeriodMs;
            settings.VmCount = (uint)partition.Config.Vms.Length;
            if (partition.LinkKey != null)
            {
                // Provisioned through the signed bundle (docs/link.md "Authentication").
                settings.Authenticator = new IslandLinkAuthenticator(partition.LinkKey);
            }
            LinkSession session = new LinkSession(Role.Island, NewBootId(), settings, glue, endpoint);
            glue.Session = session;

            RpmsgLink link = new RpmsgLink(layout, shm, doorbell, LinkRole.Device, MaxEndpoints, new LinkCounters(), glue, glue);
            glue.Endpoint = link.CreateEndpoint(partition.ChannelName, RpmsgHeader.AddressAny, glue);

            long coreStartMs = clock.MonotonicMs;
            IslandCore core = new IslandCore(partition.Config, clock, flash, new NanoPowerRails(partition.DomainIds, partition.ScmiIds), watchdog, safeState,
                new NanoResetControl(), endpoint, resetReason);
            endpoint.Attach(session, core, clock);
            link.Start();
            System.Console.WriteLine("island ready: board " + partition.BoardId + ", " + partition.Config.Vms.Length + " VMs, boot count "
                + core.BootCount);

            int periodMs = partition.Config.Limits.SupervisionCyclePeriodMs;
            while (true)
            {
                if (link.Poll() == 0)
                {
                    long now = clock.MonotonicMs;
                    int waitMs = periodMs - (int)((now - coreStartMs) % periodMs);
                    if (doorbell.Wait(waitMs))
                    {
                        link.Poll();
                    }
                }

                session.Poll(clock.MonotonicMs);
                core.Step();
                endpoint.Service();
            }
        }

        private static void Fail(NanoSafeStateOutput safeState, string message)
        {
            System.Console.WriteLine("island boot failed: " + message);
            safeState.Assert();
            // The core never ran, so nothing kicks a watchdog: wait for the operator's console for a
            // while, then cold-reboot (a re-flashed configuration takes effect on the next boot).
            Thread.Sleep(10000);
            NativeBoard.Reboot();
        }

        private static ulong NewBootId()
        {
            long id = NativeBoard.Random64();
            return id == 0 ? 1UL : (ulong)id;
        }
    }
}
