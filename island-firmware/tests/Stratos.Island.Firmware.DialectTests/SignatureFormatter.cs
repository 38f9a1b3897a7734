// Decodes metadata signatures into readable type names and records every construct the
// nanoFramework stable line cannot load: generic instantiations, generic parameters,
// multi-dimensional arrays, pointers and function pointers.
//
// Names: primitives use C# keywords (int, uint, string, object, bool, byte, ...), other types are
// namespace-qualified with '+' for nesting, arrays end in [], by-ref (ref/out) parameters read "T&".
// The allow-list's parameter lists use the same spelling.
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Reflection.Metadata;

namespace Stratos.Island.Firmware.DialectTests;

/// <summary>Signature decoding context: the problems found and the type references met.</summary>
public sealed class SignatureScan
{
    public List<string> Problems { get; } = [];

    public HashSet<TypeReferenceHandle> TypeReferences { get; } = [];
}

public sealed class SignatureFormatter : ISignatureTypeProvider<string, SignatureScan>
{
    public string GetPrimitiveType(PrimitiveTypeCode typeCode) => typeCode switch
    {
        PrimitiveTypeCode.Boolean => "bool",
        PrimitiveTypeCode.Byte => "byte",
        PrimitiveTypeCode.SByte => "sbyte",
        PrimitiveTypeCode.Char => "char",
        PrimitiveTypeCode.Int16 => "short",
        PrimitiveTypeCode.UInt16 => "ushort",
        PrimitiveTypeCode.Int32 => "int",
        PrimitiveTypeCode.UInt32 => "uint",
        PrimitiveTypeCode.Int64 => "long",
        PrimitiveTypeCode.UInt64 => "ulong",
        PrimitiveTypeCode.Single => "float",
        PrimitiveTypeCode.Double => "double",
        PrimitiveTypeCode.String => "string",
        PrimitiveTypeCode.Object => "object",
        PrimitiveTypeCode.Void => "void",
        PrimitiveTypeCode.IntPtr => "System.IntPtr",
        PrimitiveTypeCode.UIntPtr => "System.UIntPtr",
        PrimitiveTypeCode.TypedReference => "System.TypedReference",
        _ => typeCode.ToString(),
    };

    public string GetTypeFromDefinition(MetadataReader metadata, TypeDefinitionHandle handle, byte rawTypeKind) =>
        TypeNames.Of(metadata, handle);

    public string GetTypeFromReference(MetadataReader metadata, TypeReferenceHandle handle, byte rawTypeKind) =>
        TypeNames.Of(metadata, handle);

    public string GetTypeFromSpecification(MetadataReader metadata, SignatureScan context, TypeSpecificationHandle handle, byte rawTypeKind) =>
        metadata.GetTypeSpecification(handle).DecodeSignature(this, context);

    public string GetSZArrayType(string elementType) => elementType + "[]";

    public string GetArrayType(string elementType, ArrayShape shape) => elementType + "[" + new string(',', shape.Rank - 1) + "]";

    public string GetByReferenceType(string elementType) => elementType + "&";

    public string GetPointerType(string elementType) => elementType + "*";

    public string GetPinnedType(string elementType) => elementType;

    public string GetModifiedType(string modifier, string unmodifiedType, bool isRequired) => unmodifiedType;

    public string GetGenericInstantiation(string genericType, ImmutableArray<string> typeArguments) =>
        genericType + "<" + string.Join(",", typeArguments) + ">";

    public string GetGenericMethodParameter(SignatureScan context, int index) => "!!" + index;

    public string GetGenericTypeParameter(SignatureScan context, int index) => "!" + index;

    public string GetFunctionPointerType(MethodSignature<string> signature) =>
        "delegate*<" + string.Join(",", signature.ParameterTypes.Append(signature.ReturnType)) + ">";

    /// <summary>Returns a provider that decodes like this one and records problems into <paramref name="scan"/>.</summary>
    public ISignatureTypeProvider<string, SignatureScan> CheckingFor(SignatureScan scan) => new CheckingProvider(this, scan);

    private sealed class CheckingProvider(SignatureFormatter inner, SignatureScan scan) : ISignatureTypeProvider<string, SignatureScan>
    {

        public string GetPrimitiveType(PrimitiveTypeCode typeCode) => inner.GetPrimitiveType(typeCode);

        public string GetTypeFromDefinition(MetadataReader metadata, TypeDefinitionHandle handle, byte rawTypeKind) =>
            inner.GetTypeFromDefinition(metadata, handle, rawTypeKind);

        public string GetTypeFromReference(MetadataReader metadata, TypeReferenceHandle handle, byte rawTypeKind)
        {
            scan.TypeReferences.Add(handle);
            return inner.GetTypeFromReference(metadata, handle, rawTypeKind);
        }

        public string GetTypeFromSpecification(MetadataReader metadata, SignatureScan context, TypeSpecificationHandle handle, byte rawTypeKind) =>
            metadata.GetTypeSpecification(handle).DecodeSignature(this, context);

        public string GetSZArrayType(string elementType) => inner.GetSZArrayType(elementType);

        public string GetArrayType(string elementType, ArrayShape shape)
        {
            string name = inner.GetArrayType(elementType, shape);
            scan.Problems.Add("multi-dimensional array " + name);
            return name;
        }

        public string GetByReferenceType(string elementType) => inner.GetByReferenceType(elementType);

        public string GetPointerType(string elementType)
        {
            string name = inner.GetPointerType(elementType);
            scan.Problems.Add("pointer type " + name);
            return name;
        }

        public string GetPinnedType(string elementType) => inner.GetPinnedType(elementType);

        public string GetModifiedType(string modifier, string unmodifiedType, bool isRequired) =>
            inner.GetModifiedType(modifier, unmodifiedType, isRequired);

        public string GetGenericInstantiation(string genericType, ImmutableArray<string> typeArguments)
        {
            string name = inner.GetGenericInstantiation(genericType, typeArguments);
            scan.Problems.Add("generic instantiation " + name);
            return name;
        }

        public string GetGenericMethodParameter(SignatureScan context, int index)
        {
            scan.Problems.Add("generic method parameter !!" + index);
            return inner.GetGenericMethodParameter(context, index);
        }

        public string GetGenericTypeParameter(SignatureScan context, int index)
        {
            scan.Problems.Add("generic type parameter !" + index);
            return inner.GetGenericTypeParameter(context, index);
        }

        public string GetFunctionPointerType(MethodSignature<string> signature)
        {
            string name = inner.GetFunctionPointerType(signature);
            scan.Problems.Add("function pointer " + name);
            return name;
        }
    }
}

/// <summary>Readable names of type definitions and references.</summary>
public static class TypeNames
{
    public static string Of(MetadataReader reader, TypeDefinitionHandle handle)
    {
        TypeDefinition type = reader.GetTypeDefinition(handle);
        string name = reader.GetString(type.Name);
        if (type.IsNested)
        {
            return Of(reader, type.GetDeclaringType()) + "+" + name;
        }
        string ns = reader.GetString(type.Namespace);
        return ns.Length == 0 ? name : ns + "." + name;
    }

    public static string Of(MetadataReader reader, TypeReferenceHandle handle)
    {
        TypeReference type = reader.GetTypeReference(handle);
        string name = reader.GetString(type.Name);
        if (type.ResolutionScope.Kind == HandleKind.TypeReference)
        {
            return Of(reader, (TypeReferenceHandle)type.ResolutionScope) + "+" + name;
        }
        string ns = reader.GetString(type.Namespace);
        return ns.Length == 0 ? name : ns + "." + name;
    }

    public static string Of(MetadataReader reader, EntityHandle handle, SignatureFormatter formatter) => handle.Kind switch
    {
        HandleKind.TypeDefinition => Of(reader, (TypeDefinitionHandle)handle),
        HandleKind.TypeReference => Of(reader, (TypeReferenceHandle)handle),
        HandleKind.TypeSpecification => reader.GetTypeSpecification((TypeSpecificationHandle)handle).DecodeSignature(formatter, new SignatureScan()),
        _ => handle.Kind.ToString(),
    };

    public static string OfMethod(MetadataReader reader, MethodDefinitionHandle handle)
    {
        MethodDefinition method = reader.GetMethodDefinition(handle);
        return Of(reader, method.GetDeclaringType()) + "::" + reader.GetString(method.Name);
    }

    public static string OfField(MetadataReader reader, FieldDefinitionHandle handle)
    {
        FieldDefinition field = reader.GetFieldDefinition(handle);
        return Of(reader, field.GetDeclaringType()) + "::" + reader.GetString(field.Name);
    }
}
