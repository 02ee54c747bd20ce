using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace TorrentActors.Engine.Making;

/// <summary>
/// A read-only memory map of one file, held under a Linux read lease (<c>fcntl(F_SETLEASE, F_RDLCK)</c>), so the
/// maker can hash straight from the page cache instead of copying every byte into a buffer first.
/// </summary>
/// <remarks>
/// A plain map is unsafe: if another process truncates the file while we read the map, the next access raises
/// SIGBUS and kills the node. The lease closes that hole. The kernel grants it only while no one has the file
/// open for writing, and from then on any open for writing or truncate waits (up to
/// <c>/proc/sys/fs/lease-break-time</c>, 45 s by default) until we let go. The hasher asks <see cref="IsIntact"/>
/// before each batch; once a writer is waiting, it unmaps, releases the lease and goes on with ordinary reads, which
/// turn a truncation into a clear error. The lease-break notice is a signal; it is set to SIGURG, which the process
/// ignores by default, instead of SIGIO, which would terminate it. Where a lease cannot be had (another OS, another
/// owner without CAP_LEASE, a file open for writing, a file system without leases), there is no map and the hasher
/// reads.
/// </remarks>
internal sealed unsafe partial class LeasedMapping : IDisposable
{
    private const int SetSignal = 10; // F_SETSIG
    private const int SetLease = 1024; // F_SETLEASE
    private const int GetLease = 1025; // F_GETLEASE
    private const int ReadLock = 0; // F_RDLCK
    private const int Unlock = 2; // F_UNLCK
    private const int UrgentSignal = 23; // SIGURG on x86-64 and arm64: ignored unless a handler is installed

    private readonly SafeFileHandle _handle;
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _start;
    private bool _disposed;

    private LeasedMapping(SafeFileHandle handle, MemoryMappedFile map, MemoryMappedViewAccessor view, byte* start, long length)
    {
        _handle = handle;
        _map = map;
        _view = view;
        _start = start;
        Length = length;
    }

    public long Length { get; }

    /// <summary>
    /// Leases and maps the first <paramref name="length"/> bytes of the file behind <paramref name="handle"/>, or
    /// returns null when that cannot be done safely (the caller then reads). The handle stays the caller's.
    /// </summary>
    public static LeasedMapping? TryCreate(SafeFileHandle handle, long length)
    {
        if (!OperatingSystem.IsLinux()
            || RuntimeInformation.ProcessArchitecture is not (Architecture.X64 or Architecture.Arm64)
            || length <= 0)
        {
            return null;
        }

        if (Fcntl(handle, SetSignal, UrgentSignal) != 0 || Fcntl(handle, SetLease, ReadLock) != 0)
        {
            return null;
        }

        MemoryMappedFile? map = null;
        MemoryMappedViewAccessor? view = null;
        try
        {
            // Under the lease the file cannot shrink any more, so a length checked now holds until we release it.
            if (RandomAccess.GetLength(handle) < length)
            {
                Fcntl(handle, SetLease, Unlock);
                return null;
            }

            map = MemoryMappedFile.CreateFromFile(handle, null, length, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true);
            view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            byte* pointer = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            return new LeasedMapping(handle, map, view, pointer + view.PointerOffset, length);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            view?.Dispose();
            map?.Dispose();
            Fcntl(handle, SetLease, Unlock);
            return null;
        }
    }

    /// <summary>True while we still hold the read lease, that is, while no writer is waiting for the file.</summary>
    public bool IsIntact => !_disposed && Fcntl(_handle, GetLease, 0) == ReadLock;

    /// <summary>The mapped bytes from <paramref name="offset"/>; valid until the next <see cref="IsIntact"/> says false.</summary>
    public ReadOnlySpan<byte> Slice(long offset, int count)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset + count, Length);
        return new ReadOnlySpan<byte>(_start + offset, count);
    }

    /// <summary>The address of the mapped bytes from <paramref name="offset"/>, for code that takes pointers; valid as long as <see cref="Slice"/>'s span.</summary>
    public nint Address(long offset, int count)
    {
        _ = Slice(offset, count); // the same checks
        return (nint)(_start + offset);
    }

    /// <summary>Unmaps first and only then releases the lease, so a waiting writer never meets a live map.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
        if (!_handle.IsClosed)
        {
            Fcntl(_handle, SetLease, Unlock);
        }
    }

    // fcntl is variadic in C; on Linux x86-64 and arm64 an int third argument is passed like a fixed one.
    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(SafeFileHandle handle, int command, int argument);
}
