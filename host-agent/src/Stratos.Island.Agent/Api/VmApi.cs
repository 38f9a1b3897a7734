using System.Threading.Tasks;
using Grpc.Core;
using Stratos.Island.Agent.Services;
using Stratos.Island.Protocol.Agent.V1;
using Stratos.Island.Protocol.Link.V1;
using VmServiceGrpc = Stratos.Island.Protocol.Agent.V1.VmService;

namespace Stratos.Island.Agent.Api;

/// <summary>VmService handlers: delegate to <see cref="Services.VmService"/>, wrap. No logic here.</summary>
public sealed class VmApi : VmServiceGrpc.VmServiceBase
{
    private readonly Services.VmService _vms;

    public VmApi(Services.VmService vms) => _vms = vms;

    public override Task<ListVmsResponse> ListVms(ListVmsRequest request, ServerCallContext context) =>
        Task.FromResult(_vms.List());

    public override Task<GetVmResponse> GetVm(GetVmRequest request, ServerCallContext context) =>
        Task.FromResult(_vms.Get(request.Name));

    public override async Task<StartVmResponse> StartVm(StartVmRequest request, ServerCallContext context) =>
        new() { Vm = await _vms.ActAsync(request.Name, VmAction.Start, request.Reason, context.CancellationToken) };

    public override async Task<StopVmResponse> StopVm(StopVmRequest request, ServerCallContext context) =>
        new() { Vm = await _vms.ActAsync(request.Name, VmAction.Stop, request.Reason, context.CancellationToken) };

    public override async Task<RestartVmResponse> RestartVm(RestartVmRequest request, ServerCallContext context) =>
        new() { Vm = await _vms.ActAsync(request.Name, VmAction.Restart, request.Reason, context.CancellationToken) };

    public override async Task<PauseVmResponse> PauseVm(PauseVmRequest request, ServerCallContext context) =>
        new() { Vm = await _vms.ActAsync(request.Name, VmAction.Pause, request.Reason, context.CancellationToken) };

    public override async Task<ResumeVmResponse> ResumeVm(ResumeVmRequest request, ServerCallContext context) =>
        new() { Vm = await _vms.ActAsync(request.Name, VmAction.Resume, request.Reason, context.CancellationToken) };

    public override async Task<KillVmResponse> KillVm(KillVmRequest request, ServerCallContext context) =>
        new() { Vm = await _vms.ActAsync(request.Name, VmAction.Kill, request.Reason, context.CancellationToken) };

    public override async Task<ClearVmResponse> ClearVm(ClearVmRequest request, ServerCallContext context) =>
        new() { Vm = await _vms.ActAsync(request.Name, VmAction.Clear, request.Reason, context.CancellationToken) };
}
