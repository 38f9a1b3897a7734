using System;
using System.Collections;
using System.IO;

namespace Stratos.Island.Protocol;

/// <summary>
/// Where the agent's API socket is: --socket, else $ISLAND_SOCKET, else /run/island/agent.sock for
/// root and $XDG_RUNTIME_DIR/island/agent.sock (or /tmp/island-$UID/agent.sock) for other users.
/// The agent resolves its default the same way.
/// </summary>
public static class AgentSocket
{
    public const string EnvironmentVariable = "ISLAND_SOCKET";

    public static string Resolve(string? option, IDictionary environment, bool isRoot)
    {
        if (!string.IsNullOrEmpty(option))
        {
            return option;
        }

        if (environment[EnvironmentVariable] is string fromEnv && fromEnv.Length > 0)
        {
            return fromEnv;
        }

        return DefaultPath(environment, isRoot);
    }

    public static string DefaultPath(IDictionary environment, bool isRoot)
    {
        if (isRoot)
        {
            return "/run/island/agent.sock";
        }

        if (environment["XDG_RUNTIME_DIR"] is string runtime && runtime.Length > 0)
        {
            return Path.Combine(runtime, "island", "agent.sock");
        }

        return Path.Combine(Path.GetTempPath(), "island-" + Environment.UserName, "agent.sock");
    }

    public static bool CurrentUserIsRoot() => Environment.IsPrivilegedProcess;
}
