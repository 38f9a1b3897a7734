using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Stratos.Island.Grpc;
using Stratos.Island.Hil.Events;
using Stratos.Island.Protocol;
using Stratos.Island.Protocol.Agent.V1;

namespace Stratos.Island.Hil.Benches;

/// <summary>
/// The operator API calls a bench needs, over the agent's UNIX socket (the same gRPC wire the
/// `island` CLI uses): VM list, supervision status, and the WatchEvents stream into an
/// <see cref="EventRecorder"/>.
/// </summary>
public sealed class AgentApi : IDisposable
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(10);
    private readonly GrpcClient _client;

    public AgentApi(string socketPath)
    {
        SocketPath = socketPath;
        _client = GrpcClient.ForUnixSocket(socketPath);
    }

    public string SocketPath { get; }

    public async Task<IReadOnlyList<Vm>> ListVmsAsync(CancellationToken cancellationToken)
    {
        var response = await _client.UnaryAsync(AgentMethods.ListVms, new ListVmsRequest(), ListVmsResponse.Parser, CallTimeout, cancellationToken).ConfigureAwait(false);
        return response.Vms;
    }

    public Task<GetSupervisionStatusResponse> GetSupervisionStatusAsync(CancellationToken cancellationToken) =>
        _client.UnaryAsync(AgentMethods.GetSupervisionStatus, new GetSupervisionStatusRequest(), GetSupervisionStatusResponse.Parser, CallTimeout, cancellationToken);

    public Task<SetPowerDomainResponse> SetPowerDomainAsync(SetPowerDomainRequest request, CancellationToken cancellationToken) =>
        _client.UnaryAsync(AgentMethods.SetPowerDomain, request, SetPowerDomainResponse.Parser, CallTimeout, cancellationToken);

    public Task<SetSystemPowerResponse> SetSystemPowerAsync(SetSystemPowerRequest request, CancellationToken cancellationToken) =>
        _client.UnaryAsync(AgentMethods.SetSystemPower, request, SetSystemPowerResponse.Parser, CallTimeout, cancellationToken);

    public Task<StopVmResponse> StopVmAsync(string name, CancellationToken cancellationToken) =>
        _client.UnaryAsync(AgentMethods.StopVm, new StopVmRequest { Name = name }, StopVmResponse.Parser, CallTimeout, cancellationToken);

    public Task<StartVmResponse> StartVmAsync(string name, CancellationToken cancellationToken) =>
        _client.UnaryAsync(AgentMethods.StartVm, new StartVmRequest { Name = name }, StartVmResponse.Parser, CallTimeout, cancellationToken);

    public Task<GetIslandInfoResponse> GetIslandInfoAsync(CancellationToken cancellationToken) =>
        _client.UnaryAsync(AgentMethods.GetIslandInfo, new GetIslandInfoRequest(), GetIslandInfoResponse.Parser, CallTimeout, cancellationToken);

    public Task<ReadLogResponse> ReadLogAsync(uint fromSequence, CancellationToken cancellationToken) =>
        _client.UnaryAsync(AgentMethods.ReadLog, new ReadLogRequest { FromSequence = fromSequence }, ReadLogResponse.Parser, CallTimeout, cancellationToken);

    /// <summary>
    /// Streams events into <paramref name="recorder"/> until cancelled, replaying from
    /// <paramref name="fromSequence"/>; a broken stream (agent restart) is re-opened from the next
    /// sequence after a short pause, so recovery scenarios keep recording.
    /// </summary>
    public async Task PumpEventsAsync(EventRecorder recorder, uint fromSequence, CancellationToken cancellationToken)
    {
        uint next = fromSequence;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await foreach (var message in _client.ServerStreamingAsync(AgentMethods.WatchEvents,
                    new WatchEventsRequest { FromSequence = next }, WatchEventsResponse.Parser, null, cancellationToken).ConfigureAwait(false))
                {
                    uint sequence = message.Event.Sequence;
                    if (next > 1 && sequence > next)
                    {
                        // The stream skipped records (committed while the link was down): note the
                        // gap for the report, then fetch them from the log so scenarios see them.
                        recorder.NoteStreamGap(next - 1, sequence);
                        var missing = await ReadLogAsync(next, cancellationToken).ConfigureAwait(false);
                        foreach (var e in missing.Events)
                            if (e.Sequence >= next && e.Sequence < sequence)
                                recorder.Add(e);
                    }
                    recorder.Add(message.Event);
                    next = Math.Max(next, sequence + 1);
                }
            }
            catch (GrpcException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (GrpcException)
            {
                // Agent down or restarting: try again.
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            try
            {
                await Task.Delay(200, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public void Dispose() => _client.Dispose();
}
