using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Stratos.Island.Agent.State;
using Stratos.Island.Protocol.Agent.V1;
using Stratos.Island.Protocol.Common.V1;
using Stratos.Island.Protocol.Link.V1;

namespace Stratos.Island.Agent.Services;

/// <summary>Power domains (island-arbitrated) and system power.</summary>
public sealed class PowerService
{
    private readonly IslandGateway _island;
    private readonly StateCache _cache;

    public PowerService(IslandGateway island, StateCache cache)
    {
        _island = island;
        _cache = cache;
    }

    public ListPowerDomainsResponse List()
    {
        _island.EnsureUp();
        var response = new ListPowerDomainsResponse { Stale = _island.Link.IsStale };
        response.Domains.AddRange(_cache.PowerDomains().Select(ToApi));
        return response;
    }

    public async Task<PowerDomain> SetDomainAsync(string name, PowerState state, string reason, CancellationToken cancellationToken)
    {
        _island.EnsureUp();
        PowerDomainStatus? domain = _cache.PowerDomains().FirstOrDefault(d => d.Name == name);
        if (domain is null)
        {
            string known = string.Join(", ", _cache.PowerDomains().Select(d => d.Name));
            throw new AgentException(ErrorCode.NotFound, $"power domain '{name}' not found; known domains: {(known.Length == 0 ? "none" : known)}");
        }

        if (state == PowerState.Unspecified)
        {
            throw new AgentException(ErrorCode.InvalidArgument, $"power domain '{name}': no state given");
        }

        var request = new Envelope { PowerDomainRequest = new PowerDomainRequest { DomainId = domain.DomainId, State = state, Reason = reason.Length > 0 ? reason : "operator" } };
        await _island.RequestAsync(request, $"power domain '{name}'", cancellationToken).ConfigureAwait(false);
        PowerDomainStatus after = _cache.PowerDomains().FirstOrDefault(d => d.DomainId == domain.DomainId) ?? domain;
        return ToApi(after);
    }

    public async Task<bool> SetSystemAsync(SystemPowerAction action, string reason, CancellationToken cancellationToken)
    {
        if (action == SystemPowerAction.Unspecified)
        {
            throw new AgentException(ErrorCode.InvalidArgument, "system power: no action given");
        }

        var request = new Envelope { SystemPowerRequest = new SystemPowerRequest { Action = action, Reason = reason.Length > 0 ? reason : "operator" } };
        RequestResult result = await _island.RequestAsync(request, $"system power {action}", cancellationToken).ConfigureAwait(false);
        return result.Accepted;
    }

    private PowerDomain ToApi(PowerDomainStatus d)
    {
        var domain = new PowerDomain { Id = d.DomainId, Name = d.Name, State = d.State, Criticality = d.Criticality };
        domain.Vms.AddRange(_cache.VmsOnDomain(d.DomainId));
        return domain;
    }
}
