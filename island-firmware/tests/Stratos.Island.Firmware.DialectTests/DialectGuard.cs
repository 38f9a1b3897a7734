// The firmware dialect guard: reads a compiled assembly with System.Reflection.Metadata and lists
// everything that .NET nanoFramework's stable line (mscorlib 1.17.x) cannot load or does not have.
//
// Checks, in order (every violation is collected, none stops the scan):
//   1. GenericParam rows (generic types and methods declared in the assembly).
//   2. MethodSpec rows (calls to generic methods).
//   3. TypeSpec rows that instantiate a generic type or describe a multi-dimensional array.
//   4. Signatures of fields, methods, locals (StandAloneSig) and member references: generic
//      instantiations, generic parameters, multi-dimensional arrays, pointers.
//   5. TypeRef rows outside the allow-list (island-firmware/dialect/nanoframework-api.txt).
//   6. MemberRef rows outside the allow-list (name plus parameter count or exact parameter list).
// netstandard2.0 assemblies reference the BCL through the "netstandard" facade, so references are
// matched by namespace and name only, never by assembly.
//
// "Used by" names the methods whose IL (or local signature) mentions the item, the members whose
// signatures mention a type, and the types deriving from or implementing it, so a failure points at
// the line to change. Compiler-generated TypeDefs (EmbeddedAttribute, NullableAttribute,
// RefSafetyRulesAttribute, <PrivateImplementationDetails>) are definitions, not references: they
// are checked like any other code in the assembly, through what they reference.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace Stratos.Island.Firmware.DialectTests;

/// <summary>One construct the stable nanoFramework line cannot run.</summary>
public sealed record DialectViolation(string Assembly, string Item, string Problem, IReadOnlyList<string> UsedBy, string? Advice)
{
    public override string ToString()
    {
        string users = UsedBy.Count == 0 ? "" : " (used by " + string.Join(", ", UsedBy.Take(5)) + (UsedBy.Count > 5 ? ", ..." : "") + ")";
        string advice = Advice == null ? "" : ". Instead: " + Advice;
        return Assembly + ": " + Problem + ": " + Item + users + advice;
    }
}

public static class DialectGuard
{
    /// <summary>
    /// Inspects one assembly file and returns every violation found. References into
    /// <paramref name="guardedAssemblies"/> (other firmware-dialect assemblies, which are themselves
    /// inspected) are allowed: firmware projects may use each other's types.
    /// </summary>
    public static IReadOnlyList<DialectViolation> Inspect(string assemblyPath, AllowList allowList, IReadOnlyCollection<string>? guardedAssemblies = null)
    {
        using FileStream stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        if (!pe.HasMetadata)
        {
            return [new DialectViolation(Path.GetFileName(assemblyPath), assemblyPath, "not a .NET assembly", [], null)];
        }
        return new Inspection(Path.GetFileName(assemblyPath), pe, allowList, guardedAssemblies ?? []).Run();
    }

    private sealed class Inspection
    {
        private readonly string _assembly;
        private readonly PEReader _pe;
        private readonly MetadataReader _reader;
        private readonly AllowList _allow;
        private readonly SignatureFormatter _formatter = new();
        private readonly List<DialectViolation> _violations = [];
        private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
        // Who uses a handle: methods (IL, locals), members (signatures), types (base, interfaces).
        private readonly Dictionary<EntityHandle, SortedSet<string>> _users = [];
        // Handles referenced only from assembly/module attributes are build-time identity metadata.
        private readonly HashSet<EntityHandle> _usedOutsideAssemblyAttributes = [];

        private readonly IReadOnlyCollection<string> _guarded;

        public Inspection(string assembly, PEReader pe, AllowList allow, IReadOnlyCollection<string> guarded)
        {
            _guarded = guarded;
            _assembly = assembly;
            _pe = pe;
            _reader = pe.GetMetadataReader();
            _allow = allow;
        }

        public IReadOnlyList<DialectViolation> Run()
        {
            IndexMethodBodies();
            IndexTypeHierarchy();
            IndexCustomAttributes();
            CheckGenericParameters();
            CheckMethodSpecifications();
            CheckTypeSpecifications();
            CheckDefinitionSignatures();
            CheckTypeReferences();
            CheckMemberReferences();
            return _violations;
        }

        // ---- indexing -------------------------------------------------------------------------

        private void IndexMethodBodies()
        {
            foreach (MethodDefinitionHandle handle in _reader.MethodDefinitions)
            {
                MethodDefinition method = _reader.GetMethodDefinition(handle);
                if (method.RelativeVirtualAddress == 0)
                {
                    continue;
                }
                string user = TypeNames.OfMethod(_reader, handle);
                MethodBodyBlock body = _pe.GetMethodBody(method.RelativeVirtualAddress);
                if (!body.LocalSignature.IsNil)
                {
                    AddUse(body.LocalSignature, user);
                    CheckSignature(user + " (locals)", () =>
                    {
                        var scan = new SignatureScan();
                        _reader.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(_formatter.CheckingFor(scan), scan);
                        return scan;
                    }, user);
                }
                foreach (EntityHandle token in IlTokens.Read(body.GetILReader()))
                {
                    AddUse(token, user);
                    if (token.Kind == HandleKind.MethodSpecification)
                    {
                        // The generic method behind the instantiation is used at the same place.
                        AddUse(_reader.GetMethodSpecification((MethodSpecificationHandle)token).Method, user);
                    }
                }
            }
        }

        private void IndexTypeHierarchy()
        {
            foreach (TypeDefinitionHandle handle in _reader.TypeDefinitions)
            {
                TypeDefinition type = _reader.GetTypeDefinition(handle);
                string user = TypeNames.Of(_reader, handle);
                if (!type.BaseType.IsNil)
                {
                    AddUse(type.BaseType, user);
                }
                foreach (InterfaceImplementationHandle implementation in type.GetInterfaceImplementations())
                {
                    AddUse(_reader.GetInterfaceImplementation(implementation).Interface, user);
                }
            }
        }

        private void IndexCustomAttributes()
        {
            foreach (CustomAttributeHandle handle in _reader.CustomAttributes)
            {
                CustomAttribute attribute = _reader.GetCustomAttribute(handle);
                bool identity = attribute.Parent.Kind is HandleKind.AssemblyDefinition or HandleKind.ModuleDefinition;
                string user = identity ? "[assembly] attribute" : "attribute on " + DescribeParent(attribute.Parent);
                AddUse(attribute.Constructor, user, countsAsCode: !identity);
                if (attribute.Constructor.Kind == HandleKind.MemberReference)
                {
                    EntityHandle parent = _reader.GetMemberReference((MemberReferenceHandle)attribute.Constructor).Parent;
                    AddUse(parent, user, countsAsCode: !identity);
                }
            }
        }

        private void AddUse(EntityHandle handle, string user, bool countsAsCode = true)
        {
            if (!_users.TryGetValue(handle, out SortedSet<string>? set))
            {
                set = new SortedSet<string>(StringComparer.Ordinal);
                _users.Add(handle, set);
            }
            set.Add(user);
            if (countsAsCode)
            {
                _usedOutsideAssemblyAttributes.Add(handle);
            }
        }

        private IReadOnlyList<string> UsersOf(EntityHandle handle) =>
            _users.TryGetValue(handle, out SortedSet<string>? set) ? set.ToList() : [];

        // ---- generic and array checks ---------------------------------------------------------

        private void CheckGenericParameters()
        {
            for (int row = 1; row <= _reader.GetTableRowCount(TableIndex.GenericParam); row++)
            {
                GenericParameter parameter = _reader.GetGenericParameter(MetadataTokens.GenericParameterHandle(row));
                string owner = parameter.Parent.Kind == HandleKind.MethodDefinition
                    ? TypeNames.OfMethod(_reader, (MethodDefinitionHandle)parameter.Parent)
                    : TypeNames.Of(_reader, (TypeDefinitionHandle)parameter.Parent);
                Report(owner + "<" + _reader.GetString(parameter.Name) + ">", "generic parameter declared (GenericParam row)", [owner]);
            }
        }

        private void CheckMethodSpecifications()
        {
            for (int row = 1; row <= _reader.GetTableRowCount(TableIndex.MethodSpec); row++)
            {
                MethodSpecificationHandle handle = MetadataTokens.MethodSpecificationHandle(row);
                MethodSpecification spec = _reader.GetMethodSpecification(handle);
                var scan = new SignatureScan();
                string arguments = string.Join(",", spec.DecodeSignature(_formatter, scan));
                Report(DescribeMethod(spec.Method) + "<" + arguments + ">", "generic method instantiation (MethodSpec row)", UsersOf(handle));
            }
        }

        private void CheckTypeSpecifications()
        {
            for (int row = 1; row <= _reader.GetTableRowCount(TableIndex.TypeSpec); row++)
            {
                TypeSpecificationHandle handle = MetadataTokens.TypeSpecificationHandle(row);
                var scan = new SignatureScan();
                string name = _reader.GetTypeSpecification(handle).DecodeSignature(_formatter.CheckingFor(scan), scan);
                foreach (string problem in scan.Problems.Distinct())
                {
                    Report(name, problem + " (TypeSpec row)", UsersOfSpec(handle));
                }
            }
        }

        private IReadOnlyList<string> UsersOfSpec(TypeSpecificationHandle handle)
        {
            var users = new SortedSet<string>(UsersOf(handle), StringComparer.Ordinal);
            // Members called on the instantiated type (List<int>.Add) are used where the MemberRef is.
            foreach (MemberReferenceHandle member in _reader.MemberReferences)
            {
                if (_reader.GetMemberReference(member).Parent == handle)
                {
                    users.UnionWith(UsersOf(member));
                }
            }
            return users.ToList();
        }

        private void CheckDefinitionSignatures()
        {
            foreach (TypeDefinitionHandle typeHandle in _reader.TypeDefinitions)
            {
                TypeDefinition type = _reader.GetTypeDefinition(typeHandle);
                foreach (FieldDefinitionHandle fieldHandle in type.GetFields())
                {
                    string user = TypeNames.OfField(_reader, fieldHandle);
                    CheckSignature(user, () =>
                    {
                        var scan = new SignatureScan();
                        _reader.GetFieldDefinition(fieldHandle).DecodeSignature(_formatter.CheckingFor(scan), scan);
                        return scan;
                    }, user);
                }
                foreach (MethodDefinitionHandle methodHandle in type.GetMethods())
                {
                    string user = TypeNames.OfMethod(_reader, methodHandle);
                    CheckSignature(user, () =>
                    {
                        var scan = new SignatureScan();
                        _reader.GetMethodDefinition(methodHandle).DecodeSignature(_formatter.CheckingFor(scan), scan);
                        return scan;
                    }, user);
                }
            }
        }

        private void CheckSignature(string where, Func<SignatureScan> decode, string user)
        {
            SignatureScan scan = decode();
            foreach (TypeReferenceHandle reference in scan.TypeReferences)
            {
                AddUse(reference, user);
            }
            foreach (string problem in scan.Problems.Distinct())
            {
                Report(where, problem + " in a signature", [user]);
            }
        }

        // ---- allow-list checks ----------------------------------------------------------------

        private void CheckTypeReferences()
        {
            foreach (TypeReferenceHandle handle in _reader.TypeReferences)
            {
                if (IsInGuardedAssembly(handle))
                {
                    continue;
                }
                string name = TypeNames.Of(_reader, handle);
                AllowListEntry? entry = _allow.FindType(name);
                if (entry == null)
                {
                    Report(name, "type not in the nanoFramework allow-list", UsersOf(handle));
                }
                else if (entry.BuildOnly && _usedOutsideAssemblyAttributes.Contains(handle))
                {
                    Report(name, "build-only type (allowed only as an assembly attribute) used in code", UsersOf(handle));
                }
            }
        }

        /// <summary>True when the type lives in another firmware-dialect assembly (inspected on its own).</summary>
        private bool IsInGuardedAssembly(TypeReferenceHandle handle)
        {
            EntityHandle scope = _reader.GetTypeReference(handle).ResolutionScope;
            while (scope.Kind == HandleKind.TypeReference)
            {
                scope = _reader.GetTypeReference((TypeReferenceHandle)scope).ResolutionScope;
            }
            if (scope.Kind != HandleKind.AssemblyReference)
            {
                return false;
            }
            string name = _reader.GetString(_reader.GetAssemblyReference((AssemblyReferenceHandle)scope).Name);
            return _guarded.Contains(name);
        }

        private void CheckMemberReferences()
        {
            foreach (MemberReferenceHandle handle in _reader.MemberReferences)
            {
                MemberReference member = _reader.GetMemberReference(handle);
                string memberName = _reader.GetString(member.Name);
                if (member.Parent.Kind != HandleKind.TypeReference)
                {
                    // TypeSpec parents (generic instantiations, multi-dimensional arrays) are reported with
                    // the TypeSpec; MethodDef/ModuleRef parents mean varargs or P/Invoke.
                    if (member.Parent.Kind != HandleKind.TypeSpecification)
                    {
                        Report(memberName, "member reference with a " + member.Parent.Kind + " parent (varargs or P/Invoke)", UsersOf(handle));
                    }
                    else
                    {
                        string parent = TypeNames.Of(_reader, member.Parent, _formatter);
                        Report(parent + "::" + memberName, "member of a generic instantiation or multi-dimensional array", UsersOf(handle));
                    }
                    continue;
                }
                if (IsInGuardedAssembly((TypeReferenceHandle)member.Parent))
                {
                    continue;
                }
                string typeName = TypeNames.Of(_reader, (TypeReferenceHandle)member.Parent);
                int parameterCount;
                IReadOnlyList<string>? parameters = null;
                string display;
                var scan = new SignatureScan();
                if (member.GetKind() == MemberReferenceKind.Method)
                {
                    MethodSignature<string> signature = member.DecodeMethodSignature(_formatter.CheckingFor(scan), scan);
                    parameterCount = signature.ParameterTypes.Length;
                    parameters = signature.ParameterTypes;
                    display = typeName + "::" + memberName + "(" + string.Join(",", signature.ParameterTypes) + ")";
                }
                else
                {
                    member.DecodeFieldSignature(_formatter.CheckingFor(scan), scan);
                    parameterCount = 0;
                    display = typeName + "::" + memberName;
                }
                foreach (string problem in scan.Problems.Distinct())
                {
                    Report(display, problem + " in a member reference signature", UsersOf(handle));
                }
                AllowListEntry? entry = _allow.FindMember(typeName, memberName, parameterCount, parameters);
                if (entry == null)
                {
                    Report(display, "member not in the nanoFramework allow-list", UsersOf(handle));
                }
                else if (entry.BuildOnly && _usedOutsideAssemblyAttributes.Contains(handle))
                {
                    Report(display, "build-only member (allowed only as an assembly attribute) used in code", UsersOf(handle));
                }
            }
        }

        // ---- reporting ------------------------------------------------------------------------

        private void Report(string item, string problem, IReadOnlyList<string> users)
        {
            if (!_seen.Add(problem + "|" + item))
            {
                return;
            }
            _violations.Add(new DialectViolation(_assembly, item, problem, users, _allow.HintFor(item)));
        }

        private string DescribeMethod(EntityHandle method) => method.Kind switch
        {
            HandleKind.MethodDefinition => TypeNames.OfMethod(_reader, (MethodDefinitionHandle)method),
            HandleKind.MemberReference => DescribeMemberReference((MemberReferenceHandle)method),
            _ => method.Kind.ToString(),
        };

        private string DescribeMemberReference(MemberReferenceHandle handle)
        {
            MemberReference member = _reader.GetMemberReference(handle);
            return TypeNames.Of(_reader, member.Parent, _formatter) + "::" + _reader.GetString(member.Name);
        }

        private string DescribeParent(EntityHandle parent) => parent.Kind switch
        {
            HandleKind.TypeDefinition => TypeNames.Of(_reader, (TypeDefinitionHandle)parent),
            HandleKind.MethodDefinition => TypeNames.OfMethod(_reader, (MethodDefinitionHandle)parent),
            HandleKind.FieldDefinition => TypeNames.OfField(_reader, (FieldDefinitionHandle)parent),
            _ => parent.Kind.ToString(),
        };
    }
}

/// <summary>Reads the metadata tokens out of an IL stream.</summary>
internal static class IlTokens
{
    private static readonly Dictionary<short, OperandType> Operands = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value, o => o.OperandType);

    public static IEnumerable<EntityHandle> Read(BlobReader il) => ReadInstructions(il).Where(i => !i.Token.IsNil).Select(i => i.Token);

    /// <summary>Every instruction's opcode (two-byte opcodes as 0xFExx) and its token operand (nil when none).</summary>
    public static IReadOnlyList<(short OpCode, EntityHandle Token)> ReadInstructions(BlobReader il)
    {
        var instructions = new List<(short, EntityHandle)>();
        while (il.RemainingBytes > 0)
        {
            short value = il.ReadByte();
            if (value == 0xFE)
            {
                value = unchecked((short)(0xFE00 | il.ReadByte()));
            }
            if (!Operands.TryGetValue(value, out OperandType operand))
            {
                throw new BadImageFormatException("unknown IL opcode 0x" + value.ToString("X", System.Globalization.CultureInfo.InvariantCulture));
            }
            EntityHandle token = default;
            switch (operand)
            {
                case OperandType.InlineNone:
                    break;
                case OperandType.ShortInlineBrTarget:
                case OperandType.ShortInlineI:
                case OperandType.ShortInlineVar:
                    il.Offset += 1;
                    break;
                case OperandType.InlineVar:
                    il.Offset += 2;
                    break;
                case OperandType.InlineField:
                case OperandType.InlineMethod:
                case OperandType.InlineSig:
                case OperandType.InlineTok:
                case OperandType.InlineType:
                    token = MetadataTokens.EntityHandle(il.ReadInt32());
                    break;
                case OperandType.InlineI8:
                case OperandType.InlineR:
                    il.Offset += 8;
                    break;
                case OperandType.InlineSwitch:
                    int count = il.ReadInt32();
                    il.Offset += 4 * count;
                    break;
                default:
                    il.Offset += 4;
                    break;
            }
            instructions.Add((value, token));
        }
        return instructions;
    }
}
