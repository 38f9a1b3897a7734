namespace Stratos.Island.Firmware.Configuration
{
    // Deadline supervision: the time from StartCheckpoint to EndCheckpoint lies in [MinMs, MaxMs].
    public sealed class DeadlineSupervisionConfig
    {
        public int StartCheckpoint { get; set; }

        public int EndCheckpoint { get; set; }

        public int MinMs { get; set; }

        public int MaxMs { get; set; }
    }
}
