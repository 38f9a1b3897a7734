namespace Stratos.Island.Sim;

/// <summary>Exit codes of island-sim (supervisor and child).</summary>
public static class ExitCodes
{
    /// <summary>Stopped cleanly (SIGTERM / SIGINT).</summary>
    public const int Ok = 0;

    /// <summary>An unexpected failure.</summary>
    public const int Failure = 1;

    /// <summary>Bad option, board descriptor, configuration or unusable path.</summary>
    public const int BadConfiguration = 2;

    /// <summary>Child only: the hardware watchdog fired (the supervisor restarts it, reset reason WATCHDOG).</summary>
    public const int Watchdog = 86;

    /// <summary>Child only: a `reset` on the control socket (the supervisor restarts it, reset reason SOFTWARE).</summary>
    public const int SoftwareReset = 87;
}
