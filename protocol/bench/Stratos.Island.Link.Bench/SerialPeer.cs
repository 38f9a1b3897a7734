// Island side of the serial transport test: echoes every good frame back on the same tty.
//   serial-peer TTY_PATH     (a frame whose first byte is 4 ends the process)
using Stratos.Island.Link.Linux;
using Stratos.Island.Link.Serial;

namespace Stratos.Island.Link.Bench;

internal sealed class SerialPeer : ISerialFrameSink
{
    private readonly byte[] _copy = new byte[SerialFrameWriter.MaxPayload];
    private SerialPortTransport _port = null!;
    private bool _exit;

    public static int Run(string ttyPath)
    {
        SerialPeer peer = new();
        using SerialPortTransport port = SerialPortTransport.Open(ttyPath, 115200, peer);
        peer._port = port;
        while (!peer._exit)
        {
            port.Receive(200);
        }

        return 0;
    }

    public void OnFrame(byte[] buffer, int offset, int length)
    {
        if (length == 1 && buffer[offset] == Peer.TagExit)
        {
            _exit = true;
            return;
        }

        System.Array.Copy(buffer, offset, _copy, 0, length);
        _port.TrySendFrame(_copy, 0, length);
    }
}
