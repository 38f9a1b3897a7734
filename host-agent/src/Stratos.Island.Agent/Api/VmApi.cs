using System.Threading.Tasks;
using Stratos.Island.Agent.Services;
using Stratos.Island.Grpc;
using Stratos.Island.Protocol;
using Stratos.Island.Protocol.Agent.V1;
using Stratos.Island.Protocol.Link.V1;

namespace Stratos.Island.Agent.Api;

/// <summary>VmService handlers: parse, delegate to <see cref="VmService"/>, wrap. No logic here.</summary>
public static class VmApi
{
    public static void Register(GrpcServiceRegistry registry, VmService vms)
    {
        registry.AddUnary(AgentMethods.ListVms, ListVmsRequest.Parser, (ListVmsRequest _, ServerCallContext _) =>
            ErrorMapping.Guard(() => Task.FromResult(vms.List())));
        registry.AddUnary(AgentMethods.GetVm, GetVmRequest.Parser, (GetVmRequest r, ServerCallContext _) =>
            ErrorMapping.Guard(() => Task.FromResult(vms.Get(r.Name))));
        registry.AddUnary(AgentMethods.StartVm, StartVmRequest.Parser, (StartVmRequest r, ServerCallContext c) =>
            ErrorMapping.Guard(async () => new StartVmResponse { Vm = await vms.ActAsync(r.Name, VmAction.Start, r.Reason, c.CancellationToken) }));
        registry.AddUnary(AgentMethods.StopVm, StopVmRequest.Parser, (StopVmRequest r, ServerCallContext c) =>
            ErrorMapping.Guard(async () => new StopVmResponse { Vm = await vms.ActAsync(r.Name, VmAction.Stop, r.Reason, c.CancellationToken) }));
        registry.AddUnary(AgentMethods.RestartVm, RestartVmRequest.Parser, (RestartVmRequest r, ServerCallContext c) =>
            ErrorMapping.Guard(async () => new RestartVmResponse { Vm = await vms.ActAsync(r.Name, VmAction.Restart, r.Reason, c.CancellationToken) }));
        registry.AddUnary(AgentMethods.PauseVm, PauseVmRequest.Parser, (PauseVmRequest r, ServerCallContext c) =>
            ErrorMapping.Guard(async () => new PauseVmResponse { Vm = await vms.ActAsync(r.Name, VmAction.Pause, r.Reason, c.CancellationToken) }));
        registry.AddUnary(AgentMethods.ResumeVm, ResumeVmRequest.Parser, (ResumeVmRequest r, ServerCallContext c) =>
            ErrorMapping.Guard(async () => new ResumeVmResponse { Vm = await vms.ActAsync(r.Name, VmAction.Resume, r.Reason, c.CancellationToken) }));
        registry.AddUnary(AgentMethods.KillVm, KillVmRequest.Parser, (KillVmRequest r, ServerCallContext c) =>
            ErrorMapping.Guard(async () => new KillVmResponse { Vm = await vms.ActAsync(r.Name, VmAction.Kill, r.Reason, c.CancellationToken) }));
        registry.AddUnary(AgentMethods.ClearVm, ClearVmRequest.Parser, (ClearVmRequest r, ServerCallContext c) =>
            ErrorMapping.Guard(async () => new ClearVmResponse { Vm = await vms.ActAsync(r.Name, VmAction.Clear, r.Reason, c.CancellationToken) }));
    }
}
