namespace Stratos.Island.Firmware.Configuration
{
    // Restart policy: at most MaxRestarts automatic restarts within a sliding window of WindowMs;
    // the k-th restart in the window waits BackoffInitialMs * 2^k, capped at BackoffMaxMs.
    public sealed class RestartPolicyConfig
    {
        // 0 = never restart automatically (the VM stays Failed).
        public int MaxRestarts { get; set; }

        public int WindowMs { get; set; }

        public int BackoffInitialMs { get; set; }

        public int BackoffMaxMs { get; set; }
    }
}
