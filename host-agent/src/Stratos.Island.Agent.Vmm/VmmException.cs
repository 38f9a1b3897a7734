using System;

namespace Stratos.Island.Agent.Vmm;

/// <summary>What went wrong in the VMM backend; the agent maps these to link/API error codes.</summary>
public enum VmmErrorKind
{
    /// <summary>The VM spec is invalid (a field is missing or out of range).</summary>
    InvalidSpec,
    /// <summary>The QEMU binary is not installed or not executable.</summary>
    QemuMissing,
    /// <summary>A file named by the spec (kernel, disk) does not exist.</summary>
    FileMissing,
    /// <summary>QEMU did not start, or exited before QMP was ready.</summary>
    StartFailed,
    /// <summary>A QMP or guest serial operation did not complete in time.</summary>
    Timeout,
    /// <summary>QEMU answered a QMP command with an error.</summary>
    QmpError,
    /// <summary>The QMP or serial connection closed (QEMU exited).</summary>
    ConnectionClosed,
    /// <summary>The operation is not allowed in the VM's current state.</summary>
    InvalidState,
    /// <summary>The guest rejected a command (ERR line).</summary>
    GuestRejected,
    /// <summary>A Xen toolstack command (xl, xenstore-*) is missing, failed or timed out.</summary>
    XenToolFailed,
}

/// <summary>A VMM backend failure with a message naming the VM and what failed.</summary>
public sealed class VmmException : Exception
{
    public VmmException(VmmErrorKind kind, string message, Exception? inner = null) : base(message, inner)
    {
        Kind = kind;
    }

    public VmmErrorKind Kind { get; }
}

/// <summary>QEMU answered a QMP command with {"error": {"class": ..., "desc": ...}}.</summary>
public sealed class QmpCommandException : Exception
{
    public QmpCommandException(string command, string errorClass, string description)
        : base($"QMP command '{command}' failed: {errorClass}: {description}")
    {
        Command = command;
        ErrorClass = errorClass;
        Description = description;
    }

    public string Command { get; }
    public string ErrorClass { get; }
    public string Description { get; }
}
