using System.Threading.Tasks;
using Grpc.Core;
using Stratos.Island.Protocol.Agent.V1;
using SupervisionServiceGrpc = Stratos.Island.Protocol.Agent.V1.SupervisionService;

namespace Stratos.Island.Agent.Api;

/// <summary>SupervisionService handlers.</summary>
public sealed class SupervisionApi : SupervisionServiceGrpc.SupervisionServiceBase
{
    private readonly Services.SupervisionService _supervision;

    public SupervisionApi(Services.SupervisionService supervision) => _supervision = supervision;

    public override Task<GetSupervisionStatusResponse> GetSupervisionStatus(GetSupervisionStatusRequest request, ServerCallContext context) =>
        _supervision.GetAsync(context.CancellationToken);
}
