using System;

namespace Stratos.Island.Testing;

/// <summary>
/// Names the requirements a test verifies, by their full tag (tier~name~revision), e.g.
/// <c>[Verifies("IslDsgn~alive-count~1")]</c>. The trace tool (tools/src/Stratos.Island.Trace)
/// reads these from the compiled test assemblies' metadata, checks every tag against
/// docs/spec/requirements and builds the traceability matrix with each test's last result
/// (docs/spec/requirements/index.rst lists the rules).
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true, Inherited = false)]
public sealed class VerifiesAttribute : Attribute
{
    public VerifiesAttribute(params string[] requirementIds)
    {
        RequirementIds = requirementIds;
    }

    /// <summary>The requirement tags, as written.</summary>
    public string[] RequirementIds { get; }
}
