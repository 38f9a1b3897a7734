namespace Stratos.Island.Firmware.Configuration
{
    // Alive supervision (AUTOSAR WdgM): over each reference cycle of ReferenceCycles supervision
    // cycles the number of alive indications must lie in
    // [ExpectedIndications - MinMargin, ExpectedIndications + MaxMargin].
    public sealed class AliveSupervisionConfig
    {
        // Expected indications per reference cycle; 0 disables alive supervision.
        public int ExpectedIndications { get; set; }

        // Allowed shortfall (<= ExpectedIndications).
        public int MinMargin { get; set; }

        // Allowed excess.
        public int MaxMargin { get; set; }

        // Length of the reference cycle in supervision cycles (>= 1 when enabled).
        public int ReferenceCycles { get; set; }
    }
}
