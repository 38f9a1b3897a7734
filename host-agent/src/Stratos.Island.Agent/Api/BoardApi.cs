using System.Threading.Tasks;
using Grpc.Core;
using Stratos.Island.Protocol.Agent.V1;
using BoardServiceGrpc = Stratos.Island.Protocol.Agent.V1.BoardService;

namespace Stratos.Island.Agent.Api;

/// <summary>BoardService handlers.</summary>
public sealed class BoardApi : BoardServiceGrpc.BoardServiceBase
{
    private readonly Services.BoardService _boards;

    public BoardApi(Services.BoardService boards) => _boards = boards;

    public override Task<ListBoardsResponse> ListBoards(ListBoardsRequest request, ServerCallContext context) =>
        Task.FromResult(_boards.List());

    public override Task<GetBoardResponse> GetBoard(GetBoardRequest request, ServerCallContext context) =>
        Task.FromResult(_boards.Get(request.Id));
}
