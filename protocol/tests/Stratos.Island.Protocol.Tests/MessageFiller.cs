using System;
using System.Collections;
using System.Linq;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Stratos.Island.Protocol.Tests;

/// <summary>Fills Google.Protobuf messages from their descriptors, within the (max_len) /
/// (max_count) limits: either with random values biased towards edge cases, or with the largest
/// encoding the limits allow (worst case: strings and bytes at max_len, repeated at max_count,
/// varints at their longest, enums at their largest declared value, every nested message set).</summary>
internal static class MessageFiller
{
    private static readonly string[] MultiByte = { "é", "ß", "€", "中", "😀" };

    /// <summary>Fills every field; for a oneof, sets <paramref name="oneofChoice"/> (or a random
    /// member when it is null).</summary>
    public static void FillRandom(IMessage message, Random random, FieldDescriptor? oneofChoice = null)
    {
        foreach (FieldDescriptor field in message.Descriptor.Fields.InFieldNumberOrder())
        {
            if (field.ContainingOneof != null)
            {
                FieldDescriptor chosen = oneofChoice ?? field.ContainingOneof.Fields[random.Next(field.ContainingOneof.Fields.Count)];
                if (chosen != field) continue;
                var body = (IMessage)Activator.CreateInstance(field.MessageType.ClrType)!;
                FillRandom(body, random);
                field.Accessor.SetValue(message, body);
                continue;
            }

            if (field.IsRepeated)
            {
                var list = (IList)field.Accessor.GetValue(message);
                int max = (int)Mirror.MaxCount(field);
                int count = random.Next(4) == 0 ? max : random.Next(max + 1);
                for (int i = 0; i < count; i++) list.Add(RandomValue(field, random));
                continue;
            }

            if (field.FieldType == FieldType.Message)
            {
                if (random.Next(3) != 0) field.Accessor.SetValue(message, RandomValue(field, random));
                continue;
            }

            if (random.Next(4) == 0) continue; // leave at the default
            field.Accessor.SetValue(message, RandomValue(field, random));
        }
    }

    private static object RandomValue(FieldDescriptor field, Random random)
    {
        switch (field.FieldType)
        {
            case FieldType.UInt32:
                return (uint)PickLong(random, 0, 1, 127, 128, 16383, 16384, uint.MaxValue, uint.MaxValue - 1, random.Next(), (long)random.Next() * 2);
            case FieldType.Fixed32:
                return (uint)PickLong(random, 0, 1, uint.MaxValue, random.Next(), (long)random.Next() * 2);
            case FieldType.Int32:
            case FieldType.SInt32:
                return (int)PickLong(random, 0, 1, -1, 63, -64, 64, int.MaxValue, int.MinValue, random.Next(), -random.Next());
            case FieldType.UInt64:
            case FieldType.Fixed64:
                return random.Next(4) switch
                {
                    0 => ulong.MaxValue,
                    1 => (ulong)random.Next(200),
                    _ => (ulong)random.NextInt64() * 2 + (ulong)random.Next(2),
                };
            case FieldType.Bool:
                return random.Next(2) == 0;
            case FieldType.Enum:
                var values = field.EnumType.Values;
                return random.Next(10) switch
                {
                    0 => Enum.ToObject(field.EnumType.ClrType, 99),
                    1 => Enum.ToObject(field.EnumType.ClrType, -1),
                    _ => Enum.ToObject(field.EnumType.ClrType, values[random.Next(values.Count)].Number),
                };
            case FieldType.String:
                return RandomString(random, (int)Mirror.MaxLen(field));
            case FieldType.Bytes:
                int maxBytes = (int)Mirror.MaxLen(field);
                var bytes = new byte[random.Next(3) == 0 ? maxBytes : random.Next(maxBytes + 1)];
                random.NextBytes(bytes);
                return ByteString.CopyFrom(bytes);
            case FieldType.Message:
                var nested = (IMessage)Activator.CreateInstance(field.MessageType.ClrType)!;
                FillRandom(nested, random);
                return nested;
            default:
                throw new NotSupportedException($"{field.FullName}: field type {field.FieldType} is not used by link.proto");
        }
    }

    private static long PickLong(Random random, params long[] choices) => choices[random.Next(choices.Length)];

    /// <summary>A string of at most maxBytes UTF-8 bytes mixing ASCII and 2-, 3- and 4-byte characters.</summary>
    public static string RandomString(Random random, int maxBytes)
    {
        int target = random.Next(4) == 0 ? maxBytes : random.Next(maxBytes + 1);
        var text = new StringBuilder();
        int bytes = 0;
        while (bytes < target)
        {
            string piece = random.Next(4) == 0 ? MultiByte[random.Next(MultiByte.Length)] : ((char)random.Next(0x20, 0x7F)).ToString();
            int size = Encoding.UTF8.GetByteCount(piece);
            if (bytes + size > target)
            {
                piece = "a";
                size = 1;
            }

            text.Append(piece);
            bytes += size;
        }

        return text.ToString();
    }

    /// <summary>Fills every field with the value whose encoding is longest.</summary>
    public static void FillMax(IMessage message)
    {
        foreach (FieldDescriptor field in message.Descriptor.Fields.InFieldNumberOrder())
        {
            if (field.ContainingOneof != null) continue; // the caller chooses the body
            if (field.IsRepeated)
            {
                var list = (IList)field.Accessor.GetValue(message);
                for (int i = 0; i < (int)Mirror.MaxCount(field); i++) list.Add(MaxValue(field));
                continue;
            }

            field.Accessor.SetValue(message, MaxValue(field));
        }
    }

    public static object MaxValue(FieldDescriptor field)
    {
        switch (field.FieldType)
        {
            case FieldType.UInt32:
            case FieldType.Fixed32:
                return uint.MaxValue;
            case FieldType.Int32:
                return -1; // sign-extended: 10 bytes
            case FieldType.SInt32:
                return int.MinValue; // zigzag 0xFFFFFFFF: 5 bytes
            case FieldType.UInt64:
            case FieldType.Fixed64:
                return ulong.MaxValue;
            case FieldType.Bool:
                return true;
            case FieldType.Enum:
                return Enum.ToObject(field.EnumType.ClrType, field.EnumType.Values.Max(v => v.Number));
            case FieldType.String:
                return new string('x', (int)Mirror.MaxLen(field));
            case FieldType.Bytes:
                return ByteString.CopyFrom(new byte[Mirror.MaxLen(field)]);
            case FieldType.Message:
                var nested = (IMessage)Activator.CreateInstance(field.MessageType.ClrType)!;
                FillMax(nested);
                return nested;
            default:
                throw new NotSupportedException($"{field.FullName}: field type {field.FieldType} is not used by link.proto");
        }
    }
}
