using System.Threading.Tasks;
using Grpc.Core;
using Stratos.Island.Protocol.Agent.V1;
using PowerServiceGrpc = Stratos.Island.Protocol.Agent.V1.PowerService;

namespace Stratos.Island.Agent.Api;

/// <summary>PowerService handlers.</summary>
public sealed class PowerApi : PowerServiceGrpc.PowerServiceBase
{
    private readonly Services.PowerService _power;

    public PowerApi(Services.PowerService power) => _power = power;

    public override Task<ListPowerDomainsResponse> ListPowerDomains(ListPowerDomainsRequest request, ServerCallContext context) =>
        Task.FromResult(_power.List());

    public override async Task<SetPowerDomainResponse> SetPowerDomain(SetPowerDomainRequest request, ServerCallContext context) =>
        new() { Domain = await _power.SetDomainAsync(request.Name, request.State, request.Reason, context.CancellationToken) };

    public override async Task<SetSystemPowerResponse> SetSystemPower(SetSystemPowerRequest request, ServerCallContext context) =>
        new() { Accepted = await _power.SetSystemAsync(request.Action, request.Reason, context.CancellationToken) };
}
