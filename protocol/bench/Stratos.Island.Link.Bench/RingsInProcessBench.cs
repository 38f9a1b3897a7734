// The cost of the rpmsg code itself: both roles of RpmsgLink in this process, on one thread, over a
// byte array (no kicks, no second process, so no scheduler in the numbers, unlike the cross-process
// round trips, which a loaded 2-core machine stretches to its scheduling tick). One round trip: the
// driver sends 16 bytes, the device polls and echoes them, the driver polls the reply. Samples are
// batches of round trips (the stopwatch's resolution would otherwise dominate); the result is the
// time per round trip of each batch, sorted.
using System;
using System.Diagnostics;

namespace Stratos.Island.Link.Bench;

internal static class RingsInProcessBench
{
    private const int WarmupRoundTrips = 50_000;
    private const int Samples = 400;
    private const int RoundTripsPerSample = 500;
    private const int PayloadBytes = 16;

    private sealed class Echo : IRpmsgSink
    {
        public RpmsgEndpoint? Endpoint;

        public void OnMessage(uint source, uint destination, byte[] buffer, int offset, int length)
            => Endpoint!.TrySend(source, buffer, offset, length);
    }

    private sealed class Count : IRpmsgSink
    {
        public int Received;

        public void OnMessage(uint source, uint destination, byte[] buffer, int offset, int length) => Received++;
    }

    /// <summary>Microseconds per round trip, one value per batch, sorted ascending.</summary>
    public static double[] RoundTripUs()
    {
        LinkLayout layout = LinkLayout.CreateOpenAmpLinuxReference();
        var memory = new ByteArraySharedMemory(layout.SharedMemorySize);
        var device = new RpmsgLink(layout, memory, null, LinkRole.Device, 2, null, null, null);
        var echo = new Echo();
        echo.Endpoint = device.CreateEndpoint("bench", RpmsgHeader.AddressAny, echo);
        var driver = new RpmsgLink(layout, memory, null, LinkRole.Driver, 2, null, null, null);
        var count = new Count();
        RpmsgEndpoint endpoint = driver.CreateEndpoint("bench", RpmsgHeader.AddressAny, count);
        device.Start();
        driver.Start();
        for (int i = 0; i < 4; i++)
        {
            device.Poll();
            driver.Poll();
        }

        if (device.State != LinkState.Up || driver.State != LinkState.Up || endpoint.RemoteAddress == RpmsgHeader.AddressAny)
        {
            throw new InvalidOperationException("in-process rings did not come up: device " + device.State + ", driver " + driver.State);
        }

        byte[] payload = new byte[PayloadBytes];
        void RoundTrip()
        {
            int before = count.Received;
            if (endpoint.TrySendToRemote(payload, 0, payload.Length) != LinkSendStatus.Ok)
            {
                throw new InvalidOperationException("in-process rings: send refused");
            }

            device.Poll();
            driver.Poll();
            if (count.Received != before + 1)
            {
                throw new InvalidOperationException("in-process rings: no reply");
            }
        }

        for (int i = 0; i < WarmupRoundTrips; i++)
        {
            RoundTrip();
        }

        var samples = new double[Samples];
        for (int s = 0; s < Samples; s++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < RoundTripsPerSample; i++)
            {
                RoundTrip();
            }

            samples[s] = Stopwatch.GetElapsedTime(start).TotalMicroseconds / RoundTripsPerSample;
        }

        Array.Sort(samples);
        return samples;
    }
}
