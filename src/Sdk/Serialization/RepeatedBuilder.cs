using System.Buffers;
using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace PeerKit.Serialization;

/// <summary>
/// Collects the elements of a repeated field while a message is read, in a pooled buffer, and turns them
/// into the array or list the member demands, sized exactly. Used by generated code.
/// </summary>
/// <remarks>
/// A packed field whose elements are counted before they are read (<see cref="Append"/>) goes straight into
/// an array of its exact size, which <see cref="ToArray"/> hands out without a copy when nothing else was added.
/// </remarks>
/// <typeparam name="T">The element type.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public struct RepeatedBuilder<T>
{
    private T[]? _items;
    private int _count;

    // True when _items was allocated for exactly the elements appended first, not rented from the pool.
    private bool _exact;

    /// <summary>Elements collected so far.</summary>
    public readonly int Count => _count;

    /// <summary>Makes room for <paramref name="additional"/> more elements.</summary>
    public void EnsureCapacity(int additional)
    {
        int needed = _count + additional;
        if (_items is null || needed > _items.Length)
        {
            Resize(needed);
        }
    }

    /// <summary>Adds an element.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(T item)
    {
        T[]? items = _items;
        if (items is null || (uint)_count >= (uint)items.Length)
        {
            Resize(_count + 1);
            items = _items!;
        }

        items[_count++] = item;
    }

    /// <summary>
    /// Adds <paramref name="count"/> elements and returns them, to be filled in (they start at their default
    /// value). When they are the first, they go into an array of exactly <paramref name="count"/> elements.
    /// </summary>
    public Span<T> Append(int count)
    {
        if (count <= 0)
        {
            return default;
        }

        if (_items is null)
        {
            _items = new T[count];
            _exact = true;
            _count = count;
            return _items;
        }

        EnsureCapacity(count);
        Span<T> appended = _items.AsSpan(_count, count);
        _count += count;
        return appended;
    }

    private void Resize(int needed)
    {
        T[]? old = _items;
        T[] grown = ArrayPool<T>.Shared.Rent(Math.Max(needed, Math.Max(8, (old?.Length ?? 0) * 2)));
        if (old is not null)
        {
            // Keep _count: the elements collected so far move to the new buffer.
            old.AsSpan(0, _count).CopyTo(grown);
            if (!_exact)
            {
                ArrayPool<T>.Shared.Return(old, clearArray: RuntimeHelpers.IsReferenceOrContainsReferences<T>());
            }
        }

        _items = grown;
        _exact = false;
    }

    /// <summary>Returns the elements as an exactly sized array, and the pooled buffer to its pool.</summary>
    public T[] ToArray()
    {
        if (_count == 0)
        {
            Return();
            return [];
        }

        if (_exact && _count == _items!.Length)
        {
            T[] exact = _items;
            _items = null;
            _exact = false;
            _count = 0;
            return exact;
        }

        T[] result = _items.AsSpan(0, _count).ToArray();
        Return();
        return result;
    }

    /// <summary>Returns the elements as a list, and the pooled buffer to its pool.</summary>
    public List<T> ToList()
    {
        var result = new List<T>(_count);
        if (_count > 0)
        {
            result.AddRange(_items.AsSpan(0, _count));
        }

        Return();
        return result;
    }

    private void Return()
    {
        if (_items is not null && !_exact)
        {
            ArrayPool<T>.Shared.Return(_items, clearArray: RuntimeHelpers.IsReferenceOrContainsReferences<T>());
        }

        _items = null;
        _exact = false;
        _count = 0;
    }
}
