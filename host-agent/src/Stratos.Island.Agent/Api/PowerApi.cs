using System.Threading.Tasks;
using Stratos.Island.Agent.Services;
using Stratos.Island.Grpc;
using Stratos.Island.Protocol;
using Stratos.Island.Protocol.Agent.V1;

namespace Stratos.Island.Agent.Api;

/// <summary>PowerService handlers.</summary>
public static class PowerApi
{
    public static void Register(GrpcServiceRegistry registry, PowerService power)
    {
        registry.AddUnary(AgentMethods.ListPowerDomains, ListPowerDomainsRequest.Parser, (ListPowerDomainsRequest _, ServerCallContext _) =>
            ErrorMapping.Guard(() => Task.FromResult(power.List())));
        registry.AddUnary(AgentMethods.SetPowerDomain, SetPowerDomainRequest.Parser, (SetPowerDomainRequest r, ServerCallContext c) =>
            ErrorMapping.Guard(async () => new SetPowerDomainResponse { Domain = await power.SetDomainAsync(r.Name, r.State, r.Reason, c.CancellationToken) }));
        registry.AddUnary(AgentMethods.SetSystemPower, SetSystemPowerRequest.Parser, (SetSystemPowerRequest r, ServerCallContext c) =>
            ErrorMapping.Guard(async () => new SetSystemPowerResponse { Accepted = await power.SetSystemAsync(r.Action, r.Reason, c.CancellationToken) }));
    }
}
