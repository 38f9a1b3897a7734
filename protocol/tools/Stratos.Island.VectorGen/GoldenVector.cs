namespace Stratos.Island.VectorGen;

/// <summary>One golden wire vector: the bytes of one message of type <see cref="MessageType"/>
/// ("Envelope" or "VmDefinition"). Canonical vectors are Google.Protobuf's own encoding; the others
/// are hand-built valid encodings that a decoder must accept (reordered, unknown fields, ...).</summary>
public sealed record GoldenVector(string Name, string Comment, string MessageType, bool Canonical, byte[] Bytes);
