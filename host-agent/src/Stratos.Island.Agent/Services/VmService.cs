using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Stratos.Island.Agent.State;
using Stratos.Island.Protocol.Agent.V1;
using Stratos.Island.Protocol.Common.V1;
using Stratos.Island.Agent.Link;
using Stratos.Island.Protocol.Link.V1;

namespace Stratos.Island.Agent.Services;

/// <summary>VM operations: reads come from the state cache, actions are requests to the island.</summary>
public sealed class VmService
{
    /// <summary>After an accepted request, how long to wait for the island's VmStatus of the change.</summary>
    public static readonly TimeSpan StatusAfterAcceptTimeout = TimeSpan.FromMilliseconds(300);

    private readonly IslandGateway _island;
    private readonly StateCache _cache;

    public VmService(IslandGateway island, StateCache cache)
    {
        _island = island;
        _cache = cache;
    }

    // The cache's VM, marked stale when the island has not been heard from within the bound.
    private Protocol.Agent.V1.Vm ToApiVm(uint id)
    {
        Protocol.Agent.V1.Vm vm = _cache.ToApiVm(id);
        vm.Stale = _island.Link.IsStale;
        return vm;
    }

    public ListVmsResponse List()
    {
        _island.EnsureUp();
        var response = new ListVmsResponse();
        response.Vms.AddRange(_cache.VmIds().Select(ToApiVm));
        return response;
    }

    public GetVmResponse Get(string name)
    {
        _island.EnsureUp();
        uint id = _cache.FindVm(name);
        var response = new GetVmResponse { Vm = ToApiVm(id) };
        VmDefinition? d = _cache.Definition(id);
        if (d is not null)
        {
            response.Machine = d.Vmm?.Machine ?? string.Empty;
            response.MemoryMib = d.Vmm?.MemoryMib ?? 0;
            response.MaxRestarts = d.Restart?.MaxRestarts ?? 0;
            response.RestartWindowMs = d.Restart?.WindowMs ?? 0;
            response.SafeAction = d.SafeAction;
        }

        return response;
    }

    /// <summary>Asks the island; returns the VM as the island reports it after accepting.</summary>
    public async Task<Protocol.Agent.V1.Vm> ActAsync(string name, VmAction action, string reason, CancellationToken cancellationToken)
    {
        _island.EnsureUp();
        uint id = _cache.FindVm(name);
        long before = _cache.StatusVersion(id);
        if (!WireText.Fits(reason, Codec.Link.VmRequest.ReasonMaxLength))
        {
            throw new AgentException(ErrorCode.InvalidArgument, $"VM '{name}': reason is longer than {Codec.Link.VmRequest.ReasonMaxLength} bytes");
        }

        var request = new Envelope { VmRequest = new VmRequest { VmId = id, Action = action, Reason = reason.Length > 0 ? reason : "operator" } };
        await _island.RequestAsync(request, $"VM '{name}'", cancellationToken).ConfigureAwait(false);
        await _cache.WaitForStatusAfterAsync(id, before, StatusAfterAcceptTimeout, cancellationToken).ConfigureAwait(false);
        return ToApiVm(id);
    }
}
