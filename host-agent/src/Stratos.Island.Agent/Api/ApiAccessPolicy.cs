using System;
using System.Globalization;
using System.Linq;
using Stratos.Island.Protocol;

namespace Stratos.Island.Agent.Api;

/// <summary>
/// Who gets which role on the operator API (docs/security.md, "Roles"), by the caller's UNIX
/// credentials (SO_PEERCRED):
/// <list type="bullet">
/// <item>operator: root, the agent's own user, or a member of the admin group (--api-admin-group);</item>
/// <item>reader: a member of the read group (--api-group);</item>
/// <item>nobody else (a TCP caller has no local credentials: reader).</item>
/// </list>
/// What each role may call is <see cref="AgentMethodRoles"/>; the standard services every gRPC server
/// of the agent carries (health, reflection) only describe the server and need the reader role.
/// </summary>
public sealed class ApiAccessPolicy
{
    private static readonly string[] StandardServices = { "/grpc.health.v1.Health/", "/grpc.reflection.v1.ServerReflection/", "/grpc.reflection.v1alpha.ServerReflection/" };

    private readonly int _agentUid;
    private readonly (string Name, int Id)? _readGroup;
    private readonly (string Name, int Id)? _adminGroup;

    public ApiAccessPolicy(int agentUid, (string Name, int Id)? readGroup, (string Name, int Id)? adminGroup)
    {
        _agentUid = agentUid;
        _readGroup = readGroup;
        _adminGroup = adminGroup;
    }

    /// <summary>The caller's role, or null when it has none.</summary>
    public ApiRole? RoleOf(PeerCredentials? caller)
    {
        if (caller is null)
        {
            return ApiRole.Reader;
        }

        if (caller.Uid == 0 || caller.Uid == _agentUid || (_adminGroup is { } admin && caller.IsInGroup(admin.Id)))
        {
            return ApiRole.Operator;
        }

        return _readGroup is { } read && caller.IsInGroup(read.Id) ? ApiRole.Reader : null;
    }

    /// <summary>Null when <paramref name="caller"/> may call <paramref name="method"/>, else the PERMISSION_DENIED message.</summary>
    public string? Check(string method, PeerCredentials? caller)
    {
        ApiRole needed = StandardServices.Any(s => method.StartsWith(s, StringComparison.Ordinal)) ? ApiRole.Reader : AgentMethodRoles.For(method);
        ApiRole? role = RoleOf(caller);
        if (role >= needed)
        {
            return null;
        }

        string who = caller is null ? "a caller without UNIX credentials (TCP)" : "uid " + caller.Uid.ToString(CultureInfo.InvariantCulture) + " (gid " + caller.Gid.ToString(CultureInfo.InvariantCulture) + ")";
        string rule = needed == ApiRole.Operator
            ? "the operator role: root, the agent's user" + (_adminGroup is { } a ? " or a member of group '" + a.Name + "'" : string.Empty)
            : "the reader role: a member of group '" + (_readGroup?.Name ?? "(none configured: --api-group)") + "' or an operator";
        return $"{method} needs {rule}; {who} is {(role is null ? "neither" : "a " + role.Value.ToString().ToLowerInvariant())}";
    }
}
