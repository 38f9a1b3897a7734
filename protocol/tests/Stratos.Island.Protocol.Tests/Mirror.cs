using System;
using System.Collections;
using System.Reflection;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Stratos.Island.Codec;
using Stratos.Island.Codec.Link;
using Stratos.Island.Protocol.Options.V1;

namespace Stratos.Island.Protocol.Tests;

/// <summary>Maps between Google.Protobuf messages and island codec objects through reflection,
/// driven by the generated descriptors: every proto field must exist on the island class under the
/// naming contract (PascalCase field; ...Count for repeated, ...Length for bytes, Has... for nested
/// messages, BodyCase/SetBody for the oneof). A missing island field fails loudly here.</summary>
internal static class Mirror
{
    private const BindingFlags Public = BindingFlags.Public | BindingFlags.Instance;

    public static string Pascal(string protoName)
    {
        var parts = protoName.Split('_');
        var text = new System.Text.StringBuilder();
        foreach (string part in parts)
        {
            if (part.Length > 0) text.Append(char.ToUpperInvariant(part[0])).Append(part, 1, part.Length - 1);
        }

        return text.ToString();
    }

    public static Type IslandType(MessageDescriptor descriptor) =>
        typeof(Envelope).Assembly.GetType("Stratos.Island.Codec.Link." + descriptor.Name)
        ?? throw new InvalidOperationException($"island codec has no class for message {descriptor.FullName}");

    public static object NewIsland(MessageDescriptor descriptor) => Activator.CreateInstance(IslandType(descriptor))!;

    private static FieldInfo Field(object island, string name) =>
        island.GetType().GetField(name, Public)
        ?? throw new InvalidOperationException($"island class {island.GetType().Name} has no public field {name}");

    public static uint MaxLen(FieldDescriptor field) => field.GetOptions()?.GetExtension(LimitsExtensions.MaxLen) ?? 0;

    public static uint MaxCount(FieldDescriptor field) => field.GetOptions()?.GetExtension(LimitsExtensions.MaxCount) ?? 0;

    /// <summary>Clears <paramref name="island"/> and copies every field of <paramref name="message"/> into it.</summary>
    public static void ToIsland(IMessage message, object island)
    {
        island.GetType().GetMethod("Clear")!.Invoke(island, null);
        foreach (FieldDescriptor field in message.Descriptor.Fields.InFieldNumberOrder())
        {
            string name = Pascal(field.Name);
            object? value = field.Accessor.GetValue(message);
            if (field.ContainingOneof != null)
            {
                if (field.ContainingOneof.Accessor.GetCaseFieldDescriptor(message) != field) continue;
                MethodInfo setBody = island.GetType().GetMethod("SetBody")!;
                setBody.Invoke(island, new[] { Enum.ToObject(setBody.GetParameters()[0].ParameterType, field.FieldNumber) });
                ToIsland((IMessage)value!, Field(island, name).GetValue(island)!);
                continue;
            }

            if (field.IsRepeated)
            {
                var list = (IList)value!;
                var array = (Array)Field(island, name).GetValue(island)!;
                if (list.Count > array.Length) throw new InvalidOperationException($"{field.FullName}: {list.Count} elements exceed the island array ({array.Length})");
                for (int i = 0; i < list.Count; i++)
                {
                    if (field.FieldType == FieldType.Message) ToIsland((IMessage)list[i]!, array.GetValue(i)!);
                    else array.SetValue(list[i], i);
                }

                Field(island, name + "Count").SetValue(island, list.Count);
                continue;
            }

            switch (field.FieldType)
            {
                case FieldType.Message:
                    if (value != null)
                    {
                        Field(island, "Has" + name).SetValue(island, true);
                        ToIsland((IMessage)value, Field(island, name).GetValue(island)!);
                    }

                    break;
                case FieldType.Bytes:
                    var bytes = (ByteString)value!;
                    var target = (byte[])Field(island, name).GetValue(island)!;
                    if (bytes.Length > target.Length) throw new InvalidOperationException($"{field.FullName}: {bytes.Length} bytes exceed the island array");
                    bytes.CopyTo(target, 0);
                    Field(island, name + "Length").SetValue(island, bytes.Length);
                    break;
                case FieldType.Enum:
                    FieldInfo enumField = Field(island, name);
                    enumField.SetValue(island, Enum.ToObject(enumField.FieldType, Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture)));
                    break;
                default:
                    Field(island, name).SetValue(island, value);
                    break;
            }
        }
    }

    /// <summary>Builds the Google.Protobuf message equal to an island object.</summary>
    public static IMessage ToGoogle(object island, MessageDescriptor descriptor)
    {
        var message = (IMessage)Activator.CreateInstance(descriptor.ClrType)!;
        foreach (FieldDescriptor field in descriptor.Fields.InFieldNumberOrder())
        {
            string name = Pascal(field.Name);
            if (field.ContainingOneof != null)
            {
                int bodyCase = Convert.ToInt32(Field(island, "BodyCase").GetValue(island), System.Globalization.CultureInfo.InvariantCulture);
                if (bodyCase == field.FieldNumber)
                {
                    field.Accessor.SetValue(message, ToGoogle(Field(island, name).GetValue(island)!, field.MessageType));
                }

                continue;
            }

            if (field.IsRepeated)
            {
                var list = (IList)field.Accessor.GetValue(message);
                var array = (Array)Field(island, name).GetValue(island)!;
                int count = (int)Field(island, name + "Count").GetValue(island)!;
                for (int i = 0; i < count; i++)
                {
                    object item = array.GetValue(i)!;
                    list.Add(field.FieldType == FieldType.Message ? ToGoogle(item, field.MessageType) : item);
                }

                continue;
            }

            object? value = Field(island, name).GetValue(island);
            switch (field.FieldType)
            {
                case FieldType.Message:
                    if ((bool)Field(island, "Has" + name).GetValue(island)!)
                    {
                        field.Accessor.SetValue(message, ToGoogle(value!, field.MessageType));
                    }

                    break;
                case FieldType.Bytes:
                    int length = (int)Field(island, name + "Length").GetValue(island)!;
                    field.Accessor.SetValue(message, ByteString.CopyFrom((byte[])value!, 0, length));
                    break;
                case FieldType.Enum:
                    field.Accessor.SetValue(message, Enum.ToObject(field.EnumType.ClrType, Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture)));
                    break;
                case FieldType.String:
                    field.Accessor.SetValue(message, value ?? string.Empty);
                    break;
                default:
                    field.Accessor.SetValue(message, value!);
                    break;
            }
        }

        return message;
    }
}

/// <summary>Calls Encode / Decode / ComputeSize of any island message class.</summary>
internal static class IslandCodec
{
    public static CodecStatus Encode(object island, out byte[] bytes, int capacity = 4096)
    {
        var buffer = new byte[capacity];
        object[] args = { buffer, 0, capacity, 0 };
        var status = (CodecStatus)island.GetType().GetMethod("Encode")!.Invoke(island, args)!;
        bytes = buffer.AsSpan(0, (int)args[3]).ToArray();
        return status;
    }

    public static byte[] EncodeOk(object island)
    {
        CodecStatus status = Encode(island, out byte[] bytes);
        if (status != CodecStatus.Ok) throw new InvalidOperationException($"island Encode of {island.GetType().Name} returned {status}");
        return bytes;
    }

    public static CodecStatus Decode(object island, byte[] bytes) =>
        (CodecStatus)island.GetType().GetMethod("Decode")!.Invoke(island, new object[] { bytes, 0, bytes.Length })!;

    public static int ComputeSize(object island) => (int)island.GetType().GetMethod("ComputeSize")!.Invoke(island, null)!;
}
