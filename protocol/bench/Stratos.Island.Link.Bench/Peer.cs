// The island side of the benchmark and of the integration tests: a device-role link over a real
// /dev/shm file and a real kick socket, in its own process.
//   peer SHM_PATH SOCKET_PATH SPIN_US
// Messages on the "stratos-bench" channel carry a tag in byte 0:
//   1 echo (sent back unchanged) | 2 bulk (counted) | 3 report (answered with 3 + u32 bulk count) | 4 exit
using System;
using Stratos.Island.Link.Linux;

namespace Stratos.Island.Link.Bench;

internal sealed class Peer : IRpmsgSink
{
    public const string Channel = "stratos-bench";
    public const byte TagEcho = 1;
    public const byte TagBulk = 2;
    public const byte TagReport = 3;
    public const byte TagExit = 4;

    private readonly byte[] _reply = new byte[RpmsgHeader.MaxPayload];
    private RpmsgEndpoint _endpoint = null!;
    private int _bulk;
    private bool _exit;

    public static int Run(string shmPath, string socketPath, int spinMicroseconds)
    {
        LinkLayout layout = LinkLayout.CreateOpenAmpLinuxReference();
        using SharedMemoryLinkPort port = SharedMemoryLinkPort.OpenDevice(shmPath, socketPath, layout, spinMicroseconds, new ConsoleErrors("island"), new ConsoleEvents("island"));
        Peer peer = new();
        peer._endpoint = port.Link.CreateEndpoint(Channel, RpmsgHeader.AddressAny, peer);
        port.Link.Start();
        FloorPingPong floor = new(port.Memory, port.Kicks, Program.FloorBase(layout), spinMicroseconds, device: true);
        uint lastPing = 0;
        floor.RequestedPeerSpin = (uint)spinMicroseconds;
        uint spin = (uint)spinMicroseconds;
        while (!peer._exit)
        {
            uint requested = floor.RequestedPeerSpin;
            if (requested != spin)
            {
                spin = requested;
                port.SpinMicroseconds = (int)spin;
                floor.SpinMicroseconds = (int)spin;
            }

            if (floor.Phase == FloorPingPong.PhaseFloor)
            {
                uint ping = floor.WaitChange(FloorPingPong.PingOffset, lastPing, 100, watchPhase: true);
                if (ping != lastPing)
                {
                    lastPing = ping;
                    floor.Publish(FloorPingPong.PongOffset, ping);
                }

                continue;
            }

            port.WaitAndPoll(100);
        }

        return 0;
    }

    public void OnMessage(uint source, uint destination, byte[] buffer, int offset, int length)
    {
        if (length == 0)
        {
            return;
        }

        switch (buffer[offset])
        {
            case TagEcho:
                // Copy first: the link reuses its receive buffer.
                Array.Copy(buffer, offset, _reply, 0, length);
                LinkSendStatus status = _endpoint.TrySend(source, _reply, 0, length);
                if (status != LinkSendStatus.Ok)
                {
                    Console.Error.WriteLine("island: echo of " + length + " bytes not sent: " + status);
                }

                break;
            case TagBulk:
                _bulk++;
                break;
            case TagReport:
                _reply[0] = TagReport;
                _reply[1] = (byte)_bulk;
                _reply[2] = (byte)(_bulk >> 8);
                _reply[3] = (byte)(_bulk >> 16);
                _reply[4] = (byte)(_bulk >> 24);
                _endpoint.TrySend(source, _reply, 0, 5);
                _bulk = 0;
                break;
            case TagExit:
                _exit = true;
                break;
        }
    }
}

internal sealed class ConsoleErrors(string side) : ILinkErrorSink
{
    public void OnLinkError(LinkErrorCode code, string message) => Console.Error.WriteLine(side + ": " + code + ": " + message);
}

internal sealed class ConsoleEvents(string side) : ILinkEventSink
{
    public void OnLinkUp() => Console.Error.WriteLine(side + ": link up");

    public void OnLinkDown(string reason) => Console.Error.WriteLine(side + ": link down: " + reason);

    public void OnRemoteChannel(string name, uint address, bool created) =>
        Console.Error.WriteLine(side + ": peer " + (created ? "announced" : "withdrew") + " '" + name + "' at 0x" + address.ToString("x"));
}
