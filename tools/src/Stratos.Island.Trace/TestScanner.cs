using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace Stratos.Island.Trace;

/// <summary>A test method and the requirement tags its [Verifies] attributes name.</summary>
internal sealed record TracedTest(string Project, string ClassName, string MethodName, IReadOnlyList<string> Tags)
{
    public string FullName => ClassName + "." + MethodName;
}

/// <summary>
/// Reads [Verifies] from compiled test assemblies through System.Reflection.Metadata: nothing is
/// loaded or executed. A [Verifies] on a method without [TestMethod] is reported (it would never run).
/// </summary>
internal static class TestScanner
{
    public const string VerifiesAttributeName = "Stratos.Island.Testing.VerifiesAttribute";

    public static List<TracedTest> Scan(string assemblyPath, List<string> errors, string attributeName = VerifiesAttributeName)
    {
        string project = Path.GetFileNameWithoutExtension(assemblyPath);
        var result = new List<TracedTest>();
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        var md = pe.GetMetadataReader();
        foreach (var typeHandle in md.TypeDefinitions)
        {
            var type = md.GetTypeDefinition(typeHandle);
            string className = FullTypeName(md, type);
            foreach (var methodHandle in type.GetMethods())
            {
                var method = md.GetMethodDefinition(methodHandle);
                var tags = new List<string>();
                bool isTest = false;
                foreach (var attrHandle in method.GetCustomAttributes())
                {
                    var attr = md.GetCustomAttribute(attrHandle);
                    string name = AttributeTypeName(md, attr);
                    if (name == attributeName)
                    {
                        var value = attr.DecodeValue(new StringTypeProvider());
                        foreach (var arg in value.FixedArguments)
                        {
                            if (arg.Value is string s)
                                tags.Add(s);
                            else if (arg.Value is ImmutableArray<CustomAttributeTypedArgument<string>> array)
                                foreach (var element in array)
                                    if (element.Value is string e)
                                        tags.Add(e);
                        }
                    }
                    else if (name.EndsWith("TestMethodAttribute", StringComparison.Ordinal))
                    {
                        isTest = true;
                    }
                }
                if (tags.Count == 0)
                    continue;
                string methodName = md.GetString(method.Name);
                if (!isTest)
                {
                    errors.Add($"{project}: {className}.{methodName} has [Verifies] but is not a [TestMethod]");
                    continue;
                }
                result.Add(new TracedTest(project, className, methodName, tags));
            }
        }
        return result;
    }

    private static string FullTypeName(MetadataReader md, TypeDefinition type)
    {
        string name = md.GetString(type.Name);
        if (type.GetDeclaringType() is { IsNil: false } outer)
            return FullTypeName(md, md.GetTypeDefinition(outer)) + "+" + name;
        string ns = md.GetString(type.Namespace);
        return ns.Length == 0 ? name : ns + "." + name;
    }

    private static string AttributeTypeName(MetadataReader md, CustomAttribute attr)
    {
        EntityHandle typeHandle;
        if (attr.Constructor.Kind == HandleKind.MemberReference)
            typeHandle = md.GetMemberReference((MemberReferenceHandle)attr.Constructor).Parent;
        else if (attr.Constructor.Kind == HandleKind.MethodDefinition)
            typeHandle = md.GetMethodDefinition((MethodDefinitionHandle)attr.Constructor).GetDeclaringType();
        else
            return "";
        return typeHandle.Kind switch
        {
            HandleKind.TypeReference => Join(md.GetString(md.GetTypeReference((TypeReferenceHandle)typeHandle).Namespace),
                md.GetString(md.GetTypeReference((TypeReferenceHandle)typeHandle).Name)),
            HandleKind.TypeDefinition => Join(md.GetString(md.GetTypeDefinition((TypeDefinitionHandle)typeHandle).Namespace),
                md.GetString(md.GetTypeDefinition((TypeDefinitionHandle)typeHandle).Name)),
            _ => "",
        };
    }

    private static string Join(string ns, string name) => ns.Length == 0 ? name : ns + "." + name;

    /// <summary>Just enough of a type provider to decode string and string[] attribute arguments.</summary>
    private sealed class StringTypeProvider : ICustomAttributeTypeProvider<string>
    {
        public string GetPrimitiveType(PrimitiveTypeCode typeCode) => typeCode.ToString();
        public string GetSystemType() => "System.Type";
        public string GetSZArrayType(string elementType) => elementType + "[]";
        public string GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) =>
            reader.GetString(reader.GetTypeDefinition(handle).Name);
        public string GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) =>
            reader.GetString(reader.GetTypeReference(handle).Name);
        public string GetTypeFromSerializedName(string name) => name;
        public PrimitiveTypeCode GetUnderlyingEnumType(string type) => PrimitiveTypeCode.Int32;
        public bool IsSystemType(string type) => type == "System.Type";
    }
}
